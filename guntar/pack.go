package guntar

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// IDMapping maps Size ids from HostID on, as the host sees them, to
// ContainerID on, as a container sees them (a line of /proc/self/uid_map).
type IDMapping struct {
	ContainerID, HostID, Size int
}

// overflowID stands for an id with no mapping, as the kernel shows it.
const overflowID = 65534

// MapID maps a host id to the container's by m (nil: the same id); an id
// m does not map is the overflow id 65534, as the kernel shows it.
func MapID(m []IDMapping, id int) int {
	if m == nil {
		return id
	}
	for _, r := range m {
		if id >= r.HostID && id < r.HostID+r.Size {
			return r.ContainerID + id - r.HostID
		}
	}
	return overflowID
}

// PackOptions configure Pack and PackOverlayUpper.
type PackOptions struct {
	// SourceDateEpoch, if not nil, clamps modification times: later ones
	// become it. See SourceDateEpoch().
	SourceDateEpoch *time.Time
	// UIDMap and GIDMap translate the owners on disk to the owners in
	// the archive. Nil keeps the ids as they are.
	UIDMap, GIDMap []IDMapping
	// Compression of the output stream: None, Gzip or Zstd.
	Compression Compression
	// Skip, if not nil, is asked about each entry before it is written
	// (a directory's name ends in "/"); an entry it returns true for is
	// left out, with all a directory holds.
	Skip func(*tar.Header) bool
}

// SourceDateEpoch returns the time in $SOURCE_DATE_EPOCH, or nil if it is
// not set.
func SourceDateEpoch() (*time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return nil, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q: not a number of seconds", v)
	}
	t := time.Unix(sec, 0).UTC()
	return &t, nil
}

// Pack writes the tree under dir as a tar stream to w. The same tree always
// gives the same bytes: entries are sorted by name, user and group names,
// access and change times are left out, modification times are whole
// seconds (clamped to SourceDateEpoch). Symlinks are stored, never
// followed; a file with several names is stored once and then as hardlinks.
// The xattr security.capability is kept. Sockets are skipped.
func Pack(ctx context.Context, w io.Writer, dir string, opts PackOptions) error {
	return pack(ctx, w, dir, opts, false)
}

// PackOverlayUpper writes the upper directory of an overlay mount as an OCI
// layer: overlay whiteouts (character devices 0:0) become .wh. entries and
// opaque directories (xattr user.overlay.opaque or trusted.overlay.opaque
// set to "y") get a .wh..wh..opq entry. Otherwise it is Pack, but for one
// rule: an upper directory that holds nothing but plain directories (once
// Skip left its entries out) holds no changes, and nothing at all is
// written, not even an empty archive. (Overlayfs copies a directory up as
// the parent of what changes in it, such as a mount point made for a bind
// mount and left out by Skip.)
func PackOverlayUpper(ctx context.Context, w io.Writer, upper string, opts PackOptions) error {
	return pack(ctx, w, upper, opts, true)
}

func pack(ctx context.Context, w io.Writer, dir string, opts PackOptions, overlay bool) error {
	return packTree(ctx, w, dir, opts, overlay, "pack", func(p *packer, fd int) error {
		return p.walk(fd, dir, "")
	})
}

// IsWhiteout reports whether fi is an overlay whiteout: a character device
// 0:0.
func IsWhiteout(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0
}

// IsOpaque reports whether the directory p is an opaque directory of an
// overlay.
func IsOpaque(p string) bool {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return isOpaque(fd)
}

// PathLess orders slash-separated paths component by component, so that a
// directory's entries follow it directly: the order of the entries of a
// layer Pack writes.
func PathLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca == '/' {
			return true
		}
		if cb == '/' {
			return false
		}
		return ca < cb
	}
	return len(a) < len(b)
}

// packTree opens dir, runs walk with a packer that writes to w (compressed
// as opts say), and closes the archive, its buffer and its compressor in
// that order. what names the operation in errors.
func packTree(ctx context.Context, w io.Writer, dir string, opts PackOptions, overlay bool, what string, walk func(p *packer, fd int) error) error {
	cw, err := Compress(w, opts.Compression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(cw, 1<<20)
	p := &packer{
		ctx:     ctx,
		tw:      tar.NewWriter(bw),
		opts:    opts,
		overlay: overlay,
		holding: overlay,
		links:   map[fileID]string{},
		buf:     make([]byte, 1<<20),
		dirents: make([]byte, 64<<10),
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", what, &os.PathError{Op: "open", Path: dir, Err: err})
	}
	defer unix.Close(fd)
	if err := walk(p, fd); err != nil {
		return err
	}
	if p.holding {
		return nil // no changes: nothing written, not even the compressor's header
	}
	for _, finish := range []func() error{p.tw.Close, bw.Flush, cw.Close} {
		if err := finish(); err != nil {
			return fmt.Errorf("%s %s: %w", what, dir, err)
		}
	}
	return nil
}

type fileID struct{ dev, ino uint64 }

type packer struct {
	ctx     context.Context
	tw      *tar.Writer
	opts    PackOptions
	overlay bool
	links   map[fileID]string // first name of each file with several links
	buf     []byte
	dirents []byte
	// holding: an overlay's plain directories are held back in held
	// until something else is written (PackOverlayUpper).
	holding bool
	held    []*tar.Header
}

// write writes hdr, after the directories held back before it.
func (p *packer) write(hdr *tar.Header) error {
	if p.holding {
		if hdr.Typeflag == tar.TypeDir {
			p.held = append(p.held, hdr)
			return nil
		}
		p.holding = false
		for _, h := range p.held {
			if err := p.tw.WriteHeader(h); err != nil {
				return fmt.Errorf("pack %s: %w", h.Name, err)
			}
		}
		p.held = nil
	}
	if err := p.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("pack %s: %w", hdr.Name, err)
	}
	return nil
}

// walk packs the entries of the directory open as dirfd, whose name in
// the archive is rel ("" for the root, which has no entry of its own).
// Everything is reached relative to a directory descriptor, as GNU tar
// does, so that no path is looked up from the top again.
func (p *packer) walk(dirfd int, abs, rel string) error {
	names, err := p.readNames(dirfd)
	if err != nil {
		return fmt.Errorf("pack: read directory %s: %w", abs, err)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		if err := p.entry(dirfd, name, abs+"/"+name, path.Join(rel, name)); err != nil {
			return err
		}
	}
	return nil
}

// readNames lists the directory dirfd, without "." and "..".
func (p *packer) readNames(dirfd int) ([]string, error) {
	var names []string
	for {
		n, err := unix.Getdents(dirfd, p.dirents)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(p.dirents[:n], -1, names)
	}
}

// entry packs name in dirfd (abs on disk, rel in the archive).
func (p *packer) entry(dirfd int, name, abs, rel string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("pack: %w", &os.PathError{Op: "lstat", Path: abs, Err: err})
	}
	hdr := &tar.Header{
		Name:    rel,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     MapID(p.opts.UIDMap, int(st.Uid)),
		Gid:     MapID(p.opts.GIDMap, int(st.Gid)),
		ModTime: p.clamp(time.Unix(st.Mtim.Unix())),
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		hdr.Typeflag = tar.TypeReg
		hdr.Size = st.Size
	case unix.S_IFDIR:
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
	case unix.S_IFLNK:
		hdr.Typeflag = tar.TypeSymlink
		n, err := unix.Readlinkat(dirfd, name, p.buf)
		if err != nil {
			return fmt.Errorf("pack: %w", &os.PathError{Op: "readlink", Path: abs, Err: err})
		}
		hdr.Linkname = string(p.buf[:n])
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		if p.overlay && hdr.Typeflag == tar.TypeChar && st.Rdev == 0 {
			dir, base := path.Split(rel)
			hdr = &tar.Header{Typeflag: tar.TypeReg, Name: dir + whiteoutPrefix + base, Mode: 0o644, ModTime: hdr.ModTime}
		}
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return nil // a socket: tar has no place for it
	}
	if p.opts.Skip != nil && p.opts.Skip(hdr) {
		return nil
	}
	switch {
	case hdr.Typeflag == tar.TypeDir:
		return p.dir(dirfd, name, abs, rel, hdr)
	case st.Mode&unix.S_IFMT == unix.S_IFREG:
		return p.file(dirfd, name, abs, hdr, &st)
	}
	return p.write(hdr)
}

// dir packs a directory and what it holds.
func (p *packer) dir(dirfd int, name, abs, rel string, hdr *tar.Header) error {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pack: %w", &os.PathError{Op: "open", Path: abs, Err: err})
	}
	defer unix.Close(fd)
	if err := p.write(hdr); err != nil {
		return err
	}
	if p.overlay && isOpaque(fd) {
		if err := p.write(&tar.Header{Typeflag: tar.TypeReg, Name: rel + "/" + whiteoutOpaque, Mode: 0o644, ModTime: hdr.ModTime}); err != nil {
			return err
		}
	}
	return p.walk(fd, abs, rel)
}

func (p *packer) clamp(t time.Time) time.Time {
	if p.opts.SourceDateEpoch != nil && t.After(*p.opts.SourceDateEpoch) {
		t = *p.opts.SourceDateEpoch
	}
	return t.Truncate(time.Second).UTC()
}

// file packs a regular file, or a hardlink to one packed before.
func (p *packer) file(dirfd int, name, abs string, hdr *tar.Header, st *unix.Stat_t) error {
	if st.Nlink > 1 {
		id := fileID{st.Dev, st.Ino}
		if first, ok := p.links[id]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			return p.write(hdr)
		}
		p.links[id] = hdr.Name
	}
	// Plain descriptors: an *os.File costs several fcntl and epoll calls
	// per file, which shows on trees of many small files.
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pack: %w", &os.PathError{Op: "open", Path: abs, Err: err})
	}
	defer unix.Close(fd)
	// The one xattr that matters: file capabilities (ping, ...).
	var capv [64]byte
	n, err := unix.Fgetxattr(fd, "security.capability", capv[:])
	switch err {
	case nil:
		hdr.PAXRecords = map[string]string{paxXattr + "security.capability": string(capv[:n])}
	case unix.ENODATA, unix.ENOTSUP, unix.ERANGE:
	default:
		return fmt.Errorf("pack %s: read security.capability: %w", abs, err)
	}
	if err := p.write(hdr); err != nil {
		return err
	}
	size := hdr.Size
	for left := size; left > 0; {
		chunk := p.buf
		if int64(len(chunk)) > left {
			chunk = chunk[:left]
		}
		n, err := unix.Read(fd, chunk)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("pack %s: %w", abs, err)
		}
		if n == 0 {
			return fmt.Errorf("pack %s: file shrank from %d to %d bytes while being read", abs, size, size-left)
		}
		if _, err := p.tw.Write(chunk[:n]); err != nil {
			return fmt.Errorf("pack %s: %w", abs, err)
		}
		left -= int64(n)
	}
	return nil
}

func isOpaque(dirfd int) bool {
	var buf [4]byte
	for _, x := range []string{OverlayOpaqueXattr, "trusted.overlay.opaque"} {
		if n, err := unix.Fgetxattr(dirfd, x, buf[:]); err == nil && string(buf[:n]) == "y" {
			return true
		}
	}
	return false
}
