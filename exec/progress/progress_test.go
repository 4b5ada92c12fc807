package progress

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock               { return &clock{time.Unix(1000, 0)} }
func lines(s string) []string        { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }
func stepf(p *Progress, n int) *Step { return p.Step("", n, 3, fmt.Sprintf("Exec \"step %d\"", n)) }

func TestPlain(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	p := newProgress(&out, Plain, 80, c.now, 0)
	s1 := p.Step("build", 1, 2, "Using \"base.tar\"")
	s1.Cached()
	s2 := p.Step("build", 2, 2, "Exec <<EOF\nmake\nEOF")
	s2.Running()
	fmt.Fprint(s2, "compiling\x1b[31m red\x1b[0m\nhalf")
	fmt.Fprint(s2, " line\n10%\r50%\r100%\nno newline")
	c.add(1500 * time.Millisecond)
	s2.Done(nil)
	s3 := p.Step("", 1, 1, "Exec \"false\"")
	s3.Running()
	s3.Done(errors.New("exit 1"))
	p.Close()
	want := []string{
		`#1 [build 1/2] Using "base.tar"`,
		`#1 CACHED`,
		`#2 [build 2/2] Exec <<EOF⏎make⏎EOF`,
		`#2 compiling red`,
		`#2 half line`,
		`#2 100%`,
		`#2 no newline`,
		`#2 DONE 1.5s`,
		`#3 [1/1] Exec "false"`,
		`#3 ERROR 0.0s`,
	}
	if diff := cmp.Diff(want, lines(out.String())); diff != "" {
		t.Errorf("plain output (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"compiling red", "half line", "100%", "no newline"}, s2.Tail()); diff != "" {
		t.Errorf("tail (-want +got):\n%s", diff)
	}
}

func TestTailKeepsLastLines(t *testing.T) {
	p := newProgress(&bytes.Buffer{}, Quiet, 80, time.Now, 0)
	s := p.Step("", 1, 1, "Exec")
	for i := 1; i <= 25; i++ {
		fmt.Fprintf(s, "line %d\n", i)
	}
	fmt.Fprint(s, "partial")
	tail := s.Tail()
	if len(tail) != TailLines || tail[0] != "line 17" || tail[TailLines-1] != "partial" {
		t.Fatalf("tail = %q", tail)
	}
}

func TestQuietWritesNothing(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, Quiet, 80, time.Now, 0)
	s := p.Step("", 1, 1, "Exec")
	s.Running()
	fmt.Fprintln(s, "hello")
	s.Done(errors.New("x"))
	p.Close()
	if out.Len() != 0 {
		t.Fatalf("quiet wrote %q", out.String())
	}
}

// screen applies the cursor-up and erase-below sequences the live view
// uses, giving what a terminal would show.
func screen(out string) []string {
	var rows []string
	for len(out) > 0 {
		var n int
		if _, err := fmt.Sscanf(out, "\x1b[%dA\x1b[J", &n); err == nil && strings.HasPrefix(out, "\x1b[") {
			i := strings.Index(out, "\x1b[J")
			out = out[i+3:]
			rows = rows[:len(rows)-n]
			continue
		}
		i := strings.IndexByte(out, '\n')
		row := out[:i]
		row = strings.ReplaceAll(strings.ReplaceAll(row, "\x1b[2m", ""), "\x1b[0m", "")
		rows = append(rows, strings.TrimRight(row, " "))
		out = out[i+1:]
	}
	return rows
}

func TestTTYLiveView(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	p := newProgress(&out, TTY, 40, c.now, 0)
	draw := func() []string {
		p.mu.Lock()
		p.redraw()
		p.mu.Unlock()
		return screen(out.String())
	}
	s1, s2, s3 := stepf(p, 1), stepf(p, 2), stepf(p, 3)
	s1.Cached()
	s2.Running()
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(s2, "out %d\n", i)
	}
	c.add(2 * time.Second)
	want := []string{
		` => [1/3] Exec "step 1"          CACHED`,
		`[+] Building 2.0s (1/3)`,
		` => [2/3] Exec "step 2"            2.0s`,
		`    out 3`, `    out 4`, `    out 5`, `    out 6`, `    out 7`, `    out 8`,
	}
	if diff := cmp.Diff(want, draw()); diff != "" {
		t.Errorf("live view (-want +got):\n%s", diff)
	}
	s2.Done(nil)
	s3.Running()
	fmt.Fprint(s3, "a very long line of output that does not fit in forty columns\n")
	c.add(time.Second)
	s3.Done(errors.New("exit 2"))
	p.Close()
	want = []string{
		` => [1/3] Exec "step 1"          CACHED`,
		` => [2/3] Exec "step 2"            2.0s`,
		` => ERROR [3/3] Exec "step 3"      1.0s`,
		`    a very long line of output that do…`,
	}
	if diff := cmp.Diff(want, screen(out.String())); diff != "" {
		t.Errorf("final view (-want +got):\n%s", diff)
	}
	for _, r := range screen(out.String()) {
		if n := len([]rune(r)); n > 39 {
			t.Errorf("row %q is %d columns, wider than the terminal", r, n)
		}
	}
}

func TestParseMode(t *testing.T) {
	for s, want := range map[string]Mode{"auto": Auto, "tty": TTY, "plain": Plain, "quiet": Quiet} {
		if m, err := ParseMode(s); err != nil || m != want {
			t.Errorf("ParseMode(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseMode("fancy"); err == nil {
		t.Error("ParseMode accepted fancy")
	}
}

func TestAutoOnPipeIsPlain(t *testing.T) {
	if m := New(&bytes.Buffer{}, Auto).Mode(); m != Plain {
		t.Fatalf("auto on a buffer = %v, want Plain", m)
	}
}

func TestTTYLiveRegionFitsTheTerminal(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, TTY, 40, newClock().now, 0)
	p.height = 5
	for i := 1; i <= 3; i++ {
		s := p.Step("", i, 3, "Exec")
		s.Running()
		fmt.Fprintf(s, "a\nb\nc\n")
	}
	p.mu.Lock()
	p.redraw()
	p.mu.Unlock()
	if rows := screen(out.String()); len(rows) != 4 || !strings.HasPrefix(rows[0], "[+] Building") {
		t.Errorf("live region %q: want the header and 3 more rows on a 5-row terminal", rows)
	}
}
