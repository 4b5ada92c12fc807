package check

import (
	"maps"
	"strings"
	"sync"
	"unsafe"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/shell"
	"github.com/gun-tools/gun/lang/source"
)

// A Cache keeps the analysis of shell commands from one check to the next,
// for a language server that checks every version of a document: a command
// whose text is unchanged is not parsed or judged again, wherever it moved.
// What depends on the rest of the file (the variables a command uses, curl
// and wget across an image, the step's cache mounts) is worked out each time, so a check with a
// Cache reports what one without reports. The zero Cache is ready to use.
// It is safe for concurrent use; the checks that share it run one at a time.
type Cache struct {
	mu      sync.Mutex
	gen     uint32 // the current check's
	ndiags  int    // how many diagnostics the last check reported
	scripts map[scriptKey]*cachedScript
	// The entries and their variables and diagnostics are carved from
	// chunks, a few allocations per check instead of three per command; a
	// chunk lives on while one of its entries does.
	entries []cachedScript
	vars    []shell.Var
	diags   []diag.Diagnostic
}

// carve returns n elements at the end of the chunk *buf, starting a new
// chunk when it is full.
func carve[T any](buf *[]T, n int) []T {
	if cap(*buf)-len(*buf) < n {
		*buf = make([]T, 0, max(n, min(2*cap(*buf), 4096), 64))
	}
	start := len(*buf)
	*buf = (*buf)[:start+n]
	return (*buf)[start : start+n : start+n]
}

// scriptKey identifies a command: the same key gives the same analysis.
type scriptKey struct {
	text              string // the command's source: its quotes or delimiters, indentation and escapes
	dialect           shell.Dialect
	errexit, pipefail bool   // set by the stage's Shell
	instr             string // Exec, Main, Entrypoint or Healthcheck: the rules that apply
}

// cachedScript is what a command's analysis found that depends on its text
// alone, at offsets from the command's start.
type cachedScript struct {
	gen    uint32 // the last check that used it
	parsed bool   // no syntax error
	vars   []shell.Var
	diags  []diag.Diagnostic
	later  []later
}

// later is a rule about a command of a script that depends on more than
// the script: on the rest of the image or of the step.
type later struct {
	kind laterKind
	r    source.Range // the word the rule is about
}

type laterKind uint8

const (
	curl        laterKind = iota // its program word, for G314
	wget                         // its program word, for G314
	pipCache                     // pip's install word, for G321
	yumCache                     // an install word, for G320
	dnfCache                     // an install word, for G320
	zypperCache                  // an install word, for G320
)

// Resolve is the package's Resolve with the cache's help.
func (k *Cache) Resolve(f *ast.File) (*Info, []diag.Diagnostic) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.gen++
	if k.scripts == nil {
		k.scripts = make(map[scriptKey]*cachedScript)
	}
	info, ds := check(f, true, k)
	k.ndiags = len(ds)
	// Forget the commands the file no longer has.
	maps.DeleteFunc(k.scripts, func(_ scriptKey, e *cachedScript) bool { return e.gen != k.gen })
	return info, ds
}

// Len returns how many commands the cache holds.
func (k *Cache) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.scripts)
}

// cachedScript returns the cached analysis of the command s, or nil with
// the key to store it under.
func (c *checker) cachedScript(s *ast.String, instr string) (*cachedScript, scriptKey) {
	src := c.src()[s.Start:s.End]
	// The lookup does not keep the string: no copy of the text.
	key := scriptKey{unsafe.String(unsafe.SliceData(src), len(src)), c.sh.dialect, c.sh.errexit, c.sh.pipefail, instr}
	if e := c.sh.cache.scripts[key]; e != nil {
		e.gen = c.sh.cache.gen
		return e, key
	}
	key.text = string(src)
	return nil, key
}

// store caches the analysis of the command s: whether it parsed, its
// variables, and the diagnostics from, on. A diagnostic that reaches outside
// the command leaves it uncached.
func (c *checker) store(key scriptKey, s *ast.String, parsed bool, vars []shell.Var, from int) {
	k := c.sh.cache
	e := &carve(&k.entries, 1)[0]
	*e = cachedScript{gen: k.gen, parsed: parsed, vars: carve(&k.vars, len(vars))}
	diags := carve(&k.diags, len(c.diags)-from)[:0]
	for i, v := range vars {
		// The name as it is in the key's copy of the command, not in the
		// document's text, which the cache must not keep.
		if at := strings.Index(key.text, v.Name); at >= 0 {
			v.Name = key.text[at : at+len(v.Name)]
		} else {
			v.Name = strings.Clone(v.Name)
		}
		e.vars[i] = v
	}
	for _, d := range c.diags[from:] {
		d, ok := shiftDiag(d, -s.Start, s.Range)
		if !ok {
			return
		}
		diags = append(diags, d)
	}
	e.diags = diags
	for _, l := range c.sh.later {
		e.later = append(e.later, later{l.kind, shiftRange(l.r, -s.Start)})
	}
	c.sh.cache.scripts[key] = e
}

// replay reports the cached diagnostics of the command s.
func (c *checker) replay(s *ast.String, e *cachedScript) {
	all := source.Range{Start: 0, End: s.End - s.Start}
	for _, d := range e.diags {
		d, _ := shiftDiag(d, s.Start, all)
		c.diags = append(c.diags, d)
	}
	for _, l := range e.later {
		c.judgeLater(s, later{l.kind, shiftRange(l.r, s.Start)})
	}
}

func shiftRange(r source.Range, by source.Pos) source.Range {
	return source.Range{Start: r.Start + by, End: r.End + by}
}

// shiftDiag returns d moved by by, with copies of its slices, and whether
// every range of d was within r before the move.
func shiftDiag(d diag.Diagnostic, by source.Pos, r source.Range) (diag.Diagnostic, bool) {
	ok := within(d.Range, r)
	d.Range = shiftRange(d.Range, by)
	if d.Related != nil {
		rel := make([]diag.Related, len(d.Related))
		for i, x := range d.Related {
			ok = ok && within(x.Range, r)
			rel[i] = diag.Related{Range: shiftRange(x.Range, by), Message: x.Message}
		}
		d.Related = rel
	}
	if d.Fixes != nil {
		fixes := make([]diag.Fix, len(d.Fixes))
		for i, f := range d.Fixes {
			edits := make([]diag.Edit, len(f.Edits))
			for j, e := range f.Edits {
				ok = ok && within(e.Range, r)
				edits[j] = diag.Edit{Range: shiftRange(e.Range, by), NewText: e.NewText}
			}
			fixes[i] = diag.Fix{Title: f.Title, Edits: edits}
		}
		d.Fixes = fixes
	}
	return d, ok
}

func within(x, r source.Range) bool { return r.Start <= x.Start && x.End <= r.End }
