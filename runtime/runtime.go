package runtime

import (
	"os"
	"path/filepath"
	"sync"
)

// Runtime runs the containers of an image store. It keeps in the store's
// directory the notice that only the user is mapped, the user namespace
// holders' sockets and locks (userns/) and the run plans. A Runtime
// without a store gives every container a user namespace of its own.
type Runtime struct {
	dir    string    // the store's directory, absolute, or ""
	notice sync.Once // the notice that only the user is mapped
	// held is the holder's user namespace, once asked for (userNS), and
	// the key of its maps.
	held struct {
		sync.Mutex
		ns  *os.File
		key string
	}
}

// New returns the runtime of the store in storeDir, or of none when
// storeDir is "".
func New(storeDir string) *Runtime {
	if storeDir != "" {
		if abs, err := filepath.Abs(storeDir); err == nil {
			storeDir = abs
		}
	}
	return &Runtime{dir: storeDir}
}

// maps returns the id maps for containers of the current user (hostMaps),
// giving the notice that only the user is mapped once.
func (rt *Runtime) maps() (*idMaps, error) {
	m, err := hostMaps()
	if err == nil && m.notice != "" {
		rt.notice.Do(func() { warnSingle(rt.dir, m.notice) })
	}
	return m, err
}

// HostIDMaps returns the id maps of the current user's containers (uid_map
// and gid_map lines): those their layers are unpacked with.
func (rt *Runtime) HostIDMaps() (uids, gids []IDMap, err error) {
	m, err := rt.maps()
	if err != nil {
		return nil, nil, err
	}
	return m.uids, m.gids, nil
}
