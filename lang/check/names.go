package check

import (
	"fmt"

	"github.com/gun-tools/gun/lang/lexer"
)

// ValidName returns nil if name can name a symbol of kind k, or an error
// saying why not, in the checker's words. Tools that rename symbols use it.
func ValidName(k SymbolKind, name string) error {
	switch k {
	case StageSymbol:
		if name == "scratch" {
			return fmt.Errorf(`"scratch" is the empty base and cannot name a stage`)
		}
		if !validStageName(name) {
			return fmt.Errorf("invalid stage name %q: a stage name is a letter followed by letters, digits, '_', '-' or '.'", name)
		}
	case ArgSymbol, EnvSymbol:
		if !lexer.IsName(name) {
			return fmt.Errorf("invalid %s name %q: a name is letters, digits and '_', not starting with a digit", k, name)
		}
	default:
		return fmt.Errorf("unknown symbol kind %v", k)
	}
	return nil
}
