package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		{200 << 20, "200.0 MiB"}, {3 << 30, "3.0 GiB"},
	} {
		if got := size(tc.n); got != tc.want {
			t.Errorf("size(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, what: "import x.tar", start: time.Now().Add(-2 * time.Second)}
	p.update(10<<20, 40<<20)
	line := buf.String()
	for _, want := range []string{"import x.tar: 10.0 MiB / 40.0 MiB", "MiB/s", "s left"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
	// Redrawn at most every 200ms, but always at the end.
	buf.Reset()
	p.update(11<<20, 40<<20)
	if buf.Len() != 0 {
		t.Errorf("redrawn too soon: %q", buf.String())
	}
	p.update(40<<20, 40<<20)
	if !strings.Contains(buf.String(), "40.0 MiB / 40.0 MiB") || strings.Contains(buf.String(), "left") {
		t.Errorf("final line %q", buf.String())
	}
	buf.Reset()
	p.done()
	if buf.String() != "\n" {
		t.Errorf("done wrote %q", buf.String())
	}
	// Off a terminal there is no progress, and its methods do nothing.
	var none *progress
	none.update(1, 2)
	none.done()
}
