package check

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/lexer"
	"github.com/gun-tools/gun/lang/shell"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
)

// This file checks what the Gunfile says beyond its first nine
// instructions: Exec's mounts and network, Copy's Unpack, URLs and inline
// files, Entrypoint, Expose, Volume, StopSignal, Shell and Healthcheck.

// settings remembers the first Entrypoint, StopSignal and Healthcheck of a
// stage, for DuplicateSetting.
type settings map[string]ast.Instr

func (c *checker) setting(seen settings, in ast.Instr) {
	name, kw := in.Keyword()
	if first, ok := seen[name]; ok {
		_, fkw := first.Keyword()
		d := c.report(diag.Warning, diag.DuplicateSetting, kw, "%s given twice in this stage; only the last one counts", name)
		d.Related = []diag.Related{{Range: fkw, Message: "first " + name + " here"}}
		return
	}
	seen[name] = in
}

// execOptions checks the mounts and network of an Exec.
func (c *checker) execOptions(in *ast.Exec) {
	targets := map[string]source.Range{}
	for _, m := range in.Mounts {
		for _, s := range m.Args {
			c.expanded(s, false)
		}
		for _, o := range m.Options {
			if s, ok := o.Value.(*ast.String); ok && !(m.Name == "Bind" && o.Name == "From") {
				c.expanded(s, false)
			}
		}
		var target *ast.String
		switch m.Name {
		case "Cache", "Tmpfs":
			target = arg(m, 0)
		case "Bind":
			target = arg(m, 1)
			c.bindSource(m)
		case "Secret":
			if id := arg(m, 0); id != nil && id.Literal() && !validSecretID(id.Value) {
				c.errorf(diag.InvalidSecretID, id.Range, "invalid secret id %q: an id is letters, digits, '_', '-' and '.'", id.Value)
			}
			if o := m.Option("Target"); o != nil {
				target, _ = o.Value.(*ast.String)
			}
			if o := m.Option("Env"); o != nil {
				if s, ok := o.Value.(*ast.String); ok && s.Literal() && !lexer.IsName(s.Value) {
					c.errorf(diag.InvalidName, s.Range, "invalid Secret Env name %q: a variable name is letters, digits and '_', not starting with a digit", s.Value)
				}
			}
		}
		if o := m.Option("Sharing"); o != nil {
			c.choice(o, "shared", "private", "locked")
		}
		for _, name := range []string{"Uid", "Gid"} {
			if o := m.Option(name); o != nil {
				if text, r, ok := c.optionText(o); ok {
					if n, err := strconv.ParseUint(text, 10, 32); err != nil || n == 1<<32-1 {
						c.errorf(diag.InvalidOptionValue, r, "invalid %s %q: expected a number of a user or group, such as 1000", name, text)
					}
				}
			}
		}
		if o := m.Option("Mode"); o != nil {
			c.mode(o.Value)
			if text, r, ok := c.optionText(o); ok && m.Name == "Tmpfs" && strings.Trim(text, "0") == "" && text != "" {
				c.errorf(diag.InvalidOptionValue, r, "invalid Tmpfs Mode %q: a tmpfs needs some permission bits, such as 0700", text)
			}
		}
		if o := m.Option("Size"); o != nil {
			if text, r, ok := c.optionText(o); ok {
				if _, err := ParseSize(text); err != nil {
					c.errorf(diag.InvalidOptionValue, r, "invalid Size %q: %v", text, err)
				}
			}
		}
		if target == nil || !target.Literal() {
			continue
		}
		if !path.IsAbs(target.Value) {
			c.errorf(diag.RelativeTarget, target.Range, "%s target %q is not an absolute path", m.Name, target.Value)
			continue
		}
		clean := path.Clean(target.Value)
		if clean == "/" {
			c.errorf(diag.RootTarget, target.Range, "%s at / would hide the stage's whole file system, the shell included: mount it at a directory", m.Name)
			continue
		}
		if prev, ok := targets[clean]; ok {
			d := c.errorf(diag.DuplicateTarget, target.Range, "two mounts at %s in one Exec", clean)
			d.Related = []diag.Related{{Range: prev, Message: "first mounted here"}}
			continue
		}
		targets[clean] = target.Range
	}
	if in.Network != nil {
		c.choice(in.Network, "none", "host", "default")
	}
}

func arg(m *ast.Mount, i int) *ast.String {
	if i < len(m.Args) {
		return m.Args[i]
	}
	return nil
}

// bindSource checks a Bind's source: a stage's path, or a relative path
// that stays in the build context.
func (c *checker) bindSource(m *ast.Mount) {
	if o := m.Option("From"); o != nil {
		switch v := o.Value.(type) {
		case *ast.Ident:
			c.stageRef(v, "Bind From")
		case *ast.String:
			c.expanded(v, false)
		}
		return
	}
	src := arg(m, 0)
	if src == nil || !src.Literal() {
		return
	}
	switch v := src.Value; {
	case path.IsAbs(v):
		c.errorf(diag.BindOutside, src.Range, "absolute Bind source %q: without From, the source is a path in the build context", v)
	case leaves(v):
		c.errorf(diag.BindOutside, src.Range, "Bind source %q leaves the build context", v)
	}
}

func validSecretID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_' || b == '-' || b == '.') {
			return false
		}
	}
	return true
}

// optionText returns an option's value as text, when it is known before the
// build (a word, or a string without references).
func (c *checker) optionText(o *ast.Option) (string, source.Range, bool) {
	switch v := o.Value.(type) {
	case *ast.Ident:
		return v.Name, v.Range, true
	case *ast.String:
		c.expanded(v, false)
		return v.Value, v.Range, v.Literal()
	}
	return "", source.Range{}, false
}

// choice checks that an option's value is one of choices, with a fix for a
// near miss.
func (c *checker) choice(o *ast.Option, choices ...string) {
	text, r, ok := c.optionText(o)
	if !ok {
		return
	}
	for _, ch := range choices {
		if text == ch {
			return
		}
	}
	d := c.errorf(diag.InvalidOptionValue, r, "invalid %s %q: expected %s", o.Name, text, strings.Join(choices, ", "))
	if s := spec.Suggest(text, choices); s != "" {
		d.Message += fmt.Sprintf("; did you mean %s?", s)
		d.Fixes = []diag.Fix{{Title: "change to " + s, Edits: []diag.Edit{{Range: r, NewText: s}}}}
	}
}

// ParseSize parses a size by Docker's --memory grammar (go-units'
// RAMInBytes), the one rule of gun's sizes (Tmpfs Size, gun run --memory):
// a number with an optional fraction, then optionally a blank, a unit k, m,
// g, t or p (powers of 1024), an i and a b, in any case: 64m, 1.5G, 512MiB,
// 100b. The size must be positive.
func ParseSize(s string) (int64, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, rest := s[:i], strings.ToLower(s[i:])
	rest = strings.TrimPrefix(rest, " ")
	mult := 1.0
	if rest != "" {
		if k := strings.IndexByte("kmgtp", rest[0]); k >= 0 {
			mult = float64(int64(1) << (10 * (k + 1)))
			rest = rest[1:]
		}
	}
	rest = strings.TrimPrefix(rest, "i")
	rest = strings.TrimPrefix(rest, "b")
	n, err := strconv.ParseFloat(num, 64)
	if rest != "" || err != nil || num[0] == '.' || num[len(num)-1] == '.' || n*mult < 1 || n*mult > 1<<62 {
		return 0, fmt.Errorf("expected a positive size, a number with an optional unit k, m, g, t or p (such as 64m or 1.5g)")
	}
	return int64(n * mult), nil
}

// inlineFile checks the references of a Copy's inline file: with Expand,
// gun expands them, so each must name a visible Arg or Env; without it the
// text is written as it is, and a reference to a visible Arg or Env is
// likely meant to be expanded (other $words, such as nginx's $uri, are
// the file's own). In a script (#!) an Env is not reported: the image's
// environment has it when the script runs.
func (c *checker) inlineFile(in *ast.Copy) {
	if in.Expand != nil {
		c.expanded(in.Content, false)
		return
	}
	script := strings.HasPrefix(in.Content.Value, "#!")
	for _, r := range in.Content.Refs {
		sym := c.lookup(r.Name, false)
		if sym == nil || sym.Kind == EnvSymbol && script {
			continue
		}
		d := c.report(diag.Warning, diag.InlineNotExpanded, r.Range,
			"%s in an inline file without Expand is written as it is, not as %s %s's value; add Expand to expand it (and write \\$ for a literal '$')",
			r.Written(), sym.Kind, r.Name)
		d.Fixes = []diag.Fix{{Title: "add Expand", Edits: []diag.Edit{{Range: source.Range{Start: in.Kw.Range.End, End: in.Kw.Range.End}, NewText: " Expand"}}}}
		return // one is enough: the fix is for the whole file
	}
}

// copyExtras checks Unpack, Expand, URL sources and inline files.
func (c *checker) copyExtras(in *ast.Copy) {
	conflict := func(o *ast.Option, why string) {
		if o != nil {
			c.errorf(diag.CopyConflict, o.Kw.Range, "%s %s", o.Name, why)
		}
	}
	if in.Content != nil {
		conflict(in.From, "cannot be used with an inline file: its text is in the Gunfile")
		conflict(in.Unpack, "cannot be used with an inline file")
		return
	}
	if len(in.Srcs) > 0 {
		conflict(in.Expand, "applies only to an inline file (Copy Expand \"/dest\" <<EOF): copied files are copied as they are")
	}
	if in.Unpack != nil && in.From != nil {
		conflict(in.From, "cannot be used with Unpack: Unpack extracts archives of the build context")
	}
	for _, s := range in.Srcs {
		v := s.Value
		switch {
		case strings.HasPrefix(v, "http://"):
			d := c.errorf(diag.InsecureURL, s.Range, "Copy source %q is fetched over plain http; use https (the download is pinned in Gunfile.sum)", v)
			d.Fixes = []diag.Fix{{Title: "use https", Edits: []diag.Edit{{Range: source.Range{Start: s.Start + 1, End: s.Start + 1 + 7}, NewText: "https://"}}}}
		case !strings.HasPrefix(v, "https://"):
			continue
		}
		conflict(in.From, "cannot be used with a URL source")
		conflict(in.Unpack, "cannot be used with a URL source: a download is copied as it is")
	}
}

// IsURL reports whether a Copy source is a URL to download.
func IsURL(src string) bool {
	return strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://")
}

// expose checks Expose's ports.
func (c *checker) expose(in *ast.Expose) {
	for _, e := range in.Ports {
		text, r, ok := c.word(e)
		if !ok {
			continue
		}
		if _, err := ParsePort(text); err != nil {
			c.errorf(diag.InvalidPort, r, "invalid port %q: %v", text, err)
		}
	}
}

// ParsePort checks a port, a range of ports, optionally with a protocol,
// and returns it in the image config's form: "8080/tcp".
func ParsePort(s string) (string, error) {
	ports, proto, ok := strings.Cut(s, "/")
	if !ok {
		proto = "tcp"
	}
	switch proto {
	case "tcp", "udp", "sctp":
	default:
		return "", fmt.Errorf("the protocol is tcp, udp or sctp")
	}
	lo, hi, isRange := strings.Cut(ports, "-")
	a, err1 := strconv.Atoi(lo)
	b := a
	var err2 error
	if isRange {
		b, err2 = strconv.Atoi(hi)
	}
	if err1 != nil || err2 != nil || a < 1 || b > 65535 || b < a {
		return "", fmt.Errorf("expected a port from 1 to 65535 or a range such as 8000-8010, optionally with /tcp, /udp or /sctp")
	}
	return ports + "/" + proto, nil
}

// stopSignal checks StopSignal's signal.
func (c *checker) stopSignal(in *ast.StopSignal) {
	text, r, ok := c.word(in.Signal)
	if !ok {
		return
	}
	if _, ok := Signal(text); !ok {
		d := c.errorf(diag.InvalidSignal, r, "invalid StopSignal %q: expected a signal name such as SIGTERM or a number from 1 to 64", text)
		if _, err := strconv.Atoi(text); err == nil {
			return
		}
		if s := spec.Suggest("SIG"+strings.TrimPrefix(strings.ToUpper(text), "SIG"), signalNames); s != "" {
			d.Message += fmt.Sprintf("; did you mean %s?", s)
			d.Fixes = []diag.Fix{{Title: "change to " + s, Edits: []diag.Edit{{Range: r, NewText: s}}}}
		}
	}
}

var signalNames = []string{
	"SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
	"SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
	"SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
	"SIGIO", "SIGPWR", "SIGSYS",
}

// Signal returns the canonical form of a stop signal (SIGTERM, or a
// number, or SIGRTMIN+n), and whether it is one.
func Signal(s string) (string, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return s, n >= 1 && n <= 64
	}
	up := strings.ToUpper(s)
	if !strings.HasPrefix(up, "SIG") {
		up = "SIG" + up
	}
	for _, name := range signalNames {
		if up == name {
			return name, true
		}
	}
	if rest, ok := strings.CutPrefix(up, "SIGRTMIN+"); ok {
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 && n <= 30 {
			return up, true
		}
	}
	return "", false
}

// shell checks that Shell is a non-empty list, and makes the shell
// analysis of the later commands use its dialect: bash's, sh's, or none
// for a shell that is not sh.
func (c *checker) shell(in *ast.Shell) {
	switch cmd := in.Cmd.(type) {
	case *ast.List:
		c.command(cmd, "Shell")
		if len(cmd.Elems) == 0 || !cmd.Elems[0].Literal() {
			return
		}
		// The options before -c hold for every command: set -e, -o pipefail.
		c.setShell(programShell(cmd.Elems[0].Value, len(cmd.Elems)-1, func(i int) string {
			if e := cmd.Elems[i+1]; e.Literal() && e.Value != "-c" {
				return e.Value
			}
			return ""
		}))
	case *ast.String:
		c.errorf(diag.ShellNotList, cmd.Range, `Shell takes an exec-form list, such as ["/bin/bash", "-c"]: the command is appended to it`)
	}
}

// programShell is how the analysis reads the commands that the program
// prog runs with its n arguments arg(0)...: as bash's, sh's, or not at all
// for a program that is not sh, with the options that set -e and -o
// pipefail.
func programShell(prog string, n int, arg func(int) string) stageShell {
	d, ok := shell.ProgramDialect(prog)
	sh := stageShell{dialect: d, foreign: !ok}
	sh.errexit, sh.pipefail = shellOptions(0, n, arg)
	return sh
}

// shebangShell is how the analysis reads a script block whose first line is
// a #! line (an Exec runs it by that line's interpreter); ok is false for
// any other command.
func shebangShell(s *ast.String) (sh stageShell, ok bool) {
	if s.Heredoc == "" {
		return sh, false
	}
	prog, args, ok := shell.Shebang(s.Value)
	if !ok || prog == "" {
		return stageShell{foreign: true}, ok
	}
	return programShell(prog, len(args), func(i int) string { return args[i] }), true
}

// healthcheck checks a Healthcheck's options and command.
func (c *checker) healthcheck(in *ast.Healthcheck) {
	if id, ok := in.Cmd.(*ast.Ident); ok && len(in.Options) > 0 {
		c.errorf(diag.InvalidOptionValue, id.Range, "Healthcheck None takes no options: it disables the check")
	}
	for _, o := range in.Options {
		text, r, ok := c.optionText(o)
		if !ok {
			continue
		}
		if o.Name == "Retries" {
			if n, err := strconv.Atoi(text); err != nil || n < 0 {
				c.errorf(diag.InvalidOptionValue, r, "invalid Retries %q: expected a whole number", text)
			}
			continue
		}
		if d, err := time.ParseDuration(text); err != nil || d < 0 {
			c.errorf(diag.InvalidOptionValue, r, "invalid %s %q: expected a duration such as 30s or 1m30s", o.Name, text)
		}
	}
	if _, ok := in.Cmd.(*ast.Ident); !ok {
		c.command(in.Cmd, "Healthcheck")
	}
}

// volume checks Volume's paths.
func (c *checker) volume(in *ast.Volume) {
	for _, s := range in.Paths {
		c.expanded(s, false)
		c.notEmpty(s, "Volume path")
		if s.Literal() && s.Value != "" && !path.IsAbs(s.Value) {
			c.errorf(diag.RelativeTarget, s.Range, "Volume %q is not an absolute path", s.Value)
		}
	}
}
