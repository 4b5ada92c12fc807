package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/gun-tools/gun/lang/spec"
)

// Var is a variable in a script: a use ($NAME, ${NAME...}) or a definition
// (NAME=..., export NAME=..., for NAME in ..., read NAME).
type Var struct {
	Name       string
	Start, End int  // the name
	Dollar     int  // a use's '$', or -1
	Def        bool // a definition
	// Guarded is a use that handles the unset case itself: ${NAME-x},
	// ${NAME:-x}, ${NAME:=x}, ${NAME+x}, ${NAME?msg}, ${#NAME} and ${!NAME}
	// are not.
	Guarded bool
}

// Vars yields the variables of f in source order. Special parameters ($1,
// $@, $? ...) are left out.
func Vars(f *syntax.File, yield func(Var) bool) {
	stop := false
	def := func(l *syntax.Lit, n int) {
		if !stop && l != nil && isName(l.Value[:n]) {
			start := off(l.ValuePos)
			stop = !yield(Var{Name: l.Value[:n], Start: start, End: start + n, Dollar: -1, Def: true})
		}
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		if stop {
			return false
		}
		switch n := n.(type) {
		case *syntax.Assign:
			if !n.Naked {
				if n.Name != nil {
					def(n.Name, len(n.Name.Value))
				}
			}
			// The value is walked next; the name is not a use.
			if n.Value != nil {
				syntax.Walk(n.Value, func(m syntax.Node) bool { return useVar(m, yield, &stop) })
			}
			if n.Array != nil {
				syntax.Walk(n.Array, func(m syntax.Node) bool { return useVar(m, yield, &stop) })
			}
			return false
		case *syntax.WordIter:
			if n.Name != nil {
				def(n.Name, len(n.Name.Value))
			}
		case *syntax.CallExpr:
			if len(n.Args) > 1 {
				switch name, _ := Literal(n.Args[0]); name {
				case "read", "getopts":
					for _, w := range n.Args[1:] {
						if l, ok := w.Parts[0].(*syntax.Lit); ok && len(w.Parts) == 1 {
							def(l, len(l.Value))
						}
					}
				case "export", "readonly", "local":
					// A POSIX shell parses these as commands: NAME=value is a word.
					for _, w := range n.Args[1:] {
						l, ok := w.Parts[0].(*syntax.Lit)
						if !ok {
							continue
						}
						if eq := strings.IndexByte(l.Value, '='); eq > 0 {
							def(l, eq)
						}
					}
				}
			}
		}
		return useVar(n, yield, &stop)
	})
}

// useVar yields the use n is, if it is one.
func useVar(n syntax.Node, yield func(Var) bool, stop *bool) bool {
	if *stop {
		return false
	}
	pe, ok := n.(*syntax.ParamExp)
	if !ok || pe.Param == nil || !isName(pe.Param.Value) {
		return true
	}
	v := Var{Name: pe.Param.Value, Start: off(pe.Param.ValuePos), End: off(pe.Param.ValueEnd), Dollar: -1}
	if pe.Dollar.IsValid() {
		v.Dollar = off(pe.Dollar)
	}
	if pe.Length || pe.Excl {
		v.Guarded = true
	}
	if pe.Exp != nil {
		switch pe.Exp.Op {
		case syntax.AlternateUnset, syntax.AlternateUnsetOrNull, syntax.DefaultUnset, syntax.DefaultUnsetOrNull,
			syntax.ErrorUnset, syntax.ErrorUnsetOrNull, syntax.AssignUnset, syntax.AssignUnsetOrNull:
			v.Guarded = true
		}
	}
	if !yield(v) {
		*stop = true
		return false
	}
	return true
}

func off(p syntax.Pos) int { return int(p.Offset()) }

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// The variables a command may use without a definition, and those
// programs read from the environment by name.
const (
	// inStep: every build step's environment has it, in gun as in
	// BuildKit's RUN: PATH (the default when the image sets none), HOSTNAME
	// and HOME (the user's, from /etc/passwd).
	inStep uint8 = 1 << iota
	bySh         // sh sets it itself (dash, bash): PWD, IFS, PPID, ...
	byBash       // bash sets it itself, sh does not
	// read: programs read it from the environment, but a step has it only
	// where the image or an Env sets it (USER, TERM, LANG, GOPATH, ...).
	read
	// proxy: a build step has it when gun build --arg gives it (BuildKit's
	// predefined proxy Args, spec.ProxyArgs); a command of the image does not.
	proxy
)

var envNames = withProxies(map[string]uint8{
	"PATH": inStep, "HOSTNAME": inStep, "HOME": inStep,

	"PWD": bySh, "OLDPWD": bySh, "IFS": bySh, "PS1": bySh, "PS2": bySh, "PS4": bySh, "PPID": bySh,
	"OPTIND": bySh, "OPTARG": bySh, "LINENO": bySh,

	"BASH": byBash, "BASHOPTS": byBash, "BASHPID": byBash, "BASH_ALIASES": byBash, "BASH_ARGC": byBash,
	"BASH_ARGV": byBash, "BASH_ARGV0": byBash, "BASH_CMDS": byBash, "BASH_COMMAND": byBash,
	"BASH_EXECUTION_STRING": byBash, "BASH_LINENO": byBash, "BASH_SOURCE": byBash, "BASH_SUBSHELL": byBash,
	"BASH_VERSINFO": byBash, "BASH_VERSION": byBash, "DIRSTACK": byBash, "EPOCHREALTIME": byBash,
	"EPOCHSECONDS": byBash, "EUID": byBash, "FUNCNAME": byBash, "GROUPS": byBash, "HOSTTYPE": byBash,
	"MACHTYPE": byBash, "OPTERR": byBash, "OSTYPE": byBash, "PIPESTATUS": byBash, "RANDOM": byBash,
	"REPLY": byBash, "SECONDS": byBash, "SHELLOPTS": byBash, "SHLVL": byBash, "SRANDOM": byBash, "UID": byBash,
	// bash sets these two when the environment does not (TERM to dumb).
	"SHELL": byBash | read, "TERM": byBash | read,

	"USER": read, "LOGNAME": read, "LANG": read, "LANGUAGE": read, "LC_ALL": read, "LC_CTYPE": read,
	"TZ": read, "TMPDIR": read, "GID": read, "MAIL": read, "EDITOR": read,
	"DEBIAN_FRONTEND": read, "GOPATH": read, "GOROOT": read, "JAVA_HOME": read, "PYTHONPATH": read,
	"CARGO_HOME": read, "RUSTUP_HOME": read, "NODE_PATH": read, "LD_LIBRARY_PATH": read, "XDG_CONFIG_HOME": read,
})

// withProxies adds the proxy variables to m, in both cases.
func withProxies(m map[string]uint8) map[string]uint8 {
	for _, a := range spec.ProxyArgs {
		m[a.Name] = read | proxy
		m[strings.ToLower(a.Name)] = read | proxy
	}
	return m
}

// Predefined reports whether a command run by a shell of dialect d has the
// variable name without a definition: a build step's environment has it, or
// the shell sets it. step says the command is a build step (Exec), which
// also has the proxy variables gun build gives.
func Predefined(name string, d Dialect, step bool) bool {
	k := envNames[name]
	return k&(inStep|bySh) != 0 || d == Bash && k&byBash != 0 || step && k&proxy != 0
}

// WellKnown reports whether name is a variable of the environment that
// programs read by that name, such as PATH, HOME or LANG.
func WellKnown(name string) bool { return envNames[name] != 0 }
