package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// An import with Hash and Unpacker reads the tarball once: the hash is the
// file's, the layer is in the cache, and LayerDirs unpacks nothing more.
func TestImportHashAndUnpack(t *testing.T) {
	tests := []struct {
		name string
		gz   bool
	}{{"plain", false}, {"gzip", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			data := mkTar(t, tEnt{name: "etc/", typ: '5'}, tEnt{name: "etc/hello", body: "hi\n"})
			// Bytes after the tar's end are the file's too.
			data = append(data, make([]byte, 4096)...)
			if tt.gz {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				zw.Write(data)
				zw.Close()
				data = buf.Bytes()
			}
			file := filepath.Join(t.TempDir(), "root.tar")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			n := 0
			u := countingUnpacker{n: &n}
			h := sha256.New()
			imgs, err := s.Import(context.Background(), file, ImportOptions{Name: "root", Hash: h, Unpacker: u})
			if err != nil {
				t.Fatal(err)
			}
			if want := sha256.Sum256(data); !bytes.Equal(h.Sum(nil), want[:]) {
				t.Errorf("Hash got %x, want the file's sha256 %x", h.Sum(nil), want)
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
			got, err := os.ReadFile(filepath.Join(dirs[0], "etc/hello"))
			if diff := cmp.Diff("hi\n", string(got)); err != nil || diff != "" {
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
