package store

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

// FuzzImport imports arbitrary bytes as an archive file: Import must not
// panic, and when it fails the store must be as it was.
func FuzzImport(f *testing.F) {
	layer := mkTar(f, tEnt{name: "f", body: "f"})
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + digest.FromBytes(layer).String() + `"]}}`)
	manifest := []byte(`{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` +
		digest.FromBytes(config).String() + `","size":1},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"` +
		digest.FromBytes(layer).String() + `","size":1}]}`)
	index := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + digest.FromBytes(manifest).String() + `","size":1}]}`
	blob := func(b []byte) tEnt {
		return tEnt{name: "blobs/sha256/" + digest.FromBytes(b).Encoded(), body: string(b)}
	}
	f.Add(mkTar(f, tEnt{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`}, blob(layer), blob(config), blob(manifest), tEnt{name: "index.json", body: index}))
	f.Add(mkTar(f, tEnt{name: "manifest.json", body: `[{"Config":"c.json","RepoTags":["a:b"],"Layers":["l.tar"]}]`}, tEnt{name: "c.json", body: string(config)}, tEnt{name: "l.tar", body: string(layer)}))
	f.Add(gz(layer))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "input.tar")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		before := storeState(t, s)
		if _, err := s.Import(context.Background(), p, ImportOptions{}); err != nil {
			if diff := cmp.Diff(before, storeState(t, s)); diff != "" {
				t.Fatalf("failed import (%v) changed the store:\n%s", err, diff)
			}
			return
		}
		imgs, err := s.Images()
		if err != nil {
			t.Fatalf("store unreadable after a successful import: %v", err)
		}
		if len(imgs) == 0 {
			t.Fatal("import succeeded without an image")
		}
	})
}

// FuzzValidName checks the hand-written name and key checks against the
// regular expressions they replace.
func FuzzValidName(f *testing.F) {
	nameRE := regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-]+[a-z0-9]+)*:[0-9]{1,5}/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?$`)
	keyRE := regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$`)
	for _, s := range []string{
		"alpine", "example.com/app:1.0", "a__b/c--d:_x", "a.", ".a", "a//b", "a/b:", "a:b:c", "A", "a:" + strings.Repeat("t", 128),
		"a:" + strings.Repeat("t", 129), "host-uid-1000", "key\n", "a_b-c.d", strings.Repeat("k", 65), "-k", "_k",
		"localhost:5000/a:b", "127.0.0.1:5000/a/b", "h:/a", "h:123456/a", "h:5000", "h:50a/b", "a/h:5/b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validName(s), nameRE.MatchString(s); got != want {
			t.Errorf("validName(%q) = %t, the regular expression says %t", s, got, want)
		}
		if got, want := validKey(s, 64), keyRE.MatchString(s); got != want {
			t.Errorf("validKey(%q, 64) = %t, the regular expression says %t", s, got, want)
		}
	})
}
