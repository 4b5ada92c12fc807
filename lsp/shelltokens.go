package lsp

import (
	"slices"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/shell"
	"github.com/gun-tools/gun/lang/source"
)

// shellTokenTypes maps the shell's token kinds to the legend.
var shellTokenTypes = map[shell.TokenKind]int{
	shell.Keyword:  tokKeyword,
	shell.Command:  tokCommand,
	shell.Variable: tokVariable,
	shell.String:   tokString,
	shell.Comment:  tokComment,
}

// foreignScript reports whether s is a script block whose #! line names a
// program that is not a shell.
func foreignScript(s *ast.String) bool {
	if s.Heredoc == "" {
		return false
	}
	prog, _, ok := shell.Shebang(s.Value)
	_, isShell := shell.ProgramDialect(prog)
	return ok && !isShell
}

// shellHighlighter adds the tokens inside shell commands, reusing its
// parser and buffers from one command to the next.
type shellHighlighter struct {
	parser shell.Parser
	toks   []shell.Token
	cur    ast.ValueCursor
}

// add adds the tokens of the command s (an Exec or Main string): the
// quotes or the script block's delimiters as strings, and inside them what
// the shell sees. It reports false when the command does not parse; the
// caller then shows it as a string.
func (h *shellHighlighter) add(src []byte, s *ast.String, add func(source.Range, int, uint32)) bool {
	sc, err := h.parser.Parse(s.Value, shell.POSIX)
	if err != nil {
		if !err.BashOnly {
			return false
		}
		if sc, err = h.parser.Parse(s.Value, shell.Bash); err != nil {
			return false
		}
	}
	h.toks = h.toks[:0]
	sc.Tokens(func(t shell.Token) { h.toks = append(h.toks, t) })
	slices.SortFunc(h.toks, func(a, b shell.Token) int { return a.Start - b.Start })
	h.cur.Reset(s, src)
	first := h.cur.Pos(0)
	add(source.Range{Start: s.Start, End: min(first, s.Start+source.Pos(2+len(s.Heredoc)))}, tokString, 0)
	for _, t := range h.toks {
		add(source.Range{Start: h.cur.Pos(t.Start), End: h.cur.Pos(t.End)}, shellTokenTypes[t.Kind], 0)
	}
	if end := h.cur.Pos(len(s.Value)); end < s.End {
		add(source.Range{Start: end, End: s.End}, tokString, 0)
	}
	return true
}
