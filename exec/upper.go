package exec

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// upperEntry is one file of an overlay upper directory.
type upperEntry struct {
	rel string // slash-separated, relative to the upper dir
	fi  fs.FileInfo
}

// scanUpper lists an overlay upper directory, sorted with each directory
// before its entries. It returns nothing for an empty upper dir.
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
		out = append(out, upperEntry{rel: filepath.ToSlash(rel), fi: fi})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return pathLess(out[i].rel, out[j].rel) })
	return out, nil
}

// writeUpperTar writes the changes in an overlay upper directory as an OCI
// layer diff: whiteouts become .wh. entries, opaque directories get a
// .wh..wh..opq entry, owners are mapped back to the container's ids, file
// times are clamped to epoch, and hard links are kept as links.
func writeUpperTar(w io.Writer, upper string, entries []upperEntry, ids *idMap, epoch time.Time) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	tw := tar.NewWriter(bw)
	links := map[[2]uint64]string{}
	clamp := func(t time.Time) time.Time {
		if t.After(epoch) {
			return epoch
		}
		return t
	}
	for _, e := range entries {
		host := filepath.Join(upper, filepath.FromSlash(e.rel))
		fi := e.fi
		uid, gid := ids.owner(fi)
		dir, base := filepath.Split(e.rel)
		hdr := &tar.Header{
			Name:    e.rel,
			Mode:    unixMode(fi.Mode()),
			Uid:     uid,
			Gid:     gid,
			ModTime: clamp(fi.ModTime()),
			Format:  tar.FormatPAX,
		}
		st, _ := fi.Sys().(*syscall.Stat_t)
		switch {
		case isWhiteout(fi):
			hdr = &tar.Header{Typeflag: tar.TypeReg, Name: dir + ".wh." + base, Mode: 0o644, ModTime: epoch, Format: tar.FormatPAX}
		case fi.IsDir():
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
		case fi.Mode()&fs.ModeSymlink != 0:
			hdr.Typeflag = tar.TypeSymlink
			target, err := os.Readlink(host)
			if err != nil {
				return err
			}
			hdr.Linkname = target
		case fi.Mode().IsRegular():
			hdr.Typeflag = tar.TypeReg
			hdr.Size = fi.Size()
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
		if !isWhiteout(fi) {
			if caps := getxattr(host, "security.capability"); caps != "" {
				hdr.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": caps}
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
			if err := copyFile(tw, host, hdr.Size); err != nil {
				if os.IsPermission(err) {
					return fmt.Errorf("%s: %w (a file only its owner in the container may read)", "/"+e.rel, err)
				}
				return err
			}
		}
		if fi.IsDir() && isOpaque(host) {
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

func getxattr(p, name string) string {
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil || n <= 0 {
		return ""
	}
	return string(buf[:n])
}
