// Package cache is the build step cache: it maps a step's key (its parent
// state, its canonical text after expansion, the Arg values it uses and, for
// Copy, the hash of its sources) to the layer the step produced. Entries are
// small JSON files under the store root, written atomically; the layers
// themselves are blobs in the store.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gun-tools/gun/internal/atomicfile"
)

// Layer is a layer blob in the store.
type Layer struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"` // of the blob as stored (compressed)
	Size      int64  `json:"size"`
	DiffID    string `json:"diffID"` // of the uncompressed tar
}

// Entry is what a step produced: a layer, or none when the step changed no
// file.
type Entry struct {
	Layer   *Layer    `json:"layer,omitempty"`
	Created time.Time `json:"created"`
}

// Cache is a directory of entries named by key.
type Cache struct {
	dir string
}

// Open returns the cache kept in dir (created on first Put).
func Open(dir string) *Cache { return &Cache{dir: dir} }

// Key hashes the parts of a step's identity into a cache key. Parts are
// length-prefixed, so no two different lists give the same key.
func Key(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func (c *Cache) path(key string) (string, error) {
	if !isSHA256(key) {
		return "", fmt.Errorf("cache key %q: not a sha256 digest", key)
	}
	h := key[len("sha256:"):]
	return filepath.Join(c.dir, h[:2], h), nil
}

// Get returns the entry for key. A missing or unreadable entry is a miss.
func (c *Cache) Get(key string) (Entry, bool) {
	p, err := c.path(key)
	if err != nil {
		return Entry{}, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return Entry{}, false
	}
	var e Entry
	if json.Unmarshal(b, &e) != nil {
		return Entry{}, false
	}
	return e, true
}

// Put records e for key, atomically.
func (c *Cache) Put(key string, e Entry) error {
	p, err := c.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("step cache: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(p, b, 0o644); err != nil {
		return fmt.Errorf("step cache: %w", err)
	}
	return nil
}

// Walk calls fn for every entry, for `gun prune`: fn returns whether to
// keep it.
func (c *Cache) Walk(fn func(key string, e Entry) (keep bool)) error {
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		key := "sha256:" + d.Name()
		e, ok := c.Get(key)
		if !ok || !fn(key, e) {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("step cache: %w", err)
	}
	return nil
}
