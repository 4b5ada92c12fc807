package store

import (
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// An unpacked layer is made durable after it is put in place, not before:
// syncfs(2), the one call that makes a tree of new files durable, flushes
// the whole file system, whatever other processes wrote too (0.1 to 0.9 s
// per layer on a busy machine). installLayer renames the complete layer
// into place beside a marker, <dir>.unsynced, that holds the boot's ID, and
// a syncfs in the background, overlapping what the caller does next (a
// build step's container), removes the marker. Until then the layer is
// good for this boot (the page cache holds what was written); a layer
// whose marker names another boot may have lost content in a crash, and is
// unpacked again. Store.WaitSynced waits for the syncs in flight.

const unsyncedSuffix = ".unsynced"

// bootID is this boot's ID, or "" when the kernel does not tell it; then
// layers are synced before they are put in place.
var bootID = sync.OnceValue(func() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
})

// layerReady reports whether dir, an unpacked layer's directory, is there
// and can be used: durable, or unpacked in this boot.
func layerReady(dir string) bool {
	if _, err := os.Stat(dir); err != nil {
		return false
	}
	b, err := os.ReadFile(dir + unsyncedSuffix)
	if os.IsNotExist(err) {
		return true
	}
	return err == nil && bootID() != "" && string(b) == bootID()
}

// installLayer makes tmp, a complete unpacked layer in the cache directory
// kd, its directory dir, which must not exist, and has it synced. The
// caller holds dir's lock.
func (s *Store) installLayer(kd, tmp, dir string) error {
	boot := bootID()
	if boot == "" {
		if err := syncFS(tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, dir); err != nil {
			return err
		}
		return syncDir(kd)
	}
	marker := dir + unsyncedSuffix
	if err := os.WriteFile(marker, []byte(boot), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Remove(marker)
		return err
	}
	s.syncs.Add(1)
	go func() {
		defer s.syncs.Done()
		start := time.Now()
		// The directory entries go with the file system's journal.
		if err := syncFS(kd); err != nil {
			slog.Debug("unpacked layer not synced", "dir", dir, "error", err)
			return
		}
		os.Remove(marker)
		slog.Debug("unpacked layer synced", "dir", dir, "took", time.Since(start))
	}()
	return nil
}

// removeStaleLayer removes dir, a layer directory that is not ready
// (layerReady), and its marker, so that it can be unpacked again. The
// caller holds dir's lock.
func (s *Store) removeStaleLayer(dir string) error {
	if _, err := os.Lstat(dir); err == nil {
		slog.Debug("unpacked layer of another boot, not synced: unpacking it again", "dir", dir)
		if err := s.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.Remove(dir + unsyncedSuffix); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// WaitSynced waits until the layers this process unpacked are durable (or
// their syncs failed, which leaves them to be unpacked again after a
// reboot).
func (s *Store) WaitSynced() { s.syncs.Wait() }

func syncFS(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Syncfs(fd)
}
