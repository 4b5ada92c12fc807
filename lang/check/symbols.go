package check

import (
	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/source"
)

// SymbolKind says what a symbol names.
type SymbolKind int

// Symbol kinds.
const (
	StageSymbol SymbolKind = iota + 1 // a stage named with Using ... As <name>
	ArgSymbol                         // an Arg
	EnvSymbol                         // an Env
)

func (k SymbolKind) String() string {
	switch k {
	case StageSymbol:
		return "stage"
	case ArgSymbol:
		return "Arg"
	case EnvSymbol:
		return "Env"
	}
	return "symbol"
}

// Symbol is one definition: a named stage, an Arg or an Env. Each Env or Arg
// instruction is its own symbol, even when it redefines a name; a reference
// resolves to the latest definition before it.
type Symbol struct {
	Kind      SymbolKind
	Name      string
	Def       ast.Instr    // *ast.Using, *ast.Arg or *ast.Env
	NameRange source.Range // the name in the definition
	Stage     int          // index into File.Stages; -1 for an Arg before the first Using
	Refs      []Ref        // every reference, in source order
}

// Ref is one reference to a symbol.
type Ref struct {
	Node  ast.Node     // *ast.VarRef or *ast.Ident
	Range source.Range // the name (inside ${...} for a braced reference)
	// Expanded is true where gun expands the reference, false in commands,
	// where the shell expands it from the environment.
	Expanded bool
}

// StageInfo is what the checker knows about one stage.
type StageInfo struct {
	Stage  *ast.Stage
	Symbol *Symbol // the stage's name, or nil if it has none
	Base   *Symbol // the earlier stage it is based on (Using <stage>), or nil
	// Inherited are the Env definitions visible at the start of the stage,
	// from the stages it is based on.
	Inherited []*Symbol
}

// Info is the symbol table of a file: every definition and reference, for
// tools such as the language server (definition, references, rename,
// completion).
type Info struct {
	File    *ast.File
	Symbols []*Symbol    // in order of definition
	Globals []*Symbol    // Args before the first Using
	Stages  []*StageInfo // one per File.Stages entry
	uses    map[ast.Node]*Symbol
}

// Lookup returns the symbol a *ast.VarRef or stage *ast.Ident refers to, or
// nil when it refers to nothing known.
func (in *Info) Lookup(n ast.Node) *Symbol { return in.uses[n] }

// SymbolAt returns the symbol whose definition name or one of whose
// references contains pos, and that name's range.
func (in *Info) SymbolAt(pos source.Pos) (*Symbol, source.Range, bool) {
	for _, s := range in.Symbols {
		if s.NameRange.Contains(pos) {
			return s, s.NameRange, true
		}
		for _, r := range s.Refs {
			if r.Range.Contains(pos) {
				return s, r.Range, true
			}
		}
	}
	return nil, source.Range{}, false
}

// Visible returns the Args and Envs visible at pos, innermost first, one per
// name: what completion offers after a '$'.
func (in *Info) Visible(pos source.Pos) []*Symbol {
	var out []*Symbol
	seen := map[string]bool{}
	add := func(s *Symbol) {
		if !seen[s.Name] {
			seen[s.Name] = true
			out = append(out, s)
		}
	}
	stage := -1
	for i, st := range in.Stages {
		if st.Stage.Start <= pos {
			stage = i
		}
	}
	if stage >= 0 {
		st := in.Stages[stage]
		for i := len(in.Symbols) - 1; i >= 0; i-- {
			s := in.Symbols[i]
			if s.Stage == stage && s.Kind != StageSymbol && s.Def.Span().End <= pos {
				add(s)
			}
		}
		for i := len(st.Inherited) - 1; i >= 0; i-- {
			add(st.Inherited[i])
		}
	}
	for i := len(in.Globals) - 1; i >= 0; i-- {
		if in.Globals[i].Def.Span().End <= pos {
			add(in.Globals[i])
		}
	}
	return out
}

// StageNamed returns the stage with this name, or nil.
func (in *Info) StageNamed(name string) *StageInfo {
	for _, st := range in.Stages {
		if st.Symbol != nil && st.Symbol.Name == name {
			return st
		}
	}
	return nil
}
