package parser

import (
	"unsafe"

	"github.com/gun-tools/gun/lang/ast"
)

// slab hands out pointers into chunks of T: one allocation per chunk
// instead of one per node. Chunks grow from small (an editor reparses small
// files on every keystroke) to large. The chunk is not resliced per node but
// indexed: moving a slice pointer in the (heap) parser would cost a write
// barrier per node while the garbage collector is marking. The chunks are
// kept, so that rewind can hand them out again (Stream reuses the nodes of a
// stage for the next).
type slab[T any] struct {
	buf    []T
	n      int // buf[:n] is handed out
	chunks [][]T
	ci     int // buf is chunks[ci]
}

// maxChunk caps a chunk's size in bytes: up to 32 KB an allocation comes
// from the allocator's size classes, beyond it each is a span of its own,
// slower to allocate, clear and free.
const maxChunk = 32 << 10

func (s *slab[T]) new() *T {
	if s.n == len(s.buf) {
		s.grow()
	}
	p := &s.buf[s.n]
	s.n++
	return p
}

// grow moves on to the next chunk: one kept from before a rewind, or a new one.
func (s *slab[T]) grow() {
	s.n = 0
	if s.ci+1 < len(s.chunks) {
		s.ci++
		s.buf = s.chunks[s.ci]
		return
	}
	s.buf = make([]T, max(8, min(2*len(s.buf), maxChunk/int(unsafe.Sizeof(*new(T))))))
	s.chunks = append(s.chunks, s.buf)
	s.ci = len(s.chunks) - 1
}

// rewind zeroes every node handed out and hands them out again.
func (s *slab[T]) rewind() {
	if len(s.chunks) == 0 {
		return
	}
	for _, c := range s.chunks[:s.ci] {
		clear(c)
	}
	clear(s.buf[:s.n])
	s.ci, s.buf, s.n = 0, s.chunks[0], 0
}

// nodes are the parser's allocators for the most frequent nodes.
type nodes struct {
	strings  slab[ast.String]
	idents   slab[ast.Ident]
	varRefs  slab[ast.VarRef]
	execs    slab[ast.Exec]
	copies   slab[ast.Copy]
	options  slab[ast.Option]
	envs     slab[ast.Env]
	args     slab[ast.Arg]
	lists    slab[ast.List]
	usings   slab[ast.Using]
	mains    slab[ast.Main]
	workdirs slab[ast.Workdir]
	users    slab[ast.User]
	labels   slab[ast.Label]
	stages   slab[ast.Stage]
	comments slab[ast.Comment]
	body     bodies
	refs     pile[*ast.VarRef]
	elems    pile[*ast.String]
}

// rewind makes every node handed out free for reuse, zeroed.
func (n *nodes) rewind() {
	n.strings.rewind()
	n.idents.rewind()
	n.varRefs.rewind()
	n.execs.rewind()
	n.copies.rewind()
	n.options.rewind()
	n.envs.rewind()
	n.args.rewind()
	n.lists.rewind()
	n.usings.rewind()
	n.mains.rewind()
	n.workdirs.rewind()
	n.users.rewind()
	n.labels.rewind()
	n.stages.rewind()
	n.comments.rewind()
	n.body.rewind()
	n.refs.rewind()
	n.elems.rewind()
}

// scratch holds buffers reused from one string to the next.
type scratch struct {
	buf []byte // a value being decoded
}

// bodies hands out the Body slices of stages from shared chunks: a stage's
// instructions are appended to the current chunk and cut off, capacity and
// all, when the stage ends.
type bodies struct {
	buf   []ast.Instr // the chunk; buf[start:] is the open stage's body
	start int
}

// add appends in to the open stage's body.
func (b *bodies) add(in ast.Instr) {
	if len(b.buf) == cap(b.buf) {
		// Move the open body to a new chunk, with room to grow.
		open := b.buf[b.start:]
		b.buf = append(make([]ast.Instr, 0, max(min(2*cap(b.buf), 1024), 64, 2*len(open))), open...)
		b.start = 0
	}
	b.buf = append(b.buf, in)
}

// rewind empties the chunk for reuse; no body may be open.
func (b *bodies) rewind() {
	clear(b.buf)
	b.buf, b.start = b.buf[:0], 0
}

// cut returns the open stage's body, never nil, and opens the next one.
func (b *bodies) cut() []ast.Instr {
	if b.buf == nil {
		b.buf = make([]ast.Instr, 0, 64)
	}
	body := b.buf[b.start:len(b.buf):len(b.buf)]
	b.start = len(b.buf)
	return body
}

// pile hands out slices copied into shared chunks: one allocation per chunk
// instead of one per slice. Each slice's capacity is its length, so an append
// to it copies rather than overwrite its neighbour. The chunks are kept for
// rewind, as a slab's.
type pile[T any] struct {
	buf    []T
	next   int // size of the next chunk
	chunks [][]T
	ci     int // buf is in chunks[ci]
}

// room makes sure the chunk has room for n more elements.
func (p *pile[T]) room(n int) {
	if cap(p.buf)-len(p.buf) >= n {
		return
	}
	for p.ci+1 < len(p.chunks) {
		p.ci++
		if c := p.chunks[p.ci]; cap(c) >= n {
			p.buf = c[:0]
			return
		}
	}
	p.next = min(max(16, 2*p.next), 1024)
	p.buf = make([]T, 0, max(p.next, n))
	p.chunks = append(p.chunks, p.buf)
	p.ci = len(p.chunks) - 1
}

// copy returns a copy of xs carved from the chunk; it is empty but not nil
// when xs is empty.
func (p *pile[T]) copy(xs []T) []T {
	n := len(xs)
	if n == 0 {
		return []T{}
	}
	p.room(n)
	start := len(p.buf)
	p.buf = append(p.buf, xs...)
	return p.buf[start : start+n : start+n]
}

// reserve returns an empty slice with room for n elements at the end of the
// chunk, to be appended to and handed to commit before the pile is used
// again. Appending more than n is allowed: commit then copies.
func (p *pile[T]) reserve(n int) []T {
	p.room(n)
	return p.buf[len(p.buf):len(p.buf)]
}

// commit takes the slice filled after reserve into the chunk; the room it
// did not use goes back. It returns the slice with its capacity cut to its
// length.
func (p *pile[T]) commit(xs []T) []T {
	if len(xs) > 0 && (cap(p.buf) == len(p.buf) || &xs[0] != &p.buf[len(p.buf):cap(p.buf)][0]) {
		return p.copy(xs) // outgrew the room reserved: not in the chunk
	}
	n := len(p.buf) + len(xs)
	p.buf = p.buf[:n]
	return p.buf[n-len(xs) : n : n]
}

// rewind makes the chunks free for reuse.
func (p *pile[T]) rewind() {
	if len(p.chunks) == 0 {
		return
	}
	for _, c := range p.chunks[:p.ci+1] {
		clear(c[:cap(c)])
	}
	p.ci, p.buf = 0, p.chunks[0][:0]
}
