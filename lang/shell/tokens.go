package shell

import (
	"mvdan.cc/sh/v3/syntax"
)

// TokenKind classifies a token for highlighting.
type TokenKind uint8

// Token kinds.
const (
	Keyword  TokenKind = iota + 1 // if, then, for, done, ...
	Command                       // a simple command's name
	Variable                      // $NAME, ${NAME}, a definition's name
	String                        // quoted text
	Comment
)

// Token is a piece of a script to highlight; tokens do not overlap.
type Token struct {
	Kind       TokenKind
	Start, End int
}

// Tokens yields the tokens of f, not necessarily in order.
func Tokens(f *syntax.File, yield func(Token)) {
	span := func(k TokenKind, start, end syntax.Pos) {
		if start.IsValid() && end.IsValid() && end.Offset() > start.Offset() {
			yield(Token{k, off(start), off(end)})
		}
	}
	kw := func(p syntax.Pos, word string) {
		if p.IsValid() {
			yield(Token{Keyword, off(p), off(p) + len(word)})
		}
	}
	inner := map[*syntax.IfClause]bool{}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Comment:
			span(Comment, n.Pos(), n.End())
		case *syntax.IfClause:
			// An elif or else is the Else of the clause before it.
			if !inner[n] {
				kw(n.Position, "if")
			}
			if e := n.Else; e != nil {
				inner[e] = true
				if e.ThenPos.IsValid() {
					kw(e.Position, "elif")
				} else {
					kw(e.Position, "else")
				}
			}
			kw(n.ThenPos, "then")
			if n.Else == nil {
				kw(n.FiPos, "fi")
			}
		case *syntax.WhileClause:
			word := "while"
			if n.Until {
				word = "until"
			}
			kw(n.WhilePos, word)
			kw(n.DoPos, "do")
			kw(n.DonePos, "done")
		case *syntax.ForClause:
			kw(n.ForPos, "for")
			if !n.Braces {
				kw(n.DoPos, "do")
				kw(n.DonePos, "done")
			}
			if wi, ok := n.Loop.(*syntax.WordIter); ok {
				span(Variable, wi.Name.ValuePos, wi.Name.ValueEnd)
				kw(wi.InPos, "in")
			}
		case *syntax.CaseClause:
			kw(n.Case, "case")
			kw(n.In, "in")
			kw(n.Esac, "esac")
		case *syntax.CallExpr:
			if len(n.Args) > 0 {
				if _, ok := Literal(n.Args[0]); ok {
					span(Command, n.Args[0].Pos(), n.Args[0].End())
					// The rest of the command's words.
					for _, w := range n.Args[1:] {
						syntax.Walk(w, func(m syntax.Node) bool { return tokenNode(m, span) })
					}
					for _, a := range n.Assigns {
						syntax.Walk(a, func(m syntax.Node) bool { return tokenNode(m, span) })
					}
					return false
				}
			}
		}
		return tokenNode(n, span)
	})
}

// tokenNode yields the tokens of words: quotes and parameter expansions.
func tokenNode(n syntax.Node, span func(TokenKind, syntax.Pos, syntax.Pos)) bool {
	switch n := n.(type) {
	case *syntax.Assign:
		if n.Name != nil {
			span(Variable, n.Name.ValuePos, n.Name.ValueEnd)
		}
	case *syntax.SglQuoted:
		span(String, n.Pos(), n.End())
		return false
	case *syntax.DblQuoted:
		// The quotes and the literal text; what is expanded inside has its own tokens.
		if len(n.Parts) == 0 {
			span(String, n.Pos(), n.End())
			return false
		}
		span(String, n.Left, n.Parts[0].Pos())
		for _, p := range n.Parts {
			if l, ok := p.(*syntax.Lit); ok {
				span(String, l.ValuePos, l.ValueEnd)
			} else {
				syntax.Walk(p, func(m syntax.Node) bool { return tokenNode(m, span) })
			}
		}
		span(String, n.Parts[len(n.Parts)-1].End(), n.End())
		return false
	case *syntax.ParamExp:
		if n.Param != nil && (n.Short || n.Exp == nil && n.Repl == nil && n.Slice == nil && n.Index == nil && !n.Length && !n.Excl) {
			span(Variable, n.Pos(), n.End()) // $NAME or ${NAME}
			return false
		}
		if n.Param != nil {
			span(Variable, n.Param.ValuePos, n.Param.ValueEnd)
		}
	}
	return true
}
