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

// plain is a string without escapes or references: the String, its one
// Text and its Parts slice in one allocation.
type plain struct {
	s     ast.String
	t     ast.Text
	parts [1]ast.Part
}

// nodes are the parser's allocators for the most frequent nodes.
type nodes struct {
	plains  slab[plain]
	strings slab[ast.String]
	texts   slab[ast.Text]
	idents  slab[ast.Ident]
	refs    slab[ast.VarRef]
	execs   slab[ast.Exec]
	copies  slab[ast.Copy]
	options slab[ast.Option]
	envs    slab[ast.Env]
	args    slab[ast.Arg]
	lists   slab[ast.List]
}
