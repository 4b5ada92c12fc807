// Package memo remembers the sha256 digests of files by their identity
// (path, size, modification and change time, inode), so that a rebuild does
// not re-read a base archive or an unchanged build-context file. It is the
// same idea as git's index: a file whose identity is unchanged is taken to
// have unchanged content.
package memo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gun-tools/gun/internal/atomicfile"
	"github.com/gun-tools/gun/internal/flock"
	"golang.org/x/sys/unix"
)

// racyWindow: a file modified this recently may change again within the
// same timestamp tick without its times changing, so its digest is not
// remembered at once; Save checks it again once the window has passed.
const racyWindow = time.Second

// unusedFor: entries not used for this long are dropped on Save.
const unusedFor = 30 * 24 * time.Hour

type entry struct {
	Size   int64  `json:"s"`
	Mtime  int64  `json:"m"`
	Ctime  int64  `json:"c"`
	Ino    uint64 `json:"i"`
	Digest string `json:"d"` // "sha256:<hex>"
	Used   int64  `json:"u"` // unix seconds of last use
}

func (e entry) same(o entry) bool {
	return e.Size == o.Size && e.Mtime == o.Mtime && e.Ctime == o.Ctime && e.Ino == o.Ino
}

// Memo is a persistent map from file identity to digest. It is safe for
// concurrent use; Save merges with what other processes saved meanwhile.
// A nil *Memo remembers nothing.
type Memo struct {
	file string
	now  func() time.Time

	reads atomic.Int64 // files read, for tests

	mu      sync.Mutex
	entries map[string]entry
	changed map[string]bool
	racy    map[string]entry // hashed too soon after a change, for Save to confirm
}

// Open loads the memo kept in file; a missing or unreadable file is an empty
// memo (it is only a cache).
func Open(file string) *Memo {
	m := &Memo{file: file, now: time.Now, entries: map[string]entry{}, changed: map[string]bool{}, racy: map[string]entry{}}
	m.entries = load(file)
	return m
}

func load(file string) map[string]entry {
	out := map[string]entry{}
	b, err := os.ReadFile(file)
	if err != nil {
		return out
	}
	if json.Unmarshal(b, &out) != nil {
		return map[string]entry{}
	}
	return out
}

func identity(fi fs.FileInfo) (entry, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return entry{}, false
	}
	return entry{
		Size:  fi.Size(),
		Mtime: fi.ModTime().UnixNano(),
		Ctime: time.Unix(st.Ctim.Sec, st.Ctim.Nsec).UnixNano(),
		Ino:   st.Ino,
	}, true
}

// File returns the digest ("sha256:<hex>") of the regular file at path,
// from the memo when the file's identity is unchanged, else by reading it.
func (m *Memo) File(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	return m.FileInfo(path, fi)
}

// FileInfo is File for a caller that has already stat'ed path.
func (m *Memo) FileInfo(path string, fi fs.FileInfo) (string, error) {
	if d, ok := m.Lookup(path, fi); ok {
		return d, nil
	}
	d, err := hashFile(path)
	if err != nil {
		return "", err
	}
	m.Record(path, fi, d)
	return d, nil
}

// Lookup returns the remembered digest of the file at path, stat'ed as fi,
// if its identity is unchanged since it was hashed.
func (m *Memo) Lookup(path string, fi fs.FileInfo) (string, bool) {
	if m == nil {
		return "", false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	id, ok := identity(fi)
	if !ok {
		return "", false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, hit := m.entries[abs]
	if !hit || !e.same(id) {
		return "", false
	}
	if now := m.now().Unix(); now-e.Used > 3600 {
		e.Used = now
		m.entries[abs] = e
		m.changed[abs] = true
	}
	return e.Digest, true
}

// Record remembers d as the digest of the file at path, which the caller
// read entirely after stat'ing it as fi (File does; so can a caller that
// hashes the file while using it, to read it once). If the file's identity
// has changed since fi, nothing is remembered.
func (m *Memo) Record(path string, fi fs.FileInfo, d string) {
	if m == nil {
		return
	}
	m.reads.Add(1)
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	id, ok := identity(fi)
	if !ok {
		return
	}
	if now, err := os.Stat(path); err != nil {
		return
	} else if id2, ok := identity(now); !ok || !id2.same(id) {
		return
	}
	now := m.now()
	id.Digest, id.Used = d, now.Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	if id.racy(now) {
		m.racy[abs] = id
	} else {
		m.entries[abs] = id
		m.changed[abs] = true
	}
}

func (e entry) racy(now time.Time) bool {
	limit := now.Add(-racyWindow)
	return time.Unix(0, e.Mtime).After(limit) || time.Unix(0, e.Ctime).After(limit)
}

// confirmRacy remembers the files hashed too soon after a change, once the
// window has passed, if they still have the identity and content they had:
// a change after this check would show in their times. The caller holds
// m.mu.
func (m *Memo) confirmRacy() {
	now := m.now()
	for abs, e := range m.racy {
		if e.racy(now) {
			continue
		}
		delete(m.racy, abs)
		fi, err := os.Stat(abs)
		if err != nil {
			continue
		}
		if id, ok := identity(fi); !ok || !id.same(e) {
			continue
		}
		if d, err := hashFile(abs); err != nil || d != e.Digest {
			continue
		}
		m.reads.Add(1)
		m.entries[abs] = e
		m.changed[abs] = true
	}
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Save writes what changed since Open to the memo file, merged with what
// other processes saved meanwhile, atomically (temp file and rename) under
// an exclusive lock. Nothing changed, nothing written.
func (m *Memo) Save() error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.confirmRacy()
	if len(m.changed) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(m.file), 0o700); err != nil {
		return fmt.Errorf("save digest memo: %w", err)
	}
	unlock, err := flock.Lock(m.file+".lock", 0o600, unix.LOCK_EX)
	if err != nil {
		return fmt.Errorf("lock digest memo: %w", err)
	}
	defer unlock()
	merged := load(m.file)
	for k := range m.changed {
		merged[k] = m.entries[k]
	}
	cutoff := m.now().Add(-unusedFor).Unix()
	for k, e := range merged {
		if e.Used < cutoff {
			delete(merged, k)
		}
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(m.file, b, 0o600); err != nil {
		return fmt.Errorf("save digest memo: %w", err)
	}
	m.entries = merged
	m.changed = map[string]bool{}
	return nil
}
