package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/lang/diag"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestCheckCorpus runs gun check on every corpus file and compares its text
// output with NAME.check (go test -update rewrites them).
func TestCheckCorpus(t *testing.T) {
	files, err := filepath.Glob("../../testdata/gunfiles/*.gunfile")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, path := range files {
		base := filepath.Base(path)
		t.Run(base, func(t *testing.T) {
			r := gun(t, "", nil, "check", "testdata/gunfiles/"+base)
			wantCode := 0
			if strings.HasPrefix(base, "bad-") && !strings.HasPrefix(base, "bad-warnings") {
				wantCode = 1
			}
			if r.code != wantCode {
				t.Errorf("exit code %d, want %d; stderr: %s", r.code, wantCode, r.stderr)
			}
			golden := strings.TrimSuffix(path, ".gunfile") + ".check"
			if *update {
				if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), r.stdout); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestCorpusCodes checks that every diagnostic code has a golden file of
// the corpus that shows it.
func TestCorpusCodes(t *testing.T) {
	goldens, err := filepath.Glob("../../testdata/gunfiles/*.check")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	var all []byte
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, data...)
	}
	for _, c := range diag.Codes {
		if !bytes.Contains(all, []byte("["+string(c.Code)+"]")) {
			t.Errorf("no golden file of testdata/gunfiles shows %s (%s)", c.Code, c.Title)
		}
	}
}

func TestQuickStart(t *testing.T) {
	// Infos are advice: the examples may have some, but nothing worse.
	r := gun(t, "", nil, "check", "--strict", "testdata/examples/resolv.gunfile", "testdata/examples/vim.gunfile")
	if r.code != 0 || strings.Contains(r.stdout, ": error: ") || strings.Contains(r.stdout, ": warning: ") || r.stderr != "" {
		t.Errorf("gun check examples: %+v", r)
	}
	r = gun(t, "", nil, "fmt", "-d", "testdata/examples/resolv.gunfile", "testdata/examples/vim.gunfile")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("gun fmt -d examples: %+v", r)
	}
}

func TestCheckExitCodes(t *testing.T) {
	runCases(t, []cliCase{
		{"clean stdin", []string{"check"}, "Using \"x\"\n", 0, "", ""},
		{"error on stdin", []string{"check"}, "Using \"x\"\nExce \"y\"\n", 1, "<stdin>:2:1: error: unknown instruction \"Exce\"; did you mean Exec? [G005]", ""},
		{"warning passes", []string{"check"}, "Using \"x\"\nArg A\n", 0, "warning: Arg A is never used [G201]", ""},
		{"strict fails on warning", []string{"check", "--strict"}, "Using \"x\"\nArg A\n", 1, "[G201]", ""},
		{"unknown format", []string{"check", "--format", "xml"}, "", 2, "", "unknown --format \"xml\""},
		{"unknown flag", []string{"check", "--frobnicate"}, "", 2, "", "unknown flag"},
		{"missing file", []string{"check", "no/such.gunfile"}, "", 1, "", "no/such.gunfile"},
		{"empty file", []string{"check"}, "", 0, "", ""},
		{"ignore", []string{"check", "--strict", "--ignore", "G201,G312"}, "Using \"x\"\nArg A\nExec \"sudo a\"\n", 0, "", ""},
		{"ignore unknown code", []string{"check", "--ignore", "G999"}, "", 2, "", `--ignore: unknown code "G999"`},
	})
}

// TestCheckConfig turns codes off with the project's .gun-check.yaml.
func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	src := []byte("Using \"x\"\nExec \"sudo a\"\nExec \"cd /b\"\n")
	if err := os.WriteFile(filepath.Join(dir, ".gun-check.yaml"), []byte("ignore: [G312]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := gun(t, dir, src, "check")
	if r.code != 0 || strings.Contains(r.stdout, "G312") || !strings.Contains(r.stdout, "G311") {
		t.Errorf("with ignore: [G312]: %+v", r)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gun-check.yaml"), []byte("ignroe: [G312]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := gun(t, dir, src, "check"); r.code != 2 || !strings.Contains(r.stderr, ".gun-check.yaml") {
		t.Errorf("with a misspelled key: %+v", r)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gun-check.yaml"), []byte("ignore:\n  - G312\n  - G3l1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := gun(t, dir, src, "check"); r.code != 2 || !strings.Contains(r.stderr, `.gun-check.yaml:3:5: unknown code "G3l1"`) {
		t.Errorf("with an unknown code: %+v", r)
	}
}

func TestFmt(t *testing.T) {
	messy := "Using   \"x\"\n\n\n# c\nExec  \"y\"   # t\n"
	clean := "Using \"x\"\n\n# c\nExec \"y\" # t\n"
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o640); err != nil {
			t.Fatal(err)
		}
		return name
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	if r := gun(t, dir, []byte(messy), "fmt"); r.code != 0 || r.stdout != clean {
		t.Errorf("fmt from stdin = %+v, want %q", r, clean)
	}
	// Script blocks are kept as written, unless --shell.
	script := "Using \"x\"\nExec <<EOF\n    a   &&   b\n    EOF\n"
	if r := gun(t, dir, []byte(script), "fmt"); r.code != 0 || r.stdout != script {
		t.Errorf("fmt of a script block = %+v", r)
	}
	if r := gun(t, dir, []byte(script), "fmt", "--shell"); r.code != 0 || r.stdout != strings.Replace(script, "a   &&   b", "a && b", 1) {
		t.Errorf("fmt --shell = %+v", r)
	}
	write("a.gunfile", messy)
	write("b.gunfile", clean)
	if r := gun(t, dir, nil, "fmt", "-l", "a.gunfile", "b.gunfile"); r.code != 0 || r.stdout != "a.gunfile\n" {
		t.Errorf("fmt -l = %+v", r)
	}
	if r := gun(t, dir, nil, "fmt", "--check", "a.gunfile", "b.gunfile"); r.code != 1 || !strings.Contains(r.stderr, "a.gunfile is not formatted") {
		t.Errorf("fmt --check = %+v", r)
	}
	if r := gun(t, dir, nil, "fmt", "--check", "b.gunfile"); r.code != 0 || r.stdout+r.stderr != "" {
		t.Errorf("fmt --check on a formatted file = %+v", r)
	}
	r := gun(t, dir, nil, "fmt", "-d", "a.gunfile")
	if r.code != 0 || !strings.Contains(r.stdout, "--- a.gunfile.orig\n+++ a.gunfile\n") || !strings.Contains(r.stdout, "-Exec  \"y\"   # t\n+Exec \"y\" # t\n") {
		t.Errorf("fmt -d = %+v", r)
	}
	if r := gun(t, dir, nil, "fmt", "-w", "a.gunfile"); r.code != 0 || r.stdout != "" || read("a.gunfile") != clean {
		t.Errorf("fmt -w = %+v, file now %q", r, read("a.gunfile"))
	}
	if info, err := os.Stat(filepath.Join(dir, "a.gunfile")); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("fmt -w changed the mode: %v %v", info.Mode(), err)
	}

	// A file with syntax errors is reported and left alone.
	broken := "Using \"x\nExec \"y\"\n"
	write("broken.gunfile", broken)
	r = gun(t, dir, nil, "fmt", "-w", "broken.gunfile")
	if r.code != 1 || !strings.Contains(r.stderr, "broken.gunfile:1:7: string not terminated") || read("broken.gunfile") != broken {
		t.Errorf("fmt -w on a broken file = %+v", r)
	}

	// Directories are searched for Gunfiles.
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("sub/Gunfile", messy)
	write("sub/notes.txt", messy)
	if r := gun(t, dir, nil, "fmt", "-l", "sub"); r.code != 0 || r.stdout != "sub/Gunfile\n" {
		t.Errorf("fmt -l DIR = %+v", r)
	}

	if r := gun(t, dir, nil, "fmt", "-w"); r.code != 2 {
		t.Errorf("fmt -w without a file: code %d, want 2", r.code)
	}
	if r := gun(t, dir, nil, "fmt", "missing.gunfile"); r.code != 1 || !strings.Contains(r.stderr, "missing.gunfile") {
		t.Errorf("fmt of a missing file = %+v", r)
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"fmt", "check"} {
		if r := gun(t, "", nil, cmd, "--help"); r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("gun %s --help = %+v", cmd, r)
		}
	}
}

// TestCheckBadInput feeds hostile files to gun check: each gets a clear
// diagnostic with a bounded excerpt, never a crash or a flood.
func TestCheckBadInput(t *testing.T) {
	tests := []struct {
		name string
		src  string
		code int
	}{
		{"10 MB line", "Using \"x\"\nExec \"" + strings.Repeat("é", 5<<20) + "\n", 1},
		{"binary", "\x7fELF\x02\x01\x01\x00\x00\x00\x1b[2J\xff\xfe", 1},
		{"50,000 lines", "Using \"x\"\n" + strings.Repeat("Exec \"true\"\n", 50000), 0},
		{"only comments", "# a\n# b\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gun(t, t.TempDir(), []byte(tt.src), "check")
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d: %.500s", r.code, tt.code, r.stdout+r.stderr)
			}
			if len(r.stdout) > 20000 {
				t.Errorf("output is %d bytes", len(r.stdout))
			}
			if strings.ContainsAny(r.stdout, "\x00\x1b") {
				t.Error("output contains control characters from the input")
			}
		})
	}
}
