package cmdline

import (
	"strings"
	"testing"
)

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		args string
		want string
		i    int
	}{
		{"check a", "check", 0},
		{"-v check", "check", 1},
		{"--verbose check", "check", 1},
		{"--verbose=false fmt", "fmt", 1},
		{"--root /s -v lsp", "lsp", 3},
		{"--root=/s check", "check", 1},
		{"--root check", "", -1}, // check is --root's value
		{"--root", "", -1},
		{"", "", -1},
		{"-x check", "", -1},
		{"--frobnicate check", "", -1},
		{"--help", "", -1},
		{"-- check", "", -1},
		{"-vv check", "", -1},
		{"run -v a check", "run", 0},
	} {
		got, i := Command(strings.Fields(tc.args))
		if got != tc.want || i != tc.i {
			t.Errorf("Command(%q) = %q, %d; want %q, %d", tc.args, got, i, tc.want, tc.i)
		}
	}
}
