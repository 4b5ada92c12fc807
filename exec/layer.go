package exec

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/runtime"
)

// tarEntry is one entry of a layer gun writes itself (Copy, Workdir).
type tarEntry struct {
	name     string // container path, absolute
	typ      byte   // tar.TypeReg, TypeDir, TypeSymlink
	mode     int64  // permission bits with setuid, setgid, sticky
	uid, gid int
	link     string // symlink target
	src      string // host file with a regular file's content
	size     int64
	inode    inode // src's, when it has several names
}

// inode identifies a host file with several names: the layer stores it
// once, its other names as hardlinks, as BuildKit's copy does.
type inode struct{ dev, ino uint64 }

// inodeOf returns fi's inode if fi is a regular file with several names.
func inodeOf(fi fs.FileInfo) inode {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() && st.Nlink > 1 {
		return inode{uint64(st.Dev), st.Ino}
	}
	return inode{}
}

// putEntries writes entries as a reproducible layer tar (sorted, file times
// clamped to the build's epoch, no user or group names) into the store.
func (b *builder) putEntries(ctx context.Context, entries []tarEntry) (*cache.Layer, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	sort.SliceStable(entries, func(i, j int) bool { return guntar.PathLess(entries[i].name, entries[j].name) })
	// The last of entries with the same name wins.
	uniq := entries[:0]
	for i, e := range entries {
		if i+1 < len(entries) && entries[i+1].name == e.name {
			continue
		}
		uniq = append(uniq, e)
	}
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(b.writeTar(pw, uniq))
	}()
	l, err := b.be.PutLayer(ctx, pr)
	pr.CloseWithError(err)
	return l, err
}

func (b *builder) writeTar(w io.Writer, entries []tarEntry) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	tw := tar.NewWriter(bw)
	links := map[inode]string{}
	for _, e := range entries {
		name := strings.TrimPrefix(path.Clean(e.name), "/")
		if name == "" || name == "." {
			name = "."
		}
		if e.typ == tar.TypeReg && e.inode != (inode{}) {
			if first, ok := links[e.inode]; ok {
				e.typ, e.link = tar.TypeLink, first
			} else {
				links[e.inode] = name
			}
		}
		hdr := &tar.Header{
			Typeflag: e.typ,
			Name:     name,
			Linkname: e.link,
			Mode:     e.mode,
			Uid:      e.uid,
			Gid:      e.gid,
			ModTime:  b.epoch,
			Format:   tar.FormatPAX,
		}
		if e.typ == tar.TypeDir {
			hdr.Name += "/"
		}
		if e.typ == tar.TypeReg {
			hdr.Size = e.size
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if e.typ == tar.TypeReg {
			if err := copyFile(tw, e.src, e.size); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

func copyFile(w io.Writer, src string, size int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	if n != size {
		return fmt.Errorf("read %s: file changed size during the build", src)
	}
	return nil
}

// idMap maps host ids of unpacked layer files to the container's ids, by
// the maps the runtime unpacks layers and runs containers with.
type idMap struct{ uids, gids []runtime.IDMap }

func hostIDMap(rt *runtime.Runtime) *idMap {
	uids, gids, err := rt.HostIDMaps()
	if err != nil { // then no container runs either: the user alone is root
		uids, gids = []runtime.IDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}, []runtime.IDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	return &idMap{uids: uids, gids: gids}
}

// owner returns the container uid and gid of a host file's owner.
func (m *idMap) owner(fi fs.FileInfo) (int, int) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return guntar.MapID(m.uids, int(st.Uid)), guntar.MapID(m.gids, int(st.Gid))
}

// parentEntries returns directory entries for every parent of p (and p
// itself when self), as the view has them (so that a layer does not change
// their metadata), or new ones owned by uid:gid, mode 0755.
func parentEntries(v *view, ids *idMap, p string, self bool, uid, gid int) []tarEntry {
	var out []tarEntry
	parts := splitPath(p)
	n := len(parts)
	if !self {
		n--
	}
	for i := 1; i <= n; i++ {
		dir := "/" + strings.Join(parts[:i], "/")
		if _, fi, err := v.lstat(dir); err == nil && fi.IsDir() {
			u, g := ids.owner(fi)
			out = append(out, tarEntry{name: dir, typ: tar.TypeDir, mode: guntar.PermBits(fi.Mode()), uid: u, gid: g})
			continue
		}
		out = append(out, tarEntry{name: dir, typ: tar.TypeDir, mode: 0o755, uid: uid, gid: gid})
	}
	return out
}

// mkdirLayer makes a layer that creates directory dir when the view does
// not have it. The directories it creates belong to user (the stage's
// User, "" for root), as docker's WORKDIR does.
func (b *builder) mkdirLayer(ctx context.Context, v *view, dir, user string) (*cache.Layer, error) {
	if v.isDir(dir) {
		return nil, nil
	}
	r, err := v.resolve(dir, true)
	if err != nil {
		return nil, err
	}
	uid, gid, err := owner(v, "User", user)
	if err != nil {
		return nil, err
	}
	return b.putEntries(ctx, parentEntries(v, b.ids, r, true, uid, gid))
}
