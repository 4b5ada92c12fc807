package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// CopyLayers copies the layers (bottom first, in overlay whiteout form)
// into the new directory dst in the containers' user namespace, where their
// owners are mapped: the root of a container whose layers the kernel
// refused to overlay, or a copy of a stage's directory for a build step.
func (rt *Runtime) CopyLayers(ctx context.Context, layers []string, dst string) error {
	out, err := rt.runInUserNS(ctx, append([]string{entryCopy, dst}, layers...), nil)
	if err != nil {
		return fmt.Errorf("copy the layers into %s: %w: %s", dst, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// copyMain is entryCopy: the directory, then the layers, bottom first.
func copyMain() int {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "gun:copy: want a directory and layers")
		return 2
	}
	if err := waitGo(); err != nil {
		fmt.Fprintf(os.Stderr, "gun:copy: %v\n", err)
		return 1
	}
	dst := os.Args[1]
	if err := os.Mkdir(dst, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := flatten(os.Args[2:], dst); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// flatten copies the layers (bottom first, in overlay whiteout form) into
// dst, applying whiteouts: it is the root when overlayfs cannot be mounted.
// It runs inside the container's user namespace, so owners are preserved.
// Layer contents are trusted to be what the store unpacked; dst paths are
// only ever built from them below dst, and existing symlinks in dst are
// replaced, never followed.
func flatten(layers []string, dst string) error {
	for _, layer := range layers {
		err := filepath.WalkDir(layer, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(layer, path)
			if err != nil {
				return err
			}
			target := filepath.Join(dst, rel)
			return copyEntry(path, target, rel == ".")
		})
		if err != nil {
			return fmt.Errorf("flatten layer %s: %w", layer, err)
		}
	}
	return nil
}

func copyEntry(src, dst string, top bool) error {
	var st unix.Stat_t
	if err := unix.Lstat(src, &st); err != nil {
		return err
	}
	mode := st.Mode & unix.S_IFMT
	// An overlay whiteout (char device 0:0) deletes what lower layers had.
	if mode == unix.S_IFCHR && st.Rdev == 0 {
		return os.RemoveAll(dst)
	}
	if mode == unix.S_IFDIR {
		if !top {
			if fi, err := os.Lstat(dst); err == nil && !fi.IsDir() {
				if err := os.Remove(dst); err != nil {
					return err
				}
			}
			if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
		}
		if v, err := getxattr(src, "user.overlay.opaque"); err == nil && v == "y" {
			entries, err := os.ReadDir(dst)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if err := os.RemoveAll(filepath.Join(dst, e.Name())); err != nil {
					return err
				}
			}
		}
		return setMeta(dst, &st)
	}
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	switch mode {
	case unix.S_IFREG:
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	case unix.S_IFLNK:
		link, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(link, dst); err != nil {
			return err
		}
		return unix.Lchown(dst, int(st.Uid), int(st.Gid))
	default:
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return err
		}
	}
	return setMeta(dst, &st)
}

func setMeta(dst string, st *unix.Stat_t) error {
	if err := unix.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
		return err
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func getxattr(path, name string) (string, error) {
	buf := make([]byte, 64)
	n, err := unix.Lgetxattr(path, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
