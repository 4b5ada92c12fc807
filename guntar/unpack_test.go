package guntar

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/google/go-cmp/cmp"
	"github.com/gun-tools/gun/internal/testenv"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func unpackBytes(t testing.TB, data []byte, dir string, opts UnpackOptions) error {
	t.Helper()
	return Unpack(context.Background(), bytes.NewReader(data), dir, opts)
}

func TestUnpackTree(t *testing.T) {
	archive := mkTar(t,
		tDir("./", 0o755),
		tDir("bin/", 0o755),
		tFile("bin/tool", "#!/bin/sh\n", 0o4755),
		tLink("bin/tool2", "bin/tool"),
		tLink("bin/tool3", "./bin/tool"),
		tSymlink("bin/sh", "/bin/busybox"),
		tDir("tmp/", 0o1777),
		tDir("ro/", 0o555),
		tFile("ro/file", "read only", 0o444),
		tFile("ro/secret", "", 0o000),
		tFile("implicit/parent/file", "x", 0o640),
		tNode("run/fifo", tar.TypeFifo, 0, 0),
		tFile("attr", "a", 0o644).xattr("user.foo", "bar"),
	)
	dir := tempDir(t)
	if err := unpackBytes(t, archive, dir, UnpackOptions{}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		".":                    "dir 0755",
		"bin":                  "dir 0755 2021-06-15T12:00:00Z",
		"bin/tool":             `file 4755 "#!/bin/sh\n" 2021-06-15T12:00:00Z`,
		"bin/tool2":            `file 4755 "#!/bin/sh\n" =bin/tool 2021-06-15T12:00:00Z`,
		"bin/tool3":            `file 4755 "#!/bin/sh\n" =bin/tool 2021-06-15T12:00:00Z`,
		"bin/sh":               "symlink 0777 -> /bin/busybox",
		"tmp":                  "dir 1777 2021-06-15T12:00:00Z",
		"ro":                   "dir 0555 2021-06-15T12:00:00Z",
		"ro/file":              `file 0444 "read only" 2021-06-15T12:00:00Z`,
		"ro/secret":            `file 0000 "" 2021-06-15T12:00:00Z`,
		"implicit":             "dir 0755",
		"implicit/parent":      "dir 0755",
		"implicit/parent/file": `file 0640 "x" 2021-06-15T12:00:00Z`,
		"run":                  "dir 0755",
		"run/fifo":             "fifo 0644 2021-06-15T12:00:00Z",
		"attr":                 `file 0644 "a" 2021-06-15T12:00:00Z user.foo="bar"`,
	}
	got := snapshot(t, dir, snapOpts{times: true})
	// Implicit directories get the current time: do not compare it.
	for _, k := range []string{"implicit", "implicit/parent", "run"} {
		got[k] = got[k][:len("dir 0755")]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unpacked tree (-want +got):\n%s", diff)
	}
}

// TestUnpackHostile unpacks archives that try to write outside their root.
// Whatever happens to each, nothing outside the root may change.
func TestUnpackHostile(t *testing.T) {
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			base := tempDir(t)
			root := filepath.Join(base, "root")
			outside := filepath.Join(base, "outside")
			for _, d := range []string{root, outside} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("keep"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, outside, snapOpts{times: true})
			archive := mkTar(t, tc.build(outside)...)
			for _, mode := range []WhiteoutMode{WhiteoutApply, WhiteoutOverlay} {
				err := unpackBytes(t, archive, root, UnpackOptions{Whiteouts: mode})
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Errorf("mode %d: error %v, want one containing %q", mode, err, tc.wantErr)
					}
				} else if err != nil {
					t.Errorf("mode %d: %v", mode, err)
				}
				if diff := cmp.Diff(before, snapshot(t, outside, snapOpts{times: true})); diff != "" {
					t.Fatalf("mode %d: outside changed (-before +after):\n%s", mode, diff)
				}
				entries, _ := os.ReadDir(base)
				if len(entries) != 2 {
					t.Fatalf("mode %d: base holds %d entries, want root and outside", mode, len(entries))
				}
				if tc.check != nil {
					tc.check(t, root)
				}
				os.RemoveAll(root)
				os.Mkdir(root, 0o755)
			}
		})
	}
}

type hostileCase struct {
	name    string
	build   func(outside string) []ent
	wantErr string
	check   func(t *testing.T, root string)
}

// wantInRoot checks that rel under the outside directory's path, taken
// inside the root, holds content: where a hostile link was meant to lead.
func wantInRoot(rel, content string) func(t *testing.T, root string) {
	return func(t *testing.T, root string) {
		t.Helper()
		outside := filepath.Join(filepath.Dir(root), "outside")
		wantFile(filepath.Join(outside, rel), content)(t, root)
	}
}

func wantFile(rel, content string) func(t *testing.T, root string) {
	return func(t *testing.T, root string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil || string(b) != content {
			t.Errorf("%s: %q, %v; want %q", rel, b, err, content)
		}
	}
}

// hostileCases are the archives of the hostile test set; FuzzUnpack seeds
// its corpus with them too.
var hostileCases = []hostileCase{
	{
		name:  "dotdot",
		build: func(string) []ent { return []ent{tFile("../../../outside/secret", "pwned", 0o644)} },
		check: wantFile("outside/secret", "pwned"),
	},
	{
		name:  "absolute",
		build: func(o string) []ent { return []ent{tFile(o+"/secret", "pwned", 0o644)} },
		check: wantInRoot("secret", "pwned"),
	},
	{
		name: "symlink dir then file through it",
		build: func(o string) []ent {
			return []ent{tSymlink("evil", o), tFile("evil/secret", "pwned", 0o644)}
		},
		wantErr: "no such file",
	},
	{
		name: "relative symlink up then file through it",
		build: func(string) []ent {
			return []ent{tSymlink("evil", "../outside"), tDir("outside/", 0o755), tFile("evil/secret", "pwned", 0o644)}
		},
		check: wantFile("outside/secret", "pwned"),
	},
	{
		name: "dangling symlink then file through it",
		build: func(string) []ent {
			return []ent{tSymlink("evil", "../outside"), tFile("evil/secret", "pwned", 0o644)}
		},
		wantErr: "no such file",
	},
	{
		name: "symlink chain",
		build: func(o string) []ent {
			return []ent{
				tDir(o+"/", 0o755), tSymlink("a", "b"), tSymlink("b", "c/d"), tDir("c/", 0o755), tSymlink("c/d", "../../../.."+o),
				tFile("a/secret", "pwned", 0o644),
			}
		},
		check: wantInRoot("secret", "pwned"),
	},
	{
		name: "symlink replaced by file is not written through",
		build: func(o string) []ent {
			return []ent{tSymlink("evil", o+"/secret"), tFile("evil", "pwned", 0o644)}
		},
		check: wantFile("evil", "pwned"),
	},
	{
		name: "directory replaced by symlink mid-archive",
		build: func(o string) []ent {
			return []ent{tDir(o+"/", 0o755), tDir("d/", 0o755), tFile("d/a", "a", 0o644), tSymlink("d", o), tFile("d/secret", "pwned", 0o644)}
		},
		check: wantInRoot("secret", "pwned"),
	},
	{
		name: "hardlink outside",
		build: func(o string) []ent {
			return []ent{tLink("evil", o+"/secret")}
		},
		wantErr: "no such file",
	},
	{
		name: "hardlink through dotdot",
		build: func(string) []ent {
			return []ent{tLink("evil", "../outside/secret")}
		},
		wantErr: "no such file",
	},
	{
		name: "hardlink through symlink",
		build: func(o string) []ent {
			return []ent{tSymlink("s", o), tLink("evil", "s/secret"), tFile("evil", "pwned", 0o644)}
		},
		wantErr: "no such file",
	},
	{
		name: "hardlink to symlink then written",
		build: func(o string) []ent {
			return []ent{tSymlink("s", o+"/secret"), tLink("h", "s"), tFile("h", "pwned", 0o644)}
		},
		check: wantFile("h", "pwned"),
	},
	{
		name: "hardlink then file written over it",
		build: func(string) []ent {
			return []ent{tFile("f", "orig", 0o644), tLink("h", "f"), tFile("h", "new", 0o644)}
		},
		check: func(t *testing.T, root string) {
			wantFile("f", "orig")(t, root)
			wantFile("h", "new")(t, root)
		},
	},
	{
		name: "whiteout outside",
		build: func(o string) []ent {
			return []ent{tFile("../outside/.wh.secret", "", 0o644), tFile(o+"/.wh.secret", "", 0o644)}
		},
	},
	{
		name: "whiteout through symlink",
		build: func(o string) []ent {
			return []ent{tDir(o+"/", 0o755), tSymlink("s", o), tFile("s/.wh.secret", "", 0o644)}
		},
	},
	{
		name: "opaque through symlink",
		build: func(o string) []ent {
			return []ent{tDir(o+"/", 0o755), tSymlink("s", o), tFile("s/.wh..wh..opq", "", 0o644)}
		},
	},
	{
		name:    "whiteout of dotdot",
		build:   func(string) []ent { return []ent{tFile("a/.wh...", "", 0o644)} },
		wantErr: "invalid whiteout",
	},
	{
		name: "device node through symlink",
		build: func(o string) []ent {
			return []ent{tDir(o+"/", 0o755), tSymlink("s", o), tNode("s/null", tar.TypeFifo, 0, 0)}
		},
	},
	{
		name: "root replaced by file",
		build: func(string) []ent {
			return []ent{tFile(".", "x", 0o644)}
		},
		wantErr: "must be a directory",
	},
	{
		name: "xattr overlay redirect refused",
		build: func(string) []ent {
			return []ent{tDir("d/", 0o755).xattr("user.overlay.redirect", "/etc")}
		},
		check: func(t *testing.T, root string) {
			if _, err := os.Stat(filepath.Join(root, "d")); err != nil {
				t.Error(err)
			}
		},
	},
}

func TestUnpackWhiteoutApply(t *testing.T) {
	dir := tempDir(t)
	lower := mkTar(t,
		tDir("a/", 0o755), tFile("a/1", "1", 0o644), tFile("a/2", "2", 0o644),
		tDir("o/", 0o755), tFile("o/old", "old", 0o644), tDir("o/sub/", 0o755), tFile("o/sub/old", "old", 0o644),
		tDir("p/", 0o755), tFile("p/old", "old", 0o644),
		tFile("gone", "x", 0o644),
	)
	upper := mkTar(t,
		tFile("a/.wh.1", "", 0o644),
		tFile(".wh.gone", "", 0o644),
		tFile(".wh.never-was", "", 0o644),
		tFile("x/.wh.nodir", "", 0o644),
		// Opaque before its siblings, as the spec recommends ...
		tDir("o/", 0o755), tFile("o/.wh..wh..opq", "", 0o644), tFile("o/new", "new", 0o644),
		// ... and after them, which is allowed: same-layer entries stay.
		tDir("p/", 0o755), tDir("p/sub/", 0o755), tFile("p/sub/new", "new", 0o644), tFile("p/.wh..wh..opq", "", 0o644),
		// A whiteout never hides its own layer's files.
		tFile("a/3", "3", 0o644), tFile("a/.wh.3", "", 0o644),
	)
	for _, layer := range [][]byte{lower, upper} {
		if err := unpackBytes(t, layer, dir, UnpackOptions{Whiteouts: WhiteoutApply}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		".":         "dir 0755",
		"a":         "dir 0755",
		"a/2":       `file 0644 "2"`,
		"a/3":       `file 0644 "3"`,
		"o":         "dir 0755",
		"o/new":     `file 0644 "new"`,
		"p":         "dir 0755",
		"p/sub":     "dir 0755",
		"p/sub/new": `file 0644 "new"`,
	}
	if diff := cmp.Diff(want, snapshot(t, dir, snapOpts{})); diff != "" {
		t.Errorf("flattened tree (-want +got):\n%s", diff)
	}
}

func TestUnpackWhiteoutOverlay(t *testing.T) {
	dir := tempDir(t)
	layer := mkTar(t,
		tDir("a/", 0o755), tFile("a/.wh.gone", "", 0o644),
		tDir("o/", 0o755), tFile("o/.wh..wh..opq", "", 0o644), tFile("o/new", "new", 0o644),
	)
	if err := unpackBytes(t, layer, dir, UnpackOptions{Whiteouts: WhiteoutOverlay}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		".":      "dir 0755",
		"a":      "dir 0755",
		"a/gone": "char 0000 0:0",
		"o":      `dir 0755 user.overlay.opaque="y"`,
		"o/new":  `file 0644 "new"`,
	}
	if diff := cmp.Diff(want, snapshot(t, dir, snapOpts{})); diff != "" {
		t.Errorf("overlay layer (-want +got):\n%s", diff)
	}
}

func TestUnpackCompression(t *testing.T) {
	archive := mkTar(t, tFile("hello", "world", 0o644))
	compressors := map[string]func(w *bytes.Buffer) (interface {
		Write([]byte) (int, error)
		Close() error
	}, error){
		"gzip": func(w *bytes.Buffer) (interface {
			Write([]byte) (int, error)
			Close() error
		}, error) {
			return gzip.NewWriter(w), nil
		},
		"zstd": func(w *bytes.Buffer) (interface {
			Write([]byte) (int, error)
			Close() error
		}, error) {
			return zstd.NewWriter(w)
		},
		"xz": func(w *bytes.Buffer) (interface {
			Write([]byte) (int, error)
			Close() error
		}, error) {
			return xz.NewWriter(w)
		},
	}
	inputs := map[string][]byte{"none": archive}
	for name, mk := range compressors {
		var buf bytes.Buffer
		w, err := mk(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(archive)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		inputs[name] = buf.Bytes()
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			if got := DetectCompression(data).String(); got != name {
				t.Errorf("DetectCompression = %s, want %s", got, name)
			}
			dir := tempDir(t)
			if err := unpackBytes(t, data, dir, UnpackOptions{}); err != nil {
				t.Fatal(err)
			}
			wantFile("hello", "world")(t, dir)
			// A truncated stream is an error, never a silent partial tree.
			err := unpackBytes(t, data[:len(data)-len(data)/3], tempDir(t), UnpackOptions{})
			if err == nil {
				t.Errorf("truncated %s archive unpacked without error", name)
			}
		})
	}
}

func TestUnpackCorrupt(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(mkTar(t, tFile("hello", strings.Repeat("world", 1000), 0o644)))
	zw.Close()
	data := buf.Bytes()
	data[len(data)-6] ^= 0xff // the CRC
	err := unpackBytes(t, data, tempDir(t), UnpackOptions{})
	if err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("corrupt gzip: error %v, want one naming gzip", err)
	}
	err = unpackBytes(t, []byte("this is not an archive at all, not even close, no"), tempDir(t), UnpackOptions{})
	if err == nil {
		t.Error("garbage unpacked without error")
	}
}

func TestUnpackReplace(t *testing.T) {
	dir := tempDir(t)
	for _, layer := range [][]byte{
		mkTar(t, tDir("d/", 0o755), tFile("d/f", "f", 0o644), tFile("f", "f", 0o644), tSymlink("l", "x")),
		mkTar(t, tFile("d", "now a file", 0o600), tDir("f/", 0o700), tDir("l/", 0o755)),
	} {
		if err := unpackBytes(t, layer, dir, UnpackOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		".": "dir 0755", "d": `file 0600 "now a file"`, "f": "dir 0700", "l": "dir 0755",
	}
	if diff := cmp.Diff(want, snapshot(t, dir, snapOpts{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestUnpackCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Unpack(ctx, bytes.NewReader(mkTar(t, tFile("a", "a", 0o644))), tempDir(t), UnpackOptions{})
	if err != context.Canceled {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// TestDecompressEarlyClose closes a decompressing reader long before its
// end: the read-ahead goroutine must stop, not block forever.
func TestDecompressEarlyClose(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Repeat([]byte("0123456789"), 1<<20))
	zw.Close()
	rc, c, err := Decompress(bytes.NewReader(buf.Bytes()))
	if err != nil || c != Gzip {
		t.Fatalf("Decompress: %v, %v", c, err)
	}
	head := make([]byte, 10)
	if _, err := io.ReadFull(rc, head); err != nil || string(head) != "0123456789" {
		t.Fatalf("read %q, %v", head, err)
	}
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestUnpackSparse unpacks a sparse file as GNU tar -S writes it: the
// content is right and the holes stay holes.
func TestUnpackSparse(t *testing.T) {
	testenv.NeedProgram(t, "tar")
	src := tempDir(t)
	f, err := os.Create(filepath.Join(src, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("start"), 0)
	f.WriteAt([]byte("end"), 64<<20)
	f.Close()
	archive := filepath.Join(tempDir(t), "sparse.tar")
	if out, err := exec.Command("tar", "-S", "-C", src, "-cf", archive, "sparse").CombinedOutput(); err != nil {
		t.Fatalf("tar -S: %v\n%s", err, out)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	dst := tempDir(t)
	if err := unpackBytes(t, data, dst, UnpackOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dst, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 64<<20+3 || string(got[:5]) != "start" || string(got[64<<20:]) != "end" {
		t.Fatalf("sparse file: %d bytes", len(got))
	}
	var st unix.Stat_t
	unix.Stat(filepath.Join(dst, "sparse"), &st)
	if st.Blocks*512 > 1<<20 {
		t.Errorf("unpacked sparse file uses %d bytes on disk: holes were written", st.Blocks*512)
	}
}
