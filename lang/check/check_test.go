package check_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/source"
)

// run parses and checks src and returns the checker's diagnostics as
// "line:col code" strings. Syntax errors fail the test.
func run(t *testing.T, src string) ([]string, []diag.Diagnostic, *ast.File) {
	t.Helper()
	f, syn := parser.Parse("t", []byte(src))
	if diag.HasErrors(syn) {
		t.Fatalf("syntax errors: %v", syn)
	}
	ds := check.Check(f)
	sameStream(t, "t", []byte(src), ds)
	// Resolve, the editor's, keeps the references too: the same findings.
	if _, rds := check.Resolve(f); !cmp.Equal(ds, rds, cmpopts.EquateEmpty()) {
		t.Errorf("Resolve's diagnostics differ from Check's (-Check +Resolve):\n%s", cmp.Diff(ds, rds, cmpopts.EquateEmpty()))
	}
	var got []string
	for _, d := range ds {
		p := f.Source.Position(d.Range.Start)
		got = append(got, fmt.Sprintf("%d:%d %s", p.Line, p.Column, d.Code))
	}
	return got, ds, f
}

// sameStream checks that a check of the pieces of parser.Stream reports
// what Check of the whole tree reported, ds.
func sameStream(t *testing.T, name string, src []byte, ds []diag.Diagnostic) {
	t.Helper()
	st := check.NewStream()
	parser.Stream(name, src, st.Add)
	if diff := cmp.Diff(ds, st.End()); diff != "" {
		t.Errorf("a Stream's diagnostics differ from Check's (-Check +Stream):\n%s", diff)
	}
}

// TestStreamCorpus checks the corpus piece by piece as a whole.
func TestStreamCorpus(t *testing.T) {
	files, err := filepath.Glob("../../testdata/gunfiles/*.gunfile")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := parser.Parse(name, src)
		t.Run(filepath.Base(name), func(t *testing.T) { sameStream(t, name, src, check.Check(f)) })
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"clean", "Arg V \"1\"\nUsing \"b-$V\" As a\nEnv X \"$V\"\nWorkdir \"/w\"\nExec \"echo $X\"\nUsing a\nCopy From a \"/x\" \"/y\"\nMain \"x && y\"", nil},
		{"before using", "Exec \"a\"\nEnv A \"b\"\nUsing \"x\"", []string{"1:1 G101"}},
		{"arg before using is fine", "Arg A \"1\"\nUsing \"$A\"", nil},
		{"undefined in expanded string", "Using \"x\"\nWorkdir \"/$NOPE\"", []string{"2:11 G102"}},
		{"undefined in using base", "Using \"x\"\nArg A \"1\"\nUsing \"$A\"", []string{"2:5 G201", "3:8 G102"}},
		{"undefined in command is the shell's", "Using \"x\"\nExec \"echo $HOME ${PATH}\"\nMain [\"$X\"]", nil},
		{"use before definition", "Using \"x\"\nEnv A \"$B\"\nEnv B \"1\"", []string{"2:8 G102"}},
		{"env is inherited by based stages", "Using \"x\" As a\nEnv A \"1\"\nUsing a\nLabel \"k\" \"$A\"", nil},
		{"env is not inherited by other stages", "Using \"x\" As a\nEnv A \"1\"\nUsing \"y\"\nLabel \"k\" \"$A\"", []string{"4:12 G102"}},
		{"arg is not inherited", "Using \"x\" As a\nArg A \"1\"\nExec \"$A\"\nUsing a\nLabel \"k\" \"$A\"", []string{"5:12 G102"}},
		{"predefined in a global arg's default", "Arg P \"${TARGETPLATFORM}\"\nUsing \"x-$P\"", nil},
		{"predefined not declared in a stage", "Using \"x\"\nArg P \"${TARGETPLATFORM}\"\nLabel \"p\" \"$P\"", []string{"2:8 G102"}},
		{"global arg everywhere", "Arg A \"1\"\nUsing \"x\"\nLabel \"k\" \"$A\"", nil},
		{"duplicate stage", "Using \"x\" As a\nUsing \"y\" As a", []string{"2:14 G103"}},
		{"undefined stage", "Using \"x\" As a\nUsing b", []string{"2:7 G104"}},
		{"undefined copy from", "Using \"x\"\nCopy From b \"a\" \"b\"", []string{"2:11 G104"}},
		{"later stage", "Using b\nUsing \"x\" As b", []string{"1:7 G105"}},
		{"self", "Using \"x\" As a\nCopy From a \"/a\" \"/b\"", []string{"2:11 G106"}},
		{"scratch is not a stage", "Using scratch", nil},
		{"copy from image string", "Using \"x\"\nCopy From \"busybox\" \"/bin/sh\" \"/sh\"", nil},
		{"copy outside", "Using \"x\"\nCopy \"..\" \"../a\" \"a/../../b\" \"a/../b\" \"/d\"", []string{"2:6 G107", "2:11 G107", "2:18 G107"}},
		{"copy absolute", "Using \"x\"\nCopy \"/etc\" \"/d\"", []string{"2:6 G108"}},
		{"copy absolute from stage is fine", "Using \"x\" As a\nUsing \"y\"\nCopy From a \"/etc\" \"/d\"", nil},
		{"copy with reference is not judged", "Arg D \"..\"\nUsing \"x\"\nCopy \"$D/x\" \"/d\"", nil},
		{"empty exec", "Using \"x\"\nExec \"  \"\nExec []\nExec [\"\"]\nMain \"\"\nExec <<E\n\nE", []string{"2:6 G109", "3:6 G109", "4:7 G109", "5:6 G109", "6:6 G109"}},
		{"empty main and entrypoint lists clear the base's", "Using \"x\"\nEntrypoint []\nMain []\nShell []", []string{"4:7 G109"}},
		{"exec of only a reference is not empty", "Using \"x\"\nExec \"$CMD\"", []string{"2:8 G303"}},
		{"invalid names", "Using \"x\"\nEnv a-b \"1\"\nArg 9 \"1\"\nExec \"$9\"", []string{"2:5 G110", "3:5 G110"}},
		{"an exec has the args before it in its environment", "Using \"x\"\nArg DEBIAN_FRONTEND \"noninteractive\"\nArg TARGETPLATFORM\nExec \"apt-get install -y --no-install-recommends vim\"\nArg LATE\nArg V \"1\"\nLabel \"v\" \"$V\"", []string{"5:5 G201"}},
		{"invalid stage names", "Using \"x\" As 1a\nUsing \"x\" As scratch", []string{"1:14 G111", "2:14 G111"}},
		{"modes", "Using \"x\"\nCopy Mode 0755 \"a\" \"b\"\nCopy Mode 8 \"a\" \"b\"", []string{"3:11 G112"}},
		{"mode too big", "Using \"x\"\nCopy Mode 17777 \"a\" \"b\"", []string{"2:11 G112"}},
		{"mode string", "Using \"x\"\nCopy Mode \"644\" \"a\" \"b\"", nil},
		{"empty values", "Using \"x\"\nWorkdir \"\"\nUser \"\"\nCopy Owner \"\" \"\" \"\"\nLabel \"\" \"v\"", []string{"2:9 G113", "3:6 G113", "4:12 G113", "4:15 G113", "4:18 G113", "5:7 G113"}},
		{"unused arg", "Arg G\nUsing \"x\"\nArg L \"1\"", []string{"1:5 G201", "3:5 G201"}},
		{"global arg taken by a stage's", "Arg G \"1\"\nUsing \"x\"\nArg G\nExec \"echo $G\"", nil},
		{"global arg shadowed by a stage default", "Arg G \"1\"\nUsing \"x\"\nArg G \"2\"\nExec \"echo $G\"", []string{"1:5 G201"}},
		{"arg used by a command", "Using \"x\"\nArg L \"1\"\nExec \"make L=$L\"", nil},
		{"arg used by a script", "Using \"x\"\nArg L \"1\"\nExec <<EOF\necho ${L}\nEOF", nil},
		{"relative workdir", "Using \"x\"\nWorkdir \"a\"\nWorkdir \"/b\"\nWorkdir \"c\"", []string{"2:9 G202"}},
		{"relative workdir after inherited absolute", "Using \"x\" As a\nWorkdir \"/b\"\nUsing a\nWorkdir \"c\"", nil},
		{"workdir from a reference", "Using \"x\"\nEnv H \"/h\"\nWorkdir \"$H/c\"", nil},
		{"registry base tagged latest", "Using \"debian:latest\"\nUsing \"quay.io/org/app\"\nUsing \"debian:12\"", []string{"1:7 G204", "2:7 G204"}},
		{"arg in main", "Using \"x\"\nArg A \"1\"\nEnv E \"$A\"\nMain \"echo $A $E\"", []string{"4:13 G318"}},
		{"build-step rules not at run time", "Using \"x\"\nExec \"wget -q https://example.org/x\"\nHealthcheck \"cd /srv && curl -f http://localhost/\"\nEntrypoint \"cd /srv && sudo ./app\"\nExec \"cd /srv && sudo make\"", []string{"5:7 G311", "5:18 G312"}},
		{"arg in entrypoint and healthcheck", "Using \"x\"\nArg A \"1\"\nEntrypoint \"echo $A\"\nHealthcheck \"test $A\"\nExec \"echo $A\"", []string{"3:19 G318", "4:20 G318"}},
		{"main twice", "Using \"x\"\nMain \"a\"\nMain [\"b\"]\nUsing \"y\"\nMain \"c\"", []string{"2:6 G317", "3:1 G203", "5:6 G317"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds, _ := run(t, tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%s\n%v", diff, ds)
			}
			for _, d := range ds {
				info := codeInfo(d.Code)
				if info == nil || info.Severity != d.Severity {
					t.Errorf("%s has severity %v, its table entry %v", d.Code, d.Severity, info)
				}
			}
		})
	}
}

func codeInfo(c diag.Code) *diag.CodeInfo {
	for i := range diag.Codes {
		if diag.Codes[i].Code == c {
			return &diag.Codes[i]
		}
	}
	return nil
}

func TestRelated(t *testing.T) {
	_, ds, f := run(t, "Using \"x\" As a\nMain \"1\"\nUsing \"y\" As a\nCopy From b \"p\" \"q\"\nUsing \"z\" As b")
	want := map[diag.Code]string{
		diag.DuplicateStage: "1:14 stage \"a\" first defined here",
		diag.LaterStage:     "5:14 stage \"b\" defined here",
	}
	for _, d := range ds {
		w, ok := want[d.Code]
		if !ok {
			continue
		}
		delete(want, d.Code)
		if len(d.Related) != 1 {
			t.Errorf("%s: want one related location, got %v", d.Code, d.Related)
			continue
		}
		p := f.Source.Position(d.Related[0].Range.Start)
		if got := fmt.Sprintf("%d:%d %s", p.Line, p.Column, d.Related[0].Message); got != w {
			t.Errorf("%s related = %q, want %q", d.Code, got, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing diagnostics: %v", want)
	}
}

// TestFixes applies each suggested fix and checks that the diagnostic is
// gone.
func TestFixes(t *testing.T) {
	tests := []struct {
		src, fixed string
	}{
		{"Using \"x\" As build\nUsing bulid", "Using \"x\" As build\nUsing build"},
		{"Using \"x\"\nEnv NAME \"1\"\nEnv A \"$NAEM\"", "Using \"x\"\nEnv NAME \"1\"\nEnv A \"$NAME\""},
		{"Using \"x\"\nExec \"x\"\nArg UNUSED\n", "Using \"x\"\nExec \"x\"\n"},
		{"Using \"x\"\nExec \"x\" # gun:ignore g312", "Using \"x\"\nExec \"x\" # gun:ignore G312"},
		{"Using \"x\"\nEnv V \"1\"\nCopy Mode 0644 \"/f\" <<EOF\n    v=$V\n    EOF\n", "Using \"x\"\nEnv V \"1\"\nCopy Expand Mode 0644 \"/f\" <<EOF\n    v=$V\n    EOF\n"},
	}
	for _, tt := range tests {
		_, ds, _ := run(t, tt.src)
		if len(ds) != 1 || len(ds[0].Fixes) == 0 {
			t.Fatalf("%q: want one diagnostic with a fix, got %v", tt.src, ds)
		}
		out, err := diag.ApplyFix([]byte(tt.src), ds[0].Fixes[0])
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tt.fixed {
			t.Errorf("fixed %q = %q, want %q", tt.src, out, tt.fixed)
		}
		if got, _, _ := run(t, string(out)); len(got) != 0 {
			t.Errorf("after the fix: %v", got)
		}
	}
}

func TestSymbols(t *testing.T) {
	src := `Arg V "1"
Using "base-$V" As build
Env PATH "/bin"
Env PATH "/usr/bin:$PATH"
Exec "echo $PATH $V $UNKNOWN"
Using build
Copy From build "/a" "/b"
Label "path" "$PATH"
`
	_, ds, f := run(t, src)
	if len(ds) != 1 || ds[0].Code != diag.UnsetShellVariable {
		t.Fatalf("diagnostics: %v", ds)
	}
	info, _ := check.Resolve(f)
	at := func(line, col int) source.Pos { return f.Source.Offset(line, col) }
	describe := func(s *check.Symbol) string {
		var refs []string
		for _, r := range s.Refs {
			p := f.Source.Position(r.Range.Start)
			refs = append(refs, fmt.Sprintf("%d:%d/%v", p.Line, p.Column, r.Expanded))
		}
		p := f.Source.Position(s.NameRange.Start)
		return fmt.Sprintf("%s %s @%d:%d stage %d refs [%s]", s.Kind, s.Name, p.Line, p.Column, s.Stage, strings.Join(refs, " "))
	}
	tests := []struct {
		line, col int
		want      string
	}{
		{1, 5, "Arg V @1:5 stage -1 refs [2:14/true 5:19/false]"},
		{5, 19, "Arg V @1:5 stage -1 refs [2:14/true 5:19/false]"},
		{2, 20, "stage build @2:20 stage 0 refs [6:7/true 7:11/true]"},
		{7, 13, "stage build @2:20 stage 0 refs [6:7/true 7:11/true]"},
		{3, 5, "Env PATH @3:5 stage 0 refs [4:21/true]"},
		{5, 13, "Env PATH @4:5 stage 0 refs [5:13/false 8:16/true]"},
		{8, 16, "Env PATH @4:5 stage 0 refs [5:13/false 8:16/true]"},
	}
	for _, tt := range tests {
		s, _, ok := info.SymbolAt(at(tt.line, tt.col))
		if !ok {
			t.Errorf("no symbol at %d:%d", tt.line, tt.col)
			continue
		}
		if got := describe(s); got != tt.want {
			t.Errorf("symbol at %d:%d = %q, want %q", tt.line, tt.col, got, tt.want)
		}
	}
	if _, _, ok := info.SymbolAt(at(5, 25)); ok {
		t.Error("$UNKNOWN resolves to a symbol")
	}
	if st := info.Stages[1]; st.Base == nil || st.Base.Name != "build" || len(info.Inherited(1)) != 1 {
		t.Errorf("stage 1 = base %v, inherited %d", st.Base, len(info.Inherited(1)))
	}
	var names []string
	for _, s := range info.Visible(at(8, 1)) {
		names = append(names, s.Kind.String()+" "+s.Name)
	}
	if diff := cmp.Diff([]string{"Env PATH", "Arg V"}, names); diff != "" {
		t.Errorf("Visible mismatch (-want +got):\n%s", diff)
	}
	// Lookup works from the tree's nodes too.
	lbl := f.Stages[1].Body[1].(*ast.Label)
	ref := lbl.Value.Refs[0]
	if s := info.Lookup(ref); s == nil || s.Def != f.Stages[0].Body[1] {
		t.Errorf("Lookup($PATH) = %v, want the second Env", s)
	}
}

// TestCorpus checks that the corpus's good files are clean, each bad file
// has an error, and Check reports what Resolve does.
func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/gunfiles/*.gunfile")
	examples, _ := filepath.Glob("../../testdata/examples/*.gunfile")
	for _, name := range append(files, examples...) {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, ds := parser.Parse(name, src)
		checked := check.Check(f)
		// Check only counts references where Resolve records them: the
		// diagnostics must not differ.
		if _, resolved := check.Resolve(f); !cmp.Equal(checked, resolved) {
			t.Errorf("%s: Check and Resolve disagree (-Check +Resolve):\n%s", name, cmp.Diff(checked, resolved))
		}
		ds = append(ds, checked...)
		base := filepath.Base(name)
		switch {
		case strings.HasPrefix(base, "bad-warnings"):
			if diag.HasErrors(ds) || len(ds) == 0 {
				t.Errorf("%s: want only warnings, got %v", base, ds)
			}
		case strings.HasPrefix(base, "bad-"):
			if !diag.HasErrors(ds) {
				t.Errorf("%s: no error", base)
			}
		default:
			// Good files may have infos.
			for _, d := range ds {
				if d.Severity != diag.Info {
					t.Errorf("%s: %v", base, d)
				}
			}
		}
	}
}

// TestLongChain checks a long chain of stages, each based on the previous one
// and adding an Env: resolution stays linear in memory (copying each stage's
// Envs into the next would need gigabytes here).
func TestLongChain(t *testing.T) {
	var b strings.Builder
	b.WriteString("Using \"base\" As s0\n")
	const n = 20000
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "Using s%d As s%d\nEnv V%d \"$V%d\"\n", i-1, i, i, max(i-1, 1))
	}
	f, syn := parser.Parse("chain", []byte(b.String()))
	if len(syn) > 0 {
		t.Fatal(syn[0])
	}
	info, ds := check.Resolve(f)
	// Only V1's self-reference is undefined.
	if len(ds) != 1 || ds[0].Code != diag.UndefinedVariable {
		t.Fatalf("want one G102, got %d diagnostics, first %v", len(ds), ds[0])
	}
	if got := len(info.Inherited(n)); got != n-1 {
		t.Errorf("stage %d inherits %d Envs, want %d", n, got, n-1)
	}
}

func TestIgnore(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"line before", "Using \"x\"\n# gun:ignore G312\nExec \"sudo make\"\nExec \"sudo make\"", []string{"4:7 G312"}},
		{"same line", "Using \"x\"\nExec \"sudo make\" # gun:ignore G311, G312\nExec \"sudo make\"", []string{"3:7 G312"}},
		{"other code", "Using \"x\"\n# gun:ignore G311\nExec \"sudo make\"", []string{"3:7 G312"}},
		{"whole script block", "Using \"x\"\n# gun:ignore G316,G312\nExec <<EOF\n    sudo a\n    b\n    EOF", nil},
		{"shell comment", "Using \"x\"\nExec <<EOF\n    set -e\n    # gun:ignore G312\n    sudo a\n    sudo b\n    EOF", []string{"6:5 G312"}},
		// gun check reads a stage at a time: a comment before a Using is
		// read with the stage before it, and covers the Using.
		// An ignore that turns nothing off is reported where it says so.
		{"unknown code", "Using \"x\"\n# gun:ignore G999\nExec \"sudo make\"", []string{"2:14 G205", "3:7 G312"}},
		{"not a code", "Using \"x\"\nExec \"sudo a\" # gun:ignore g312 G311", []string{"2:7 G312", "2:28 G205"}},
		{"no code", "Using \"x\"\n#gun:ignore\nExec \"sudo b\"\n# gun:ignore because\nExec \"sudo c\"", []string{"2:2 G205", "3:7 G312", "4:3 G205", "5:7 G312"}},
		{"prose after the codes", "Using \"x\"\n# gun:ignore G312 as it must be root\nExec \"sudo d\"\n# see gun:ignore in the docs\nExec \"x\"", nil},
		{"unknown code in a script", "Using \"x\"\nExec <<EOF\n    set -e\n    # gun:ignore G999, G312\n    sudo a\n    EOF", []string{"4:18 G205"}},
		{"before a Using", "Arg V \"1\"\n# gun:ignore G204\nUsing \"debian:latest\" As a\nExec \"sudo a\" # gun:ignore G312\n# gun:ignore G204\nUsing \"quay.io/x/y\"\nUsing \"debian:latest\" # gun:ignore G204", []string{"1:5 G201"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ds, _ := run(t, tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%s\n%v", diff, ds)
			}
		})
	}
}

// TestShellFixes applies the fix of each shell rule that has one and checks
// that its diagnostic is gone and nothing new came.
func TestShellFixes(t *testing.T) {
	tests := []struct {
		code       diag.Code
		src, fixed string
	}{
		{diag.UnsetShellVariable, "Using \"x\"\nArg VERSION \"1\"\nExec \"echo \\\"$VERSON\\\"\"", "Using \"x\"\nArg VERSION \"1\"\nExec \"echo \\\"$VERSION\\\"\""},
		{diag.UnsetShellVariable, "Using \"x\"\nEnv HOMEDIR \"/h\"\nExec <<EOF\n  set -e\n  ls \"$HOMEDRI\"\n  cd /\n  EOF", "Using \"x\"\nEnv HOMEDIR \"/h\"\nExec <<EOF\n  set -e\n  ls \"$HOMEDIR\"\n  cd /\n  EOF"},
		{diag.AptNoYes, "Using \"x\"\nExec \"apt-get install --no-install-recommends a\"", "Using \"x\"\nExec \"apt-get install -y --no-install-recommends a\""},
		{diag.AptRecommends, "Using \"x\"\nExec \"apt-get install -y a\"", "Using \"x\"\nExec \"apt-get install --no-install-recommends -y a\""},
		{diag.AptListsKept, "Using \"x\"\nExec \"apt-get update && apt-get -y install --no-install-recommends a\"", "Using \"x\"\nExec \"apt-get update && apt-get -y install --no-install-recommends a && rm -rf /var/lib/apt/lists/*\""},
		{diag.AptListsKept, "Using \"x\"\nExec <<EOF\n    set -e\n    apt-get update\n    apt-get -y install --no-install-recommends a\n    EOF", "Using \"x\"\nExec <<EOF\n    set -e\n    apt-get update\n    apt-get -y install --no-install-recommends a\n    rm -rf /var/lib/apt/lists/*\n    EOF"},
		{diag.ApkCache, "Using \"x\"\nExec \"apk add a=1\"", "Using \"x\"\nExec \"apk add --no-cache a=1\""},
		{diag.UseraddLargeUID, "Using \"x\"\nExec \"useradd -u 1000000 a\"", "Using \"x\"\nExec \"useradd -l -u 1000000 a\""},
		{diag.NoSetE, "Using \"x\"\nExec <<EOF\n\tmake\n\tmake install\n\tEOF", "Using \"x\"\nExec <<EOF\n\tset -e\n\tmake\n\tmake install\n\tEOF"},
		{diag.MainStringForm, "Using \"x\"\nMain \"app --port 80 'a b'\"", "Using \"x\"\nMain [\"app\", \"--port\", \"80\", \"a b\"]"},
		{diag.RpmNoYes, "Using \"x\"\nExec \"dnf install a-1 && dnf clean all\"", "Using \"x\"\nExec \"dnf install -y a-1 && dnf clean all\""},
		{diag.RpmNoYes, "Using \"x\"\nExec \"zypper in a=1 && zypper cc\"", "Using \"x\"\nExec \"zypper in -y a=1 && zypper cc\""},
		{diag.RpmCacheKept, "Using \"x\"\nExec \"yum install -y a-1\"", "Using \"x\"\nExec \"yum install -y a-1 && yum clean all\""},
		{diag.RpmCacheKept, "Using \"x\"\nExec <<EOF\n    set -e\n    zypper -n install a=1\n    EOF", "Using \"x\"\nExec <<EOF\n    set -e\n    zypper -n install a=1\n    zypper clean --all\n    EOF"},
		{diag.PipCache, "Using \"x\"\nExec \"python3 -m pip install a==1\"", "Using \"x\"\nExec \"python3 -m pip install --no-cache-dir a==1\""},
	}
	for _, tt := range tests {
		_, ds, _ := run(t, tt.src)
		var fix *diag.Fix
		for _, d := range ds {
			if d.Code == tt.code && len(d.Fixes) > 0 {
				fix = &d.Fixes[0]
			}
		}
		if fix == nil {
			t.Errorf("%s: no %s with a fix in %v", tt.src, tt.code, ds)
			continue
		}
		out, err := diag.ApplyFix([]byte(tt.src), *fix)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tt.fixed {
			t.Errorf("%s fixed:\n%q\nwant\n%q", tt.code, out, tt.fixed)
		}
		got, _, _ := run(t, string(out))
		for _, g := range got {
			if strings.HasSuffix(g, string(tt.code)) {
				t.Errorf("%s: after the fix: %v", tt.code, got)
			}
		}
		if len(got) >= len(ds) {
			t.Errorf("%s: %d diagnostics before the fix, %v after", tt.code, len(ds), got)
		}
	}
}
