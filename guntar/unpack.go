package guntar

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// WhiteoutMode says what Unpack makes of OCI whiteout entries.
type WhiteoutMode int

const (
	// WhiteoutApply applies whiteouts to the target directory: .wh.X
	// deletes X, .wh..wh..opq empties its directory of what lower layers
	// put there. Used to flatten layers into one tree.
	WhiteoutApply WhiteoutMode = iota
	// WhiteoutOverlay turns .wh.X into an overlayfs whiteout (a character
	// device 0:0) and .wh..wh..opq into the xattr user.overlay.opaque="y"
	// on its directory, for an overlay mounted with "userxattr".
	WhiteoutOverlay
)

// UnpackOptions configure Unpack.
type UnpackOptions struct {
	Whiteouts WhiteoutMode
	// Chown applies the archive's uid/gid to what is unpacked. It needs
	// privilege in the current user namespace.
	Chown bool
	// Warn receives non-fatal events, such as a device node that could
	// not be created. Nil drops them.
	Warn func(msg string)
}

const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
	// OverlayOpaqueXattr marks an opaque directory in an overlay mounted
	// with "userxattr".
	OverlayOpaqueXattr = "user.overlay.opaque"
	paxXattr           = "SCHILY.xattr."
)

// Unpack reads a tar stream from r, compressed or not (gzip, zstd, xz and
// bzip2 are detected), and writes its entries into dir, which must exist.
// Nothing is ever written outside dir, whatever the archive's paths and
// links say: every path is resolved inside dir as if it were "/".
func Unpack(ctx context.Context, r io.Reader, dir string, opts UnpackOptions) error {
	dr, _, err := Decompress(r)
	if err != nil {
		return fmt.Errorf("unpack into %s: %w", dir, err)
	}
	defer dr.Close()
	rt, err := openRoot(dir)
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	defer rt.close()
	u := &unpacker{root: rt, opts: opts, dirs: map[string]*dirMeta{}, buf: make([]byte, 256<<10)}
	if opts.Whiteouts == WhiteoutApply {
		u.seen = map[string]bool{}
	}
	if opts.Warn == nil {
		u.opts.Warn = func(string) {}
	}
	tr := tar.NewReader(dr)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("unpack: read archive: %w", err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return fmt.Errorf("unpack %s: %w", hdr.Name, err)
		}
	}
	// Read to the end so that a compressed stream's checksum is verified.
	if _, err := io.CopyBuffer(io.Discard, onlyReader{dr}, u.buf); err != nil {
		return fmt.Errorf("unpack: read archive: %w", err)
	}
	return u.finishDirs()
}

type unpacker struct {
	root *root
	opts UnpackOptions
	buf  []byte // copy buffer
	// seen holds the paths this archive wrote, with true for those it
	// wrote itself and false for their ancestors (WhiteoutApply only):
	// whiteouts hide only what lower layers made.
	seen map[string]bool
	// dirs holds directories whose mode and times are set at the end:
	// until then they stay writable, and their children would change
	// their times.
	dirs     map[string]*dirMeta
	dirOrder []string
}

type dirMeta struct {
	mode         uint32
	atime, mtime time.Time
}

func (u *unpacker) markSeen(rel string) {
	if u.seen == nil {
		return
	}
	u.seen[rel] = true
	for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
		if _, ok := u.seen[d]; ok {
			break
		}
		u.seen[d] = false
	}
	u.seen[""] = false
}

func (u *unpacker) entry(hdr *tar.Header, tr io.Reader) error {
	rel := cleanPath(hdr.Name)
	base := path.Base(rel)
	if strings.HasPrefix(base, whiteoutPrefix) {
		return u.whiteout(rel, hdr)
	}
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader:
		return nil
	case tar.TypeDir:
		return u.dir(rel, hdr)
	}
	if rel == "" {
		return fmt.Errorf("the archive's root must be a directory, not type %q", hdr.Typeflag)
	}
	pfd, name, err := u.root.parent(rel)
	if err != nil {
		return err
	}
	u.markSeen(rel)
	if hdr.Typeflag == tar.TypeLink {
		return u.hardlink(rel, pfd, name, hdr)
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse: // archive/tar reads the old TypeRegA as TypeReg
		return u.file(pfd, name, hdr, tr)
	case tar.TypeSymlink:
		u.root.invalidate()
		err := u.replacing(pfd, name, func() error { return unix.Symlinkat(hdr.Linkname, pfd, name) })
		if err != nil {
			return fmt.Errorf("symlink: %w", err)
		}
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		mode := uint32(hdr.Mode & 0o7777)
		switch hdr.Typeflag {
		case tar.TypeChar:
			mode |= unix.S_IFCHR
		case tar.TypeBlock:
			mode |= unix.S_IFBLK
		default:
			mode |= unix.S_IFIFO
		}
		dev := int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor)))
		err := u.replacing(pfd, name, func() error { return unix.Mknodat(pfd, name, mode, dev) })
		if err != nil {
			if isNotPermitted(err) && hdr.Typeflag != tar.TypeFifo {
				u.opts.Warn(fmt.Sprintf("%s: device node %d:%d not created: %v", rel, hdr.Devmajor, hdr.Devminor, err))
				return nil
			}
			return fmt.Errorf("mknod: %w", err)
		}
		if err := unix.Fchmodat(pfd, name, mode&0o7777, 0); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	default:
		u.opts.Warn(fmt.Sprintf("%s: entry of type %q skipped", rel, hdr.Typeflag))
		return nil
	}
	return u.ownAndTime(pfd, name, hdr)
}

// replacing runs create, which makes name in pfd; if name exists, it is
// cleared away first and create runs again. Trying first saves a syscall
// for the common case, a path that is not there yet.
func (u *unpacker) replacing(pfd int, name string, create func() error) error {
	err := create()
	if err != unix.EEXIST {
		return err
	}
	if err := u.clear(pfd, name); err != nil {
		return err
	}
	return create()
}

// clear removes whatever is at name so that a new entry can take its place.
// Files are never written through: a hardlink or symlink already there is
// replaced, not followed.
func (u *unpacker) clear(pfd int, name string) error {
	err := unix.Unlinkat(pfd, name, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	u.root.invalidate()
	if err := removeAt(pfd, name); err != nil {
		return fmt.Errorf("replace: %w", err)
	}
	return nil
}

func (u *unpacker) file(pfd int, name string, hdr *tar.Header, tr io.Reader) error {
	mode := uint32(hdr.Mode & 0o7777)
	var fd int
	err := u.replacing(pfd, name, func() (err error) {
		// Created with the permissions only: setuid bits come last.
		fd, err = unix.Openat(pfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode&0o777)
		return err
	})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	w := fdWriter(fd)
	defer w.close()
	if isSparse(hdr) {
		// The tar reader gives holes as zeros: skip zero blocks, so
		// that the holes stay holes.
		sw := &sparseWriter{fd: fd}
		if _, err = io.CopyBuffer(sw, onlyReader{tr}, u.buf); err == nil {
			err = unix.Ftruncate(fd, sw.off)
		}
	} else {
		// One buffer for all files: WriteTo would allocate one per file.
		_, err = io.CopyBuffer(w, onlyReader{tr}, u.buf)
	}
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if u.opts.Chown {
		if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	// After chown, which clears setuid bits and file capabilities; and
	// only if the mode has bits that creation did not give.
	if mode&^0o777 != 0 || mode&processUmask() != 0 {
		if err := unix.Fchmod(fd, mode); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	}
	if err := u.xattrs(fd, hdr); err != nil {
		return err
	}
	ts := timespecs(hdr)
	if err := futimens(fd, &ts); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return w.close()
}

// onlyReader hides a reader's WriteTo from io.CopyBuffer.
type onlyReader struct{ io.Reader }

// isSparse reports whether hdr is a sparse file in GNU or PAX form.
func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// sparseWriter writes at increasing offsets of fd, leaving out the blocks
// that are all zeros.
type sparseWriter struct {
	fd  int
	off int64
}

var zeroBlock [4096]byte

func (w *sparseWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		b := p[:min(len(p), len(zeroBlock))]
		if !bytes.Equal(b, zeroBlock[:len(b)]) {
			if _, err := unix.Pwrite(w.fd, b, w.off); err != nil {
				return n - len(p), err
			}
		}
		w.off += int64(len(b))
		p = p[len(b):]
	}
	return n, nil
}

// fdWriter writes to a file descriptor without the cost of an *os.File.
type fdWriter int

func (w fdWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := unix.Write(int(w), p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// close closes the descriptor once; later calls do nothing.
func (w *fdWriter) close() error {
	if *w < 0 {
		return nil
	}
	err := unix.Close(int(*w))
	*w = -1
	return err
}

var umaskOnce = sync.OnceValue(func() uint32 {
	// The umask is read from /proc: setting it to read it would race
	// with other goroutines creating files.
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for line := range strings.Lines(string(data)) {
			if v, ok := strings.CutPrefix(line, "Umask:"); ok {
				if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					return uint32(m)
				}
			}
		}
	}
	return 0o777 // unknown: always chmod
})

// processUmask returns the process's file mode creation mask.
func processUmask() uint32 { return umaskOnce() }

func (u *unpacker) hardlink(rel string, pfd int, name string, hdr *tar.Header) error {
	target := cleanPath(hdr.Linkname)
	if target == rel {
		return nil // a link to itself: nothing to do
	}
	if target == "" {
		return fmt.Errorf("hardlink to the root directory")
	}
	tdir, tname := path.Split(target)
	tfd, err := u.root.resolve(strings.TrimSuffix(tdir, "/"), unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("hardlink target %s: %w", hdr.Linkname, err)
	}
	defer unix.Close(tfd)
	if err := u.clear(pfd, name); err != nil {
		return err
	}
	// Without AT_SYMLINK_FOLLOW: a link to a symlink links the symlink.
	if err := unix.Linkat(tfd, tname, pfd, name, 0); err != nil {
		return fmt.Errorf("hardlink to %s: %w", hdr.Linkname, err)
	}
	return nil
}

func (u *unpacker) dir(rel string, hdr *tar.Header) error {
	if rel != "" {
		pfd, name, err := u.root.parent(rel)
		if err != nil {
			return err
		}
		var st unix.Stat_t
		err = unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			if err := u.clear(pfd, name); err != nil {
				return err
			}
			err = unix.ENOENT
		}
		if err == unix.ENOENT {
			if err := unix.Mkdirat(pfd, name, 0o700); err != nil {
				return fmt.Errorf("mkdir: %w", err)
			}
		} else if err != nil {
			return err
		}
		u.markSeen(rel)
	}
	fd, err := u.root.resolve(rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW)
	if err != nil {
		return fmt.Errorf("open directory: %w", err)
	}
	defer unix.Close(fd)
	if u.opts.Chown {
		if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	if err := u.xattrs(fd, hdr); err != nil {
		return err
	}
	if _, ok := u.dirs[rel]; !ok {
		u.dirOrder = append(u.dirOrder, rel)
	}
	ts := timespecs(hdr)
	u.dirs[rel] = &dirMeta{
		mode:  uint32(hdr.Mode & 0o7777),
		atime: time.Unix(ts[0].Unix()),
		mtime: time.Unix(ts[1].Unix()),
	}
	return nil
}

// finishDirs sets the directories' modes and times, deepest first. A
// directory that a later entry replaced is left alone.
func (u *unpacker) finishDirs() error {
	slices.SortStableFunc(u.dirOrder, func(a, b string) int {
		return depth(b) - depth(a)
	})
	for _, rel := range u.dirOrder {
		m := u.dirs[rel]
		fd, err := u.root.resolve(rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW)
		if err == unix.ENOENT || err == unix.ENOTDIR || err == unix.ELOOP {
			continue
		}
		if err != nil {
			return fmt.Errorf("unpack %s: %w", rel, err)
		}
		err = unix.Fchmod(fd, m.mode)
		if err == nil {
			ts := []unix.Timespec{unix.NsecToTimespec(m.atime.UnixNano()), unix.NsecToTimespec(m.mtime.UnixNano())}
			err = unix.UtimesNanoAt(fd, ".", ts, 0)
		}
		unix.Close(fd)
		if err != nil {
			return fmt.Errorf("unpack %s: %w", rel, err)
		}
	}
	return nil
}

func (u *unpacker) whiteout(rel string, hdr *tar.Header) error {
	dir, base := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	if base == whiteoutOpaque {
		return u.opaque(dir)
	}
	victim := strings.TrimPrefix(base, whiteoutPrefix)
	if victim == "" || victim == "." || victim == ".." || strings.HasPrefix(victim, whiteoutPrefix) {
		return fmt.Errorf("invalid whiteout name %q", base)
	}
	vrel := path.Join(dir, victim)
	if u.opts.Whiteouts == WhiteoutApply {
		if _, ok := u.seen[vrel]; ok {
			return nil // whiteouts hide lower layers, not their own
		}
		pfd, err := u.root.resolve(dir, unix.O_PATH|unix.O_DIRECTORY)
		if err == unix.ENOENT || err == unix.ENOTDIR {
			return nil // nothing there to hide
		}
		if err != nil {
			return fmt.Errorf("apply whiteout: %w", err)
		}
		defer unix.Close(pfd)
		u.root.invalidate()
		if err := removeAt(pfd, victim); err != nil {
			return fmt.Errorf("apply whiteout: %w", err)
		}
		return nil
	}
	pfd, name, err := u.root.parent(vrel)
	if err != nil {
		return err
	}
	if err := u.clear(pfd, name); err != nil {
		return err
	}
	if err := unix.Mknodat(pfd, name, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("create overlay whiteout: %w", err)
	}
	ts := timespecs(hdr)
	if err := unix.UtimesNanoAt(pfd, name, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

func (u *unpacker) opaque(dir string) error {
	fd, err := u.root.mkdirAll(dir)
	if err != nil {
		return fmt.Errorf("opaque directory: %w", err)
	}
	defer unix.Close(fd)
	dfd, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opaque directory: %w", err)
	}
	defer unix.Close(dfd)
	if u.opts.Whiteouts == WhiteoutOverlay {
		if err := unix.Fsetxattr(dfd, OverlayOpaqueXattr, []byte("y"), 0); err != nil {
			return fmt.Errorf("set %s: %w", OverlayOpaqueXattr, err)
		}
		return nil
	}
	u.root.invalidate()
	return u.removeUnseen(dfd, dir)
}

// removeUnseen removes what lower layers left in the directory fd (at rel):
// every entry this archive did not write, recursing into those it did.
func (u *unpacker) removeUnseen(fd int, rel string) error {
	var descend []string
	err := removeChildren(fd, func(name string) bool {
		own, ok := u.seen[path.Join(rel, name)]
		if ok && !own {
			descend = append(descend, name)
		}
		return ok
	})
	if err != nil {
		return fmt.Errorf("apply opaque whiteout: %w", err)
	}
	for _, name := range descend {
		cfd, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // not a directory any more: nothing below to hide
		}
		err = u.removeUnseen(cfd, path.Join(rel, name))
		unix.Close(cfd)
		if err != nil {
			return err
		}
	}
	return nil
}

func (u *unpacker) ownAndTime(pfd int, name string, hdr *tar.Header) error {
	if u.opts.Chown {
		if err := unix.Fchownat(pfd, name, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
		if hdr.Typeflag != tar.TypeSymlink {
			// chown clears setuid and setgid bits.
			if err := unix.Fchmodat(pfd, name, uint32(hdr.Mode&0o7777), 0); err != nil {
				return fmt.Errorf("chmod: %w", err)
			}
		}
	}
	ts := timespecs(hdr)
	if err := unix.UtimesNanoAt(pfd, name, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

// xattrs sets the extended attributes the archive records for the file fd.
// Overlay's own attributes are refused: an archive must not fake overlay
// metadata. Attributes the process may not set are warned about.
func (u *unpacker) xattrs(fd int, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, paxXattr)
		if !ok {
			continue
		}
		if strings.HasPrefix(name, "user.overlay.") || strings.HasPrefix(name, "trusted.overlay.") {
			u.opts.Warn(fmt.Sprintf("%s: xattr %s ignored", hdr.Name, name))
			continue
		}
		if err := unix.Fsetxattr(fd, name, []byte(v), 0); err != nil {
			if isNotPermitted(err) {
				u.opts.Warn(fmt.Sprintf("%s: xattr %s not set: %v", hdr.Name, name, err))
				continue
			}
			return fmt.Errorf("set xattr %s: %w", name, err)
		}
	}
	return nil
}

func timespecs(hdr *tar.Header) [2]unix.Timespec {
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	return [2]unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
}

func depth(rel string) int {
	if rel == "" {
		return -1
	}
	return strings.Count(rel, "/")
}

// futimens sets the times of the open file fd: utimensat with a NULL path,
// which x/sys/unix does not offer.
func futimens(fd int, ts *[2]unix.Timespec) error {
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
