package exec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/store"
)

// TrimCache drops the build cache's entries whose layers are no longer in
// the store (after `gun prune`), and returns how many it dropped. It also
// removes the temporary files that killed builds left under build/ (every
// file whose name starts with a dot), while no build runs.
func TrimCache(s *store.Store) (int, error) {
	dropped := 0
	err := cache.Open(filepath.Join(s.Root(), "build", "steps")).Walk(func(key string, e cache.Entry) bool {
		if e.Layer == nil {
			return true
		}
		if s.HasBlob(digest.Digest(e.Layer.Digest)) {
			return true
		}
		dropped++
		return false
	})
	if err != nil {
		return dropped, err
	}
	return dropped, s.Exclusive(func() error { return removeTemps(filepath.Join(s.Root(), "build")) })
}

// removeTemps removes the files under dir whose names start with a dot.
func removeTemps(dir string) error {
	var errs []error
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			return nil
		}
		if d.Type().IsRegular() && strings.HasPrefix(d.Name(), ".") {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove temporary files: %w", err)
	}
	return nil
}
