package store

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	gunflock "github.com/gun-tools/gun/internal/flock"
)

// partialDir holds, by digest, the blobs that pulls were receiving when
// they stopped (killed, canceled, their connection lost for good), so that
// the next pull of a blob asks only for the rest. Prune removes them.
const partialDir = "partial"

// PutBlobFrom stores the blob want, of size bytes, that open serves, as
// PutBlob does, resuming a broken transfer: open(offset) returns the
// content from offset on, or from its start (fromStart: a server that
// ignores ranges). When reading fails, retry(err) says whether to go on;
// open is then asked for the rest, from the bytes already written and
// hashed, which a restart from the start discards. The bytes are written
// to the blob's partial file, which a pull that stops keeps, so that the
// next one starts after them; a blob whose content does not match its
// digest after such a start is fetched again from its start.
func (b *Batch) PutBlobFrom(want digest.Digest, size int64, open func(offset int64) (r io.ReadCloser, fromStart bool, err error), retry func(error) bool) error {
	if b.s.HasBlob(want) {
		return nil
	}
	p, err := b.s.blobPath(want)
	if err != nil {
		return err
	}
	h := digest.SHA256.Digester()
	f, n, own, err := b.s.openPartial(want, size, h.Hash())
	if err != nil {
		return err
	}
	if f == nil {
		return nil // another pull stored it meanwhile
	}
	w := &partialWriter{f: f, h: h, n: n}
	keep := own // a partial file stays for the next pull, unless corrupt
	done := false
	defer func() {
		if !done {
			if !keep {
				os.Remove(f.Name())
			}
			f.Close()
		}
	}()
	if err := w.fill(want, size, open, retry); err != nil {
		return err
	}
	if w.n != size {
		keep = false
		return fmt.Errorf("blob %s: %d bytes, the descriptor says %d", want, w.n, size)
	}
	if d := w.h.Digest(); d != want {
		keep = false
		return fmt.Errorf("blob %s: %w (got %s)", want, ErrDigestMismatch, d)
	}
	if _, err := os.Stat(p); err == nil {
		keep = false
		return nil // another pull stored it meanwhile
	}
	done = true
	// Renamed before it is closed: a pull that opens the partial file's
	// name meanwhile cannot lock it, and one that locks it later finds
	// the name gone (openPartial).
	if err := finishLocked(f, p); err != nil {
		return err
	}
	b.add(want)
	return nil
}

// partialWriter is a blob being received: n bytes of it written to f and
// hashed into h.
type partialWriter struct {
	f *os.File
	h digest.Digester
	n int64
}

// fill reads the rest of the blob (PutBlobFrom). When the bytes it started
// from were an earlier pull's and the whole does not match want, it reads
// the blob again from its start, once.
func (w *partialWriter) fill(want digest.Digest, size int64, open func(int64) (io.ReadCloser, bool, error), retry func(error) bool) error {
	resumed := w.n > 0
	buf := make([]byte, 1<<20)
	for {
		if w.n == size && w.h.Digest() == want {
			return nil // a pull stopped before it stored the whole
		}
		rc, fromStart, err := open(w.n)
		if err == nil {
			if fromStart && w.n > 0 {
				err = w.reset()
			}
			if err == nil {
				cw := &countingWriter{w: io.MultiWriter(w.f, w.h.Hash())}
				_, err = io.CopyBuffer(cw, io.LimitReader(rc, size-w.n+1), buf)
				w.n += cw.n
			}
			rc.Close()
		}
		switch {
		case err == nil && resumed && (w.n != size || w.h.Digest() != want):
			// The bytes a stopped pull left, or the registry's blob
			// since, were not this blob's.
			resumed = false
			if err := w.reset(); err != nil {
				return err
			}
		case err == nil:
			return nil
		case !retry(err):
			return err
		}
	}
}

// reset empties the blob.
func (w *partialWriter) reset() error {
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	_, err := w.f.Seek(0, io.SeekStart)
	w.h, w.n = digest.SHA256.Digester(), 0
	return err
}

// openPartial opens, locked, the partial file of blob want for one pull
// and hashes into h the bytes an earlier pull left in it (n; nothing of
// one longer than size); f is positioned after them. When another pull
// holds it, f is a new temporary file of this pull alone (own false). f is
// nil when the blob is in the store.
func (s *Store) openPartial(want digest.Digest, size int64, h hash.Hash) (f *os.File, n int64, own bool, err error) {
	dir := s.path(partialDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, false, err
	}
	p := s.path(partialDir, want.Encoded())
	for {
		f, err = os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return nil, 0, false, err
		}
		if err := gunflock.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if !errors.Is(err, unix.EWOULDBLOCK) {
				return nil, 0, false, err
			}
			f, err = os.CreateTemp(dir, tmpPrefix)
			return f, 0, false, err
		}
		// The name may have been renamed to the blob, or removed, between
		// the open and the lock: then open it again.
		var at, held unix.Stat_t
		if unix.Stat(p, &at) == nil && unix.Fstat(int(f.Fd()), &held) == nil && at.Dev == held.Dev && at.Ino == held.Ino {
			break
		}
		f.Close()
	}
	if s.HasBlob(want) {
		os.Remove(p)
		f.Close()
		return nil, 0, false, nil
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() > 0 && fi.Size() <= size {
		n, err = io.CopyBuffer(h, f, make([]byte, 1<<20))
	} else if err == nil {
		err = f.Truncate(0)
	}
	if err != nil {
		f.Close()
		return nil, 0, false, fmt.Errorf("partial blob %s: %w", want, err)
	}
	return f, n, true, nil
}

// finishLocked makes f, a complete blob, the blob at path: synced, renamed
// while f's lock is held, then closed.
func finishLocked(f *os.File, path string) error {
	err := f.Chmod(0o644)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return syncDir(filepath.Dir(path))
}
