package exec

import (
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/store"
)

// TrimCache drops the build cache's entries whose layers are no longer in
// the store (after `gun prune`), and returns how many it dropped.
func TrimCache(s *store.Store) (int, error) {
	dropped := 0
	err := cache.Open(filepath.Join(s.Root(), "build", "steps")).Walk(func(key string, e cache.Entry) bool {
		if e.Layer == nil {
			return true
		}
		p, err := s.BlobPath(digest.Digest(e.Layer.Digest))
		if err == nil {
			if _, err = os.Stat(p); err == nil {
				return true
			}
		}
		dropped++
		return false
	})
	return dropped, err
}
