package runtime_test

import (
	"archive/tar"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeImageArchive writes the busybox tree as a gzipped tar with root
// owners, plus a file and a directory of the image's user app (1000).
func writeImageArchive(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(env.rootfs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(env.rootfs, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name, h.Uid, h.Gid, h.Uname, h.Gname = rel, 0, 0, "", ""
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []*tar.Header{
		{Name: "srv/", Typeflag: tar.TypeDir, Mode: 0o755, Uid: 1000, Gid: 1000},
		{Name: "srv/app-file", Typeflag: tar.TypeReg, Mode: 0o644, Uid: 1000, Gid: 1000, Size: 4},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tw.Write([]byte("app\n")); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRunArchiveThenStoreImage(t *testing.T) {
	requireSubIDs(t)
	s := newStore(t)
	archive := filepath.Join(userDir(t, "archives"), "Busy_Box-1.0.tar.gz")
	writeImageArchive(t, archive)
	if env.cred != nil {
		if err := os.Chown(archive, int(env.cred.Uid), int(env.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	// The image's user owns its files inside, and can write them: overlay
	// copy-up works because the layer was unpacked under the same id map.
	script := `stat -c '%u:%g' /srv/app-file; echo more >>/srv/app-file; cat /srv/app-file`
	r := s.run(t, nil, "run", "-u", "app", archive, "sh", "-c", script)
	if r.code != 0 || r.stdout != "1000:1000\napp\nmore\n" {
		t.Fatalf("archive run: %+v", r)
	}
	layers, err := filepath.Glob(filepath.Join(s.root, "layers", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var unpacked []string
	for _, l := range layers {
		if !strings.HasSuffix(l, ".lock") {
			unpacked = append(unpacked, l)
		}
	}
	if len(unpacked) != 1 {
		t.Fatalf("unpacked layers: %v", layers)
	}
	if uid := ownerOf(t, filepath.Join(unpacked[0], "srv", "app-file")); uid != env.subuid+999 {
		t.Errorf("the layer's app-file belongs to %d on the host, want %d", uid, env.subuid+999)
	}
	before, err := os.Stat(unpacked[0])
	if err != nil {
		t.Fatal(err)
	}
	// The imported image runs by name without unpacking again.
	r = s.run(t, nil, "run", "busy_box-1.0", "cat", "/srv/app-file")
	if r.code != 0 || r.stdout != "app\n" {
		t.Fatalf("run by name: %+v", r)
	}
	after, err := os.Stat(unpacked[0])
	if err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the layer was unpacked again (%v)", err)
	}
	if r := s.run(t, nil, "run", "no-such-image", "true"); r.code != 125 || !strings.Contains(r.stderr, "no-such-image") {
		t.Errorf("unknown image: %+v", r)
	}
}
