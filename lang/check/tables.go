package check

import "sync/atomic"

// tables are the buffers of a symbol table. The table Check builds does not
// outlive the call, so Check hands its buffers, cleared, to the next Check:
// a program that checks file after file, or one file on every keystroke,
// allocates them once. Resolve returns its table and so uses fresh buffers.
type tables struct {
	symbols    []Symbol
	ptrs       []*Symbol
	infos      []StageInfo
	stages     []*StageInfo
	envs       [][]*Symbol
	envBuf     []*Symbol
	absWorkdir []bool
	scratch    []bool
	byName     map[string]*StageInfo
}

// spareTables holds the buffers of the last Check. Unlike a sync.Pool it
// survives garbage collections, which a check of a large file sees several
// of.
var spareTables atomic.Pointer[tables]

// maxSpareSymbols caps the table kept between checks (at about 6 MB).
const maxSpareSymbols = 1 << 16

// reuse returns (*buf)[:n], zeroed, growing *buf if it is too small.
func reuse[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

// release clears the buffers (they point into the checked tree) and keeps
// them for the next Check, unless they are too large to keep.
func (t *tables) release(envBuf []*Symbol) {
	if cap(t.symbols) > maxSpareSymbols || len(t.byName) > maxSpareSymbols || cap(t.stages) > maxSpareSymbols {
		return
	}
	clear(t.symbols[:cap(t.symbols)])
	clear(t.ptrs[:cap(t.ptrs)])
	clear(t.infos[:cap(t.infos)])
	clear(t.stages[:cap(t.stages)])
	clear(t.envs[:cap(t.envs)])
	clear(t.absWorkdir[:cap(t.absWorkdir)])
	clear(t.scratch[:cap(t.scratch)])
	clear(t.byName)
	t.envBuf = envBuf[:0]
	clear(t.envBuf[:cap(t.envBuf)])
	spareTables.Store(t)
}
