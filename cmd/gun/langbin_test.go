package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gun-tools/gun/lsp/lsptest"
)

// langTrace has gun's constructor say which way a language command goes.
var langTrace = []string{"GUN_LANG_TRACE=1"}

// copyGun copies gun's binary alone into a new directory: a gun without
// gun-lang beside it, as `go install` makes.
func copyGun(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gun")
	copyFile(t, gunBin, bin)
	return bin
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestLangBinary checks that gun executes the gun-lang built with it for
// check, fmt and lsp, global flags before them or not, and for nothing else.
func TestLangBinary(t *testing.T) {
	lean := filepath.Join(filepath.Dir(gunBin), "gun-lang")
	want := "gun: lang trace: gun-lang: " + lean + "\n"
	for _, args := range [][]string{
		{"check", "testdata/examples/vim.gunfile"},
		{"fmt", "-l", "testdata/examples/vim.gunfile"},
		{"-v", "check", "testdata/examples/vim.gunfile"},
		{"--root", t.TempDir(), "--verbose", "check", "testdata/examples/vim.gunfile"},
		{"lsp", "--help"},
	} {
		if r := runGun(t, gunBin, "", langTrace, nil, args...); r.code != 0 || !strings.HasPrefix(r.stderr, want) {
			t.Errorf("gun %q: exit %d, stderr %q; want it to start with %q", args, r.code, r.stderr, want)
		}
	}
	for _, args := range [][]string{{"version"}, {"convert", "--help"}, {"--frobnicate", "check"}, {"help", "check"}} {
		if r := runGun(t, gunBin, "", langTrace, nil, args...); strings.Contains(r.stderr, "lang trace") {
			t.Errorf("gun %q: %q; want no gun-lang", args, r.stderr)
		}
	}

	// A language server's process is gun-lang's.
	cmd, p := startPiped(t, 0, gunBin, "lsp")
	c := lsptest.New(p)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "exe"))
	if err != nil || exe != lean {
		t.Errorf("gun lsp's executable is %q (%v), want %s", exe, err, lean)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestLangBinarySkew puts other programs named gun-lang beside a gun: none
// is executed, and gun runs the command itself, saying why with
// GUN_LANG_TRACE.
func TestLangBinarySkew(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"check", "testdata/gunfiles/bad-undefined.gunfile"}
	want := gun(t, "", nil, args...)
	for _, tc := range []struct {
		name, other, why string
	}{
		{"none", "", "no such file or directory"},
		{"a script", "#!/bin/sh\necho wrong\n", "not an ELF executable"},
		{"another build", self, "another build"},
		{"gun itself", gunBin, "another build"},
		{"this build's, cut short", "cut", "cut short"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := copyGun(t)
			lang := filepath.Join(filepath.Dir(bin), "gun-lang")
			switch {
			case tc.other == "cut":
				data, err := os.ReadFile(filepath.Join(filepath.Dir(gunBin), "gun-lang"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(lang, data[:len(data)/2], 0o755); err != nil {
					t.Fatal(err)
				}
			case strings.HasPrefix(tc.other, "#!"):
				if err := os.WriteFile(lang, []byte(tc.other), 0o755); err != nil {
					t.Fatal(err)
				}
			case tc.other != "":
				copyFile(t, tc.other, lang)
			}
			r := runGun(t, bin, "", langTrace, nil, args...)
			trace, rest, _ := strings.Cut(r.stderr, "\n")
			if wantTrace := "gun: lang trace: in gun: " + lang + ": "; !strings.HasPrefix(trace, wantTrace) || !strings.Contains(strings.ToLower(trace), strings.ToLower(tc.why)) {
				t.Errorf("trace %q, want %q and %q", trace, wantTrace, tc.why)
			}
			if r.stdout != want.stdout || rest != want.stderr || r.code != want.code {
				t.Errorf("gun %q beside %s = %+v; want gun-lang's %+v", args, tc.name, r, want)
			}
		})
	}
}

// TestLangBinarySameOutput runs language commands through gun-lang and in
// gun itself (a gun without gun-lang beside it): the same output and exit
// codes.
func TestLangBinarySameOutput(t *testing.T) {
	inGun := copyGun(t)
	corpus, err := filepath.Glob("../../testdata/gunfiles/*.gunfile")
	if err != nil || len(corpus) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for i, f := range corpus {
		corpus[i] = strings.TrimPrefix(f, "../../")
	}
	some := corpus[:min(len(corpus), 8)]
	tests := []struct {
		args  []string
		stdin string
	}{
		{append([]string{"check"}, corpus...), ""},
		{append([]string{"check", "--format", "json"}, some...), ""},
		{append([]string{"check", "--format", "sarif"}, some...), ""},
		{append([]string{"check", "--strict", "--ignore", "G201"}, some...), ""},
		{[]string{"check"}, "Using \"x\"\nExce \"y\"\n"},
		{[]string{"check", "--format", "xml"}, ""},
		{[]string{"check", "--ignore", "G999"}, ""},
		{[]string{"check", "--frobnicate"}, ""},
		{[]string{"check", "no/such.gunfile"}, ""},
		{[]string{"--root", "/nonexistent", "check", "testdata/examples/vim.gunfile"}, ""},
		{append([]string{"fmt", "-d"}, corpus...), ""},
		{append([]string{"fmt", "-l", "--check"}, corpus...), ""},
		{[]string{"fmt", "--shell", "testdata/examples/vim.gunfile"}, ""},
		{[]string{"fmt"}, "Using   \"x\"\n"},
		{[]string{"fmt", "-w"}, ""},
		{[]string{"check", "--help"}, ""},
		{[]string{"fmt", "--help"}, ""},
		{[]string{"lsp", "--help"}, ""},
		{[]string{"lsp", "--bogus"}, ""},
		{[]string{"lsp", "a"}, ""},
		{[]string{"lsp"}, ""}, // input ends without shutdown: exit 1
	}
	for _, tc := range tests {
		lean := gun(t, "", []byte(tc.stdin), tc.args...)
		in := runGun(t, inGun, "", nil, []byte(tc.stdin), tc.args...)
		if lean != in {
			t.Errorf("gun %.80q: through gun-lang %.300q, in gun %.300q", tc.args, fmt.Sprint(lean), fmt.Sprint(in))
		}
	}
}

// TestLangBinaryGoBuild builds gun as `go build` and `go install` do,
// without gun-lang's build ID: it runs the language commands itself, even
// with a gun-lang beside it.
func TestLangBinaryGoBuild(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gun")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	copyFile(t, filepath.Join(filepath.Dir(gunBin), "gun-lang"), filepath.Join(dir, "gun-lang"))
	args := []string{"check", "testdata/gunfiles/bad-undefined.gunfile"}
	want := gun(t, "", nil, args...)
	r := runGun(t, bin, "", langTrace, nil, args...)
	trace, rest, _ := strings.Cut(r.stderr, "\n")
	if trace != "gun: lang trace: in gun: built without gun-lang (go build, go install)" {
		t.Errorf("trace %q, want gun to run check itself", trace)
	}
	if r.stdout != want.stdout || rest != want.stderr || r.code != want.code {
		t.Errorf("gun %q built by go build = %+v; want %+v", args, r, want)
	}
}
