package parser_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const corpus = "../../testdata/gunfiles"

// dump renders a parse result: the tree with positions, then the
// diagnostics, one per line.
func dump(f *ast.File, ds []diag.Diagnostic) string {
	var b bytes.Buffer
	if err := ast.Fprint(&b, f.Source, f); err != nil {
		panic(err)
	}
	if len(ds) > 0 {
		b.WriteString("--- diagnostics\n")
	}
	for _, d := range ds {
		s, e := f.Source.Position(d.Range.Start), f.Source.Position(d.Range.End)
		fmt.Fprintf(&b, "%d:%d-%d:%d %s %s %s\n", s.Line, s.Column, e.Line, e.Column, d.Severity, d.Code, d.Message)
	}
	return b.String()
}

// TestCorpus parses every Gunfile of the corpus and compares the tree and
// the syntax errors with NAME.ast (go test -update rewrites them).
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus, "*.gunfile"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s: %v", corpus, err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, ds := parser.Parse(name, src)
			checkRanges(t, f)
			got := dump(f, ds)
			golden := strings.TrimSuffix(name, ".gunfile") + ".ast"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
			if strings.HasPrefix(filepath.Base(name), "good-") && diag.HasErrors(ds) {
				t.Errorf("a good file has syntax errors:\n%s", got)
			}
			checkStream(t, name, src, f, ds)
		})
	}
}

// checkStream checks that Stream hands over the tree Parse makes, piece by
// piece, with the same syntax errors.
func checkStream(t *testing.T, name string, src []byte, f *ast.File, ds []diag.Diagnostic) {
	t.Helper()
	// Each piece is dumped when it comes, since its nodes are reused after.
	var instrs, comments strings.Builder
	pieces := 0
	file, sds := parser.Stream(name, src, func(piece *ast.File) {
		if pieces > 0 && (len(piece.Prelude) > 0 || len(piece.Stages) != 1) {
			t.Errorf("piece %d: %d prelude instructions and %d stages, want a stage", pieces, len(piece.Prelude), len(piece.Stages))
		}
		pieces++
		dumpPiece(t, &instrs, &comments, piece)
	})
	var wantInstrs, wantComments strings.Builder
	dumpPiece(t, &wantInstrs, &wantComments, f)
	if pieces != 1+len(f.Stages) {
		t.Errorf("%d pieces, want the prelude and %d stages", pieces, len(f.Stages))
	}
	if diff := cmp.Diff(wantInstrs.String()+wantComments.String(), instrs.String()+comments.String()); diff != "" {
		t.Errorf("Stream's pieces differ from Parse's tree (-Parse +Stream):\n%s", diff)
	}
	if diff := cmp.Diff(ds, sds); diff != "" {
		t.Errorf("Stream's diagnostics differ from Parse's (-Parse +Stream):\n%s", diff)
	}
	if file.LineCount() != f.Source.LineCount() || file.Size() != f.Source.Size() {
		t.Errorf("Stream's file has %d lines, %d bytes; Parse's %d, %d", file.LineCount(), file.Size(), f.Source.LineCount(), f.Source.Size())
	}
}

// dumpPiece writes the instructions of f, with positions, to instrs and its
// comments to comments.
func dumpPiece(t *testing.T, instrs, comments *strings.Builder, f *ast.File) {
	t.Helper()
	for _, in := range f.Prelude {
		if err := ast.Fprint(instrs, f.Source, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range f.Stages {
		if err := ast.Fprint(instrs, f.Source, st); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range f.Comments {
		p := f.Source.Position(c.Start)
		fmt.Fprintf(comments, "%d:%d %q\n", p.Line, p.Column, c.Text)
	}
}

// checkRanges fails if a node's range is not inside its parent's, children
// are out of order, or a string's references are not where its Value has
// them written.
func checkRanges(t *testing.T, f *ast.File) {
	t.Helper()
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		r := n.Span()
		if r.Start < 0 || r.End < r.Start || int(r.End) > f.Source.Size() {
			t.Fatalf("%T has invalid range %v", n, r)
		}
		if len(stack) > 0 {
			pr := stack[len(stack)-1].Span()
			if r.Start < pr.Start || r.End > pr.End {
				t.Fatalf("%T %v is outside its parent %T %v", n, r, stack[len(stack)-1], pr)
			}
		}
		if s, ok := n.(*ast.String); ok {
			at := 0
			for _, ref := range s.Refs {
				if ref.At < at || ref.At+ref.Len() > len(s.Value) || s.Value[ref.At:ref.At+ref.Len()] != ref.Written() {
					t.Fatalf("String %q: reference %s at %d out of place", s.Value, ref.Written(), ref.At)
				}
				at = ref.At + ref.Len()
			}
		}
		stack = append(stack, n)
		return true
	})
	for i := 1; i < len(f.Comments); i++ {
		if f.Comments[i].Start < f.Comments[i-1].End {
			t.Fatalf("comments out of order")
		}
	}
}

// TestExamples checks that the original's two examples mean what they
// meant: a base archive and each Exec string, run by /bin/sh -c, in order.
func TestExamples(t *testing.T) {
	tests := []struct {
		file  string
		base  string
		execs []string
	}{
		{"resolv.gunfile", "alpine-minirootfs-3.14.0-x86_64.tar.gz", []string{
			"echo 'nameserver 8.8.8.8' > /etc/resolv.conf",
		}},
		{"vim.gunfile", "alpine-minirootfs-3.14.0-x86_64.tar.gz", []string{
			"echo 'nameserver 8.8.8.8' > /etc/resolv.conf",
			"apk update",
			"apk add vim",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("../../testdata/examples", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f, ds := parser.Parse(tt.file, src)
			if len(ds) > 0 {
				t.Fatalf("diagnostics: %v", ds)
			}
			if len(f.Prelude) != 0 || len(f.Stages) != 1 {
				t.Fatalf("want one stage and no prelude, got %d stages, %d prelude", len(f.Stages), len(f.Prelude))
			}
			st := f.Stages[0]
			base, ok := st.Using.Base.(*ast.String)
			if !ok || base.Value != tt.base || st.Using.As != nil {
				t.Fatalf("base = %#v, want the string %q", st.Using.Base, tt.base)
			}
			var execs []string
			for _, in := range st.Body {
				ex, ok := in.(*ast.Exec)
				if !ok {
					t.Fatalf("want only Exec, got %T", in)
				}
				s, ok := ex.Cmd.(*ast.String)
				if !ok || s.Heredoc != "" {
					t.Fatalf("want the shell form, got %T", ex.Cmd)
				}
				execs = append(execs, s.Value)
			}
			if diff := cmp.Diff(tt.execs, execs); diff != "" {
				t.Errorf("Exec commands mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrors checks the syntax errors of broken input: every expected one,
// and no other.
func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line:col code"
	}{
		{"missing base", "Using\nExec \"x\"", []string{"1:6 G004"}},
		{"missing As name", "Using \"x\" As\n", []string{"1:13 G004"}},
		{"As in wrong case", "Using \"x\" as b", []string{"1:11 G006"}},
		{"missing command", "Using \"x\"\nExec\nMain", []string{"2:5 G004", "3:5 G004"}},
		{"command not a string", "Using \"x\"\nExec foo", []string{"2:6 G004"}},
		{"extra words", "Using \"x\"\nWorkdir \"/a\" \"/b\"", []string{"2:14 G004"}},
		{"unknown instruction", "Using \"x\"\nExce \"y\"\nRun \"z\"", []string{"2:1 G005", "3:1 G005"}},
		{"wrong case", "using \"x\"\nEXEC \"y\"", []string{"1:1 G006", "2:1 G006"}},
		{"string at line start", "Using \"x\"\n\"y\"", []string{"2:1 G004"}},
		{"unterminated string", "Using \"x\nExec \"ok\"", []string{"1:7 G001"}},
		{"bad escape", `Using "a\qb"`, []string{"1:9 G002"}},
		{"bad reference", `Using "${1}" As b`, []string{"1:8 G009"}},
		{"unclosed brace", `Using "${A" As b`, []string{"1:8 G009"}},
		{"list missing comma", "Using \"x\"\nExec [\"a\" \"b\"]", []string{"2:10 G007"}},
		{"list with word", "Using \"x\"\nExec [\"a\", b]", []string{"2:12 G007"}},
		{"list not closed", "Using \"x\"\nExec [\"a\",\nExec \"b\"", []string{"2:6 G007"}},
		{"list not closed at eof", "Using \"x\"\nExec [", []string{"2:6 G007"}},
		{"copy missing dest", "Using \"x\"\nCopy \"a\"", []string{"2:9 G004"}},
		{"copy unknown option", "Using \"x\"\nCopy Form b \"a\" \"b\"", []string{"2:6 G004"}},
		{"copy option twice", "Using \"x\"\nCopy Mode 1 Mode 2 \"a\" \"b\"", []string{"2:13 G004"}},
		{"copy option without value", "Using \"x\"\nCopy Mode", []string{"2:10 G004"}},
		{"owner needs string", "Using \"x\"\nCopy Owner root \"a\" \"b\"", []string{"2:12 G004"}},
		{"env missing value", "Using \"x\"\nEnv A", []string{"2:6 G004"}},
		{"env equals", "Using \"x\"\nEnv A=\"1\"", []string{"2:6 G003"}},
		{"heredoc unterminated", "Using \"x\"\nExec <<EOF\necho", []string{"2:6 G008"}},
		{"heredoc less indented", "Using \"x\"\nExec <<EOF\n  a\n b\n  EOF", []string{"4:1 G004"}},
		{"heredoc in list", "Using \"x\"\nExec [<<EOF\nEOF\n]", []string{"2:7 G007"}},
		{"one error per bad line", "Using \"x\"\nExec \"a\" b c d e f", []string{"2:10 G004"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ds := parser.Parse("t", []byte(tt.src))
			checkRanges(t, f)
			var got []string
			for _, d := range ds {
				p := f.Source.Position(d.Range.Start)
				got = append(got, fmt.Sprintf("%d:%d %s", p.Line, p.Column, d.Code))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%s\n%s", diff, dump(f, ds))
			}
		})
	}
}

// TestPartialTree checks that a half-typed file still has the nodes an
// editor needs.
func TestPartialTree(t *testing.T) {
	src := "Using \"base\" As b\nExec [\"a\",\nCopy From b \"x\"\nEnv PATH\nUsing b As\n"
	f, ds := parser.Parse("t", []byte(src))
	if len(ds) == 0 {
		t.Fatal("want syntax errors")
	}
	if len(f.Stages) != 2 || f.Stages[0].Name() != "b" {
		t.Fatalf("want stages b and one more, got %s", dump(f, ds))
	}
	body := f.Stages[0].Body
	if len(body) != 3 {
		t.Fatalf("want 3 instructions in stage b, got %d:\n%s", len(body), dump(f, ds))
	}
	if l, ok := body[0].(*ast.Exec).Cmd.(*ast.List); !ok || len(l.Elems) != 1 || l.Elems[0].Value != "a" {
		t.Errorf("Exec list = %#v", body[0].(*ast.Exec).Cmd)
	}
	cp := body[1].(*ast.Copy)
	if cp.From == nil || cp.From.Value.(*ast.Ident).Name != "b" || len(cp.Srcs) != 1 || cp.Dest != nil {
		t.Errorf("Copy = %+v", cp)
	}
	if env := body[2].(*ast.Env); env.Name == nil || env.Name.Name != "PATH" || env.Value != nil {
		t.Errorf("Env = %+v", env)
	}
	if u := f.Stages[1].Using; u.Base.(*ast.Ident).Name != "b" || u.As != nil {
		t.Errorf("second Using = %+v", u)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		src   string
		parts []string // Text "value" (the literal text between references) or VarRef $NAME / ${NAME}
		value string
	}{
		{`"plain"`, []string{`Text "plain"`}, "plain"},
		{`""`, []string{`Text ""`}, ""},
		{`"a\"b\\c\nd\te\$f"`, []string{"Text \"a\\\"b\\\\c\\nd\\te$f\""}, "a\"b\\c\nd\te$f"},
		{`"$A${B}c$"`, []string{`Text ""`, "VarRef $A", `Text ""`, "VarRef ${B}", `Text "c$"`}, "$A${B}c$"},
		{`"x $1 $ ${_9}"`, []string{`Text "x $1 $ "`, "VarRef ${_9}", `Text ""`}, "x $1 $ ${_9}"},
		{`"\${NOT}"`, []string{`Text "${NOT}"`}, "${NOT}"},
		{`"é😀$É"`, []string{`Text "é😀$É"`}, "é😀$É"},
		{`"\t$A\\${B}\$"`, []string{"Text \"\\t\"", "VarRef $A", "Text \"\\\\\"", "VarRef ${B}", `Text "$"`}, "\t$A\\${B}$"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			f, ds := parser.Parse("t", []byte("Using "+tt.src))
			if len(ds) > 0 {
				t.Fatalf("diagnostics: %v", ds)
			}
			s := f.Stages[0].Using.Base.(*ast.String)
			var parts []string
			for text, r := range s.Texts {
				parts = append(parts, fmt.Sprintf("Text %q", text))
				if r == nil {
					break
				}
				parts = append(parts, "VarRef "+r.Written())
				if got := f.Source.Source()[r.NameRange.Start:r.NameRange.End]; string(got) != r.Name {
					t.Errorf("NameRange covers %q, want %q", got, r.Name)
				}
				if got := s.Value[r.At : r.At+r.Len()]; got != r.Written() {
					t.Errorf("Value at %d is %q, want %q", r.At, got, r.Written())
				}
			}
			if diff := cmp.Diff(tt.parts, parts); diff != "" {
				t.Errorf("parts mismatch (-want +got):\n%s", diff)
			}
			if got := s.Value; got != tt.value {
				t.Errorf("Value() = %q, want %q", got, tt.value)
			}
		})
	}
}

func TestHeredoc(t *testing.T) {
	src := "Using \"x\"\nExec <<EOF\n    a $X\n\n      b\n    EOF\nExec <<E\r\nraw \\n\r\nE\n"
	f, ds := parser.Parse("t", []byte(src))
	if len(ds) > 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	s := f.Stages[0].Body[0].(*ast.Exec).Cmd.(*ast.String)
	if s.Heredoc != "EOF" || s.Value != "a $X\n\n  b\n" {
		t.Errorf("heredoc %q = %q", s.Heredoc, s.Value)
	}
	var refs []string
	for _, r := range s.Refs {
		refs = append(refs, r.Name)
	}
	if diff := cmp.Diff([]string{"X"}, refs); diff != "" {
		t.Errorf("refs mismatch: %s", diff)
	}
	if got := f.Stages[0].Body[1].(*ast.Exec).Cmd.(*ast.String).Value; got != "raw \\n\n" {
		t.Errorf("CRLF heredoc = %q, want %q", got, "raw \\n\n")
	}
}

// TestExpandHeredoc decodes a Copy Expand inline file: \$ and \\ are
// escapes, other backslashes and a lone $ are text, and the references are
// at their places in the decoded Value; without Expand nothing is decoded.
func TestExpandHeredoc(t *testing.T) {
	body := "  a=$A b=${B} \\$C \\\\$D \\\\\\$E \\n $ $1 \\\r\n  EOF\n"
	src := "Using \"x\"\nCopy Expand \"/f\" <<EOF\n" + body + "Copy \"/g\" <<EOF\n" + body
	f, ds := parser.Parse("t", []byte(src))
	if len(ds) > 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	for i, want := range []struct {
		value string
		refs  []string
	}{
		{"a=$A b=${B} $C \\$D \\$E \\n $ $1 \\\n", []string{"$A", "${B}", "$D"}},
		{"a=$A b=${B} \\$C \\\\$D \\\\\\$E \\n $ $1 \\\n", []string{"$A", "${B}", "$C", "$D", "$E"}},
	} {
		s := f.Stages[0].Body[i].(*ast.Copy).Content
		if s.Value != want.value {
			t.Errorf("%d: value %q, want %q", i, s.Value, want.value)
		}
		var refs []string
		for _, r := range s.Refs {
			refs = append(refs, r.Written())
			if got := s.Value[r.At : r.At+r.Len()]; got != r.Written() {
				t.Errorf("%d: %s at %d is %q in Value", i, r.Written(), r.At, got)
			}
			if got := src[r.Start:r.End]; got != r.Written() {
				t.Errorf("%d: %s's range holds %q", i, r.Written(), got)
			}
		}
		if diff := cmp.Diff(want.refs, refs); diff != "" {
			t.Errorf("%d: refs mismatch: %s", i, diff)
		}
	}
	if _, ds := parser.Parse("t", []byte("Using \"x\"\nCopy Expand \"/f\" <<EOF\n${A-b}\nEOF\n")); len(ds) != 1 || ds[0].Code != diag.BadReference {
		t.Errorf("a default form in an Expand file: %v, want one %s", ds, diag.BadReference)
	}
}

// TestBadInput feeds hostile input: each gives diagnostics or a clean
// result, never a panic or a hang.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name   string
		src    []byte
		errors bool
	}{
		{"empty", nil, false},
		{"only comments", []byte("# a\n\n   # b\n#"), false},
		{"binary garbage", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00\x01\x00\x00\x00\xff\xfe"), true},
		{"NUL bytes", bytes.Repeat([]byte{0}, 1000), true},
		{"invalid UTF-8", []byte("Using \"\xc3\x28\"\n\xa0\xa1"), true},
		{"10 MB line", []byte("Using \"x\"\nExec \"" + strings.Repeat("echo hi; ", 10<<20/9) + "\""), false},
		{"10 MB garbage line", bytes.Repeat([]byte("\xff]"), 5<<20), true},
		{"50,000 lines", []byte("Using \"x\"\n" + strings.Repeat("Exec \"x\"\n", 50000)), false},
		{"50,000 bad lines", []byte(strings.Repeat("Exce \"x\"\n", 50000)), true},
		{"deep brackets", []byte("Using \"x\"\nExec " + strings.Repeat("[", 100000)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ds := parser.Parse("t", tt.src)
			if f == nil {
				t.Fatal("nil file")
			}
			checkRanges(t, f)
			if got := diag.HasErrors(ds); got != tt.errors {
				t.Errorf("errors = %v, want %v: %v", got, tt.errors, first(ds))
			}
			if len(ds) > parser.MaxErrors+1 {
				t.Errorf("%d diagnostics, want at most %d", len(ds), parser.MaxErrors+1)
			}
			if len(ds) == parser.MaxErrors+1 && ds[len(ds)-1].Code != diag.TooManyErrors {
				t.Errorf("last of many diagnostics is %s, want %s", ds[len(ds)-1].Code, diag.TooManyErrors)
			}
		})
	}
}

func first(ds []diag.Diagnostic) []diag.Diagnostic {
	if len(ds) > 3 {
		return ds[:3]
	}
	return ds
}

func TestFileSource(t *testing.T) {
	f, _ := parser.Parse("name.gunfile", []byte("Using \"x\"\n"))
	if f.Source.Name() != "name.gunfile" || f.Source.LineCount() != 2 {
		t.Errorf("Source = %q with %d lines", f.Source.Name(), f.Source.LineCount())
	}
	if f.Range != (source.Range{Start: 0, End: 10}) {
		t.Errorf("File range = %v", f.Range)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(corpus, "*.gunfile"))
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, ds := parser.Parse("fuzz", src)
		checkRanges(t, file)
		for _, d := range ds {
			if d.Range.Start < 0 || d.Range.End < d.Range.Start || int(d.Range.End) > len(src) {
				t.Fatalf("diagnostic %s has range %v outside the source", d.Code, d.Range)
			}
			if d.Message == "" || d.Code == "" {
				t.Fatalf("diagnostic without code or message: %+v", d)
			}
		}
		checkStream(t, "fuzz", src, file, ds)
		// The checker of the pieces reports what the checker of the tree does.
		cs := check.NewStream()
		parser.Stream("fuzz", src, cs.Add)
		if diff := cmp.Diff(check.Check(file), cs.End()); diff != "" {
			t.Fatalf("check of Stream's pieces differs from Check (-Check +Stream):\n%s", diff)
		}
	})
}

func TestKeywords(t *testing.T) {
	for _, in := range spec.Instructions {
		_, ds := parser.Parse("t", []byte("Using \"x\"\n"+in.Name+"\n"))
		for _, d := range ds {
			if d.Code == diag.UnknownInstruction {
				t.Errorf("%s is in spec but the parser does not know it: %v", in.Name, d)
			}
		}
	}
}

// TestExecSuggestions checks that a misspelt word of an Exec is matched with
// what may come there: a mount, Network, or an option of the mount before
// it, not an option of another mount.
func TestExecSuggestions(t *testing.T) {
	tests := []struct{ src, want string }{
		{`Exec Cahce "/c" "make"`, "did you mean Cache?"},
		{`Exec Cache "/c" Sharng locked "make"`, "did you mean Sharing?"},
		{`Exec Bind "a" "/a" Frm b "make"`, "did you mean From?"},
		{`Exec Frob "/x" "make"`, ""},
		{`Exec Secret "s" Frm b "make"`, ""},
		{`Exec Netwrk none "make"`, "did you mean Network?"},
	}
	for _, tt := range tests {
		_, ds := parser.Parse("t", []byte("Using \"x\"\n"+tt.src))
		if len(ds) != 1 || ds[0].Code != diag.SyntaxError {
			t.Errorf("%s: %v, want one G004", tt.src, ds)
			continue
		}
		_, suggestion, _ := strings.Cut(ds[0].Message, "; ")
		if suggestion != tt.want || (tt.want == "") != (len(ds[0].Fixes) == 0) {
			t.Errorf("%s: %q (fixes %v), want the suggestion %q", tt.src, ds[0].Message, ds[0].Fixes, tt.want)
		}
	}
}

// TestDockerfileHint checks that a file that starts as a Dockerfile does is
// told about gun convert, once, at its FROM.
func TestDockerfileHint(t *testing.T) {
	_, ds := parser.Parse("Dockerfile", []byte("FROM alpine\nRUN make\n"))
	var hints []string
	for _, d := range ds {
		if strings.Contains(d.Message, "gun convert") {
			hints = append(hints, d.Message)
		}
	}
	if len(ds) != 2 || len(hints) != 1 || !strings.HasPrefix(hints[0], `unknown instruction "FROM"; gun writes this Using`) {
		t.Errorf("diagnostics %v: want the FROM's to name gun convert", ds)
	}
}
