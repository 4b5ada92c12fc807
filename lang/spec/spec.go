// Package spec describes the Gunfile's instructions: their names, syntax and
// documentation. The parser recognises keywords with it, the checker suggests
// names from it ("did you mean"), and the language server uses it for
// completion and hover.
package spec

import "strings"

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
		Syntax:  "Exec \"<shell command>\"\nExec [\"<program>\", \"<arg>\", ...]\nExec <<EOF ... EOF",
		Summary: "Runs a command in the stage and records the changes as a layer.",
		Doc: "The string form runs `/bin/sh -c \"<shell command>\"`. The list form runs the program directly, " +
			"without a shell. The script form runs the lines up to the closing delimiter with `/bin/sh -c`, " +
			"with no backslash continuations needed; the closing delimiter's indentation is removed from " +
			"every line. gun does not expand `$NAME` in commands: Args and Envs are in the command's " +
			"environment, so the shell expands them.",
		Example: "Exec \"apk add vim\"\nExec [\"/bin/busybox\", \"--install\"]\nExec <<EOF\n    apk update\n    apk add vim\n    EOF",
	},
	{
		Name:    "Copy",
		Syntax:  "Copy [From <stage>] [Owner \"<user>[:<group>]\"] [Mode <octal>] \"<src>\"... \"<dest>\"",
		Summary: "Copies files from the build context or another stage into the stage.",
		Doc: "Sources are relative to the build context, which they may not leave, or with `From <stage>` " +
			"paths in that stage's filesystem. A destination ending in `/`, or several sources, " +
			"copy into the directory. `Owner` sets the owner and `Mode` the permission bits of what is copied.",
		Example: "Copy From build Mode 0755 \"/out/app\" \"/usr/local/bin/\"",
	},
	{
		Name:    "Env",
		Syntax:  "Env <NAME> \"<value>\"",
		Summary: "Sets an environment variable for later instructions and for the image.",
		Doc: "The value is expanded. The variable is set for every later instruction of the stage, for " +
			"stages based on this one, and in the image's configuration.",
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
		Summary: "Sets the image's default command.",
		Doc:     "The string form runs with `/bin/sh -c`; the list form runs the program directly. The last `Main` of the final stage wins.",
		Example: "Main [\"/usr/bin/vim\"]",
	},
	{
		Name:    "Label",
		Syntax:  "Label \"<key>\" \"<value>\"",
		Summary: "Adds a key/value label to the image's configuration.",
		Doc:     "Both key and value are expanded.",
		Example: "Label \"org.opencontainers.image.source\" \"https://example.com/app\"",
	},
}

// Dockerfile maps Dockerfile instructions (lower case) that gun spells
// differently to gun's instruction, for helpful errors.
var Dockerfile = map[string]string{
	"from":       "Using",
	"run":        "Exec",
	"cmd":        "Main",
	"entrypoint": "Main",
	"add":        "Copy",
}

// Options lists the words that introduce options inside instructions.
var Options = []string{"As", "From", "Owner", "Mode"}

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
