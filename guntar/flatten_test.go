package guntar

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFlatten checks that flattening layers in one stream gives the same
// tree as unpacking them one over the other with WhiteoutApply.
func TestFlatten(t *testing.T) {
	layers := [][]byte{
		mkTar(t,
			tDir("etc/", 0o755), tFile("etc/passwd", "root", 0o644), tFile("etc/shadow", "x", 0o600),
			tDir("var/", 0o755), tDir("var/cache/", 0o755), tFile("var/cache/a", "a", 0o644), tFile("var/cache/b", "b", 0o644),
			tDir("lib/", 0o755), tFile("lib/libc", "libc", 0o755),
			tDir("old/", 0o755), tFile("old/file", "o", 0o644),
			tFile("bin/sh", "sh", 0o755), tLink("bin/ash", "bin/sh"),
		),
		mkTar(t,
			tFile("etc/passwd", "root\napp", 0o644), tFile("etc/.wh.shadow", "", 0o644),
			tDir("var/cache/", 0o700), tFile("var/cache/.wh..wh..opq", "", 0o644), tFile("var/cache/c", "c", 0o644),
			tSymlink("lib", "usr/lib"), tDir("usr/", 0o755), tDir("usr/lib/", 0o755), tFile("usr/lib/libc", "libc2", 0o755),
			tFile(".wh.old", "", 0o644),
		),
		mkTar(t,
			tDir("old/", 0o750), tFile("old/new", "n", 0o644),
			tFile("etc/new", "new", 0o644), tFile("etc/.wh.new", "", 0o644),
		),
	}
	want := tempDir(t)
	for _, l := range layers {
		if err := Unpack(context.Background(), bytes.NewReader(l), want, UnpackOptions{Whiteouts: WhiteoutApply}); err != nil {
			t.Fatal(err)
		}
	}
	var openers []LayerOpener
	for _, l := range layers {
		openers = append(openers, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(l)), nil })
	}
	var flat bytes.Buffer
	if err := Flatten(context.Background(), &flat, openers); err != nil {
		t.Fatal(err)
	}
	got := tempDir(t)
	if err := Unpack(context.Background(), &flat, got, UnpackOptions{}); err != nil {
		t.Fatal(err)
	}
	o := snapOpts{times: true}
	w, g := snapshot(t, want, o), snapshot(t, got, o)
	// Unpacking layer over layer touches directories' times; flattening
	// keeps those of their entries. Compare directories without times.
	for _, m := range []map[string]string{w, g} {
		for k, v := range m {
			if strings.HasPrefix(v, "dir ") {
				m[k] = v[:len("dir 0755")]
			}
		}
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("flattened (-applied +flattened):\n%s", diff)
	}
	if _, ok := g["old/file"]; ok {
		t.Error("old/file survived the whiteout of old")
	}
}
