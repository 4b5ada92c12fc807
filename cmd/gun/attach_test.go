package main

import (
	"strings"
	"testing"
)

func TestDetachKeys(t *testing.T) {
	for _, tc := range []struct {
		keys string
		want string
	}{
		{"ctrl-p,ctrl-q", "\x10\x11"},
		{"ctrl-a", "\x01"},
		{"ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", "\x00\x1b\x1c\x1d\x1e\x1f"},
		{"x,Y,ctrl-Z", "xY\x1a"},
	} {
		e, err := parseDetachKeys(tc.keys)
		if err != nil || string(e.keys) != tc.want {
			t.Errorf("parseDetachKeys(%q) = %q, %v; want %q", tc.keys, e.keys, err, tc.want)
		}
	}
	for _, bad := range []string{"", "ctrl-", "ctrl-1", "ctrl-pq", "ab", "ctrl-p,,ctrl-q"} {
		if _, err := parseDetachKeys(bad); err == nil || !strings.Contains(err.Error(), "--detach-keys") {
			t.Errorf("parseDetachKeys(%q): %v, want an error", bad, err)
		}
	}
}

// TestEscaper: the input is passed on but the detach keys; a part of them
// is held until what follows shows whether they come.
func TestEscaper(t *testing.T) {
	for _, tc := range []struct {
		in     []string // reads
		out    string
		detach bool
	}{
		{[]string{"hello\n"}, "hello\n", false},
		{[]string{"ab\x10\x11cd"}, "ab", true},
		{[]string{"ab\x10", "\x11"}, "ab", true},
		{[]string{"a\x10b"}, "a\x10b", false},
		{[]string{"a\x10", "b"}, "a\x10b", false},
		{[]string{"\x10\x10\x11"}, "\x10", true},
		{[]string{"\x11\x10"}, "\x11", false}, // the \x10 is held
	} {
		e, _ := parseDetachKeys("ctrl-p,ctrl-q")
		var out []byte
		detach := false
		for _, in := range tc.in {
			o, d := e.scan([]byte(in))
			out = append(out, o...)
			if detach = d; d {
				break
			}
		}
		if string(out) != tc.out || detach != tc.detach {
			t.Errorf("%q: %q, detach %v; want %q, %v", tc.in, out, detach, tc.out, tc.detach)
		}
	}
}
