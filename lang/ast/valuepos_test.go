package ast_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/parser"
)

// TestValuePos maps every byte of every string's value in the corpus back to
// the source: the byte there is the same, or the backslash of its escape.
func TestValuePos(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/gunfiles/*.gunfile")
	extra := map[string]string{
		"escapes":  "Using \"x\"\nExec \"a\\\"b\\\\c\\$d\\ne\\tf $G ${H} \\q é\"\n",
		"heredoc":  "Using \"x\"\nExec <<EOF\n    one $X\n\n      two\r\n    three\n    EOF\n",
		"flush":    "Using \"x\"\nExec <<EOF\nif true\nEOF\n",
		"bodyless": "Using \"x\"\nExec <<EOF\nEOF\n",
		"expand":   "Using \"x\"\nArg A\nCopy Expand \"/f\" <<EOF\n    \\$a \\\\ $A \\q\\\r\n\n    \\\\\\$A\n    EOF\n",
	}
	check := func(name string, src []byte) {
		f, _ := parser.Parse(name, src)
		n := 0
		ast.Inspect(f, func(node ast.Node) bool {
			s, ok := node.(*ast.String)
			if !ok {
				return true
			}
			n++
			prev := s.Start
			var cur ast.ValueCursor
			cur.Reset(s, src)
			for i := 0; i < len(s.Value); i++ {
				p := s.ValuePos(src, i)
				if q := cur.Pos(i); q != p {
					t.Errorf("%s: %q[%d]: cursor at %d, ValuePos at %d", name, s.Value, i, q, p)
				}
				if p < prev || p >= s.End {
					t.Fatalf("%s: %q[%d] at %d, outside [%d,%d) or backwards", name, s.Value, i, p, prev, s.End)
				}
				prev = p
				got, want := src[p], s.Value[i]
				switch {
				case got == want:
				case got == '\\' && (s.Heredoc == "" || src[p+1] == want): // an escape (Copy Expand's \$ or \\)
				case want == '\n' && s.Heredoc != "" && (got == '\n' || got == '\r'):
				default:
					t.Errorf("%s: %q[%d] = %q maps to %q at %d", name, s.Value, i, want, got, p)
				}
			}
			if end := s.ValuePos(src, len(s.Value)); end < prev || end > s.End {
				t.Errorf("%s: end of %q at %d", name, s.Value, end)
			}
			return false
		})
		if n == 0 && extra[name] != "" {
			t.Errorf("%s: no strings", name)
		}
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		check(filepath.Base(name), src)
	}
	for name, src := range extra {
		check(name, []byte(src))
	}
}
