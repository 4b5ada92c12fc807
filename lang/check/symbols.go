package check

import (
	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/source"
)

// SymbolKind says what a symbol names.
type SymbolKind uint8

// Symbol kinds.
const (
	StageSymbol SymbolKind = iota + 1 // a stage named with Using ... As <name>
	ArgSymbol                         // an Arg
	EnvSymbol                         // an Env
)

// String returns "stage", "Arg" or "Env".
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
	inEnv     bool // an Arg that an Exec after it has in its environment
	taken     bool // a global Arg whose value a stage's Arg without a default takes
	Name      string
	Def       ast.Instr    // *ast.Using, *ast.Arg or *ast.Env; nil from a Stream
	NameRange source.Range // the name in the definition
	Stage     int          // index into File.Stages; -1 for an Arg before the first Using
	Refs      []Ref        // every reference, in source order
	nrefs     int          // len(Refs), counted while checking
	def       source.Range // Def's range
}

// Ref is one reference to a symbol.
type Ref struct {
	// Node is an *ast.VarRef, an *ast.Ident, or the *ast.String of a
	// command that uses the name where gun sees no reference (\$NAME,
	// ${NAME:-default}).
	Node  ast.Node
	Range source.Range // the name (inside ${...} for a braced reference)
	// Expanded is true where gun expands the reference, false in commands,
	// where the shell expands it from the environment.
	Expanded bool
}

// StageInfo is what the checker knows about one stage.
type StageInfo struct {
	Stage  *ast.Stage // nil from a Stream
	Symbol *Symbol    // the stage's name, or nil if it has none
	Base   *Symbol    // the earlier stage it is based on (Using <stage>), or nil
}

// Inherited returns the Env definitions visible at the start of stage i,
// from the stages it is based on: one per name (the one that wins), nearest
// stage first.
func (in *Info) Inherited(i int) []*Symbol {
	var out []*Symbol
	seen := map[string]bool{}
	for b := in.Stages[i].Base; b != nil; b = in.Stages[b.Stage].Base {
		envs := in.envs[b.Stage]
		for j := len(envs) - 1; j >= 0; j-- {
			if s := envs[j]; !seen[s.Name] {
				seen[s.Name] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// Info is the symbol table of a file: every definition and reference, for
// tools such as the language server (definition, references, rename,
// completion).
type Info struct {
	File    *ast.File
	Symbols []*Symbol             // in order of definition
	Globals []*Symbol             // Args before the first Using
	Stages  []*StageInfo          // one per File.Stages entry
	byName  map[string]*StageInfo // named stages
	envs    [][]*Symbol           // envs[i]: the Envs stage i defines itself, in order
}

// Lookup returns the symbol a *ast.VarRef or stage *ast.Ident refers to, or
// nil when it refers to nothing known.
func (in *Info) Lookup(n ast.Node) *Symbol {
	// A scan of the references: cheaper overall than indexing every
	// reference while checking, for one lookup per editor request.
	for _, s := range in.Symbols {
		for _, r := range s.Refs {
			if r.Node == n {
				return s
			}
		}
	}
	return nil
}

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
		for i := len(in.Symbols) - 1; i >= 0; i-- {
			s := in.Symbols[i]
			if s.Stage == stage && s.Kind != StageSymbol && s.Def.Span().End <= pos {
				add(s)
			}
		}
		for _, s := range in.Inherited(stage) {
			add(s)
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
	return in.byName[name]
}
