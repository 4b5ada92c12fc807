package lexer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/source"
)

// tok is a token as the tests write it: kind, text, and "^" for NL.
type tok struct {
	Kind Kind
	Text string
	NL   bool
}

func lex(src string) ([]tok, []diag.Diagnostic) {
	var ds []diag.Diagnostic
	l := New([]byte(src), func(d diag.Diagnostic) { ds = append(ds, d) })
	var toks []tok
	for {
		t := l.Next()
		if t.Kind == EOF {
			return toks, ds
		}
		toks = append(toks, tok{t.Kind, src[t.Start:t.End], t.NL})
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []tok
	}{
		{"empty", "", nil},
		{"original example", `Using "alpine.tar.gz"` + "\n\n" + `Exec "apk add vim"`, []tok{
			{Word, "Using", true}, {String, `"alpine.tar.gz"`, false},
			{Word, "Exec", true}, {String, `"apk add vim"`, false},
		}},
		{"list", `Exec ["a", "b"]`, []tok{
			{Word, "Exec", true}, {LBrack, "[", false}, {String, `"a"`, false}, {Comma, ",", false},
			{String, `"b"`, false}, {RBrack, "]", false},
		}},
		{"comments", "# one\nUsing x # two\r\n", []tok{
			{Comment, "# one", true}, {Word, "Using", true}, {Word, "x", false}, {Comment, "# two", false},
		}},
		{"continuation", "Copy \"a\" \\\n  \"b\" \\  \r\n \"c\"\nExec", []tok{
			{Word, "Copy", true}, {String, `"a"`, false}, {String, `"b"`, false}, {String, `"c"`, false}, {Word, "Exec", true},
		}},
		{"escaped quote", `Exec "a \"b\" \\"`, []tok{{Word, "Exec", true}, {String, `"a \"b\" \\"`, false}}},
		{"words", "Copy Mode 0755 From build-1.x_y", []tok{
			{Word, "Copy", true}, {Word, "Mode", false}, {Word, "0755", false}, {Word, "From", false}, {Word, "build-1.x_y", false},
		}},
		{"heredoc", "Exec <<EOF\n  echo \"$X\"\n  EOF\nMain \"x\"", []tok{
			{Word, "Exec", true}, {Heredoc, "<<EOF\n  echo \"$X\"\n  EOF", false}, {Word, "Main", true}, {String, `"x"`, false},
		}},
		{"heredoc crlf", "Exec <<EOF\r\nx\r\nEOF\r\n", []tok{{Word, "Exec", true}, {Heredoc, "<<EOF\r\nx\r\nEOF", false}}},
		{"bom", "\xef\xbb\xbfUsing", []tok{{Word, "Using", true}}},
		{"unicode in string", `Label "k" "😀é"`, []tok{{Word, "Label", true}, {String, `"k"`, false}, {String, `"😀é"`, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds := lex(tt.src)
			if len(ds) > 0 {
				t.Errorf("unexpected diagnostics: %v", ds)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tokens mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "code text-of-range"
	}{
		{"unterminated string", "Exec \"abc\nExec \"ok\"", []string{`G001 "abc`}},
		{"unterminated at eof", `Exec "abc\"`, []string{`G001 "abc\"`}},
		{"unterminated crlf", "Exec \"abc\r\n", []string{`G001 "abc`}},
		{"illegal run", "Exec @@@ \"x\"", []string{"G003 @@@"}},
		{"nul", "Exec \x00\x00", []string{"G003 \x00\x00"}},
		{"nul in string", "Exec \"a\x00b\"", []string{"G003 \x00"}},
		{"invalid utf8", "Exec \xff\xfe", []string{"G003 \xff\xfe"}},
		{"invalid utf8 in string", "Exec \"\xc3\x28\"", []string{"G003 \xc3"}},
		{"non-ASCII outside string", "Exec é", []string{"G003 é"}},
		{"single quotes", "Exec 'a b'", []string{"G003 'a b'"}},
		{"lone single quote", "Exec it's", []string{"G003 '"}},
		{"stray backslash", `Exec \x`, []string{`G003 \`}},
		{"unterminated heredoc", "Exec <<EOF\nx\n", []string{"G008 <<EOF"}},
		{"heredoc without name", "Exec <<\n", []string{"G004 <<"}},
		{"heredoc trailing text", "Exec <<EOF junk\nEOF", []string{"G004 junk"}},
		{"nul in heredoc", "Exec <<EOF\n\x00\nEOF", []string{"G003 \x00"}},
		{"single <", "Exec <x", []string{"G003 <"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := lex(tt.src)
			var got []string
			for _, d := range ds {
				got = append(got, string(d.Code)+" "+tt.src[d.Range.Start:d.Range.End])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSingleQuoteFix(t *testing.T) {
	src := `Exec 'echo "$HOME"'`
	_, ds := lex(src)
	if len(ds) != 1 || len(ds[0].Fixes) != 1 {
		t.Fatalf("want one diagnostic with a fix, got %v", ds)
	}
	out, err := diag.ApplyFix([]byte(src), ds[0].Fixes[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := `Exec "echo \"\$HOME\""`; string(out) != want {
		t.Errorf("fixed = %s, want %s", out, want)
	}
}

func TestIsName(t *testing.T) {
	for s, want := range map[string]bool{"A": true, "_x9": true, "PATH": true, "": false, "9a": false, "a-b": false, "a.b": false} {
		if got := IsName(s); got != want {
			t.Errorf("IsName(%q) = %v, want %v", s, got, want)
		}
	}
}

// checkInvariants lexes src and fails if a token range is out of order or
// out of bounds, or the line table differs from a fresh one.
func checkInvariants(t *testing.T, src []byte) {
	t.Helper()
	l := New(src, nil)
	prev := source.Pos(0)
	for n := 0; ; n++ {
		if n > len(src)+1 {
			t.Fatalf("more tokens than bytes: the lexer does not make progress")
		}
		tk := l.Next()
		if tk.Start < prev || tk.End < tk.Start || int(tk.End) > len(src) {
			t.Fatalf("token %v %d..%d out of order or bounds (prev end %d, len %d)", tk.Kind, tk.Start, tk.End, prev, len(src))
		}
		if tk.Kind != EOF && tk.End == tk.Start {
			t.Fatalf("empty %v token at %d", tk.Kind, tk.Start)
		}
		prev = tk.End
		if tk.Kind == EOF {
			break
		}
	}
	want := source.NewFile("", src)
	got := source.NewFileLines("", src, l.Lines())
	if got.LineCount() != want.LineCount() {
		t.Fatalf("lexer saw %d lines, want %d", got.LineCount(), want.LineCount())
	}
	for i := 1; i <= want.LineCount(); i++ {
		if got.LineStart(i) != want.LineStart(i) {
			t.Fatalf("line %d starts at %d, want %d", i, got.LineStart(i), want.LineStart(i))
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := map[string][]byte{
		"binary":       []byte("\x00\x01\x02\xff\xfe\x80garbage\x7f\x1b[31m"),
		"long line":    []byte("Exec \"" + strings.Repeat("x", 10<<20) + "\""),
		"long garbage": []byte(strings.Repeat("\xff@", 1<<20)),
		"many lines":   []byte(strings.Repeat("Exec \"x\"\n", 50000)),
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) { checkInvariants(t, src) })
	}
}

func FuzzLexer(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/gunfiles/*.gunfile")
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("Exec <<EOF\n  x\n  EOF\n"))
	f.Add([]byte("Copy \"a\" \\\n \"b\""))
	f.Fuzz(func(t *testing.T, src []byte) { checkInvariants(t, src) })
}

func TestErrorLimit(t *testing.T) {
	var ds []diag.Diagnostic
	l := New([]byte(strings.Repeat("@ 'a' ", 100)), func(d diag.Diagnostic) { ds = append(ds, d) })
	l.SetErrorLimit(7)
	for l.Next().Kind != EOF {
	}
	if len(ds) != 7 || l.ErrorCount() != 200 {
		t.Errorf("reported %d of %d errors, want 7 of 200", len(ds), l.ErrorCount())
	}
}

// TestPlainPrefix checks the eight-bytes-at-a-time scan against a byte loop,
// with each byte value at each position of strings around the word size,
// alone and before a later stop byte.
func TestPlainPrefix(t *testing.T) {
	slow := func(s []byte) int {
		i := 0
		for i < len(s) && s[i] != '"' && s[i] != '\\' && s[i] != '$' && s[i] >= 0x20 && s[i] < 0x80 {
			i++
		}
		return i
	}
	for n := range 20 {
		for pos := range n {
			for c := range 256 {
				for _, later := range []int{-1, n - 1, pos + 1} {
					s := make([]byte, n)
					for i := range s {
						s[i] = "xyz09 -_!/:#"[i%12]
					}
					s[pos] = byte(c)
					if later > pos && later < n {
						s[later] = '"'
					}
					if got, want := plainPrefix(s), slow(s); got != want {
						t.Fatalf("plainPrefix(%q) = %d, want %d", s, got, want)
					}
				}
			}
		}
	}
}
