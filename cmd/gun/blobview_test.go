package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

func TestBlobView(t *testing.T) {
	var out bytes.Buffer
	v := newBlobView(&out)
	a, b := digest.FromString("a"), digest.FromString("b")
	v.update(a, 1<<20, 4<<20)
	v.update(b, 10, 10)
	v.draw()
	v.update(a, 4<<20, 4<<20)
	v.Close()
	v.Close()
	s := out.String()
	for _, want := range []string{
		a.Encoded()[:12] + "  1.0 MiB / 4.0 MiB",
		"\033[2A", // the second drawing overwrites the first
		a.Encoded()[:12] + "  4.0 MiB / 4.0 MiB",
		b.Encoded()[:12] + "  10 B / 10 B",
		"done",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the view lacks %q:\n%q", want, s)
		}
	}
}
