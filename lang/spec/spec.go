// Package spec describes the Gunfile's instructions: their names, syntax and
// documentation. The parser recognises keywords with it, the checker suggests
// names from it ("did you mean"), and the language server uses it for
// completion and hover.
package spec

import (
	"slices"
	"strings"
)

// Instruction documents one Gunfile instruction.
type Instruction struct {
	Name    string // the keyword, in its one accepted case, e.g. "Exec"
	Syntax  string // one line per form, e.g. `Exec "<command>"`
	Summary string // one sentence
	Doc     string // a paragraph or two of Markdown
	Example string // a short Gunfile fragment
}

// Instructions lists every instruction in the order docs present them.
var Instructions = []*Instruction{
	{
		Name:    "Using",
		Syntax:  "Using \"<base>\" [As <name>]\nUsing <stage> [As <name>]\nUsing scratch [As <name>]",
		Summary: "Starts a build stage from a base root filesystem.",
		Doc: "A quoted base is a root-filesystem archive path (relative to the build context), an image in the " +
			"local store, or an https URL. A bare name is an earlier stage's name, or `scratch` for an empty " +
			"filesystem. `As <name>` names the stage so that later stages can use it or copy from it. " +
			"Several `Using` lines make a multi-stage Gunfile; the last stage is the image.",
		Example: "Using \"alpine-minirootfs-3.14.0-x86_64.tar.gz\" As build",
	},
	{
		Name:    "Exec",
		Syntax:  "Exec [<mount>...] [Network <mode>] \"<shell command>\"\nExec [<mount>...] [Network <mode>] [\"<program>\", \"<arg>\", ...]\nExec [<mount>...] [Network <mode>] <<EOF ... EOF",
		Summary: "Runs a command in the stage and records the changes as a layer.",
		Doc: "The string form runs `/bin/sh -c \"<shell command>\"`. The list form runs the program directly, " +
			"without a shell. The script form runs the lines up to the closing delimiter with `/bin/sh -c`, " +
			"with no backslash continuations needed; the closing delimiter's indentation is removed from " +
			"every line. gun does not expand `$NAME` in commands: Args and Envs are in the command's " +
			"environment, so the shell expands them. Mounts come first: `Cache \"<dir>\"` keeps a directory " +
			"between builds, `Secret \"<id>\"` mounts a `gun build --secret`, `Bind \"<src>\" \"<dest>\"` a " +
			"context or stage directory, `Tmpfs \"<dir>\"` an empty one; none of them is in the layer. " +
			"`Network none` runs the step without a network.",
		Example: "Exec \"apk add vim\"\nExec [\"/bin/busybox\", \"--install\"]\nExec <<EOF\n    apk update\n    apk add vim\n    EOF",
	},
	{
		Name:    "Copy",
		Syntax:  "Copy [From <stage>] [Owner \"<user>[:<group>]\"] [Mode <octal>] [Unpack] \"<src>\"... \"<dest>\"\nCopy [Owner \"<user>[:<group>]\"] [Mode <octal>] [Expand] \"<dest>\" <<EOF ... EOF",
		Summary: "Copies files from the build context or another stage into the stage.",
		Doc: "Sources are relative to the build context, which they may not leave, or with `From <stage>` " +
			"paths in that stage's filesystem. A destination ending in `/`, or several sources, " +
			"copy into the directory. `Owner` sets the owner and `Mode` the permission bits of what is copied. " +
			"An `https://` source is downloaded and pinned in Gunfile.sum; `Unpack` extracts archive sources " +
			"into the destination; a script block after the destination is an inline file, its text as written " +
			"or, with `Expand`, with `$NAME` and `${NAME}` expanded (`\\$` and `\\\\` are a literal `$` and `\\`).",
		Example: "Copy From build Mode 0755 \"/out/app\" \"/usr/local/bin/\"",
	},
	{
		Name:    "Env",
		Syntax:  "Env <NAME> \"<value>\"\nEnv <NAME> Inherited",
		Summary: "Sets an environment variable for later instructions and for the image.",
		Doc: "The value is expanded. The variable is set for every later instruction of the stage, for " +
			"stages based on this one, and in the image's configuration. `Env NAME Inherited` declares the " +
			"base image's variable, so that strings may refer to it (`Env PATH \"/app/bin:${PATH}\"`); the " +
			"build fails if the base image's environment has no NAME.",
		Example: "Env PATH \"/usr/local/bin:/usr/bin:/bin\"",
	},
	{
		Name:    "Arg",
		Syntax:  "Arg <NAME> [\"<default>\"]",
		Summary: "Declares a build argument, set with `gun build --arg NAME=value`.",
		Doc: "An Arg before the first `Using` is global: it can be used in every `Using` base and in every " +
			"stage. An Arg inside a stage is visible to the rest of that stage. Args are in the environment of " +
			"`Exec` commands but not in the image.",
		Example: "Arg VERSION \"3.14.0\"",
	},
	{
		Name:    "Workdir",
		Syntax:  "Workdir \"<path>\"",
		Summary: "Sets the working directory for later instructions and for the image.",
		Doc:     "A relative path is relative to the previous working directory. The directory is created if it does not exist.",
		Example: "Workdir \"/src\"",
	},
	{
		Name:    "User",
		Syntax:  "User \"<user>[:<group>]\"",
		Summary: "Sets the user (and group) that later commands and the image run as.",
		Doc:     "Resolved by Docker's rule against the stage's /etc/passwd and /etc/group: a number is a uid (or gid), a name must exist; a user without a group takes its passwd entry's group, and a uid with no entry runs with group 0.",
		Example: "User \"app:app\"",
	},
	{
		Name:    "Main",
		Syntax:  "Main \"<shell command>\"\nMain [\"<program>\", \"<arg>\", ...]",
		Summary: "Sets the image's default command (with an Entrypoint, its default arguments).",
		Doc: "The string form runs with the stage's `Shell` (`/bin/sh -c`); the list form runs the program directly. " +
			"The last `Main` of the final stage wins. With an `Entrypoint`, `Main` gives its default arguments " +
			"(Docker's CMD), which `gun run IMAGE ARGS...` replaces.",
		Example: "Main [\"/usr/bin/vim\"]",
	},
	{
		Name:    "Entrypoint",
		Syntax:  "Entrypoint [\"<program>\", \"<arg>\", ...]\nEntrypoint \"<shell command>\"",
		Summary: "Sets the program the image always runs; Main gives its default arguments.",
		Doc: "The list form runs the program with `Main`'s list (or the arguments given to `gun run`) after its own. " +
			"The string form runs with the stage's `Shell` and takes no arguments. `gun run --entrypoint PROG` " +
			"replaces it for one run. An `Entrypoint` clears the `Main` inherited from the base, as in Docker.",
		Example: "Entrypoint [\"/usr/bin/tini\", \"--\"]\nMain [\"/app\", \"--serve\"]",
	},
	{
		Name:    "Label",
		Syntax:  "Label \"<key>\" \"<value>\"",
		Summary: "Adds a key/value label to the image's configuration.",
		Doc:     "Both key and value are expanded.",
		Example: "Label \"org.opencontainers.image.source\" \"https://example.com/app\"",
	},
	{
		Name:    "Expose",
		Syntax:  "Expose <port>... \nExpose \"<port>/<tcp|udp|sctp>\"...",
		Summary: "Records the ports the image listens on in its configuration.",
		Doc: "A port is a number from 1 to 65535, or a quoted range (`\"8000-8010\"`), optionally with a " +
			"protocol (`\"53/udp\"`; tcp by default). It publishes nothing: it is documentation in the " +
			"image's `ExposedPorts`.",
		Example: "Expose 8080 \"53/udp\"",
	},
	{
		Name:    "Volume",
		Syntax:  "Volume \"<path>\"...",
		Summary: "Records the directories that hold the container's data in the image's configuration.",
		Doc: "Absolute paths. They are in the image's `Volumes`; `gun run` does not mount anything there by " +
			"itself. Unlike Docker, later steps' changes under the path are kept.",
		Example: "Volume \"/var/lib/app\"",
	},
	{
		Name:    "StopSignal",
		Syntax:  "StopSignal <signal>",
		Summary: "Sets the signal that asks the container to stop.",
		Doc:     "A signal name (`SIGTERM`, `SIGQUIT`, ...; the `SIG` may be left out) or number.",
		Example: "StopSignal SIGQUIT",
	},
	{
		Name:    "Shell",
		Syntax:  "Shell [\"<program>\", \"<arg>\", ...]",
		Summary: "Sets the shell that runs the string and script forms of later Exec, Main and Entrypoint.",
		Doc: "The command is appended to the list: `Shell [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` runs " +
			"`Exec \"a | b\"` as `/bin/bash -o pipefail -c \"a | b\"`. The default is `[\"/bin/sh\", \"-c\"]`. " +
			"It holds for the rest of the stage and for stages built on it, and is recorded in the image's " +
			"configuration (Docker's `Shell`).",
		Example: "Shell [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]",
	},
	{
		Name: "Healthcheck",
		Syntax: "Healthcheck [Interval <duration>] [Timeout <duration>] [StartPeriod <duration>] " +
			"[StartInterval <duration>] [Retries <n>] \"<shell command>\"\nHealthcheck None",
		Summary: "Sets the command that checks that a container still works.",
		Doc: "Durations are numbers with a unit (`30s`, `1m30s`). The string form runs with the shell " +
			"(`CMD-SHELL`), the list form directly (`CMD`). `Healthcheck None` disables a check inherited " +
			"from the base. It is kept in the image configuration's `Healthcheck`, as Docker writes it: " +
			"Docker and Podman run it; OCI runtimes and Kubernetes ignore it.",
		Example: "Healthcheck Interval 30s Retries 3 \"wget -q -O- http://localhost:8080/health\"",
	},
}

// Dockerfile maps Dockerfile instructions (lower case) that gun spells
// differently to gun's instruction, for helpful errors.
var Dockerfile = map[string]string{
	"from": "Using",
	"run":  "Exec",
	"cmd":  "Main",
	"add":  "Copy",
}

// OptionValue says what follows an option word.
type OptionValue int

// Option values.
const (
	Flag         OptionValue = iota // nothing: the word alone
	String                          // a quoted string
	WordOrString                    // a bare word or a quoted string
)

// Option describes an option word of an instruction or a mount.
type Option struct {
	Name  string
	Value OptionValue
	Usage string // an example, for messages
	Doc   string // one sentence, for hover
}

// MountKind describes a mount of Exec: Cache, Secret, Bind or Tmpfs.
type MountKind struct {
	Name    string
	Args    []string // what each positional string is, for messages
	Options []Option
	Usage   string
	Doc     string
}

// Mounts lists Exec's mounts.
var Mounts = []MountKind{
	{
		Name: "Cache", Args: []string{"a quoted target directory"}, Usage: `Cache "/var/cache/apt" Sharing locked`,
		Doc: "A directory kept between builds in this user's store, shared by every step that mounts the same Id. It is never part of a layer or a cache key. Uid, Gid and Mode set its owner and mode when it is made (a cache that exists keeps its own).",
		Options: []Option{
			{Name: "Id", Value: String, Usage: `Id "apt"`, Doc: "Names the cache; by default the target path."},
			{Name: "Sharing", Value: WordOrString, Usage: "Sharing shared|private|locked", Doc: "`shared` (the default): steps use it at once; `locked`: one step at a time; `private`: a step that finds it in use gets a fresh one."},
			{Name: "Uid", Value: WordOrString, Usage: "Uid 1000", Doc: "The directory's owner when the cache is made, a number; by default 0 (root), as in BuildKit."},
			{Name: "Gid", Value: WordOrString, Usage: "Gid 1000", Doc: "The directory's group when the cache is made, a number; by default 0."},
			{Name: "Mode", Value: WordOrString, Usage: "Mode 0755", Doc: "The directory's permission bits when the cache is made, octal; by default 0755."},
		},
	},
	{
		Name: "Secret", Args: []string{"a quoted secret id"}, Usage: `Secret "npmrc" Target "/root/.npmrc"`,
		Doc: "A secret given with `gun build --secret id=ID,src=FILE` (or `env=VAR`), mounted as a read-only file (mode 0400, owned by the step's user), or with Env given in an environment variable of the step, never in a layer, a cache key, the history or the output.",
		Options: []Option{
			{Name: "Target", Value: String, Usage: `Target "/root/.npmrc"`, Doc: "Where the file is; by default /run/secrets/<id>."},
			{Name: "Env", Value: String, Usage: `Env "TOKEN"`, Doc: "Gives the step's commands the secret in this environment variable (BuildKit's env=), and no file unless Target is given too; only that step's processes see it, never the image's config, a cache key, the history or the output."},
			{Name: "Uid", Value: WordOrString, Usage: "Uid 1000", Doc: "The file's owner, a number; by default the step's user."},
			{Name: "Gid", Value: WordOrString, Usage: "Gid 1000", Doc: "The file's group, a number; by default the step's user's group."},
			{Name: "Mode", Value: WordOrString, Usage: "Mode 0440", Doc: "The file's permission bits, octal; by default 0400."},
		},
	},
	{
		Name: "Bind", Args: []string{"a quoted source path", "a quoted target path"}, Usage: `Bind "src" "/src" From build ReadWrite`,
		Doc: "A file or directory of the build context (or, with From, of an earlier stage), read-only unless ReadWrite; writes to it are thrown away.",
		Options: []Option{
			{Name: "From", Value: WordOrString, Usage: "From build", Doc: "Takes the source from an earlier stage."},
			{Name: "ReadWrite", Value: Flag, Usage: "ReadWrite", Doc: "Lets the step write to it; the writes are not kept."},
		},
	},
	{
		Name: "Tmpfs", Args: []string{"a quoted target directory"}, Usage: `Tmpfs "/tmp" Size 64m Mode 0700`,
		Doc: "An empty in-memory directory for the step; not part of the layer.",
		Options: []Option{
			{Name: "Size", Value: WordOrString, Usage: "Size 64m", Doc: "Caps its size: bytes, or a number with k, m, g, t or p (Docker's --memory grammar)."},
			{Name: "Mode", Value: WordOrString, Usage: "Mode 0755", Doc: "The directory's permission bits, octal from 1 to 7777; by default 1777."},
		},
	},
}

// CopyOptions lists Copy's options, in the order docs present them.
var CopyOptions = []Option{
	{Name: "From", Value: WordOrString, Usage: "From build", Doc: "Copies from an earlier stage's filesystem (or an image's), not from the build context."},
	{Name: "Owner", Value: String, Usage: `Owner "app:app"`, Doc: "The owner (and group) of what is copied: names of the stage's /etc/passwd and /etc/group, or numbers."},
	{Name: "Mode", Value: WordOrString, Usage: "Mode 0644", Doc: "The permission bits of what is copied, octal."},
	{Name: "Unpack", Value: Flag, Usage: "Unpack", Doc: "Extracts archive sources of the build context into the destination (Docker's ADD of a tar)."},
	{Name: "Expand", Value: Flag, Usage: "Expand", Doc: "Expands `$NAME` and `${NAME}` of visible Args and Envs in an inline file's text, as gun's quoted strings do; `\\$` is a literal `$` and `\\\\` a `\\` (Docker's unquoted `COPY <<EOF`). Without it the text is written as it is."},
}

// ExecOptions lists Exec's options other than mounts.
var ExecOptions = []Option{
	{Name: "Network", Value: WordOrString, Usage: "Network none", Doc: "`none` runs the step without a network (loopback only); `host` or `default`: the build's network."},
}

// HealthcheckOptions lists Healthcheck's options.
var HealthcheckOptions = []Option{
	{Name: "Interval", Value: WordOrString, Usage: "Interval 30s", Doc: "Time between checks (default 30s)."},
	{Name: "Timeout", Value: WordOrString, Usage: "Timeout 10s", Doc: "Time after which a check fails (default 30s)."},
	{Name: "StartPeriod", Value: WordOrString, Usage: "StartPeriod 5s", Doc: "Time to start during which failures do not count (default 0s)."},
	{Name: "StartInterval", Value: WordOrString, Usage: "StartInterval 1s", Doc: "Time between checks during the start period (default 5s)."},
	{Name: "Retries", Value: WordOrString, Usage: "Retries 3", Doc: "Failures in a row that make the container unhealthy (default 3)."},
}

// ExecWords returns every word that may follow Exec before its command,
// each once (mounts share option names: Uid, Gid, Mode), in the order of
// Mounts, each mount's options after it, then ExecOptions.
func ExecWords() []string {
	var w []string
	add := func(name string) {
		if !slices.Contains(w, name) {
			w = append(w, name)
		}
	}
	for _, m := range Mounts {
		add(m.Name)
		for _, o := range m.Options {
			add(o.Name)
		}
	}
	for _, o := range ExecOptions {
		add(o.Name)
	}
	return w
}

// ExecNext returns the words that may come next in an Exec whose last
// mount so far is named last ("" before any): a mount, an Exec option, or
// an option of that mount.
func ExecNext(last string) []string {
	var w []string
	for _, m := range Mounts {
		w = append(w, m.Name)
		if m.Name == last {
			for _, o := range m.Options {
				w = append(w, o.Name)
			}
		}
	}
	for _, o := range ExecOptions {
		w = append(w, o.Name)
	}
	return w
}

// HealthcheckWords returns every word that may follow Healthcheck.
func HealthcheckWords() []string {
	w := []string{"None"}
	for _, o := range HealthcheckOptions {
		w = append(w, o.Name)
	}
	return w
}

// MountNamed returns Exec's mount with this name.
func MountNamed(name string) (MountKind, bool) {
	for _, m := range Mounts {
		if m.Name == name {
			return m, true
		}
	}
	return MountKind{}, false
}

// OptionOf returns the option name of owner, a mount kind, Exec, Copy or
// Healthcheck, when it is documented here.
func OptionOf(owner, name string) (Option, bool) {
	var opts []Option
	switch owner {
	case "Exec":
		opts = ExecOptions
	case "Healthcheck":
		opts = HealthcheckOptions
	case "Copy":
		opts = CopyOptions
	default:
		m, _ := MountNamed(owner)
		opts = m.Options
	}
	for _, o := range opts {
		if o.Name == name {
			return o, true
		}
	}
	return Option{}, false
}

// PredefinedArg is an Arg whose value the builder gives, as BuildKit does.
type PredefinedArg struct {
	Name string
	Doc  string
}

// PredefinedArgs are visible in Using bases without a declaration; a stage
// declares one (`Arg TARGETARCH`) to use it, and gets the builder's value
// unless --arg sets it.
var PredefinedArgs = []PredefinedArg{
	{"TARGETPLATFORM", "The platform of the image built, such as linux/amd64."},
	{"TARGETOS", "The OS of the image built: linux."},
	{"TARGETARCH", "The architecture of the image built, such as amd64 or arm64."},
	{"TARGETVARIANT", "The variant of the image's architecture, such as v7 for arm; often empty."},
	{"BUILDPLATFORM", "The platform gun runs on, such as linux/amd64."},
	{"BUILDOS", "The OS gun runs on: linux."},
	{"BUILDARCH", "The architecture gun runs on."},
	{"BUILDVARIANT", "The variant of the architecture gun runs on; often empty."},
}

// ProxyArgs are BuildKit's predefined proxy Args. Given with gun build
// --arg (the name in any case, as BuildKit matches it), every Exec has the
// value in its environment in both cases (HTTP_PROXY and http_proxy)
// without an Arg, and it counts nowhere else: not in the image, its history
// or a step's cache key. Declared with Arg, the name is an ordinary Arg.
var ProxyArgs = []PredefinedArg{
	{"HTTP_PROXY", "The proxy for http URLs: Exec steps have it (and http_proxy) when gun build --arg gives it."},
	{"HTTPS_PROXY", "The proxy for https URLs: Exec steps have it (and https_proxy) when gun build --arg gives it."},
	{"FTP_PROXY", "The proxy for ftp URLs: Exec steps have it (and ftp_proxy) when gun build --arg gives it."},
	{"NO_PROXY", "The hosts reached without a proxy: Exec steps have it (and no_proxy) when gun build --arg gives it."},
	{"ALL_PROXY", "The proxy for any URL: Exec steps have it (and all_proxy) when gun build --arg gives it."},
}

// ProxyArg returns the proxy Arg that gun build --arg name gives: name in
// any case, as BuildKit matches it (http_proxy is HTTP_PROXY).
func ProxyArg(name string) (PredefinedArg, bool) {
	for _, a := range ProxyArgs {
		if strings.EqualFold(a.Name, name) {
			return a, true
		}
	}
	return PredefinedArg{}, false
}

// ProxyVar reports whether name is a variable that an Exec has when gun
// build --arg gives its proxy Arg: HTTP_PROXY, http_proxy, NO_PROXY, ...
func ProxyVar(name string) bool {
	a, ok := ProxyArg(name)
	return ok && (name == a.Name || name == strings.ToLower(a.Name))
}

// Predefined returns the predefined Arg with this name.
func Predefined(name string) (PredefinedArg, bool) {
	for _, a := range PredefinedArgs {
		if a.Name == name {
			return a, true
		}
	}
	return PredefinedArg{}, false
}

var byName = func() map[string]*Instruction {
	m := make(map[string]*Instruction, len(Instructions))
	for _, in := range Instructions {
		m[in.Name] = in
	}
	return m
}()

// Lookup returns the instruction with exactly this name.
func Lookup(name string) (*Instruction, bool) {
	in, ok := byName[name]
	return in, ok
}

// LookupFold returns the instruction whose name equals name ignoring case.
func LookupFold(name string) (*Instruction, bool) {
	for _, in := range Instructions {
		if strings.EqualFold(in.Name, name) {
			return in, true
		}
	}
	return nil, false
}

// Names returns every instruction name.
func Names() []string {
	names := make([]string, len(Instructions))
	for i, in := range Instructions {
		names[i] = in.Name
	}
	return names
}

// Suggest returns the candidate closest to name by edit distance (ignoring
// case), if it is close enough to be a likely typo, or "".
func Suggest(name string, candidates []string) string {
	best, bestDist := "", -1
	lower := strings.ToLower(name)
	limit := min(1+len(name)/4, 3)
	for _, c := range candidates {
		if abs(len(c)-len(name)) > limit {
			continue // too far apart to be a typo
		}
		d := distance(lower, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// distance is the Levenshtein distance between a and b, in bytes.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30 // no name is this long; don't spend time on garbage
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
