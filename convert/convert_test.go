package convert_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/gun-tools/gun/convert"
	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/format"
	lparser "github.com/gun-tools/gun/lang/parser"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestCorpus converts every Dockerfile of testdata and compares the Gunfile
// and the diagnostics with NAME.gunfile and NAME.diag (go test -update
// rewrites them). Each Dockerfile must parse with BuildKit, and each
// Gunfile must pass gun check without errors (or G231: no inline file
// wants Expand) and be left as it is by gun fmt.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/*.Dockerfile")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := parser.Parse(bytes.NewReader(src))
			if err != nil {
				t.Fatalf("BuildKit cannot parse it: %v", err)
			}
			if _, _, err := instructions.Parse(res.AST, nil); err != nil {
				t.Fatalf("BuildKit cannot read its instructions: %v", err)
			}
			r, err := convert.Convert(filepath.Base(name), src)
			if err != nil {
				t.Fatal(err)
			}
			var ds strings.Builder
			for _, d := range r.Diagnostics {
				fmt.Fprintf(&ds, "%s: %s [%s]\n", r.File.Position(d.Range.Start), d.Message, d.Code)
			}
			base := strings.TrimSuffix(name, ".Dockerfile")
			golden(t, base+".gunfile", string(r.Gunfile))
			golden(t, base+".diag", ds.String())

			f, pds := lparser.Parse("Gunfile", r.Gunfile)
			for _, d := range append(pds, check.Check(f)...) {
				// Convert writes an inline file literal only where Docker does.
				if d.Severity == diag.Error || d.Code == diag.InlineNotExpanded {
					t.Errorf("gun check: %s: %s [%s]", f.Source.Position(d.Range.Start), d.Message, d.Code)
				}
			}
			out, err := format.Source(r.Gunfile)
			if err != nil || !bytes.Equal(out, r.Gunfile) {
				t.Errorf("gun fmt changes the Gunfile (%v):\n%s", err, out)
			}
		})
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", file, diff)
	}
}

// TestExact checks that a Dockerfile whose every construct has an exact
// equivalent converts without diagnostics.
func TestExact(t *testing.T) {
	r, err := convert.Convert("Dockerfile", []byte("FROM alpine\nENV A=1 B=\"two words\"\nRUN echo $A\nCMD [\"sh\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Diagnostics) > 0 {
		t.Errorf("diagnostics: %v", r.Diagnostics)
	}
	want := "Using \"alpine\"\nEnv A \"1\"\nEnv B \"two words\"\nExec \"echo $A\"\nMain [\"sh\"]\n"
	if string(r.Gunfile) != want {
		t.Errorf("got\n%s\nwant\n%s", r.Gunfile, want)
	}
}

// TestDocs checks that docs/diagnostics.md documents every conversion code
// and that each Dockerfile example there produces its code.
func TestDocs(t *testing.T) {
	data, err := os.ReadFile("../docs/diagnostics.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	for _, sec := range strings.Split(string(data), "\n## ")[1:] {
		head, body, _ := strings.Cut(sec, "\n")
		if _, ex, ok := strings.Cut(body, "```dockerfile\n"); ok {
			ex, _, _ = strings.Cut(ex, "```")
			sections[head] = ex
		} else {
			sections[head] = ""
		}
	}
	for _, c := range convert.Codes {
		ex, ok := sections[string(c.Code)]
		if !ok {
			t.Errorf("docs/diagnostics.md has no section for %s", c.Code)
			continue
		}
		if ex == "" {
			continue // no example: a parser warning, an empty file
		}
		r, err := convert.Convert("Dockerfile", []byte(ex))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, d := range r.Diagnostics {
			found = found || d.Code == c.Code
		}
		if !found {
			t.Errorf("the example for %s does not produce it: %v", c.Code, r.Diagnostics)
		}
	}
}

// TestErrors checks that a Dockerfile Docker would not build is an error
// that names its place, and that nothing is converted.
func TestErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"FROM alpine\nFROOM x\n", "Dockerfile:2:1: unknown instruction: FROOM"},
		{"FROM alpine\n\nRUN <<EOF\necho\n", "Dockerfile:3:1: unterminated heredoc"},
		{"FROM alpine\nCOPY --frm=a x y\n", "Dockerfile:2:1: unknown flag: --frm"},
		{"FROM alpine\nENV\n", "Dockerfile:2:1: ENV requires at least one argument"},
		{"FROM alpine\nHEALTHCHECK --interval=abc CMD x\n", `Dockerfile:2:1: time: invalid duration "abc"`},
		{"FROM alpine\nRUN --mount=type=foo,target=/x make\n", `Dockerfile:2:1: RUN flags: unsupported mount type "foo"`},
		// BuildKit fails to expand an inline file: its build fails.
		{"FROM alpine\nCOPY <<EOF /x\n${A\nEOF\n", `Dockerfile:2:1: the inline file <<EOF: unsupported modifier (\n) in substitution`},
		{"FROM alpine\nADD <<EOF /x\n${}\nEOF\n", `Dockerfile:2:1: the inline file <<EOF: syntax error: bad substitution`},
		{"", "Dockerfile: file with no instructions"},
	}
	for _, tt := range tests {
		r, err := convert.Convert("Dockerfile", []byte(tt.src))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.src, err, tt.want)
		}
		if r != nil {
			t.Errorf("%q: converted:\n%s", tt.src, r.Gunfile)
		}
	}
}

// TestCheckErrors checks that what gun check finds wrong in the Gunfile
// written is reported as D008 at the Dockerfile line it comes from.
func TestCheckErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"FROM alpine\n# ports\nEXPOSE 80 \\\n  99999\n", "3:1 (G130)"},
		{"FROM alpine\nSTOPSIGNAL FOO\n", "2:1 (G131)"},
		// Bash syntax, which the image's /bin/sh does not read.
		{"FROM alpine\nRUN diff <(ls a) <(ls b)\n", "2:1 (G302)"},
		{"FROM alpine AS a\nRUN true\nFROM alpine AS a\n", "3:1 (G103)"},
		{"FROM alpine AS a\nCOPY --from=a x y\n", "2:1 (G106)"},
		// A mount at /, which BuildKit refuses too.
		{"FROM alpine\nRUN --mount=type=cache,target=/ make\n", "2:1 (G141)"},
		{"FROM scratch\nRUN --mount=type=tmpfs,target=. make\n", "2:1 (G141)"},
	}
	for _, tt := range tests {
		r, err := convert.Convert("Dockerfile", []byte(tt.src))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range r.Diagnostics {
			p := r.File.Position(d.Range.Start)
			code, _, _ := strings.Cut(strings.TrimPrefix(d.Message, "the Gunfile written fails gun check "), ":")
			got = append(got, fmt.Sprintf("%d:%d %s %s %v", p.Line, p.Column, code, d.Code, d.Severity))
		}
		if want := []string{tt.want + " D008 error"}; !cmp.Equal(got, want) {
			t.Errorf("%q: %q, want %q", tt.src, got, want)
		}
	}
}

// TestProxyArgs: a Dockerfile whose RUNs use the proxy variables without an
// ARG converts exactly, and gun check has nothing to say of the Gunfile:
// BuildKit's predefined proxy Args are gun's too.
func TestProxyArgs(t *testing.T) {
	src, err := os.ReadFile("testdata/proxy.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	r, err := convert.Convert("proxy.Dockerfile", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Diagnostics) > 0 {
		t.Errorf("diagnostics: %v", r.Diagnostics)
	}
	f, pds := lparser.Parse("Gunfile", r.Gunfile)
	for _, d := range append(pds, check.Check(f)...) {
		t.Errorf("gun check: %s: %s [%s]", f.Source.Position(d.Range.Start), d.Message, d.Code)
	}
}

// TestInlineExpand checks that gun's Copy Expand (or a literal Copy, where
// no variable remains) makes of a converted heredoc what BuildKit makes of
// the Dockerfile's: the Dockerfile's text
// expanded by BuildKit's shell lexer as its dispatcher runs it, and the
// Gunfile's by gun's parser and String.Expand, with the same Args set.
func TestInlineExpand(t *testing.T) {
	args := map[string]string{"V": "1.2", "D": `C:\dir $V ${V}`} // a value is not expanded again
	texts := []string{
		"v=$V d=${D}\n",
		`\$V \${V} \\$V \\\$V \\\\${V} \\\\\V` + "\n",
		"a lone $, $5, $1$@$$, ${V}$ and $$V\n",
		`\n \t \a "q" 'q' $V\` + "\n",
		"continued \\\nline $V\n",
		"${V}${V}$V\\${V}\\\\\n",
		"\\ta\tb $V\n\n  indented\n",
		"${V:-x} ${V:+set} ${V%.2}\n",
		"blanks  \n   \n\n\t\n$V\n",
		"no variable, blanks kept: \\$ \n  \n",
		"", // an empty file
	}
	var env []string
	for k, v := range args {
		env = append(env, k+"="+v)
	}
	for _, text := range texts {
		docker := "FROM alpine\nARG V\nARG D\nCOPY <<EOF /f\n" + text + "EOF\n"
		lex := shell.NewLex('\\')
		lex.SkipProcessQuotes = true
		want, _, err := lex.ProcessWord(text, shell.EnvsFromSlice(env))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(text, "${V%") {
			want = strings.Replace(want, " 1\n", " 1.2\n", 1) // gun writes ${V} for ${V%.2} (D004)
		}
		r, err := convert.Convert("Dockerfile", []byte(docker))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		f, ds := lparser.Parse("Gunfile", r.Gunfile)
		if diag.HasErrors(ds) {
			t.Fatalf("%q: %v\n%s", text, ds, r.Gunfile)
		}
		var content *ast.String
		for in := range f.Instrs() {
			if c, ok := in.(*ast.Copy); ok {
				content = c.Content
			}
		}
		if content == nil {
			t.Fatalf("%q: no inline file in\n%s", text, r.Gunfile)
		}
		got, err := content.Expand(func(name string) (string, bool) { v, ok := args[name]; return v, ok })
		if err != nil || got != want {
			t.Errorf("%q: gun's file %q (%v), BuildKit's %q; the Gunfile:\n%s", text, got, err, want, r.Gunfile)
		}
	}
}
