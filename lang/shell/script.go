package shell

import (
	"mvdan.cc/sh/v3/syntax"
)

// Script is what the checker needs of a parsed command text: its simple
// commands and its variables, in source order.
type Script struct {
	Cmds  []Cmd
	Vars  []Var
	Stmts int          // top-level statements (a && b is one)
	File  *syntax.File // the full syntax tree, when the text needed the full parser
	words []Word
	spans []Token // the simple scanner's quotes, comments and variables
}

// Cmd is a simple command: the program and its arguments (without the
// assignments before them).
type Cmd struct {
	Words  []Word
	Stmt   int  // the index of its top-level statement
	PipeTo bool // its output is piped into the next Cmd
	first  int  // Words is words[first:first+n] once the script is done
	n      int
}

// Word is a word of a command.
type Word struct {
	Start, End int
	Lit        string // the value, without quotes, when Literal
	Literal    bool   // made only of literal text and quotes
}

func (s *Script) reset() {
	s.Cmds, s.Vars, s.words, s.spans = s.Cmds[:0], s.Vars[:0], s.words[:0], s.spans[:0]
	s.Stmts, s.File = 0, nil
}

// finish points each Cmd at its words.
func (s *Script) finish() {
	for i := range s.Cmds {
		c := &s.Cmds[i]
		c.Words = s.words[c.first : c.first+c.n : c.first+c.n]
	}
}

// Tokens yields the tokens of the script to highlight, not necessarily in
// order.
func (s *Script) Tokens(yield func(Token)) {
	if s.File != nil {
		Tokens(s.File, yield)
		return
	}
	for _, t := range s.spans {
		yield(t)
	}
	for _, c := range s.Cmds {
		if w := c.Words[0]; w.Literal && w.End-w.Start == len(w.Lit) {
			yield(Token{Command, w.Start, w.End})
		}
	}
}

// NewScript returns the Script of a full syntax tree.
func NewScript(f *syntax.File) *Script {
	s := new(Script)
	s.fromFile(f)
	return s
}

// fromFile fills s from a full syntax tree.
func (s *Script) fromFile(f *syntax.File) {
	s.File = f
	s.Stmts = len(f.Stmts)
	for i, st := range f.Stmts {
		s.stmt(i, st)
	}
	Vars(f, func(v Var) bool {
		s.Vars = append(s.Vars, v)
		return true
	})
	s.finish()
}

// stmt adds the commands of st, of top-level statement i.
func (s *Script) stmt(i int, st *syntax.Stmt) {
	syntax.Walk(st, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.BinaryCmd:
			if n.Op != syntax.Pipe && n.Op != syntax.PipeAll {
				return true
			}
			s.stmt(i, n.X)
			if len(s.Cmds) > 0 {
				s.Cmds[len(s.Cmds)-1].PipeTo = true
			}
			s.stmt(i, n.Y)
			return false
		case *syntax.CallExpr:
			if len(n.Args) == 0 {
				return true
			}
			c := Cmd{Stmt: i, first: len(s.words), n: len(n.Args)}
			for _, w := range n.Args {
				lit, ok := Literal(w)
				s.words = append(s.words, Word{Start: off(w.Pos()), End: off(w.End()), Lit: lit, Literal: ok})
			}
			s.Cmds = append(s.Cmds, c)
		}
		return true
	})
}
