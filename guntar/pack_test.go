package guntar

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// makeTree builds a tree with every kind of entry Pack handles, all with
// the modification time mtime.
func makeTree(t *testing.T, dir string, mtime time.Time) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	long := strings.Repeat("long-name-", 12)
	must(os.MkdirAll(filepath.Join(dir, "usr/bin"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, long), 0o755))
	must(os.WriteFile(filepath.Join(dir, "usr/bin/tool"), []byte("#!/bin/sh\necho tool\n"), 0o755))
	must(unix.Chmod(filepath.Join(dir, "usr/bin/tool"), 0o4755))
	must(os.Link(filepath.Join(dir, "usr/bin/tool"), filepath.Join(dir, "usr/bin/alias")))
	must(os.Symlink("usr/bin", filepath.Join(dir, "bin")))
	must(os.Symlink("/nonexistent/target", filepath.Join(dir, "dangling")))
	must(os.WriteFile(filepath.Join(dir, long, long), bytes.Repeat([]byte("data"), 5000), 0o600))
	must(unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	must(os.Mkdir(filepath.Join(dir, "tmp"), 0o755))
	must(unix.Chmod(filepath.Join(dir, "tmp"), 0o1777))
	must(os.Mkdir(filepath.Join(dir, "ro"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "ro/empty"), nil, 0o444))
	must(os.Chmod(filepath.Join(dir, "ro"), 0o555))
	setTimes(t, dir, mtime)
}

func setTimes(t *testing.T, dir string, mtime time.Time) {
	t.Helper()
	ts := []unix.Timespec{unix.NsecToTimespec(mtime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
		return nil
	})
}

// asRoot maps the current user to 0 in the archive, so that the output
// does not depend on who runs the test.
func asRoot() PackOptions {
	return PackOptions{
		UIDMap: []IDMapping{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
		GIDMap: []IDMapping{{ContainerID: 0, HostID: os.Getegid(), Size: 1}},
	}
}

func packBytes(t *testing.T, dir string, opts PackOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Pack(context.Background(), &buf, dir, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// listing describes an archive's headers, one line each.
func listing(t *testing.T, data []byte) string {
	t.Helper()
	dr, _, err := Decompress(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(dr)
	var b strings.Builder
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%c %04o %d:%d %s %d %q", h.Typeflag, h.Mode, h.Uid, h.Gid, h.ModTime.UTC().Format(time.RFC3339), h.Size, h.Name)
		if h.Linkname != "" {
			fmt.Fprintf(&b, " -> %q", h.Linkname)
		}
		if h.Uname != "" || h.Gname != "" || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			fmt.Fprintf(&b, " NOISE(%q %q %v %v)", h.Uname, h.Gname, h.AccessTime, h.ChangeTime)
		}
		for k, v := range h.PAXRecords {
			if strings.HasPrefix(k, paxXattr) {
				fmt.Fprintf(&b, " %s=%q", k, v)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", p, diff)
	}
}

func TestPackGolden(t *testing.T) {
	dir := tempDir(t)
	makeTree(t, dir, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	opts := asRoot()
	epoch := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	opts.SourceDateEpoch = &epoch
	data := packBytes(t, dir, opts)
	golden(t, "pack.golden", fmt.Sprintf("sha256:%x\n%s", sha256.Sum256(data), listing(t, data)))
}

func TestPackReproducible(t *testing.T) {
	mtime := time.Date(2022, 2, 2, 2, 2, 2, 123456789, time.UTC)
	a, b := tempDir(t), tempDir(t)
	makeTree(t, a, mtime)
	makeTree(t, b, mtime)
	for _, c := range []Compression{None, Gzip, Zstd} {
		opts := asRoot()
		opts.Compression = c
		pa, pb := packBytes(t, a, opts), packBytes(t, b, opts)
		if !bytes.Equal(pa, pb) {
			t.Errorf("%s: two identical trees packed differently:\n%s", c, cmp.Diff(listing(t, pa), listing(t, pb)))
		}
		if got := DetectCompression(pa); got != c {
			t.Errorf("packed with %s, detected %s", c, got)
		}
	}
	// A tree unpacked from an archive packs to the same archive.
	first := packBytes(t, a, asRoot())
	c := tempDir(t)
	if err := Unpack(context.Background(), bytes.NewReader(first), c, UnpackOptions{}); err != nil {
		t.Fatal(err)
	}
	if second := packBytes(t, c, asRoot()); !bytes.Equal(first, second) {
		t.Errorf("pack(unpack(pack(tree))) differs:\n%s", cmp.Diff(listing(t, first), listing(t, second)))
	}
}

func TestSourceDateEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	got, err := SourceDateEpoch()
	if err != nil || got == nil || got.Unix() != 1700000000 {
		t.Errorf("SourceDateEpoch() = %v, %v", got, err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := SourceDateEpoch(); err == nil {
		t.Error("SOURCE_DATE_EPOCH=yesterday accepted")
	}
	t.Setenv("SOURCE_DATE_EPOCH", "")
	if got, err := SourceDateEpoch(); got != nil || err != nil {
		t.Errorf("unset: %v, %v", got, err)
	}
}

// TestPackRoundTrip packs a tree and unpacks it: the copy matches.
func TestPackRoundTrip(t *testing.T) {
	src := tempDir(t)
	makeTree(t, src, time.Date(2020, 3, 4, 5, 6, 7, 0, time.UTC))
	root := os.Geteuid() == 0
	if root {
		// What only root can make: device nodes, other owners, file capabilities.
		if err := unix.Mknod(filepath.Join(src, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(src, "ping"), []byte("ping"), 0o755)
		capv := []byte("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
		if err := unix.Setxattr(filepath.Join(src, "ping"), "security.capability", capv, 0); err != nil {
			t.Fatal(err)
		}
		os.Lchown(filepath.Join(src, "bin"), 1000, 1000)
		os.Chown(filepath.Join(src, "tmp"), 1000, 100)
	}
	data := packBytes(t, src, PackOptions{})
	dst := tempDir(t)
	if err := Unpack(context.Background(), bytes.NewReader(data), dst, UnpackOptions{Chown: root}); err != nil {
		t.Fatal(err)
	}
	o := snapOpts{owners: true, times: true}
	want, got := snapshot(t, src, o), snapshot(t, dst, o)
	delete(want, ".")
	delete(got, ".")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-src +dst):\n%s", diff)
	}
}

func TestPackOverlayUpper(t *testing.T) {
	upper := tempDir(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(upper, "etc/opaque"), 0o755))
	must(os.WriteFile(filepath.Join(upper, "etc/opaque/kept"), []byte("k"), 0o644))
	must(unix.Setxattr(filepath.Join(upper, "etc/opaque"), OverlayOpaqueXattr, []byte("y"), 0))
	// A whiteout: unprivileged users may make this one device since 5.8.
	must(unix.Mknod(filepath.Join(upper, "etc/deleted"), unix.S_IFCHR, 0))
	must(os.WriteFile(filepath.Join(upper, "etc/changed"), []byte("c"), 0o600))
	setTimes(t, upper, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC))
	var buf bytes.Buffer
	if err := PackOverlayUpper(context.Background(), &buf, upper, asRoot()); err != nil {
		t.Fatal(err)
	}
	want := `5 0755 0:0 2023-01-01T00:00:00Z 0 "etc/"
0 0600 0:0 2023-01-01T00:00:00Z 1 "etc/changed"
0 0644 0:0 2023-01-01T00:00:00Z 0 "etc/.wh.deleted"
5 0755 0:0 2023-01-01T00:00:00Z 0 "etc/opaque/"
0 0644 0:0 2023-01-01T00:00:00Z 0 "etc/opaque/.wh..wh..opq"
0 0644 0:0 2023-01-01T00:00:00Z 1 "etc/opaque/kept"
`
	if diff := cmp.Diff(want, listing(t, buf.Bytes())); diff != "" {
		t.Errorf("layer (-want +got):\n%s", diff)
	}
	// Unpacked in overlay form, the layer gives the upper dir back.
	back := tempDir(t)
	if err := Unpack(context.Background(), bytes.NewReader(buf.Bytes()), back, UnpackOptions{Whiteouts: WhiteoutOverlay}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(snapshot(t, upper, snapOpts{times: true}), snapshot(t, back, snapOpts{times: true})); diff != "" {
		t.Errorf("overlay round trip (-upper +unpacked):\n%s", diff)
	}
}

// TestPackOverlayUpperSkip: Skip leaves entries out, and an upper
// directory left with plain directories only gives no archive at all.
func TestPackOverlayUpperSkip(t *testing.T) {
	skip := func(h *tar.Header) bool { return h.Name == "etc/hosts" && h.Size == 0 }
	for _, tc := range []struct {
		name string
		make func(upper string) error
		want string
	}{
		{"mount point only", func(upper string) error {
			return os.WriteFile(filepath.Join(upper, "etc/hosts"), nil, 0o644)
		}, ""},
		{"mount point and a file", func(upper string) error {
			if err := os.WriteFile(filepath.Join(upper, "etc/hosts"), nil, 0o644); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(upper, "f"), nil, 0o644)
		}, "5 0755 0:0 1970-01-01T00:00:00Z 0 \"etc/\"\n5 0755 0:0 1970-01-01T00:00:00Z 0 \"etc/sub/\"\n0 0644 0:0 1970-01-01T00:00:00Z 0 \"f\"\n"},
		{"changed mount point", func(upper string) error {
			return os.WriteFile(filepath.Join(upper, "etc/hosts"), []byte("x"), 0o644)
		}, "5 0755 0:0 1970-01-01T00:00:00Z 0 \"etc/\"\n0 0644 0:0 1970-01-01T00:00:00Z 1 \"etc/hosts\"\n5 0755 0:0 1970-01-01T00:00:00Z 0 \"etc/sub/\"\n"},
		{"opaque directory", func(upper string) error {
			return unix.Setxattr(filepath.Join(upper, "etc/sub"), OverlayOpaqueXattr, []byte("y"), 0)
		}, "5 0755 0:0 1970-01-01T00:00:00Z 0 \"etc/\"\n5 0755 0:0 1970-01-01T00:00:00Z 0 \"etc/sub/\"\n0 0644 0:0 1970-01-01T00:00:00Z 0 \"etc/sub/.wh..wh..opq\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upper := tempDir(t)
			if err := os.MkdirAll(filepath.Join(upper, "etc/sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := tc.make(upper); err != nil {
				t.Fatal(err)
			}
			setTimes(t, upper, time.Unix(0, 0))
			opts := asRoot()
			opts.Skip = skip
			for _, c := range []Compression{None, Gzip} {
				opts.Compression = c
				var buf bytes.Buffer
				if err := PackOverlayUpper(context.Background(), &buf, upper, opts); err != nil {
					t.Fatal(err)
				}
				if tc.want == "" {
					if buf.Len() != 0 {
						t.Errorf("compression %v: %d bytes written for no changes, want none", c, buf.Len())
					}
					continue
				}
				if c != None {
					continue
				}
				if diff := cmp.Diff(tc.want, listing(t, buf.Bytes())); diff != "" {
					t.Errorf("layer (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestPathLess(t *testing.T) {
	got := []string{"a.b", "a/c", "a", "a/b/c", "ab", "a/b"}
	slices.SortFunc(got, func(a, b string) int {
		if PathLess(a, b) {
			return -1
		}
		if PathLess(b, a) {
			return 1
		}
		return 0
	})
	want := []string{"a", "a/b", "a/b/c", "a/c", "a.b", "ab"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPackIDMap(t *testing.T) {
	dir := tempDir(t)
	os.WriteFile(filepath.Join(dir, "f"), nil, 0o644)
	setTimes(t, dir, time.Unix(0, 0))
	opts := PackOptions{
		UIDMap: []IDMapping{{ContainerID: 1000, HostID: os.Geteuid(), Size: 1}},
		GIDMap: []IDMapping{{ContainerID: 0, HostID: os.Getegid() + 1, Size: 10}},
	}
	want := "0 0644 1000:65534 1970-01-01T00:00:00Z 0 \"f\"\n"
	if got := listing(t, packBytes(t, dir, opts)); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
