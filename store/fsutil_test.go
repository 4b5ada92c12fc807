package store

import (
	"context"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// dirFlags returns the inode flags of dir (FS_IOC_GETFLAGS), or false when
// its file system has none.
func dirFlags(t *testing.T, dir string) (uint32, bool) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	flags, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
	return flags, err == nil
}

// The directories whose subdirectories are trees of their own (a key's
// unpacked layers, the containers' scratch spaces) are marked as top
// directories, where the file system has the flag.
func TestTopDirs(t *testing.T) {
	root := t.TempDir()
	probe := filepath.Join(root, "probe")
	if err := mkdirTop(probe); err != nil {
		t.Fatal(err)
	}
	if flags, ok := dirFlags(t, probe); !ok || flags&fsTopDirFl == 0 {
		t.Skipf("the file system of %s has no top directory flag (flags %#x, %v)", root, flags, ok)
	}
	s, err := Open(filepath.Join(root, "store"))
	if err != nil {
		t.Fatal(err)
	}
	commitImage(t, s, "test", gz(mkTar(t, tEnt{name: "f", body: "x"})))
	dirs, err := s.LayerDirs(context.Background(), "test", HostUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{s.RunDir(), filepath.Dir(dirs[0])} {
		if flags, _ := dirFlags(t, d); flags&fsTopDirFl == 0 {
			t.Errorf("%s: flags %#x, without FS_TOPDIR_FL", d, flags)
		}
	}
	// Within a layer, directories are not spread.
	if flags, _ := dirFlags(t, dirs[0]); flags&fsTopDirFl != 0 {
		t.Errorf("layer %s is a top directory itself", dirs[0])
	}
}
