package guntar

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
)

// fuzzOutside is a fixed directory that fuzzed archives aim their links at;
// fixed so that the corpus under testdata/fuzz keeps meaning the same place.
const fuzzOutside = "/tmp/guntar-fuzz-outside"

// FuzzUnpack unpacks arbitrary bytes: whatever they are, Unpack must not
// panic, hang or write outside its root, in either whiteout mode.
func FuzzUnpack(f *testing.F) {
	for _, tc := range hostileCases {
		f.Add(mkTar(f, tc.build(fuzzOutside)...))
	}
	tree := mkTar(f, tDir("a/", 0o755), tFile("a/b", "b", 0o644), tLink("c", "a/b"), tSymlink("d", "a"),
		tFile("a/.wh..wh..opq", "", 0o644), tFile(".wh.a", "", 0o644))
	f.Add(tree)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tree)
	zw.Close()
	f.Add(gz.Bytes())
	if err := os.MkdirAll(fuzzOutside, 0o755); err != nil {
		f.Fatal(err)
	}
	secret := filepath.Join(fuzzOutside, "secret")
	if b, err := os.ReadFile(secret); err != nil || string(b) != "keep" {
		if err := os.WriteFile(secret, []byte("keep"), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	before := snapshot(f, fuzzOutside, snapOpts{times: true})
	f.Fuzz(func(t *testing.T, data []byte) {
		base := tempDir(t)
		root := filepath.Join(base, "root")
		for _, mode := range []WhiteoutMode{WhiteoutApply, WhiteoutOverlay} {
			if err := os.Mkdir(root, 0o755); err != nil {
				t.Fatal(err)
			}
			Unpack(context.Background(), bytes.NewReader(data), root, UnpackOptions{Whiteouts: mode})
			if entries, _ := os.ReadDir(base); len(entries) != 1 {
				t.Fatalf("mode %d: %d entries beside the root", mode, len(entries)-1)
			}
			if diff := cmp.Diff(before, snapshot(t, fuzzOutside, snapOpts{times: true})); diff != "" {
				t.Fatalf("mode %d: outside changed (-before +after):\n%s", mode, diff)
			}
			makeRemovable(root)
			if err := os.RemoveAll(root); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// makeRemovable gives every directory under dir owner rwx, so that a tree
// with read-only directories can be removed.
func makeRemovable(dir string) {
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}
