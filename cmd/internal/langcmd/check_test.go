package langcmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/source"
)

// result is what one command line did.
type result struct {
	stdout, stderr string
	code           int
}

// gun runs the language commands' command line args in this process, in
// dir, with stdin, as gun-lang runs it.
func gun(t *testing.T, dir string, stdin []byte, args ...string) result {
	t.Helper()
	t.Chdir(dir)
	var verbose bool
	var root string
	cmd := NewRoot(&verbose, &root)
	cmd.AddCommand(NewCheckCmd(), NewFmtCmd(), NewLspCmd())
	Finish(cmd, &verbose)
	var out, errb bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(bytes.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	code, msg := Outcome(cmd.Execute())
	if msg != "" {
		errb.WriteString("gun: " + msg + "\n")
	}
	return result{out.String(), errb.String(), code}
}

func TestCheckJSON(t *testing.T) {
	src := "using \"é\" As a\nUsing \"x\" As a\n"
	r := gun(t, t.TempDir(), []byte(src), "check", "--format", "json")
	if r.code != 1 {
		t.Fatalf("exit code %d: %s", r.code, r.stderr)
	}
	var got []jsonDiag
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	want := []jsonDiag{
		{
			File: "<stdin>", Severity: "error", Code: "G006", Message: `keyword "using" must be written "Using"`,
			Range: jsonRange{Start: jsonPos{0, 1, 1, 1}, End: jsonPos{5, 1, 6, 6}},
			Fixes: []jsonFix{{Title: `change "using" to "Using"`, Edits: []jsonEdit{{Range: jsonRange{Start: jsonPos{0, 1, 1, 1}, End: jsonPos{5, 1, 6, 6}}, NewText: "Using"}}}},
		},
		{
			File: "<stdin>", Severity: "error", Code: "G103", Message: `duplicate stage name "a"`,
			Range:   jsonRange{Start: jsonPos{29, 2, 14, 14}, End: jsonPos{30, 2, 15, 15}},
			Related: []jsonRelated{{Range: jsonRange{Start: jsonPos{14, 1, 15, 14}, End: jsonPos{15, 1, 16, 15}}, Message: `stage "a" first defined here`}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON mismatch (-want +got):\n%s", diff)
	}
	// No diagnostics is an empty array, not null.
	if r := gun(t, t.TempDir(), []byte("Using \"x\""), "check", "--format", "json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("clean JSON output = %q, want []", r.stdout)
	}
}

func TestCheckSARIF(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Gunfile"), []byte("Using \"x\"\nLabel \"😀\" \"$NOPE\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := gun(t, dir, nil, "check", "--format", "sarif", "Gunfile")
	if r.code != 1 {
		t.Fatalf("exit code %d: %s", r.code, r.stderr)
	}
	var log sarifLog
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("version %q, %d runs", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "gun" || len(run.Tool.Driver.Rules) != len(diag.Codes) || run.ColumnKind != "utf16CodeUnits" {
		t.Errorf("driver %q with %d rules, columnKind %q", run.Tool.Driver.Name, len(run.Tool.Driver.Rules), run.ColumnKind)
	}
	if len(run.Results) != 1 {
		t.Fatalf("want 1 result, got %+v", run.Results)
	}
	res := run.Results[0]
	if res.RuleID != "G102" || res.Level != "error" || run.Tool.Driver.Rules[res.RuleIndex].ID != "G102" {
		t.Errorf("result %+v", res)
	}
	loc := res.Locations[0].PhysicalLocation
	// "😀" is two UTF-16 units: $NOPE starts at UTF-16 column 13 (byte column 15).
	want := sarifRegion{StartLine: 2, StartColumn: 13, EndLine: 2, EndColumn: 18}
	if loc.ArtifactLocation.URI != "Gunfile" || loc.Region != want {
		t.Errorf("location %+v, want Gunfile %+v", loc, want)
	}
}

func TestWriteDiagnostic(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name string
		src  string
		d    diag.Diagnostic
		want string
	}{
		{
			"tabs keep the caret aligned",
			"Using \"x\"\n\tExec\t\"$Y\"\n",
			diag.Diagnostic{Severity: diag.Error, Code: "G102", Message: "undefined", Range: source.Range{Start: 17, End: 19}},
			"f:2:8: error: undefined [G102]\n    \tExec\t\"$Y\"\n    \t    \t ^^\n",
		},
		{
			"wide characters count once",
			"Label \"é😀\" \"$Y\"\n",
			diag.Diagnostic{Severity: diag.Warning, Code: "G201", Message: "m", Range: source.Range{Start: 6, End: 14},
				Related: []diag.Related{{Range: source.Range{Start: 0, End: 5}, Message: "here"}},
				Fixes:   []diag.Fix{{Title: "do it"}}},
			"f:1:7: warning: m [G201]\n    Label \"é😀\" \"$Y\"\n          ^^^^\nf:1:1: note: here\n    fix: do it\n",
		},
		{
			"long lines are cut around the range",
			"Exec \"" + long + "$Y" + long + "\"\n",
			diag.Diagnostic{Severity: diag.Error, Code: "G102", Message: "m", Range: source.Range{Start: 306, End: 308}},
			"f:1:307: error: m [G102]\n    ..." + strings.Repeat("x", 40) + "$Y" + strings.Repeat("x", 78) + "...\n       " + strings.Repeat(" ", 40) + "^^\n",
		},
		{
			"multi-line ranges underline to the end of the first line",
			"Exec <<EOF\nx\n",
			diag.Diagnostic{Severity: diag.Error, Code: "G008", Message: "m", Range: source.Range{Start: 5, End: 13}},
			"f:1:6: error: m [G008]\n    Exec <<EOF\n         ^^^^^\n",
		},
		{
			"empty range at the end of a line",
			"Exec\n",
			diag.Diagnostic{Severity: diag.Error, Code: "G004", Message: "m", Range: source.Range{Start: 4, End: 4}},
			"f:1:5: error: m [G004]\n    Exec\n        ^\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteDiagnostic(&b, source.NewFile("f", []byte(tt.src)), tt.d); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckFileCutShort reads a mapped Gunfile after the file was cut
// short, as a file truncated while gun check reads it: an error, not a
// crash.
func TestCheckFileCutShort(t *testing.T) {
	name := filepath.Join(t.TempDir(), "Gunfile")
	if err := os.WriteFile(name, []byte("Using \"x\"\n"+strings.Repeat("Exec \"true\"\n", 10000)), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := readSource(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(name, 0); err != nil {
		t.Fatal(err)
	}
	err = guardFaults(func() error {
		checkSource(name, src, nil)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Fatalf("checking a file cut short: %v, want an error saying it changed", err)
	}
}
