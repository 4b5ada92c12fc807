package guntar

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// TestPackDiff changes a copy of a tree and checks that the old tree plus
// the diff layer, applied, gives the new tree, and that the layer holds the
// changes only.
func TestPackDiff(t *testing.T) {
	old := tempDir(t)
	makeTree(t, old, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	os.MkdirAll(filepath.Join(old, "etc/app"), 0o755)
	os.WriteFile(filepath.Join(old, "etc/app/conf"), []byte("v1"), 0o644)
	os.WriteFile(filepath.Join(old, "etc/gone"), []byte("bye"), 0o644)
	os.MkdirAll(filepath.Join(old, "var/lib/dir-to-file/sub"), 0o755)
	os.WriteFile(filepath.Join(old, "var/file-to-dir"), []byte("f"), 0o644)
	setTimes(t, old, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	makeRemovable(old)

	cur := filepath.Join(tempDir(t), "new")
	if out, err := exec.Command("cp", "-a", old, cur).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v\n%s", err, out)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	later := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	must(os.WriteFile(filepath.Join(cur, "etc/app/conf"), []byte("v2"), 0o644))
	must(os.Chtimes(filepath.Join(cur, "etc/app/conf"), later, later))
	must(os.Remove(filepath.Join(cur, "etc/gone")))
	must(os.RemoveAll(filepath.Join(cur, "var/lib/dir-to-file")))
	must(os.WriteFile(filepath.Join(cur, "var/lib/dir-to-file"), []byte("now a file"), 0o600))
	must(os.Remove(filepath.Join(cur, "var/file-to-dir")))
	must(os.MkdirAll(filepath.Join(cur, "var/file-to-dir/inside"), 0o755))
	must(unix.Chmod(filepath.Join(cur, "usr/bin/tool"), 0o755))
	must(os.Link(filepath.Join(cur, "etc/app/conf"), filepath.Join(cur, "etc/app/conf.link")))
	must(os.Symlink("conf", filepath.Join(cur, "etc/app/current")))
	setTimes(t, filepath.Join(cur, "var"), later)
	setTimes(t, filepath.Join(cur, "etc"), later)
	must(os.Chtimes(filepath.Join(cur, "usr/bin"), later, later))
	must(os.Chtimes(filepath.Join(cur, "usr"), later, later))

	var layer bytes.Buffer
	if err := PackDiff(context.Background(), &layer, old, cur, asRoot()); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(listing(t, layer.Bytes())), "\n") {
		f := strings.Fields(line)
		names = append(names, strings.Trim(f[5], `"`))
	}
	wantNames := []string{
		"etc/", "etc/.wh.gone", "etc/app/", "etc/app/conf", "etc/app/conf.link", "etc/app/current",
		"usr/", "usr/bin/", "usr/bin/alias", "usr/bin/tool",
		"var/", "var/file-to-dir/", "var/file-to-dir/inside/", "var/lib/", "var/lib/dir-to-file",
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}

	// Old tree + diff, applied, is the new tree.
	got := tempDir(t)
	for _, data := range [][]byte{packBytes(t, old, PackOptions{}), layer.Bytes()} {
		if err := Unpack(context.Background(), bytes.NewReader(data), got, UnpackOptions{Whiteouts: WhiteoutApply}); err != nil {
			t.Fatal(err)
		}
	}
	want := snapshot(t, cur, snapOpts{})
	have := snapshot(t, got, snapOpts{})
	delete(want, ".")
	delete(have, ".")
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("old + diff (-new +got):\n%s", diff)
	}
}
