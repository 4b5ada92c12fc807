package guntar

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tempDir is t.TempDir, made removable again at cleanup even when tests
// leave read-only directories in it (which matters when not root).
func tempDir(t testing.TB) string {
	dir := t.TempDir()
	t.Cleanup(func() { makeRemovable(dir) })
	return dir
}

// readAny reads a file even if its mode denies the owner reading it.
func readAny(p string, mode fs.FileMode) ([]byte, error) {
	data, err := os.ReadFile(p)
	if err != nil && os.IsPermission(err) && os.Chmod(p, 0o400) == nil {
		data, err = os.ReadFile(p)
		os.Chmod(p, mode)
	}
	return data, err
}

// ent is one archive entry for the test archives, which are built here in
// code rather than checked in as binaries.
type ent struct {
	hdr  tar.Header
	body string
}

var testTime = time.Date(2021, 6, 15, 12, 0, 0, 0, time.UTC)

func tDir(name string, mode int64) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: testTime}}
}

func tFile(name, body string, mode int64) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body)), ModTime: testTime}, body: body}
}

func tSymlink(name, target string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: testTime}}
}

func tLink(name, target string) ent {
	return ent{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, ModTime: testTime}}
}

func tNode(name string, typ byte, major, minor int64) ent {
	return ent{hdr: tar.Header{Typeflag: typ, Name: name, Mode: 0o644, Devmajor: major, Devminor: minor, ModTime: testTime}}
}

func (e ent) owner(uid, gid int) ent {
	e.hdr.Uid, e.hdr.Gid = uid, gid
	return e
}

func (e ent) xattr(k, v string) ent {
	if e.hdr.PAXRecords == nil {
		e.hdr.PAXRecords = map[string]string{}
	}
	e.hdr.PAXRecords[paxXattr+k] = v
	return e
}

// mkTar writes ents, in order, as a tar archive.
func mkTar(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("tar header %s: %v", h.Name, err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type snapOpts struct {
	owners bool // record uid:gid
	times  bool // record mtimes of files and directories
}

// snapshot describes every entry under dir, one line per path: type, mode,
// (owner), content or link target, hardlink group and interesting xattrs.
func snapshot(t testing.TB, dir string, o snapOpts) map[string]string {
	t.Helper()
	out := map[string]string{}
	inodes := map[uint64]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		var b strings.Builder
		mode := fi.Mode()
		fmt.Fprintf(&b, "%s %04o", typeName(mode), PermBits(mode))
		if o.owners {
			fmt.Fprintf(&b, " %d:%d", st.Uid, st.Gid)
		}
		switch {
		case mode.IsRegular():
			data, err := readAny(p, mode)
			if err != nil {
				return err
			}
			if len(data) <= 40 {
				fmt.Fprintf(&b, " %q", data)
			} else {
				fmt.Fprintf(&b, " sha256:%x", sha256.Sum256(data))
			}
			if st.Nlink > 1 {
				if first, ok := inodes[st.Ino]; ok {
					fmt.Fprintf(&b, " =%s", first)
				} else {
					inodes[st.Ino] = rel
				}
			}
		case mode&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " -> %s", target)
		case mode&fs.ModeDevice != 0:
			fmt.Fprintf(&b, " %d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		if o.times && mode&fs.ModeSymlink == 0 && rel != "." {
			fmt.Fprintf(&b, " %s", fi.ModTime().UTC().Format(time.RFC3339))
		}
		if mode&fs.ModeSymlink == 0 {
			for _, x := range []string{"user.foo", "user.overlay.opaque", "security.capability"} {
				val := make([]byte, 256)
				n, err := unix.Lgetxattr(p, x, val)
				if err == nil {
					fmt.Fprintf(&b, " %s=%q", x, val[:n])
				}
			}
		}
		out[rel] = b.String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func typeName(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeCharDevice != 0:
		return "char"
	case m&fs.ModeDevice != 0:
		return "block"
	case m.IsRegular():
		return "file"
	}
	return "other"
}
