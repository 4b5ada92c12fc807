package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gun-tools/gun/runtime"
	"github.com/gun-tools/gun/store"
	"golang.org/x/term"
)

// openStore opens the image store named by --root, $GUN_ROOT or the
// default location.
func openStore(g *globalFlags) (*store.Store, error) {
	root, err := storeRoot(g)
	if err != nil {
		return nil, err
	}
	return openStoreIn(root, runtime.New(root))
}

// openStoreIn opens the image store in root, whose runtime is rt.
func openStoreIn(root string, rt *runtime.Runtime) (*store.Store, error) {
	s, err := store.Open(root)
	if err != nil {
		return nil, err
	}
	// Unpacked layers and containers' scratch dirs may hold files of the
	// containers' other ids, which only a user namespace can remove.
	plain := s.RemoveAll
	s.RemoveAll = func(dir string) error {
		if plain(dir) == nil {
			return nil
		}
		return rt.RemoveAll(dir)
	}
	return s, nil
}

// storeRoot returns the store's directory, from --root or the default.
func storeRoot(g *globalFlags) (string, error) {
	root := g.root
	if root == "" {
		var err error
		if root, err = store.DefaultRoot(); err != nil {
			return "", err
		}
	}
	return root, nil
}

// progress shows how far a long copy is, on a terminal only: bytes done,
// rate and time left, redrawn at most a few times a second.
type progress struct {
	w     io.Writer
	what  string
	start time.Time
	last  time.Time
	shown bool
}

// newProgress returns a progress display on stderr, or nil when stderr is
// not a terminal. A nil *progress ignores its calls.
func newProgress(what string) *progress {
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil
	}
	return &progress{w: os.Stderr, what: what, start: time.Now()}
}

func (p *progress) update(done, total int64) {
	if p == nil {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond && done != total {
		return
	}
	p.last = now
	p.shown = true
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(done) / max(elapsed, 0.001)
	line := fmt.Sprintf("%s: %s", p.what, size(done))
	if total > 0 {
		line += " / " + size(total)
	}
	line += fmt.Sprintf(", %s/s", size(int64(rate)))
	if total > done && rate > 0 {
		left := time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second)
		line += fmt.Sprintf(", %s left", left)
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
}

func (p *progress) done() {
	if p != nil && p.shown {
		fmt.Fprintln(p.w)
	}
}

// size formats a byte count for people.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// countingWriter reports the bytes written through it.
type countingWriter struct {
	w     io.Writer
	n     int64
	total int64
	fn    func(done, total int64)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.fn(c.n, c.total)
	return n, err
}
