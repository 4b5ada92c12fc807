// Package atomicfile replaces files so that readers see the old content or
// the new, never a part, whatever happens to the writer.
package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Write replaces name with what fn writes. fn writes, through a buffer, to a
// temporary file beside name, which is given perm, synced, and renamed over
// name; then the directory is synced. On any error the temporary file is
// removed and name is left as it was. Errors are returned as they are: the
// caller adds its own context.
func Write(name string, perm fs.FileMode, fn func(w io.Writer) error) error {
	return write(name, perm, true, fn)
}

// WriteCache replaces name with data as WriteFile does, but syncs nothing:
// for a cache, which readers check, so that a crash may leave it old, empty
// or missing, and a write costs no disk flush.
func WriteCache(name string, data []byte, perm fs.FileMode) error {
	return write(name, perm, false, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func write(name string, perm fs.FileMode, sync bool, fn func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = fn(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if sync {
		if err = f.Sync(); err != nil {
			return err
		}
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), name); err != nil {
		return err
	}
	if !sync {
		return nil
	}
	return SyncDir(filepath.Dir(name))
}

// WriteFile replaces name with data, as Write does.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	return Write(name, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// SyncDir makes a rename or creation in dir durable. Filesystems that cannot
// sync a directory (EINVAL) are taken as they are.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
