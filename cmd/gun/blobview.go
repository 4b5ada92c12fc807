package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// blobView is gun pull's and push's live view on a terminal: a line per
// blob with its bytes and rate, redrawn a few times a second.
type blobView struct {
	w      io.Writer
	mu     sync.Mutex
	order  []digest.Digest
	blobs  map[digest.Digest]*blobState
	drawMu sync.Mutex
	lines  int // drawn last time, under drawMu
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

type blobState struct {
	done, total int64
	start, last time.Time
}

func newBlobView(w io.Writer) *blobView {
	v := &blobView{w: w, blobs: map[digest.Digest]*blobState{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(v.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				v.draw()
			case <-v.stop:
				v.draw()
				return
			}
		}
	}()
	return v
}

// update records how far blob d is (registry.Options.Progress).
func (v *blobView) update(d digest.Digest, done, total int64) {
	now := time.Now()
	v.mu.Lock()
	defer v.mu.Unlock()
	b := v.blobs[d]
	if b == nil || done < b.done { // new, or started again
		if b == nil {
			v.order = append(v.order, d)
		}
		b = &blobState{start: now}
		v.blobs[d] = b
	}
	b.done, b.total, b.last = done, total, now
}

// render returns the view's lines.
func (v *blobView) render() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	lines := make([]string, 0, len(v.order))
	for _, d := range v.order {
		b := v.blobs[d]
		line := fmt.Sprintf("%s  %s / %s", d.Encoded()[:12], size(b.done), size(b.total))
		if secs := b.last.Sub(b.start).Seconds(); secs > 0 {
			line += fmt.Sprintf("  %s/s", size(int64(float64(b.done)/secs)))
		}
		if b.done == b.total {
			line += "  done"
		}
		lines = append(lines, line)
	}
	return lines
}

// draw redraws the view in place.
func (v *blobView) draw() {
	v.drawMu.Lock()
	defer v.drawMu.Unlock()
	lines := v.render()
	var sb strings.Builder
	if v.lines > 0 {
		fmt.Fprintf(&sb, "\033[%dA", v.lines)
	}
	for _, l := range lines {
		sb.WriteString("\r\033[K" + l + "\n")
	}
	v.lines = len(lines)
	io.WriteString(v.w, sb.String())
}

// Close draws the view a last time and stops redrawing; later calls do
// nothing.
func (v *blobView) Close() {
	v.once.Do(func() {
		close(v.stop)
		<-v.done
	})
}
