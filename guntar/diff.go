package guntar

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// PackDiff writes, as an OCI layer, what changed from the tree oldDir to the
// tree newDir: entries that are new or whose type, mode, owner, size,
// modification time, link target or device differ, and a .wh. whiteout for
// each one removed. It is for trees where no overlay recorded the changes
// (a container run on a copy of its image); with an overlay, use
// PackOverlayUpper. A directory that holds changes is written only if its
// own metadata changed: applied over the old tree, the layer finds it
// there.
func PackDiff(ctx context.Context, w io.Writer, oldDir, newDir string, opts PackOptions) error {
	return packTree(ctx, w, newDir, opts, false, "pack diff", func(p *packer, fd int) error {
		return p.walkDiff(fd, newDir, "", oldDir)
	})
}

// walkDiff packs the changes in the directory dirfd (abs on disk, rel in
// the archive) against the old directory oldAbs.
func (p *packer) walkDiff(dirfd int, abs, rel, oldAbs string) error {
	names, err := p.readNames(dirfd)
	if err != nil {
		return fmt.Errorf("pack: read directory %s: %w", abs, err)
	}
	slices.Sort(names)
	var oldNames []string
	if f, err := os.Open(oldAbs); err == nil {
		oldNames, err = f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return fmt.Errorf("pack: read directory %s: %w", oldAbs, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("pack: %w", err)
	}
	slices.Sort(oldNames)
	// Removals first: a whiteout must come before what may replace it.
	for _, name := range oldNames {
		if _, found := slices.BinarySearch(names, name); found {
			continue
		}
		wh := &tar.Header{Typeflag: tar.TypeReg, Name: path.Join(rel, whiteoutPrefix+name), Mode: 0o644, ModTime: p.clamp(time.Unix(0, 0))}
		if err := p.tw.WriteHeader(wh); err != nil {
			return fmt.Errorf("pack %s: %w", wh.Name, err)
		}
	}
	for _, name := range names {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		cabs, crel, cold := abs+"/"+name, path.Join(rel, name), oldAbs+"/"+name
		var st, ost unix.Stat_t
		if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("pack: %w", &os.PathError{Op: "lstat", Path: cabs, Err: err})
		}
		oerr := unix.Lstat(cold, &ost)
		isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		if oerr == nil && isDir && ost.Mode&unix.S_IFMT == unix.S_IFDIR {
			// A directory in both: compare what is inside.
			if err := p.changedDir(dirfd, name, cabs, crel, cold, &st, &ost); err != nil {
				return err
			}
			continue
		}
		if oerr == nil && !p.changed(dirfd, name, cold, &st, &ost) {
			continue
		}
		if err := p.entry(dirfd, name, cabs, crel); err != nil {
			return err
		}
	}
	return nil
}

// changedDir packs a directory present in both trees: its own entry if its
// mode, owner or modification time changed (adding or removing an entry
// changes the time), then what changed inside it.
func (p *packer) changedDir(dirfd int, name, abs, rel, oldAbs string, st, ost *unix.Stat_t) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pack: %w", &os.PathError{Op: "open", Path: abs, Err: err})
	}
	defer unix.Close(fd)
	hdr := &tar.Header{
		Typeflag: tar.TypeDir,
		Name:     rel + "/",
		Mode:     int64(st.Mode & 0o7777),
		Uid:      MapID(p.opts.UIDMap, int(st.Uid)),
		Gid:      MapID(p.opts.GIDMap, int(st.Gid)),
		ModTime:  p.clamp(time.Unix(st.Mtim.Unix())),
	}
	if metaChanged(st, ost) || st.Mtim != ost.Mtim {
		if err := p.tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("pack %s: %w", rel, err)
		}
	}
	return p.walkDiff(fd, abs, rel, oldAbs)
}

// changed reports whether a non-directory (or a type change) differs
// between the trees.
func (p *packer) changed(dirfd int, name, oldAbs string, st, ost *unix.Stat_t) bool {
	if metaChanged(st, ost) || st.Size != ost.Size || st.Mtim != ost.Mtim || st.Rdev != ost.Rdev {
		return true
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		n, err := unix.Readlinkat(dirfd, name, p.buf)
		old, oerr := os.Readlink(oldAbs)
		return err != nil || oerr != nil || string(p.buf[:n]) != old
	}
	return false
}

func metaChanged(st, ost *unix.Stat_t) bool {
	return st.Mode != ost.Mode || st.Uid != ost.Uid || st.Gid != ost.Gid
}
