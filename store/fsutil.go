package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gun-tools/gun/internal/atomicfile"
	gunflock "github.com/gun-tools/gun/internal/flock"
	"golang.org/x/sys/unix"
)

// writeFileAtomic replaces path with data: a temporary file in the same
// directory is written, synced and renamed over path.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tmpPrefix+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := finishTemp(f, path); err != nil {
		return err
	}
	return nil
}

// finishTemp makes the temporary file f readable by all, syncs it, closes
// it and renames it to path, removing it if any step fails.
func finishTemp(f *os.File, path string) error {
	err := f.Chmod(0o644)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error { return atomicfile.SyncDir(dir) }

// lock takes a flock on one of the store's lock files, exclusive or shared,
// waiting for it, and returns the function that releases it.
func (s *Store) lock(name string, exclusive bool) (func(), error) {
	return flock(s.path(name), exclusive, false)
}

// flock locks path (created if missing). With try it fails with
// unix.EWOULDBLOCK instead of waiting.
func flock(path string, exclusive, try bool) (func(), error) {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if try {
		how |= unix.LOCK_NB
	}
	unlock, err := gunflock.Lock(path, 0o644, how)
	var pe *fs.PathError
	switch {
	case err == unix.EWOULDBLOCK:
		return nil, err
	case errors.As(err, &pe):
		return nil, fmt.Errorf("lock: %w", err) // opening it: the error names the path
	case err != nil:
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return unlock, nil
}

// removeAllWritable removes dir, first giving its owner write and search
// permission on every directory in it (unpacked layers hold read-only
// directories, which os.RemoveAll cannot empty as a non-root user).
func removeAllWritable(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// fsTopDirFl is FS_TOPDIR_FL (chattr +T), which x/sys does not name.
const fsTopDirFl = 0x00020000

// mkdirTop makes dir, with its parents, if it is missing, and marks it as
// the top of directory hierarchies (FS_TOPDIR_FL, as chattr +T does): ext4
// then places each directory made in it (an unpacked layer, a container's
// scratch space) as it places those of the file system's root, in a block
// group of few directories, instead of packing it into dir's group. On an
// ext4 without a journal this matters: it never gives a new file the inode
// of one deleted in the last minute or more, and skips each such inode one
// by one on every creation, so that unpacking a layer into the group where
// the last one was removed took twice as long or more (docs/build.md).
// Where the flag is not supported, nothing changes.
func mkdirTop(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer unix.Close(fd)
	if flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS); err == nil && flags&fsTopDirFl == 0 {
		_ = unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(flags|fsTopDirFl))
	}
	return nil
}

// sameFile reports whether a and b, two stats of a file, show the same
// content by its inode, size and times, as the archive memo tells it.
func sameFile(a, b fs.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) &&
		sa.Ctim == sb.Ctim
}
