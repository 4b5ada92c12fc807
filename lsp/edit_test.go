package lsp

import (
	"os"
	"path/filepath"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/gun-tools/gun/lang/format"
)

func TestWhitespaceEdits(t *testing.T) {
	tests := []struct {
		src, out string
		n        int // edits
		ok       bool
	}{
		{"a  b\n", "a b\n", 1, true},
		{"a\n\n\n\nb", "a\n\nb\n", 2, true},
		{"a  \n  b\n", "a\nb\n", 2, true}, // one edit per line of the run
		{`Exec"x"`, `Exec "x"`, 1, true},
		{"a b", "a c", 0, false},
		{"a b", "a b c", 0, false},
		{"", "\n", 1, true},
	}
	for _, tt := range tests {
		edits, ok := whitespaceEdits(tt.src, tt.out)
		if ok != tt.ok || ok && len(edits) != tt.n {
			t.Errorf("whitespaceEdits(%q, %q) = %v, %v", tt.src, tt.out, edits, ok)
			continue
		}
		if ok {
			if got, err := udiff.Apply(tt.src, edits); err != nil || got != tt.out {
				t.Errorf("applying %v to %q = %q, %v", edits, tt.src, got, err)
			}
		}
	}
}

// FuzzFormatEdits checks that the formatting edits turn any Gunfile into
// exactly gun fmt's output.
func FuzzFormatEdits(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/examples/*.gunfile")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("Using   \"a.tar\"  As b\n\n\n# c\nExec [\n\"a\",\n  \"b\"]\nMain\t\"x\"   # y  \n")
	f.Fuzz(func(t *testing.T, src string) {
		out, err := format.Source([]byte(src))
		if err != nil {
			return
		}
		snap := &snapshot{uri: "file:///Gunfile", version: 1, m: NewMapper(src)}
		edits, err := formatEdits(snap)
		if err != nil {
			t.Fatal(err)
		}
		got, err := udiff.Apply(src, edits)
		if err != nil {
			t.Fatalf("apply: %v", err)
		}
		if got != string(out) {
			t.Fatalf("edits give %q, gun fmt gives %q", got, out)
		}
	})
}
