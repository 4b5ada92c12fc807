// Package check finds the semantic errors and warnings of a parsed Gunfile
// and resolves its names.
//
// Name resolution lives here, not in the parser: Resolve builds the symbol
// table (stages, Args, Envs and their references) that the diagnostics are
// computed from, and returns it for tools such as the language server.
package check

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/lexer"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
)

// Check returns the semantic diagnostics of f, in source order. It does not
// repeat the parser's syntax errors; run both.
func Check(f *ast.File) []diag.Diagnostic {
	// The references are only counted: no Symbol.Refs to build and keep.
	_, ds := check(f, false, nil)
	return ds
}

// Resolve builds f's symbol table and returns it with f's semantic
// diagnostics, in source order.
func Resolve(f *ast.File) (*Info, []diag.Diagnostic) {
	return check(f, true, nil)
}

// check checks f; with keepRefs it records every reference in its symbol's
// Refs. cache, if not nil, holds the analyses of earlier checks.
func check(f *ast.File, keepRefs bool, cache *Cache) (*Info, []diag.Diagnostic) {
	c := &checker{info: &Info{File: f}, keepRefs: keepRefs, t: new(tables)}
	if c.sh.cache = cache; cache != nil {
		c.diags = make([]diag.Diagnostic, 0, cache.ndiags+cache.ndiags/8)
	}
	if keepRefs {
		if p := spareRefs.Swap(nil); p != nil {
			c.refs = (*p)[:0]
		}
	} else if t := spareTables.Swap(nil); t != nil {
		c.t = t
	}
	c.file(f)
	ds := c.finish()
	if !keepRefs {
		c.t.release(c.envBuf)
	}
	if keepRefs && cap(c.refs) <= maxSpareRefs {
		// Drop the references to the tree before the buffer is kept.
		refs := c.refs[:0]
		clear(refs[:cap(refs)])
		spareRefs.Store(&refs)
	}
	return c.info, ds
}

// finish reports what needs the whole file (unused Args), drops what the
// ignores cover and returns the diagnostics in source order.
func (c *checker) finish() []diag.Diagnostic {
	if c.keepRefs {
		c.distributeRefs()
	}
	if c.stream {
		c.unusedArgs(c.info.Globals) // those of stages are reported at their end
	} else {
		c.unusedArgs(c.info.Symbols)
	}
	c.ignoresEnd()
	c.dropIgnored()
	slices.SortStableFunc(c.diags, func(a, b diag.Diagnostic) int { return int(a.Range.Start - b.Range.Start) })
	return c.diags
}

// A Stream checks a file that parser.Stream hands over in pieces, as Check
// checks the whole tree, and reports what Check reports; it keeps no
// pointer into a piece once Add returns, and of the symbol table only what
// later stages can see.
type Stream struct {
	c *checker
}

// NewStream returns a Stream for one file.
func NewStream() *Stream {
	return &Stream{c: &checker{info: &Info{}, t: new(tables), stream: true}}
}

// Add checks the next piece of the file.
func (s *Stream) Add(piece *ast.File) {
	c := s.c
	c.info.File = piece
	c.ignorePiece(piece)
	if !c.preludeDone {
		c.prelude(piece.Prelude)
	}
	for _, st := range piece.Stages {
		i := len(c.info.Stages)
		c.info.Stages = appendDoubling(c.info.Stages, c.stageInfos.new())
		c.info.envs = appendDoubling(c.info.envs, nil)
		c.absWorkdir = appendDoubling(c.absWorkdir, false)
		c.scratch = appendDoubling(c.scratch, false)
		c.stageArgs.reset()
		c.declareStage(i, st)
		c.stageBody(i, st)
		c.unusedArgs(c.own.syms)     // a stage's Args are seen in it alone
		c.info.Stages[i].Stage = nil // reused by the parser
	}
	c.sh.curFor = nil
}

// End returns the file's semantic diagnostics, in source order.
func (s *Stream) End() []diag.Diagnostic {
	c := s.c
	c.laterStages()
	return c.finish()
}

type checker struct {
	t       *tables // the buffers of the symbol table
	symbols slab[Symbol]
	info    *Info
	diags   []diag.Diagnostic

	// The scope of the stage being checked.
	stage int
	own   scope // Args and Envs defined in this stage so far
	// inEnv is how many of own's symbols an Exec has had in its
	// environment: the Args among them are used.
	inEnv   int
	globals scope     // Args defined before the first Using
	envBuf  []*Symbol // the chunk Info.envs are carved from
	// suggestions counts "did you mean" searches, which are capped: on a
	// file with thousands of undefined names they would cost more than
	// they help.
	suggestions int
	keepRefs    bool         // record references (Resolve), or only count them (Check)
	refs        []pendingRef // every reference, until distributeRefs
	// absWorkdir[i] says that stage i has set an absolute Workdir.
	absWorkdir []bool
	// scratch[i] says that stage i is built from scratch, directly or
	// through the stages it is based on.
	scratch []bool
	sh      shellState
	ignores []ignore // where # gun:ignore turns codes off
	marks   marks    // the # gun:ignore comments not yet placed

	// A Stream's: the tree comes in pieces, and no pointer into one is kept.
	stream      bool
	preludeDone bool
	stageInfos  slab[StageInfo]
	forward     []forwardRef // stage names not defined when used
	// stageArgs holds the Args of the stage being checked, which no later
	// stage sees: the next stage's take their memory.
	stageArgs slab[Symbol]
}

// appendDoubling appends v to s, doubling its capacity when it is full. A
// Stream's tables indexed by stage grow by one stage at a time, and append
// grows a large slice by a quarter: with the collector off (gun check), the
// arrays left behind would come to four times the table.
func appendDoubling[T any](s []T, v T) []T {
	if len(s) == cap(s) {
		s = slices.Grow(s, max(len(s), 8))
	}
	return append(s, v)
}

// maxSuggestions caps the "did you mean" searches of one file.
const maxSuggestions = 100

// suggest reports whether another "did you mean" search is allowed.
func (c *checker) suggest() bool {
	c.suggestions++
	return c.suggestions <= maxSuggestions
}

// report records a diagnostic and returns it for the caller to add related
// locations or fixes; the pointer is valid until the next report.
func (c *checker) report(sev diag.Severity, code diag.Code, r source.Range, format string, args ...any) *diag.Diagnostic {
	c.diags = append(c.diags, diag.Diagnostic{Severity: sev, Code: code, Message: fmt.Sprintf(format, args...), Range: r})
	return &c.diags[len(c.diags)-1]
}

func (c *checker) errorf(code diag.Code, r source.Range, format string, args ...any) *diag.Diagnostic {
	return c.report(diag.Error, code, r, format, args...)
}

func (c *checker) file(f *ast.File) {
	// Size the symbol table and its Symbols from the definitions, counted
	// first, rather than grow them.
	n := definitions(f)
	c.info.Symbols = reuse(&c.t.ptrs, n)[:0]
	if n > 0 {
		c.symbols.buf = reuse(&c.t.symbols, n)
	}
	c.ignorePiece(f)
	c.prelude(f.Prelude)

	// Declare every stage name first, so that a reference to a later stage
	// can say where it is.
	named := 0
	for _, st := range f.Stages {
		if st.Using.As != nil {
			named++
		}
	}
	if c.t.byName == nil {
		c.t.byName = make(map[string]*StageInfo, named)
	}
	c.info.byName = c.t.byName
	infos := reuse(&c.t.infos, len(f.Stages))
	c.info.Stages = reuse(&c.t.stages, len(f.Stages))
	for i := range f.Stages {
		c.info.Stages[i] = &infos[i]
	}
	c.info.envs = reuse(&c.t.envs, len(f.Stages))
	c.absWorkdir = reuse(&c.t.absWorkdir, len(f.Stages))
	c.scratch = reuse(&c.t.scratch, len(f.Stages))
	for i, st := range f.Stages {
		c.declareStage(i, st)
	}
	c.envBuf = c.t.envBuf
	for i, st := range f.Stages {
		c.stageBody(i, st)
	}
}

// prelude checks the instructions before the first Using, whose Args are
// the global ones.
func (c *checker) prelude(instrs []ast.Instr) {
	c.stage = -1
	reported := false
	for _, in := range instrs {
		switch in := in.(type) {
		case *ast.Arg:
			c.arg(in)
		case *ast.BadInstr:
			// The parser reported it.
		default:
			if !reported {
				name, kw := in.Keyword()
				c.errorf(diag.BeforeUsing, kw, "%s before the first Using: a Gunfile starts with Using \"<base>\" (only Arg may come before it)", name)
				reported = true
			}
		}
	}
	c.info.Globals = c.own.syms
	c.globals, c.own = c.own, scope{}
	c.preludeDone = true
}

// declareStage records stage i, st, in the symbol table: its info, and its
// name if it has a valid one not taken.
func (c *checker) declareStage(i int, st *ast.Stage) {
	if c.info.byName == nil {
		c.info.byName = make(map[string]*StageInfo)
	}
	si := c.info.Stages[i]
	si.Stage = st
	as := st.Using.As
	if as == nil {
		return
	}
	switch {
	case as.Name == "scratch":
		c.errorf(diag.InvalidStageName, as.Range, `"scratch" is the empty base and cannot name a stage`)
		return
	case !validStageName(as.Name):
		c.errorf(diag.InvalidStageName, as.Range, "invalid stage name %q: a stage name is a letter followed by letters, digits, '_', '-' or '.'", as.Name)
	}
	if prev := c.info.StageNamed(as.Name); prev != nil {
		d := c.errorf(diag.DuplicateStage, as.Range, "duplicate stage name %q", as.Name)
		d.Related = []diag.Related{{Range: prev.Symbol.NameRange, Message: fmt.Sprintf("stage %q first defined here", as.Name)}}
		return
	}
	s := c.symbols.new()
	s.Kind, s.Name, s.NameRange, s.Stage, s.def = StageSymbol, as.Name, as.Range, i, st.Using.Range
	if !c.stream {
		s.Def = st.Using
	}
	si.Symbol = s
	c.info.byName[as.Name] = si
	if !c.stream {
		c.info.Symbols = append(c.info.Symbols, si.Symbol)
	}
}

func validStageName(s string) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
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

func (c *checker) stageBody(i int, st *ast.Stage) {
	c.stage = i
	c.own.reset()
	c.inEnv = 0
	si := c.info.Stages[i]
	var mainSeen *ast.Main
	var seen settings

	// The base: a string is expanded with the global Args only.
	switch b := st.Using.Base.(type) {
	case *ast.String:
		c.expanded(b, true)
		c.baseRef(b)
	case *ast.Ident:
		if b.Name == "scratch" {
			c.scratch[i] = true
		} else if base := c.stageRef(b, "Using"); base != nil {
			si.Base = base
			c.absWorkdir[i] = c.absWorkdir[base.Stage]
			c.scratch[i] = c.scratch[base.Stage]
		}
	}

	base := -1
	if si.Base != nil {
		base = si.Base.Stage
	}
	c.shellStage(i, base)
	defer c.shellEnd(i)
	for _, in := range st.Body {
		switch in := in.(type) {
		case *ast.Arg:
			c.arg(in)
		case *ast.Env:
			c.env(in)
		case *ast.Exec:
			// Its processes have the stage's Args in their environment,
			// as Docker's RUN has: make reads $VERSION, apt
			// DEBIAN_FRONTEND, xx TARGETPLATFORM.
			for _, s := range c.own.syms[c.inEnv:] {
				s.inEnv = true
			}
			c.inEnv = len(c.own.syms)
			c.execOptions(in)
			c.sh.caches, c.sh.secretEnv = c.sh.caches[:0], c.sh.secretEnv[:0]
			for _, m := range in.Mounts {
				if t := arg(m, 0); m.Name == "Cache" && t != nil {
					c.sh.caches = append(c.sh.caches, path.Clean(t.Value))
				}
				if o := m.Option("Env"); m.Name == "Secret" && o != nil {
					if s, ok := o.Value.(*ast.String); ok {
						c.sh.secretEnv = append(c.sh.secretEnv, s.Value)
					}
				}
			}
			c.command(in.Cmd, "Exec")
			c.sh.caches, c.sh.secretEnv = c.sh.caches[:0], c.sh.secretEnv[:0]
		case *ast.Entrypoint:
			c.command(in.Cmd, "Entrypoint")
			if seen == nil {
				seen = settings{}
			}
			c.setting(seen, in)
		case *ast.StopSignal:
			c.stopSignal(in)
			if seen == nil {
				seen = settings{}
			}
			c.setting(seen, in)
		case *ast.Healthcheck:
			c.healthcheck(in)
			if seen == nil {
				seen = settings{}
			}
			c.setting(seen, in)
		case *ast.Shell:
			c.shell(in)
		case *ast.Expose:
			c.expose(in)
		case *ast.Volume:
			c.volume(in)
		case *ast.Main:
			c.command(in.Cmd, "Main")
			if mainSeen != nil {
				d := c.report(diag.Warning, diag.DuplicateMain, in.Kw.Range, "Main given twice in this stage; only the last one counts")
				d.Related = []diag.Related{{Range: mainSeen.Kw.Range, Message: "first Main here"}}
			} else {
				mainSeen = in
			}
		case *ast.Copy:
			c.copyInstr(in)
		case *ast.Workdir:
			if in.Path == nil {
				continue
			}
			c.expanded(in.Path, false)
			c.notEmpty(in.Path, "Workdir path")
			v := in.Path.Value
			switch {
			case strings.HasPrefix(v, "/"):
				c.absWorkdir[i] = true
			case v != "" && !c.absWorkdir[i] && !startsWithRef(in.Path):
				c.report(diag.Warning, diag.RelativeWorkdir, in.Path.Range,
					"relative Workdir %q before any absolute one: it depends on the base's working directory", v)
			}
		case *ast.User:
			if in.Name != nil {
				c.expanded(in.Name, false)
				c.notEmpty(in.Name, "User")
			}
		case *ast.Label:
			if in.Key != nil {
				c.expanded(in.Key, false)
				c.notEmpty(in.Key, "Label key")
			}
			if in.Value != nil {
				c.expanded(in.Value, false)
			}
		}
	}
	// The stage's Envs, carved from a shared chunk.
	envs := 0
	for _, s := range c.own.syms {
		if s.Kind == EnvSymbol {
			envs++
		}
	}
	if envs == 0 {
		return
	}
	if cap(c.envBuf)-len(c.envBuf) < envs {
		c.envBuf = make([]*Symbol, 0, max(256, envs))
	}
	start := len(c.envBuf)
	for _, s := range c.own.syms {
		if s.Kind == EnvSymbol {
			c.envBuf = append(c.envBuf, s)
		}
	}
	c.info.envs[i] = c.envBuf[start:len(c.envBuf):len(c.envBuf)]
}

func startsWithRef(s *ast.String) bool {
	return len(s.Refs) > 0 && s.Refs[0].At == 0
}

// stageRef resolves a stage name used by Using or Copy From in the current
// stage and reports names that are not earlier stages.
func (c *checker) stageRef(id *ast.Ident, where string) *Symbol {
	st := c.info.StageNamed(id.Name)
	if st == nil && c.stream {
		// It may be defined later: End says which.
		c.forward = append(c.forward, forwardRef{name: id.Name, r: id.Range, where: where, stage: c.stage})
		return nil
	}
	if st == nil {
		c.undefinedStage(id.Name, id.Range, where, c.stage)
		return nil
	}
	sym := st.Symbol
	c.addRef(sym, id, true)
	switch {
	case sym.Stage == c.stage:
		c.errorf(diag.SelfReference, id.Range, "stage %q cannot %s itself", id.Name, map[string]string{"Using": "be based on", "Copy From": "copy from", "Bind From": "bind from"}[where])
		return nil
	case sym.Stage > c.stage:
		c.laterStage(sym, id.Range, where)
		return nil
	}
	return sym
}

// undefinedStage reports the use of a stage name nothing defines, in stage
// i, with a suggestion among the stages before it.
func (c *checker) undefinedStage(name string, r source.Range, where string, i int) {
	d := c.errorf(diag.UndefinedStage, r, "%s names undefined stage %q", where, name)
	if !c.suggest() {
		return
	}
	var names []string
	for _, s := range c.info.Stages[:i] {
		if s.Symbol != nil {
			names = append(names, s.Symbol.Name)
		}
	}
	if s := spec.Suggest(name, names); s != "" {
		d.Message += fmt.Sprintf("; did you mean %s?", s)
		d.Fixes = []diag.Fix{{Title: "change to " + s, Edits: []diag.Edit{{Range: r, NewText: s}}}}
	}
}

// laterStage reports the use of sym, a stage defined after the one using it.
func (c *checker) laterStage(sym *Symbol, r source.Range, where string) {
	d := c.errorf(diag.LaterStage, r, "%s names stage %q, which is defined later; stages can only use earlier stages", where, sym.Name)
	d.Related = []diag.Related{{Range: sym.NameRange, Message: fmt.Sprintf("stage %q defined here", sym.Name)}}
}

// forwardRef is a stage name a Stream met before any stage had it.
type forwardRef struct {
	name, where string
	r           source.Range
	stage       int // the stage that uses it
}

// laterStages reports the stage names a Stream met undefined: those that a
// later stage defines and those that nothing does.
func (c *checker) laterStages() {
	for _, f := range c.forward {
		if st := c.info.StageNamed(f.name); st != nil {
			st.Symbol.nrefs++
			c.laterStage(st.Symbol, f.r, f.where)
			continue
		}
		c.undefinedStage(f.name, f.r, f.where, f.stage)
	}
}

func (c *checker) arg(in *ast.Arg) {
	if in.Name == nil {
		return
	}
	if in.Default != nil {
		c.expanded(in.Default, c.stage < 0)
	} else if c.stage >= 0 {
		// A stage's Arg without a default takes the global's value: that
		// uses the global (marked, not a reference: renaming one of the
		// two is not renaming the other).
		if g := c.globals.lookup(in.Name.Name); g != nil {
			g.taken = true
		}
	}
	c.define(ArgSymbol, in, in.Name)
}

func (c *checker) env(in *ast.Env) {
	if in.Name == nil {
		return
	}
	if in.Value != nil {
		c.expanded(in.Value, false)
	}
	if in.Inherited != nil && c.scratch[c.stage] {
		c.errorf(diag.InheritedScratch, in.Inherited.Range, "Env %s Inherited in a stage built from scratch: there is no base image to inherit %s from", in.Name.Name, in.Name.Name)
	}
	c.define(EnvSymbol, in, in.Name)
}

func (c *checker) define(kind SymbolKind, def ast.Instr, name *ast.Ident) {
	if !lexer.IsName(name.Name) {
		c.errorf(diag.InvalidName, name.Range, "invalid %s name %q: a name is letters, digits and '_', not starting with a digit", kind, name.Name)
	}
	// Field by field into the zeroed Symbol: a whole-struct assignment
	// would put every pointer slot, Refs included, through the write barrier.
	var s *Symbol
	if c.stream && kind == ArgSymbol && c.stage >= 0 {
		s = c.stageArgs.new()
	} else {
		s = c.symbols.new()
	}
	s.Kind, s.Name, s.NameRange, s.Stage, s.def = kind, name.Name, name.Range, c.stage, def.Span()
	c.own.add(s)
	if !c.stream {
		s.Def = def
		c.info.Symbols = append(c.info.Symbols, s)
	}
}

// lookup resolves a variable name in the current scope: the stage's own
// definitions (latest first), then the Envs of the stages it is based on,
// nearest first, then global Args. A Using base sees only global Args.
func (c *checker) lookup(name string, globalOnly bool) *Symbol {
	if s := c.own.lookup(name); s != nil {
		return s
	}
	// The Envs of base stages are found by walking the chain of bases
	// (Info.envs holds each stage's own), not copied from stage to stage,
	// which keeps a long chain of stages linear in memory.
	if !globalOnly && c.stage >= 0 {
		for b := c.info.Stages[c.stage].Base; b != nil; b = c.info.Stages[b.Stage].Base {
			if s := latest(c.info.envs[b.Stage], name); s != nil {
				return s
			}
		}
	}
	return c.globals.lookup(name)
}

// latest returns the last symbol named name in syms.
func latest(syms []*Symbol, name string) *Symbol {
	for i := len(syms) - 1; i >= 0; i-- {
		if syms[i].Name == name {
			return syms[i]
		}
	}
	return nil
}

// visibleNames lists the names lookup can find, for suggestions.
func (c *checker) visibleNames(globalOnly bool) []string {
	var names []string
	for _, s := range c.own.syms {
		names = append(names, s.Name)
	}
	if !globalOnly && c.stage >= 0 {
		for _, s := range c.info.Inherited(c.stage) {
			names = append(names, s.Name)
		}
	}
	for _, s := range c.info.Globals {
		names = append(names, s.Name)
	}
	return names
}

// expanded resolves the references of a string that gun expands; an
// undefined name is an error.
func (c *checker) expanded(s *ast.String, globalOnly bool) {
	for _, r := range s.Refs {
		sym := c.lookup(r.Name, globalOnly)
		if sym == nil && globalOnly {
			// In a Using base or a global Arg's default: the builder
			// gives it, as BuildKit gives them in its global scope.
			if _, ok := spec.Predefined(r.Name); ok {
				continue
			}
		}
		if sym == nil {
			d := c.errorf(diag.UndefinedVariable, r.Range, "undefined variable %s: gun expands only names defined earlier with Arg or Env (Env %s Inherited declares the base image's; write \\$ for a literal '$')", r.Name, r.Name)
			if globalOnly {
				d.Message = fmt.Sprintf("undefined variable %s: a Using base can only use Args defined before the first Using", r.Name)
			}
			if !c.suggest() {
				continue
			}
			if sug := spec.Suggest(r.Name, c.visibleNames(globalOnly)); sug != "" {
				d.Message += fmt.Sprintf("; did you mean %s?", sug)
				d.Fixes = []diag.Fix{{Title: "change to " + sug, Edits: []diag.Edit{{Range: r.NameRange, NewText: sug}}}}
			}
			continue
		}
		c.use(sym, r, true)
	}
}

func (c *checker) use(sym *Symbol, r *ast.VarRef, expanded bool) {
	c.addRef(sym, r, expanded)
}

// addRef records a reference. References are collected in one slice and
// handed out to their symbols at the end (distributeRefs): two allocations
// in all instead of a growing slice per symbol.
func (c *checker) addRef(sym *Symbol, n ast.Node, expanded bool) {
	if c.keepRefs {
		c.refs = append(c.refs, pendingRef{sym: sym, node: n, expanded: expanded})
	}
	sym.nrefs++
}

// addRefAt records a use of sym at r, in the command s, that the shell
// expands.
func (c *checker) addRefAt(sym *Symbol, s *ast.String, r source.Range) {
	if c.keepRefs {
		c.refs = append(c.refs, pendingRef{sym: sym, node: s, r: r})
	}
	sym.nrefs++
}

// spareRefs keeps the (cleared) reference buffer of a finished check for
// the next, so that a program checking file after file, or one file on every
// keystroke, reuses one. Unlike a sync.Pool it survives garbage collections,
// which a check of a large file sees several of.
var spareRefs atomic.Pointer[[]pendingRef]

// maxSpareRefs caps the buffer kept (at 2 MB).
const maxSpareRefs = 1 << 16

type pendingRef struct {
	sym      *Symbol
	node     ast.Node     // *ast.VarRef, *ast.Ident or *ast.String
	r        source.Range // the name, for an *ast.String
	expanded bool
}

// distributeRefs sets every symbol's Refs from the collected references,
// keeping their order.
func (c *checker) distributeRefs() {
	backing := make([]Ref, len(c.refs))
	off := 0
	for _, s := range c.info.Symbols {
		s.Refs = backing[off : off : off+s.nrefs]
		off += s.nrefs
	}
	for _, p := range c.refs {
		r := Ref{Node: p.node, Range: p.node.Span(), Expanded: p.expanded}
		switch n := p.node.(type) {
		case *ast.VarRef:
			r.Range = n.NameRange
		case *ast.String:
			r.Range = p.r
		}
		p.sym.Refs = append(p.sym.Refs, r)
	}
}

// command checks the command of Exec or Main. The shell expands its
// references, so unknown names are not errors (they may be the shell's own,
// such as $HOME), but known ones count as uses.
func (c *checker) command(cmd ast.Expr, instr string) {
	switch cmd := cmd.(type) {
	case *ast.String:
		if sh, ok := shebangShell(cmd); ok && instr == "Exec" {
			// Its interpreter runs it, not the stage's shell.
			stage := stageShell{c.sh.dialect, c.sh.foreign, c.sh.errexit, c.sh.pipefail}
			c.setShell(sh)
			defer c.setShell(stage)
		}
		c.script(cmd, instr)
		if cmd.Literal() && strings.TrimSpace(cmd.Value) == "" {
			what := "command"
			if cmd.Heredoc != "" {
				what = "script"
			}
			c.errorf(diag.EmptyCommand, cmd.Range, "empty %s in %s: there is nothing to run", what, instr)
		}
	case *ast.List:
		for _, e := range cmd.Elems {
			c.shellRefs(e)
		}
		switch {
		case len(cmd.Elems) == 0 && (instr == "Main" || instr == "Entrypoint"):
			// The base image's is cleared, as Docker's CMD [] and
			// ENTRYPOINT [] clear it.
		case len(cmd.Elems) == 0:
			c.errorf(diag.EmptyCommand, cmd.Range, "empty exec-form list in %s: it needs at least the program to run", instr)
		case cmd.Elems[0].Value == "":
			c.errorf(diag.EmptyCommand, cmd.Elems[0].Range, "empty program name in %s", instr)
		}
	}
}

func (c *checker) shellRefs(s *ast.String) {
	for _, r := range s.Refs {
		if sym := c.lookup(r.Name, false); sym != nil {
			c.use(sym, r, false)
		}
	}
}

func (c *checker) notEmpty(s *ast.String, what string) {
	if s.Literal() && s.Value == "" {
		c.errorf(diag.EmptyValue, s.Range, "empty %s", what)
	}
}

func (c *checker) copyInstr(in *ast.Copy) {
	fromContext := true
	if in.From != nil {
		switch v := in.From.Value.(type) {
		case *ast.Ident:
			fromContext = false
			c.stageRef(v, "Copy From")
		case *ast.String:
			fromContext = false
			c.expanded(v, false)
		}
	}
	if in.Owner != nil {
		if s, ok := in.Owner.Value.(*ast.String); ok {
			c.expanded(s, false)
			c.notEmpty(s, "Owner")
		}
	}
	if in.Mode != nil {
		c.mode(in.Mode.Value)
	}
	for _, s := range in.Srcs {
		c.expanded(s, false)
		c.notEmpty(s, "Copy source")
		if !fromContext || !s.Literal() {
			continue
		}
		v := s.Value
		switch {
		case IsURL(v):
			// Downloaded: copyExtras checks it.
		case strings.HasPrefix(v, "/"):
			c.errorf(diag.CopyAbsolute, s.Range, "absolute Copy source %q: sources are relative to the build context", v)
		case !strings.Contains(v, ".."):
			// Cleaning makes ".." only of a ".." already there.
		case leaves(v):
			c.errorf(diag.CopyOutside, s.Range, "Copy source %q leaves the build context", v)
		}
	}
	if in.Dest != nil {
		c.expanded(in.Dest, false)
		c.notEmpty(in.Dest, "Copy destination")
	}
	if in.Content != nil {
		c.inlineFile(in)
	}
	c.copyExtras(in)
}

// leaves reports whether the relative path v climbs out of its root.
func leaves(v string) bool {
	clean := path.Clean(v)
	return clean == ".." || strings.HasPrefix(clean, "../")
}

// word is the text of e, a bare word or a string without variables (whose
// references it checks), with its range; ok is false for anything else.
func (c *checker) word(e ast.Expr) (text string, r source.Range, ok bool) {
	switch v := e.(type) {
	case *ast.Ident:
		return v.Name, v.Range, true
	case *ast.String:
		c.expanded(v, false)
		if !v.Literal() {
			return "", r, false
		}
		return v.Value, v.Range, true
	}
	return "", r, false
}

func (c *checker) mode(v ast.Expr) {
	text, r, ok := c.word(v)
	if !ok {
		return
	}
	ok = text != "" && len(text) <= 5
	n := 0
	for i := 0; ok && i < len(text); i++ {
		if text[i] < '0' || text[i] > '7' {
			ok = false
		}
		n = n*8 + int(text[i]-'0')
	}
	if !ok || n > 0o7777 {
		c.errorf(diag.InvalidMode, r, "invalid Mode %q: expected an octal number from 0 to 7777, such as 0755", text)
	}
}

// unusedArgs warns about the Args among syms that nothing refers to.
func (c *checker) unusedArgs(syms []*Symbol) {
	src := c.info.File.Source
	for _, s := range syms {
		if s.Kind != ArgSymbol || s.nrefs > 0 || s.taken || s.inEnv {
			continue
		}
		d := c.report(diag.Warning, diag.UnusedArg, s.NameRange, "Arg %s is never used", s.Name)
		if src != nil {
			// Delete the whole line the Arg is on.
			r := s.def
			line := src.Line(r.Start)
			start := src.LineStart(line)
			end := src.LineStart(line + 1)
			if src.Line(r.End) == line {
				d.Fixes = []diag.Fix{{Title: "remove Arg " + s.Name, Edits: []diag.Edit{{Range: source.Range{Start: start, End: end}}}}}
			}
		}
	}
}

// slab allocates values in chunks: one allocation per chunk instead of
// one per Symbol or StageInfo. The chunk is indexed, not resliced: moving its
// slice pointer would cost a write barrier per value while the garbage
// collector is marking.
type slab[T any] struct {
	buf []T
	n   int // buf[:n] is handed out
}

// definitions returns an upper bound of the symbols in f: its Args, Envs
// and named stages.
func definitions(f *ast.File) int {
	n := 0
	count := func(body []ast.Instr) {
		for _, in := range body {
			switch in.(type) {
			case *ast.Arg, *ast.Env:
				n++
			}
		}
	}
	count(f.Prelude)
	for _, st := range f.Stages {
		if st.Using.As != nil {
			n++
		}
		count(st.Body)
	}
	return n
}

// reset hands out the current chunk again, zeroed.
func (s *slab[T]) reset() {
	clear(s.buf[:s.n])
	s.n = 0
}

func (s *slab[T]) new() *T {
	if s.n == len(s.buf) {
		s.buf = make([]T, min(max(8, 2*len(s.buf)), 256))
		s.n = 0
	}
	p := &s.buf[s.n]
	s.n++
	return p
}

// scope is a list of definitions that finds the latest with a name: by a
// backward scan while the list is short, as most stages' are, and through a
// map once it is long.
type scope struct {
	syms    []*Symbol
	idx     map[string]*Symbol // the latest of syms by name, when indexed
	indexed bool
}

// scopeScan is the length up to which a scan beats a map.
const scopeScan = 16

func (s *scope) add(sym *Symbol) {
	s.syms = append(s.syms, sym)
	switch {
	case s.indexed:
		s.idx[sym.Name] = sym
	case len(s.syms) > scopeScan:
		if s.idx == nil {
			s.idx = make(map[string]*Symbol, 2*len(s.syms))
		}
		for _, x := range s.syms {
			s.idx[x.Name] = x
		}
		s.indexed = true
	}
}

func (s *scope) lookup(name string) *Symbol {
	if s.indexed {
		return s.idx[name]
	}
	for i := len(s.syms) - 1; i >= 0; i-- {
		if s.syms[i].Name == name {
			return s.syms[i]
		}
	}
	return nil
}

// reset empties the scope, keeping its buffers.
func (s *scope) reset() {
	s.syms = s.syms[:0]
	if s.indexed {
		clear(s.idx)
		s.indexed = false
	}
}
