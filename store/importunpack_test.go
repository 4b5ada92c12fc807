package store

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gun-tools/gun/guntar"
	"github.com/opencontainers/go-digest"
	"github.com/ulikunitz/xz"
)

// countingUnpacker is a HostUnpacker that counts the layers it unpacks.
type countingUnpacker struct {
	HostUnpacker
	n *int
}

func (c countingUnpacker) Unpack(ctx context.Context, layer io.Reader, dir string) error {
	*c.n++
	return c.HostUnpacker.Unpack(ctx, layer, dir)
}

// An import with Digest and Unpacker reads the tarball once: the digest is
// the file's (taken from the layer's blob when the blob is the file, hashed
// on the way when it is not: xz), the layer is in the cache, and LayerDirs
// unpacks nothing more.
func TestImportDigestAndUnpack(t *testing.T) {
	tests := []struct {
		name string
		c    guntar.Compression
	}{{"plain", guntar.None}, {"gzip", guntar.Gzip}, {"zstd", guntar.Zstd}, {"xz", guntar.Xz}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			data := mkTar(t, tEnt{name: "etc/", typ: '5'}, tEnt{name: "etc/hello", body: "hi\n"})
			// Bytes after the tar's end are the file's too.
			data = append(data, make([]byte, 4096)...)
			data = compressed(t, data, tt.c)
			file := filepath.Join(t.TempDir(), "root.tar")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			n := 0
			u := countingUnpacker{n: &n}
			var got digest.Digest
			imgs, err := s.Import(context.Background(), file, ImportOptions{Name: "root", Digest: &got, Unpacker: u})
			if err != nil {
				t.Fatal(err)
			}
			if want := digest.FromBytes(data); got != want {
				t.Errorf("Digest got %s, want the file's %s", got, want)
			}
			if n != 1 {
				t.Errorf("the import unpacked %d layers, want 1", n)
			}
			dirs, err := s.LayerDirs(context.Background(), imgs[0].Name, u)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("LayerDirs unpacked again (%d unpacks in all), want the layer the import unpacked", n)
			}
			hello, err := os.ReadFile(filepath.Join(dirs[0], "etc/hello"))
			if diff := cmp.Diff("hi\n", string(hello)); err != nil || diff != "" {
				t.Errorf("unpacked etc/hello: %v (-want +got):\n%s", err, diff)
			}
			entries, _ := os.ReadDir(s.keyDir(u.Key()))
			for _, e := range entries {
				if e.IsDir() && e.Name() != filepath.Base(dirs[0]) {
					t.Errorf("layer cache holds %s besides the layer", e.Name())
				}
			}
		})
	}
}

// compressed returns data compressed with c.
func compressed(t *testing.T, data []byte, c guntar.Compression) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	var err error
	if c == guntar.Xz {
		w, err = xz.NewWriter(&buf)
	} else {
		w, err = guntar.Compress(&buf, c)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
