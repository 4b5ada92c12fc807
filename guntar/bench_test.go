package guntar

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// benchTree returns the tree the benchmarks pack and unpack: the directory
// in $GUNTAR_BENCH_TREE (hack/bench-tar.sh makes a Debian minbase), else a
// busybox tree from testdata/rootfs/busybox.sh.
func benchTree(b *testing.B) string {
	if dir := os.Getenv("GUNTAR_BENCH_TREE"); dir != "" {
		return dir
	}
	dir := filepath.Join(b.TempDir(), "tree")
	if out, err := exec.Command("../testdata/rootfs/busybox.sh", dir).CombinedOutput(); err != nil {
		b.Skipf("no tree to benchmark on: set GUNTAR_BENCH_TREE (%v: %s)", err, out)
	}
	return dir
}

// gnuTar runs GNU tar, the peer the benchmarks compare guntar with.
func gnuTar(b *testing.B, args ...string) {
	if out, err := exec.Command("tar", args...).CombinedOutput(); err != nil {
		b.Fatalf("tar %v: %v\n%s", args, err, out)
	}
}

// BenchmarkUnpack unpacks one archive of the tree with guntar and with GNU
// tar (owners kept when root, as GNU tar does), plain and gzipped.
func BenchmarkUnpack(b *testing.B) {
	tree := benchTree(b)
	work := b.TempDir()
	archive := filepath.Join(work, "tree.tar")
	gnuTar(b, "-C", tree, "-cf", archive, ".")
	gzArchive := archive + ".gz"
	compressFile(b, archive, gzArchive)
	fi, _ := os.Stat(archive)
	root := os.Geteuid() == 0
	for _, tc := range []struct{ name, file, flag string }{{"tar", archive, "-xf"}, {"tar.gz", gzArchive, "-xzf"}} {
		b.Run(tc.name+"/guntar", func(b *testing.B) {
			b.SetBytes(fi.Size())
			for b.Loop() {
				dst := freshDir(b, work)
				f, err := os.Open(tc.file)
				if err != nil {
					b.Fatal(err)
				}
				if err := Unpack(context.Background(), f, dst, UnpackOptions{Chown: root}); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
		b.Run(tc.name+"/gnutar", func(b *testing.B) {
			b.SetBytes(fi.Size())
			for b.Loop() {
				dst := freshDir(b, work)
				gnuTar(b, tc.flag, tc.file, "-C", dst)
			}
		})
	}
}

// BenchmarkPack packs the tree into a file with guntar and with GNU tar.
func BenchmarkPack(b *testing.B) {
	tree := benchTree(b)
	work := b.TempDir()
	out := filepath.Join(work, "out.tar")
	gnuTar(b, "-C", tree, "-cf", out, ".")
	fi, _ := os.Stat(out)
	b.Run("guntar", func(b *testing.B) {
		b.SetBytes(fi.Size())
		for b.Loop() {
			f, err := os.Create(out)
			if err != nil {
				b.Fatal(err)
			}
			if err := Pack(context.Background(), f, tree, PackOptions{}); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	b.Run("gnutar", func(b *testing.B) {
		b.SetBytes(fi.Size())
		for b.Loop() {
			gnuTar(b, "-C", tree, "-cf", out, ".")
		}
	})
}

// freshDir returns an empty directory, removing the previous iteration's
// outside the timed part.
func freshDir(b *testing.B, work string) string {
	b.StopTimer()
	defer b.StartTimer()
	dst := filepath.Join(work, "dst")
	makeRemovable(dst)
	if err := os.RemoveAll(dst); err != nil {
		b.Fatal(err)
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		b.Fatal(err)
	}
	return dst
}

func compressFile(b *testing.B, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
}
