package ast

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gun-tools/gun/lang/source"
)

// Fprint writes a readable dump of the tree rooted at n, one node per line,
// indented by depth. With a non-nil file each node shows its range as
// line:col-line:col; with nil, ranges are left out, so two trees that differ
// only in layout dump the same. Tests compare dumps and keep them as golden
// files.
func Fprint(w io.Writer, file *source.File, n Node) error {
	var b strings.Builder
	depth := 0
	Inspect(n, func(n Node) bool {
		if n == nil {
			depth--
			return false
		}
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(describe(n))
		if file != nil {
			r := n.Span()
			s, e := file.Position(r.Start), file.Position(r.End)
			fmt.Fprintf(&b, " @%d:%d-%d:%d", s.Line, s.Column, e.Line, e.Column)
		}
		b.WriteByte('\n')
		depth++
		return true
	})
	if f, ok := n.(*File); ok {
		for _, c := range f.Comments {
			b.WriteString("Comment " + strconv.Quote(c.Text))
			if file != nil {
				s, e := file.Position(c.Start), file.Position(c.End)
				fmt.Fprintf(&b, " @%d:%d-%d:%d", s.Line, s.Column, e.Line, e.Column)
			}
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func describe(n Node) string {
	switch n := n.(type) {
	case *File:
		return "File"
	case *Stage:
		return "Stage " + strconv.Quote(n.Name())
	case *Option:
		return "Option " + n.Name
	case *Mount:
		return "Mount " + n.Name
	case *BadInstr:
		return "BadInstr " + strconv.Quote(n.Name)
	case Instr:
		name, _ := n.Keyword()
		return name
	case *String:
		if n.Heredoc != "" {
			return "Heredoc " + n.Heredoc + " " + strconv.Quote(n.Value)
		}
		return "String " + strconv.Quote(n.Value)
	case *VarRef:
		return "VarRef " + n.Written()
	case *List:
		return "List"
	case *Ident:
		return "Ident " + n.Name
	case *BadExpr:
		return "BadExpr"
	}
	return fmt.Sprintf("%T", n)
}
