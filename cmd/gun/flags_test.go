package main

import (
	"strings"
	"testing"
)

// -v is --verbose on every command but run, where it is --volume as in docker.
func TestVerboseFlag(t *testing.T) {
	for _, args := range [][]string{
		{"check", "-v", "testdata/examples/vim.gunfile"},
		{"check", "--verbose", "testdata/examples/vim.gunfile"},
		{"-v", "check", "testdata/examples/vim.gunfile"},
	} {
		r := gun(t, "", nil, args...)
		if r.code != 0 {
			t.Fatalf("gun %v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "level=DEBUG") || !strings.Contains(r.stderr, "vim.gunfile") {
			t.Errorf("gun %v: no debug log on stderr: %q", args, r.stderr)
		}
	}
	if r := gun(t, "", nil, "check", "testdata/examples/vim.gunfile"); r.stderr != "" {
		t.Errorf("gun check without -v logged: %q", r.stderr)
	}
	r := gun(t, "", nil, "run", "--help")
	if !strings.Contains(r.stdout, "-v, --volume") || !strings.Contains(r.stdout, "--verbose") {
		t.Errorf("gun run --help: want -v for --volume and --verbose:\n%s", r.stdout)
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	r := gun(t, "", nil, "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("gun frobnicate: exit %d, stderr %q; want 2 and the unknown command named", r.code, r.stderr)
	}
}
