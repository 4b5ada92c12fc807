package store

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// storeState describes every file of a store (but its lock files) by
// content, to check that an operation changed nothing.
func storeState(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(s.Root(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".lock") {
			return err
		}
		data, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(s.Root(), p)
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(data))
		return nil
	})
	return out
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var rootfs = []tEnt{
	{name: "./", typ: tar.TypeDir, mode: 0o755},
	{name: "./bin/", typ: tar.TypeDir, mode: 0o755},
	{name: "./bin/sh", body: "#!sh", mode: 0o755},
	{name: "./etc/", typ: tar.TypeDir, mode: 0o755},
	{name: "./etc/hostname", body: "box\n"},
}

func TestImportRootfs(t *testing.T) {
	s := newStore(t)
	p := writeFile(t, t.TempDir(), "Alpine-MiniRootfs-3.14.0-x86_64.tar.gz", gz(mkTar(t, rootfs...)))
	imgs, err := s.Import(context.Background(), p, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || imgs[0].Name != "alpine-minirootfs-3.14.0-x86_64:latest" {
		t.Fatalf("imported %v", imgs)
	}
	img := imgs[0]
	if img.Manifest.Layers[0].MediaType != v1.MediaTypeImageLayerGzip {
		t.Errorf("layer media type %s", img.Manifest.Layers[0].MediaType)
	}
	if got := img.Config.History[0].CreatedBy; got != "gun import Alpine-MiniRootfs-3.14.0-x86_64.tar.gz" {
		t.Errorf("history %q", got)
	}
	before := storeState(t, s)
	again, err := s.Import(context.Background(), p, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Descriptor.Digest != img.Descriptor.Digest {
		t.Errorf("second import made %s, first %s", again[0].Descriptor.Digest, img.Descriptor.Digest)
	}
	if diff := cmp.Diff(before, storeState(t, s)); diff != "" {
		t.Errorf("importing again changed the store:\n%s", diff)
	}
	named, err := s.Import(context.Background(), p, ImportOptions{Name: "alpine:3.14"})
	if err != nil || named[0].Name != "alpine:3.14" {
		t.Fatalf("named import: %v, %v", named, err)
	}
	dirs, err := s.LayerDirs(context.Background(), "alpine:3.14", HostUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dirs[0], "etc/hostname")); string(b) != "box\n" {
		t.Errorf("etc/hostname %q", b)
	}
}

// TestImportBad feeds broken inputs: each fails with an error naming the
// file and leaves the store as it was.
func TestImportBad(t *testing.T) {
	dir := t.TempDir()
	good := gz(mkTar(t, rootfs...))
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-6] ^= 0xff
	layer := mkTar(t, tEnt{name: "f", body: "f"})
	layerDigest := digest.FromBytes(layer)
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["` + layerDigest.String() + `"]}}`)
	manifest := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` +
		digest.FromBytes(config).String() + `","size":` + fmt.Sprint(len(config)) + `},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"` +
		layerDigest.String() + `","size":` + fmt.Sprint(len(layer)) + `}]}`)
	index := func(m []byte) []byte {
		return []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` +
			digest.FromBytes(m).String() + `","size":` + fmt.Sprint(len(m)) + `}]}`)
	}
	blob := func(data []byte) tEnt {
		return tEnt{name: "blobs/sha256/" + digest.FromBytes(data).Encoded(), body: string(data)}
	}
	layout := tEnt{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`}
	cases := []struct {
		name, file string
		data       []byte
		wantErr    string
	}{
		{"truncated", "trunc.tar.gz", good[:len(good)/2], "unexpected EOF"},
		{"corrupt gzip", "corrupt.tar.gz", corrupt, "gzip"},
		{"not an archive", "notes.txt", []byte("hello, this is not a tar archive at all......"), "not a tar archive"},
		{"blob digest mismatch", "mismatch.tar", mkTar(t, layout,
			tEnt{name: "blobs/sha256/" + layerDigest.Encoded(), body: "tampered"}, tEnt{name: "index.json", body: string(index(manifest))}),
			"does not match its digest"},
		{"index names a missing blob", "missing.tar", mkTar(t, layout, blob(manifest), blob(config),
			tEnt{name: "index.json", body: string(index(manifest))}),
			"blob " + layerDigest.String() + ", which the archive does not hold"},
		{"no index", "noindex.tar", mkTar(t, layout, blob(manifest)), "not an image archive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			commitImage(t, s, "existing", mkTar(t, tEnt{name: "x", body: "x"}))
			before := storeState(t, s)
			p := writeFile(t, dir, tc.file, tc.data)
			_, err := s.Import(context.Background(), p, ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), p) {
				t.Fatalf("error %v, want one naming %s and containing %q", err, p, tc.wantErr)
			}
			if diff := cmp.Diff(before, storeState(t, s)); diff != "" {
				t.Errorf("failed import changed the store:\n%s", diff)
			}
		})
	}
	// The well-formed version of the same archive imports.
	s := newStore(t)
	p := writeFile(t, dir, "ok.tar", mkTar(t, layout, blob(layer), blob(manifest), blob(config), tEnt{name: "index.json", body: string(index(manifest))}))
	imgs, err := s.Import(context.Background(), p, ImportOptions{})
	if err != nil || len(imgs) != 1 || imgs[0].Name != "ok:latest" {
		t.Fatalf("import ok.tar: %v, %v", imgs, err)
	}
}

func TestSaveImportRoundTrip(t *testing.T) {
	s := newStore(t)
	img := commitImage(t, s, "example.com/app:1.0", gz(mkTar(t, rootfs...)), mkTar(t, tEnt{name: "etc/.wh.hostname"}, tEnt{name: "etc/motd", body: "hi"}))
	var a, b bytes.Buffer
	if err := s.Save(context.Background(), &a, "example.com/app:1.0", SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(context.Background(), &b, img.ID().Encoded()[:12], SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("saving twice gave different bytes")
	}
	p := writeFile(t, t.TempDir(), "app.tar", a.Bytes())
	s2 := newStore(t)
	imgs, err := s2.Import(context.Background(), p, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || imgs[0].Name != "example.com/app:1.0" || imgs[0].Descriptor.Digest != img.Descriptor.Digest {
		t.Errorf("imported %s %s, saved %s %s", imgs[0].Name, imgs[0].Descriptor.Digest, img.Name, img.Descriptor.Digest)
	}

	// The flattened root filesystem applies the whiteout.
	var flat bytes.Buffer
	if err := s.SaveRootfs(context.Background(), &flat, "example.com/app:1.0"); err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(&flat)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	want := []string{"bin/", "bin/sh", "etc/", "etc/motd"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("rootfs entries (-want +got):\n%s", diff)
	}
}

// TestImportDocker imports a docker save archive in the legacy layout, with
// a repeated layer stored as a symlink to its first copy.
func TestImportDocker(t *testing.T) {
	l1 := mkTar(t, tEnt{name: "bin/", typ: tar.TypeDir, mode: 0o755}, tEnt{name: "bin/sh", body: "sh", mode: 0o755})
	l2 := mkTar(t, tEnt{name: "etc/", typ: tar.TypeDir, mode: 0o755}, tEnt{name: "etc/os-release", body: "gun"})
	d1, d2 := digest.FromBytes(l1), digest.FromBytes(l2)
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Env": []string{"PATH=/bin"}, "Cmd": []string{"/bin/sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []digest.Digest{d1, d2, d1}},
	})
	cd := digest.FromBytes(config)
	again := digest.FromString("again").Encoded()
	manifest, _ := json.Marshal([]map[string]any{{
		"Config": cd.Encoded() + ".json", "RepoTags": []string{"docker.io/library/busybox:latest", "mybox:1"},
		"Layers": []string{d1.Encoded() + "/layer.tar", d2.Encoded() + "/layer.tar", again + "/layer.tar"},
	}})
	archive := mkTar(t,
		tEnt{name: d1.Encoded() + "/", typ: tar.TypeDir, mode: 0o755},
		tEnt{name: d1.Encoded() + "/layer.tar", body: string(l1)},
		tEnt{name: d1.Encoded() + "/VERSION", body: "1.0"},
		tEnt{name: d2.Encoded() + "/", typ: tar.TypeDir, mode: 0o755},
		tEnt{name: d2.Encoded() + "/layer.tar", body: string(l2)},
		tEnt{name: again + "/", typ: tar.TypeDir, mode: 0o755},
		tEnt{name: again + "/layer.tar", typ: tar.TypeSymlink, body: "../" + d1.Encoded() + "/layer.tar"},
		tEnt{name: cd.Encoded() + ".json", body: string(config)},
		tEnt{name: "manifest.json", body: string(manifest)},
		tEnt{name: "repositories", body: "{}"},
	)
	s := newStore(t)
	imgs, err := s.Import(context.Background(), writeFile(t, t.TempDir(), "busybox.tar", archive), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 || imgs[0].Name != "busybox:latest" || imgs[1].Name != "mybox:1" {
		t.Fatalf("imported %d images", len(imgs))
	}
	if imgs[0].ID() != cd || imgs[0].Config.Config.Cmd[0] != "/bin/sh" {
		t.Errorf("image ID %s, want the config digest %s", imgs[0].ID(), cd)
	}
	dirs, err := s.LayerDirs(context.Background(), "mybox:1", HostUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 3 || dirs[0] != dirs[2] {
		t.Errorf("layer dirs %v: the repeated layer should share its cache", dirs)
	}
	// Only referenced blobs stay: not manifest.json, VERSION or repositories.
	entries, _ := os.ReadDir(s.blobDir())
	if len(entries) != 4 {
		t.Errorf("%d blobs stored, want 4 (config, 2 layers, manifest)", len(entries))
	}
}

func TestImportLayoutDir(t *testing.T) {
	s := newStore(t)
	commitImage(t, s, "base:1", mkTar(t, rootfs...))
	// The store is itself an OCI layout: import it into another store.
	s2 := newStore(t)
	imgs, err := s2.Import(context.Background(), s.Root(), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 1 || imgs[0].Name != "base:1" {
		t.Fatalf("imported %v", imgs)
	}
}

func TestPrune(t *testing.T) {
	s := newStore(t)
	commitImage(t, s, "keep", mkTar(t, tEnt{name: "k", body: "keep"}))
	commitImage(t, s, "drop", mkTar(t, tEnt{name: "ro/", typ: tar.TypeDir, mode: 0o555}, tEnt{name: "ro/d", body: "drop"}))
	for _, n := range []string{"keep", "drop"} {
		if _, err := s.LayerDirs(context.Background(), n, HostUnpacker{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remove("drop"); err != nil {
		t.Fatal(err)
	}
	// Leftovers of killed processes.
	os.WriteFile(filepath.Join(s.blobDir(), tmpPrefix+"123"), []byte("partial"), 0o644)
	os.Mkdir(filepath.Join(s.keyDir(HostUnpacker{}.Key()), tmpPrefix+"abc"), 0o755)
	os.Mkdir(filepath.Join(s.RunDir(), "dead"), 0o700)
	// The runtime's run/.new-<id>: one being made, one a killed start left.
	os.Mkdir(filepath.Join(s.RunDir(), ".new-young"), 0o700)
	old := filepath.Join(s.RunDir(), ".new-old")
	os.Mkdir(old, 0o700)
	os.Chtimes(old, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	_, release, err := s.NewRunDir("alive")
	if err != nil {
		t.Fatal(err)
	}
	// gun run's plans, a cache.
	os.Mkdir(filepath.Join(s.root, plansDir), 0o700)
	for _, p := range []string{"0123456789abcdef", "fedcba9876543210"} {
		os.WriteFile(filepath.Join(s.root, plansDir, p), []byte("plan"), 0o600)
	}
	rep, err := s.Prune()
	if err != nil {
		t.Fatal(err)
	}
	want := PruneReport{Blobs: 3, Leftovers: 2, Runs: 2, LiveRuns: 1, KeptLayers: true, Plans: 2}
	rep.BlobBytes = 0
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("prune with a live container (-want +got):\n%s", diff)
	}
	release()
	rep, err = s.Prune()
	if err != nil {
		t.Fatal(err)
	}
	if want := (PruneReport{Layers: 1, Runs: 1}); rep != want {
		t.Errorf("second prune: %+v, want %+v", rep, want)
	}
	if _, err := s.LayerDirs(context.Background(), "keep", HostUnpacker{}); err != nil {
		t.Errorf("kept image broken by prune: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.RunDir(), ".new-young")); err != nil {
		t.Errorf("a run dir being made was removed: %v", err)
	}
	if _, err := s.Image("drop"); err == nil {
		t.Error("removed image still found")
	}
}
