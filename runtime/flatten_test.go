package runtime

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestFlattenAppliesOverlayWhiteouts(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("overlay whiteouts (char devices 0:0) need root to create")
		}
		t.Skip("overlay whiteouts (char devices 0:0) need root to create")
	}
	dir := t.TempDir()
	bottom, top, dst := filepath.Join(dir, "bottom"), filepath.Join(dir, "top"), filepath.Join(dir, "dst")
	for _, d := range []string{bottom + "/etc/old", bottom + "/opaque/sub", top + "/etc", top + "/opaque", dst} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(bottom+"/etc/keep", "bottom")
	write(bottom+"/etc/gone", "bottom")
	write(bottom+"/etc/old/x", "bottom")
	write(bottom+"/opaque/sub/y", "bottom")
	write(bottom+"/file-then-dir", "bottom")
	write(top+"/etc/keep", "top")
	if err := unix.Mknod(top+"/etc/gone", unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mknod(top+"/etc/old", unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setxattr(top+"/opaque", "user.overlay.opaque", []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	write(top+"/opaque/new", "top")
	if err := os.Mkdir(top+"/file-then-dir", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../etc/keep", top+"/link"); err != nil {
		t.Fatal(err)
	}
	if err := flatten([]string{bottom, top}, dst); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err := filepath.Walk(dst, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			got[rel] = "-> " + l
		case fi.IsDir():
			got[rel] = "dir " + fi.Mode().Perm().String()
		default:
			b, _ := os.ReadFile(p)
			got[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		".": "dir -rwxr-xr-x", "etc": "dir -rwxr-xr-x", "etc/keep": "top",
		"opaque": "dir -rwxr-xr-x", "opaque/new": "top",
		"file-then-dir": "dir -rwx------", "link": "-> ../etc/keep",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("flattened tree (-want +got):\n%s", d)
	}
}
