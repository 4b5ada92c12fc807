// Package store keeps a user's images in an OCI image layout: content
// addressed blobs under blobs/sha256, image names as ref.name annotations in
// index.json, and a cache of unpacked layers keyed by diff digest and by the
// uid/gid mapping they were unpacked under.
//
// Every write is atomic (temporary file, fsync, rename), so a process killed
// at any moment leaves the store readable and consistent. Concurrent gun
// processes coordinate with flock(2): writers hold gc.lock shared while
// they add content, Prune holds it exclusively, and index.json is rewritten
// only under index.lock.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Store is an image store rooted at a directory.
type Store struct {
	root string
	// RemoveAll removes a directory tree of the store, such as an unpacked
	// layer. The default makes directories writable first (a layer may
	// hold read-only ones); a user-namespaced unpacker whose files the
	// caller does not own can supply a remover that enters the namespace.
	RemoveAll func(dir string) error
	// syncs are the syncs of unpacked layers in flight (durable.go).
	syncs sync.WaitGroup
}

// DefaultRoot returns the store directory to use when --root is not given:
// $GUN_ROOT, else $XDG_DATA_HOME/gun, else ~/.local/share/gun.
func DefaultRoot() (string, error) {
	if r := os.Getenv("GUN_ROOT"); r != "" {
		return r, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "gun"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the image store: %w (set GUN_ROOT or use --root)", err)
	}
	return filepath.Join(home, ".local", "share", "gun"), nil
}

// Open opens the store at root, creating an empty OCI image layout there if
// there is none.
func Open(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", root, err)
	}
	s := &Store{root: abs, RemoveAll: removeAllWritable}
	for _, d := range []string{s.blobDir(), s.path(layersDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	if err := mkdirTop(s.path(runDir)); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	layout := s.path(v1.ImageLayoutFile)
	if _, err := os.Stat(layout); errors.Is(err, os.ErrNotExist) {
		data, _ := json.Marshal(v1.ImageLayout{Version: v1.ImageLayoutVersion})
		if err := writeFileAtomic(layout, data); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if _, err := os.Stat(s.path(v1.ImageIndexFile)); errors.Is(err, os.ErrNotExist) {
		unlock, err := s.lock(indexLock, true)
		if err != nil {
			return nil, err
		}
		defer unlock()
		if _, err := os.Stat(s.path(v1.ImageIndexFile)); errors.Is(err, os.ErrNotExist) {
			if err := s.writeIndex(emptyIndex()); err != nil {
				return nil, fmt.Errorf("open store: %w", err)
			}
		}
	}
	return s, nil
}

// Root returns the store's directory.
func (s *Store) Root() string { return s.root }

const (
	layersDir = "layers"
	runDir    = "run"
	gcLock    = "gc.lock"
	indexLock = "index.lock"
	runLock   = "run.lock"
	// plansDir holds gun run's plans (runtime/plan.go), kept by the runtime.
	plansDir  = "plans"
	tmpPrefix = ".tmp-"
)

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.root}, elem...)...)
}

// RunDir returns the directory reserved for containers' scratch space. The
// runtime creates run/<id>/ in it and holds an exclusive flock on
// run/<id>/lock while the container lives; Prune removes the others.
func (s *Store) RunDir() string { return s.path(runDir) }

// lazyRegexp compiles expr on first use: compiling at package init would
// cost every start of gun, including the re-executed container init.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// debugEnabled reports whether debug logs are on, so that hot paths build
// their attributes only then.
func debugEnabled() bool { return slog.Default().Enabled(context.Background(), slog.LevelDebug) }
