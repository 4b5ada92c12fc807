package container

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"
)

// A container's log is in the CRI format that podman's k8s-file driver
// writes too: one record a line,
//
//	2026-12-05T17:04:05.123456789Z stdout F the text
//
// the time, the stream, F for a record that ends a line of output and P
// for a part of one (output that did not end with a newline yet), and the
// text without its newline.

// DefaultLogMax is the size at which a log file is rotated: a container's
// output takes at most twice it.
const DefaultLogMax = 8 << 20

// LogWriter writes a container's log, rotating ctr.log to ctr.log.1 when
// it would grow beyond Max bytes. Its streams may be written concurrently.
type LogWriter struct {
	path string
	max  int64
	mu   sync.Mutex
	f    *os.File
	size int64
	now  func() time.Time
}

// OpenLog opens c's log for appending; max is the size at which it is
// rotated (DefaultLogMax when 0 or less).
func (c *Container) OpenLog(max int64) (*LogWriter, error) {
	if max <= 0 {
		max = DefaultLogMax
	}
	w := &LogWriter{path: c.LogPath(), max: max, now: time.Now}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *LogWriter) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("container log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("container log: %w", err)
	}
	w.f, w.size = f, fi.Size()
	return nil
}

// Stream returns the writer of stream ("stdout" or "stderr").
func (w *LogWriter) Stream(stream string) io.Writer { return &logStream{w, stream} }

// Close closes the log.
func (w *LogWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.f.Close()
}

type logStream struct {
	w      *LogWriter
	stream string
}

// Write writes p as records: one F record for each line it ends, a P
// record for what follows the last newline.
func (s *logStream) Write(p []byte) (int, error) {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	stamp := w.now().UTC().Format(time.RFC3339Nano)
	var buf bytes.Buffer
	for rest := p; len(rest) > 0; {
		line, after, full := bytes.Cut(rest, []byte{'\n'})
		tag := " P "
		if full {
			tag = " F "
		}
		buf.WriteString(stamp + " " + s.stream + tag)
		buf.Write(line)
		buf.WriteByte('\n')
		rest = after
	}
	if w.size > 0 && w.size+int64(buf.Len()) > w.max {
		if err := w.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := w.f.Write(buf.Bytes())
	w.size += int64(n)
	if err != nil {
		return 0, fmt.Errorf("container log: %w", err)
	}
	return len(p), nil
}

// rotate moves the log to its .1 file, replacing the older one. The log's
// path always names a file, for readers: the new one is made aside and
// renamed over it.
func (w *LogWriter) rotate() error {
	next, old := w.path+".next", w.path+".1.next"
	f, err := os.OpenFile(next, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("container log: rotate: %w", err)
	}
	os.Remove(old)
	if err := os.Link(w.path, old); err != nil {
		f.Close()
		return fmt.Errorf("container log: rotate: %w", err)
	}
	if err := os.Rename(old, w.path+".1"); err != nil {
		f.Close()
		return fmt.Errorf("container log: rotate: %w", err)
	}
	if err := os.Rename(next, w.path); err != nil {
		f.Close()
		return fmt.Errorf("container log: rotate: %w", err)
	}
	w.f.Close()
	w.f, w.size = f, 0
	return nil
}

// LogEntry is one record of a log.
type LogEntry struct {
	Time    time.Time
	Stream  string // stdout or stderr
	Partial bool   // a part of a line: Text does not end one
	Text    []byte
}

// LogOptions say what ReadLog reads.
type LogOptions struct {
	// Tail > 0 reads only the last Tail lines (and the part of one after
	// them) of what is logged; Tail < 0 none of it (with Follow: what
	// comes).
	Tail int
	// Follow goes on reading what the container writes until it no longer
	// lives, or ctx ends.
	Follow bool
	// Poll is how often a followed log is looked at (100 ms when 0).
	Poll time.Duration
}

// ReadLog calls fn with each record of c's log (the rotated file's first),
// in order.
func (c *Container) ReadLog(ctx context.Context, opts LogOptions, fn func(LogEntry) error) error {
	path := c.LogPath()
	var entries []LogEntry
	old, err := os.ReadFile(path + ".1")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("container log: %w", err)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !opts.Follow {
		f = nil
	} else if err != nil {
		return fmt.Errorf("container log: %w", err)
	}
	if f != nil {
		defer func() { f.Close() }()
	}
	entries = parseLog(old, entries)
	var pending []byte // a record not yet written to its end
	if f != nil {
		cur, err := io.ReadAll(f)
		if err != nil {
			return fmt.Errorf("container log: %w", err)
		}
		pending = cur[len(cur)-len(trailing(cur)):]
		entries = parseLog(cur[:len(cur)-len(pending)], entries)
	}
	switch {
	case opts.Tail > 0:
		entries = tail(entries, opts.Tail)
	case opts.Tail < 0:
		entries = nil
	}
	for _, e := range entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	if !opts.Follow {
		return nil
	}
	poll := opts.Poll
	if poll == 0 {
		poll = 100 * time.Millisecond
	}
	buf := make([]byte, 64<<10)
	for {
		// Whether it lives is asked before reading, so that what it wrote
		// before it ended is read after.
		live := c.Live()
		for {
			n, err := f.Read(buf)
			pending = append(pending, buf[:n]...)
			if n == 0 || err != nil {
				break
			}
		}
		done := pending[:len(pending)-len(trailing(pending))]
		for _, e := range parseLog(done, nil) {
			if err := fn(e); err != nil {
				return err
			}
		}
		pending = append(pending[:0], pending[len(done):]...)
		// Rotated: the rest is in a new file.
		if fi, err := os.Stat(path); err == nil {
			if cur, err := f.Stat(); err == nil && !os.SameFile(fi, cur) {
				if nf, err := os.Open(path); err == nil {
					f.Close()
					f, pending = nf, pending[:0]
					continue
				}
			}
		}
		if !live {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// trailing returns the part of b after its last newline.
func trailing(b []byte) []byte { return b[bytes.LastIndexByte(b, '\n')+1:] }

// parseLog appends the records of b's lines to entries; a line that is not
// a record is kept as a line of stdout.
func parseLog(b []byte, entries []LogEntry) []LogEntry {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<30)
	for sc.Scan() {
		line := sc.Bytes()
		e := LogEntry{Stream: "stdout", Text: append([]byte(nil), line...)}
		if stamp, rest, ok := bytes.Cut(line, []byte{' '}); ok {
			if stream, rest, ok := bytes.Cut(rest, []byte{' '}); ok {
				if tag, text, ok := bytes.Cut(rest, []byte{' '}); ok && (string(tag) == "P" || string(tag) == "F") {
					if t, err := time.Parse(time.RFC3339Nano, string(stamp)); err == nil {
						e = LogEntry{Time: t, Stream: string(stream), Partial: string(tag) == "P", Text: append([]byte(nil), text...)}
					}
				}
			}
		}
		entries = append(entries, e)
	}
	return entries
}

// tail returns the records of the last n lines of entries: n full records
// and the partial ones after the last.
func tail(entries []LogEntry, n int) []LogEntry {
	i := len(entries)
	for lines := 0; i > 0; i-- {
		if !entries[i-1].Partial {
			if lines == n {
				break
			}
			lines++
		}
	}
	return entries[i:]
}
