package shell

import (
	"strings"

	"mvdan.cc/sh/v3/syntax"
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

// wellKnown lists the variables a command can expect without a definition:
// the shell's own and those every image or build environment sets.
var wellKnown = map[string]bool{
	"PATH": true, "HOME": true, "USER": true, "LOGNAME": true, "PWD": true, "OLDPWD": true,
	"SHELL": true, "TERM": true, "HOSTNAME": true, "IFS": true, "PS1": true, "PS2": true, "PS4": true,
	"LANG": true, "LANGUAGE": true, "LC_ALL": true, "LC_CTYPE": true, "TZ": true, "TMPDIR": true,
	"UID": true, "EUID": true, "GID": true, "PPID": true, "RANDOM": true, "LINENO": true, "SECONDS": true,
	"OPTARG": true, "OPTIND": true, "REPLY": true, "SHLVL": true, "MAIL": true, "EDITOR": true,
	"BASH": true, "BASH_VERSION": true, "BASH_SOURCE": true, "BASHPID": true, "PIPESTATUS": true, "FUNCNAME": true,
	"HOSTTYPE": true, "MACHTYPE": true, "OSTYPE": true, "GROUPS": true,
	"http_proxy": true, "https_proxy": true, "no_proxy": true, "HTTP_PROXY": true, "HTTPS_PROXY": true, "NO_PROXY": true,
	"DEBIAN_FRONTEND": true, "GOPATH": true, "GOROOT": true, "JAVA_HOME": true, "PYTHONPATH": true,
	"CARGO_HOME": true, "RUSTUP_HOME": true, "NODE_PATH": true, "LD_LIBRARY_PATH": true, "XDG_CONFIG_HOME": true,
}

// WellKnown reports whether name is a variable of the environment a command
// can use without a definition, such as PATH or HOME.
func WellKnown(name string) bool { return wellKnown[name] }
