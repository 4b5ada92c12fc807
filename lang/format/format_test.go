package format_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/format"
	"github.com/gun-tools/gun/lang/parser"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestCorpus formats every corpus file and compares with NAME.fmt: the
// formatted text, or for a file that does not parse, the error.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("../../testdata/gunfiles/*.gunfile")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			out, err := format.SourceFile(filepath.Base(name), src)
			got := out
			if err != nil {
				var se *format.SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("error is %T, want *format.SyntaxError", err)
				}
				if !bytes.Equal(out, src) {
					t.Error("a file with syntax errors came back changed")
				}
				got = []byte("error: " + err.Error() + "\n")
			} else {
				checkFormatted(t, src, out)
			}
			golden := strings.TrimSuffix(name, ".gunfile") + ".fmt"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// checkFormatted fails unless out, the formatting of src, formats to itself
// and parses to the same tree and comments as src.
func checkFormatted(t *testing.T, src, out []byte) {
	t.Helper()
	again, err := format.Source(out)
	if err != nil {
		t.Fatalf("formatted output does not parse: %v\n%s", err, out)
	}
	if !bytes.Equal(again, out) {
		t.Fatalf("not idempotent:\n%s", cmp.Diff(string(out), string(again)))
	}
	if a, b := tree(t, src), tree(t, out); a != b {
		t.Fatalf("formatting changed the tree:\n%s", cmp.Diff(a, b))
	}
}

// tree dumps a file's tree without positions, comments included, with
// trailing blanks of comments dropped (the formatter removes them).
func tree(t *testing.T, src []byte) string {
	t.Helper()
	f, _ := parser.Parse("", src)
	for _, c := range f.Comments {
		c.Text = strings.TrimRight(c.Text, " \t\r")
	}
	var b bytes.Buffer
	if err := ast.Fprint(&b, nil, f); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestExamplesAreFormatted(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/examples/*.gunfile")
	if len(files) != 2 {
		t.Fatalf("want the two examples, found %v", files)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := format.Source(src)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, src) {
			t.Errorf("%s is not in canonical layout:\n%s", name, cmp.Diff(string(src), string(out)))
		}
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"empty", "", ""},
		{"blank only", "\n\n  \n", ""},
		{"spaces", "  Using   \"x\"   As  a  \n", "Using \"x\" As a\n"},
		{"blank lines", "\n\nUsing \"x\"\n\n\n\nExec \"a\"\nExec \"b\"\n\n", "Using \"x\"\n\nExec \"a\"\nExec \"b\"\n"},
		{"no final newline", "Using \"x\"", "Using \"x\"\n"},
		{"crlf", "Using \"x\"\r\nExec \"y\"\r\n", "Using \"x\"\nExec \"y\"\n"},
		{"list", "Using \"x\"\nExec [ \"a\" ,\"b\",]", "Using \"x\"\nExec [\"a\", \"b\"]\n"},
		{"list broken", "Using \"x\"\nExec [\n\"a\",\n  \"b\"\n  ]", "Using \"x\"\nExec [\n    \"a\",\n    \"b\",\n]\n"},
		{"continuation", "Using \"x\"\nCopy \"a\" \\\n\"b\"", "Using \"x\"\nCopy \"a\" \\\n    \"b\"\n"},
		{"comments", "#a   \n  # b\nUsing \"x\"    #c\n\n\n#d", "#a\n# b\nUsing \"x\" #c\n\n#d\n"},
		{"copy options keep order", "Using \"x\"\nCopy  Mode 0644  From  b \"a\" \"b\"", "Using \"x\"\nCopy Mode 0644 From b \"a\" \"b\"\n"},
		{"heredoc verbatim", "Using \"x\"\n  Exec   <<EOF\n  a  \n  \tb\n  EOF\n", "Using \"x\"\nExec <<EOF\n  a  \n  \tb\n  EOF\n"},
		{"heredoc crlf", "Using \"x\"\r\nExec <<EOF \t\r\r\n  a\r\r\n\r\n  EOF\r\n", "Using \"x\"\nExec <<EOF\n  a\n\n  EOF\n"},
		{"strings verbatim", "Using \"x\"\nEnv A   \"\\t$B\\$\"", "Using \"x\"\nEnv A \"\\t$B\\$\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := format.Source([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(out)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			checkFormatted(t, []byte(tt.src), out)
		})
	}
}

func TestSyntaxErrorLeavesFileAlone(t *testing.T) {
	src := []byte("Using \"x\"\nExec \"unterminated\n")
	out, err := format.SourceFile("f.gunfile", src)
	var se *format.SyntaxError
	if !errors.As(err, &se) || !bytes.Equal(out, src) {
		t.Fatalf("got %q, %v; want the source back and a SyntaxError", out, err)
	}
	if want := "f.gunfile:2:6: string not terminated"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
}

// TestNode prints nodes from the tree alone, as a fix would.
func TestNode(t *testing.T) {
	f, ds := parser.Parse("", []byte("Using \"x\" As b\n"+
		"Env A \"tab\\there \\\"q\\\" \\\\ \\$ ${B}\"\n"+
		"Copy From b Mode 0755 \"a\" \\\n \"b\"\n"+
		"Exec [\"sh\",\n \"-c\"]\n"+
		"Main <<EOF\n  run $X\n  EOF\n"+
		"Copy Expand \"/f\" <<EOF\n  a \\$ \\\\ \\q $ ${X}\n  EOF\n"))
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	want := []string{
		`Env A "tab\there \"q\" \\ \$ ${B}"`,
		`Copy From b Mode 0755 "a" "b"`,
		`Exec ["sh", "-c"]`,
		"Main <<EOF\nrun $X\nEOF",
		"Copy Expand \"/f\" <<EOF\na \\$ \\\\ \\\\q \\$ ${X}\nEOF",
	}
	for i, in := range f.Stages[0].Body {
		var b bytes.Buffer
		if err := format.Node(&b, in); err != nil {
			t.Fatal(err)
		}
		if b.String() != want[i] {
			t.Errorf("Node(%T) = %q, want %q", in, b.String(), want[i])
		}
	}
	var b bytes.Buffer
	if err := format.Node(&b, f.Stages[0].Body[1].(*ast.Copy).Srcs[0]); err != nil || b.String() != `"a"` {
		t.Errorf("Node(string) = %q, %v", b.String(), err)
	}
}

func FuzzFormat(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/gunfiles/*.gunfile")
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		out, err := format.Source(src)
		if err != nil {
			if !bytes.Equal(out, src) {
				t.Fatal("a file with syntax errors came back changed")
			}
			return
		}
		checkFormatted(t, src, out)
	})
}
