package parser

import "github.com/gun-tools/gun/lang/ast"

// slab hands out pointers into chunks of T: one allocation per chunk
// instead of one per node. Chunks grow from small (an editor reparses small
// files on every keystroke) to large.
type slab[T any] struct {
	buf  []T
	next int // size of the next chunk
}

func (s *slab[T]) new() *T {
	if len(s.buf) == 0 {
		s.next = min(max(8, 2*s.next), 512)
		s.buf = make([]T, s.next)
	}
	p := &s.buf[0]
	s.buf = s.buf[1:]
	return p
}

// nodes are the parser's allocators for the most frequent nodes.
type nodes struct {
	strings slab[ast.String]
	texts   slab[ast.Text]
	idents  slab[ast.Ident]
	refs    slab[ast.VarRef]
	execs   slab[ast.Exec]
	parts   []ast.Part // backing store for one-part strings
}

// onePart returns a slice holding only part, with no room to grow in place.
func (n *nodes) onePart(part ast.Part) []ast.Part {
	if len(n.parts) == 0 {
		n.parts = make([]ast.Part, 256)
	}
	s := n.parts[:1:1]
	n.parts = n.parts[1:]
	s[0] = part
	return s
}
