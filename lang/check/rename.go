package check

import (
	"fmt"

	"github.com/gun-tools/gun/lang/shell"
	"github.com/gun-tools/gun/lang/source"
)

// Rename returns the ranges to replace with newName to rename sym: its
// name and its references, and for an Env those of every definition of the
// same name it overrides or is overridden by (see EnvFamily), so that what
// every stage's environment holds stays the same but for the name. It
// returns an error saying why when the rename would change the build's
// meaning otherwise.
func (in *Info) Rename(sym *Symbol, newName string) ([]source.Range, error) {
	if err := ValidName(sym.Kind, newName); err != nil {
		return nil, err
	}
	syms := []*Symbol{sym}
	switch sym.Kind {
	case StageSymbol:
		if in.StageNamed(newName) != nil {
			return nil, fmt.Errorf("a stage named %q already exists", newName)
		}
	case EnvSymbol:
		if shell.WellKnown(sym.Name) {
			return nil, fmt.Errorf("Env %s cannot be renamed: programs read %s from the environment by that name", sym.Name, sym.Name)
		}
		if shell.WellKnown(newName) {
			return nil, fmt.Errorf("Env %s cannot become %s: programs read %s from the environment, and would see this value", sym.Name, newName, newName)
		}
		syms = in.EnvFamily(sym)
		root := in.rootStage(sym.Stage)
		for _, s := range in.Symbols {
			if s.Name == newName && s.Kind != StageSymbol && (s.Stage < 0 || in.rootStage(s.Stage) == root) {
				line := in.File.Source.Line(s.NameRange.Start)
				return nil, fmt.Errorf("%s %s, defined on line %d, is visible where Env %s is: renaming would mix them up", s.Kind, newName, line, sym.Name)
			}
		}
	}
	var rs []source.Range
	for _, s := range syms {
		rs = append(rs, s.NameRange)
		for _, r := range s.Refs {
			rs = append(rs, r.Range)
		}
	}
	return rs, nil
}

// EnvFamily returns the Env definitions of sym's name in the stages
// connected to sym's by Using <stage> (its bases, the stages built on them,
// and so on), sym first: one is inherited by, or overrides, another, so
// they are renamed together.
func (in *Info) EnvFamily(sym *Symbol) []*Symbol {
	family := []*Symbol{sym}
	root := in.rootStage(sym.Stage)
	for _, s := range in.Symbols {
		if s != sym && s.Kind == EnvSymbol && s.Name == sym.Name && in.rootStage(s.Stage) == root {
			family = append(family, s)
		}
	}
	return family
}

// rootStage returns the first stage of the chain of bases stage i is
// built on (i itself when its base is no stage), or -1 for -1.
func (in *Info) rootStage(i int) int {
	for i >= 0 {
		b := in.Stages[i].Base
		if b == nil {
			return i
		}
		i = b.Stage
	}
	return i
}
