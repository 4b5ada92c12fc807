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

// GlobalFlags are the global flags that may come before a command, by long
// name, each with whether it takes a value (langcmd's TestGlobalFlags
// checks them against the root command's flags). -v is --verbose.
var GlobalFlags = map[string]bool{"verbose": false, "root": true}

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
			name, value := a[2:], false
			for j := 0; j < len(name); j++ {
				if name[j] == '=' {
					name, value = name[:j], true
					break
				}
			}
			takes, ok := GlobalFlags[name]
			if !ok {
				return "", -1
			}
			if takes && !value {
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
