package runtime

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gun-tools/gun/guntar"
	"golang.org/x/sys/unix"
)

// DiffFile is the name, in the scratch directory, of the layer tar a
// committed build step leaves.
const DiffFile = "diff.tar"

// RunCommit is Run for a build step. When the command exits with code 0,
// the container's init writes the changes the command made (the overlay's
// upper directory) as an OCI layer diff: whiteouts as .wh. entries, opaque
// directories as .wh..wh..opq, owners as the container sees them, file times
// clamped to epoch, entries sorted. commit is then called with the path of
// that tar, or "" when the command changed nothing, before the scratch
// directory is removed. The root must be an overlay, not a copy.
func RunCommit(ctx context.Context, spec Spec, epoch time.Time, commit func(diff string) error) (int, error) {
	return run(ctx, spec, func(code int) error {
		if code != 0 {
			return nil
		}
		diff := filepath.Join(spec.Scratch, DiffFile)
		if _, err := os.Stat(diff); err != nil {
			diff = ""
		}
		if err := commit(diff); err != nil {
			return fmt.Errorf("commit the step's changes: %w", err)
		}
		return nil
	}, epoch.Unix())
}

// commit runs in the init, inside the user namespace, after the command
// exited: it packs the upper directory into <scratch>/diff.tar.
func (c *container) commit() error {
	scratch := fdPath(c.scratch)
	var sfs unix.Statfs_t
	if err := unix.Statfs("/", &sfs); err != nil || sfs.Type != unix.OVERLAYFS_SUPER_MAGIC {
		return fmt.Errorf("commit: the root is not an overlay (this kernel refused overlayfs), so the step's changes cannot be told apart")
	}
	upper := filepath.Join(scratch, "upper")
	entries, err := scanUpper(upper)
	if err != nil {
		return fmt.Errorf("commit: %w", c.namePath(err))
	}
	if len(entries) == 0 {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(scratch, DiffFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("commit: %w", c.namePath(err))
	}
	err = writeUpperTar(f, upper, entries, time.Unix(c.cfg.CommitEpoch, 0))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("commit: %w", c.namePath(err))
	}
	return nil
}

// namePath makes an error about a file in the scratch directory name it by
// its path rather than by the descriptor the init reaches it through, so
// that an error such as a full disk says where it happened.
func (c *container) namePath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		pe.Path = strings.Replace(pe.Path, fdPath(c.scratch), c.cfg.Scratch, 1)
	}
	return err
}

// upperEntry is one file of an overlay upper directory.
type upperEntry struct {
	rel string // slash-separated, relative to the upper dir
	fi  fs.FileInfo
}

// mountPoints are files the runtime mounts over; when they exist only as
// the empty mount points it made, they are not the command's changes.
var mountPoints = map[string]bool{"etc/resolv.conf": true, "etc/hosts": true, "etc/hostname": true}

// scanUpper lists an overlay upper directory, each directory before its
// entries.
func scanUpper(upper string) ([]upperEntry, error) {
	var out []upperEntry
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if mountPoints[rel] && fi.Mode().IsRegular() && fi.Size() == 0 {
			return nil
		}
		out = append(out, upperEntry{rel: rel, fi: fi})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return pathLess(out[i].rel, out[j].rel) })
	// Only directories left over: the mount points' parents, nothing else.
	for _, e := range out {
		if !e.fi.IsDir() || isOpaqueDir(filepath.Join(upper, e.rel)) {
			return out, nil
		}
	}
	return nil, nil
}

// pathLess orders slash-separated paths component by component.
func pathLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		if a[i] == '/' {
			return true
		}
		if b[i] == '/' {
			return false
		}
		return a[i] < b[i]
	}
	return len(a) < len(b)
}

func isWhiteoutFile(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Rdev == 0
}

func isOpaqueDir(p string) bool {
	buf := make([]byte, 4)
	n, err := unix.Lgetxattr(p, "user.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// writeUpperTar writes the upper directory's entries as an OCI layer diff.
func writeUpperTar(w io.Writer, upper string, entries []upperEntry, epoch time.Time) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	tw := tar.NewWriter(bw)
	links := map[[2]uint64]string{}
	for _, e := range entries {
		host := filepath.Join(upper, filepath.FromSlash(e.rel))
		fi := e.fi
		st, _ := fi.Sys().(*syscall.Stat_t)
		mtime := fi.ModTime()
		if mtime.After(epoch) {
			mtime = epoch
		}
		hdr := &tar.Header{Name: e.rel, Mode: guntar.PermBits(fi.Mode()), ModTime: mtime, Format: tar.FormatPAX}
		if st != nil {
			hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
		}
		dir, base := filepath.Split(e.rel)
		switch {
		case isWhiteoutFile(fi):
			hdr = &tar.Header{Typeflag: tar.TypeReg, Name: dir + ".wh." + base, Mode: 0o644, ModTime: epoch, Format: tar.FormatPAX}
		case fi.IsDir():
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(host)
			if err != nil {
				return err
			}
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		case fi.Mode().IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
			if st != nil && st.Nlink > 1 {
				k := [2]uint64{st.Dev, st.Ino}
				if first, ok := links[k]; ok {
					hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
				} else {
					links[k] = e.rel
				}
			}
		case fi.Mode()&fs.ModeNamedPipe != 0:
			hdr.Typeflag = tar.TypeFifo
		case fi.Mode()&fs.ModeDevice != 0 && st != nil:
			hdr.Typeflag = tar.TypeBlock
			if fi.Mode()&fs.ModeCharDevice != 0 {
				hdr.Typeflag = tar.TypeChar
			}
			hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		default:
			continue // sockets are not kept
		}
		if !isWhiteoutFile(fi) {
			buf := make([]byte, 256)
			if n, err := unix.Lgetxattr(host, "security.capability", buf); err == nil && n > 0 {
				hdr.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": string(buf[:n])}
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
			f, err := os.Open(host)
			if err != nil {
				return err
			}
			n, err := io.Copy(tw, io.LimitReader(f, hdr.Size))
			f.Close()
			if err != nil {
				return err
			}
			if n != hdr.Size {
				return fmt.Errorf("%s changed size while it was packed", "/"+e.rel)
			}
		}
		if fi.IsDir() && isOpaqueDir(host) {
			err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.rel + "/.wh..wh..opq", Mode: 0o644, ModTime: epoch, Format: tar.FormatPAX})
			if err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}
