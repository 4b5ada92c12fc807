// Package cmdline reads which command a gun command line names, past the
// global flags that may come before it, before the command tree is built:
// for the heap's set-up at start (internal/hugeheap) and for building only
// that command's flags (cmd/gun). The constructor that executes gun-lang
// for the language commands reads command lines the same way, in C
// (runtime/lang.c; runtime's TestLangCommand compares the two). It imports
// nothing, so that an initialiser may use it.
package cmdline

// LangCommands are the commands of gun-lang (cmd/gun-lang), which gun
// executes for them (runtime/lang.c has the same list: runtime's
// TestLangCommand checks).
var LangCommands = []string{"check", "fmt", "lsp"}

// Flag is a global flag, by its long name.
type Flag struct {
	Name  string
	Value bool // it takes a value
}

// GlobalFlags are the global flags that may come before a command
// (langcmd's TestGlobalFlags checks them against the root command's
// flags); -v is --verbose. An array, not a map: no initialiser allocates
// before internal/hugeheap's.
var GlobalFlags = [...]Flag{{"verbose", false}, {"root", true}}

// Command returns the command that args (a command line without the
// program's name) name and its index in args: the first argument after
// the leading global flags (-v, --verbose[=B], --root DIR, --root=DIR).
// It returns "", -1 when anything else comes first, or nothing.
func Command(args []string) (string, int) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-v":
			continue
		case len(a) > 2 && a[:2] == "--":
			f, ok := global(a[2:])
			if !ok {
				return "", -1
			}
			if f.Value && len(a) == len(f.Name)+2 {
				i++ // its value is the next argument
			}
			continue
		case a == "" || a[0] == '-':
			return "", -1
		}
		return a, i
	}
	return "", -1
}

// global returns the global flag of arg (a long option without its "--",
// with or without "=value"), if it is one.
func global(arg string) (Flag, bool) {
	for _, f := range GlobalFlags {
		if len(arg) >= len(f.Name) && arg[:len(f.Name)] == f.Name && (len(arg) == len(f.Name) || arg[len(f.Name)] == '=') {
			return f, true
		}
	}
	return Flag{}, false
}
