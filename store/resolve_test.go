package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/internal/memo"
)

func resolve(t *testing.T, s *Store, ref string) *Resolved {
	t.Helper()
	r, err := s.Resolve(context.Background(), ref, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestResolveArchiveOnce resolves an archive file: imported the first
// time, found by its remembered digest after that without being read, and
// imported again once it changed.
func TestResolveArchiveOnce(t *testing.T) {
	s := newStore(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "root.tar")
	data := mkTar(t, tEnt{name: "f", body: "one"})
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// A file changed within the last second is not remembered yet (its
	// times could still change without showing).
	time.Sleep(1100 * time.Millisecond)
	var n int
	opts := ResolveOptions{Dir: dir, Unpacker: countingUnpacker{n: &n}}
	r1, err := s.Resolve(context.Background(), "root.tar", opts)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Archive != digest.FromBytes(data) || r1.RootDir != "" || n != 1 {
		t.Fatalf("resolved %+v after %d imports, want the archive's digest %s after one", r1, n, digest.FromBytes(data))
	}
	r2, err := s.Resolve(context.Background(), file, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Manifest.Digest != r1.Manifest.Digest || r2.Archive != r1.Archive || n != 1 {
		t.Errorf("again: %+v after %d imports, want %+v after one", r2, n, r1)
	}
	ri, err := s.RunImage(context.Background(), r2, HostUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(ri.Layers[0], "f")); string(got) != "one" {
		t.Errorf("layer: f = %q", got)
	}

	// A pinned digest that the content does not have is an error.
	if _, err := s.Resolve(context.Background(), file, ResolveOptions{Digest: digest.FromString("other")}); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("wrong pinned digest: %v", err)
	}

	data2 := mkTar(t, tEnt{name: "f", body: "two"})
	if err := os.WriteFile(file, data2, 0o644); err != nil {
		t.Fatal(err)
	}
	r3, err := s.Resolve(context.Background(), file, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r3.Archive != digest.FromBytes(data2) || r3.Manifest.Digest == r1.Manifest.Digest || n != 2 {
		t.Errorf("changed archive: %+v after %d imports", r3, n)
	}
}

// TestResolveKinds resolves a directory, a store name, an ID prefix, an
// unknown reference, and one that only the registry's Pull knows.
func TestResolveKinds(t *testing.T) {
	s := newStore(t)
	img := commitImage(t, s, "app:1", mkTar(t, tEnt{name: "f", body: "f"}))
	dir := t.TempDir()
	if r := resolve(t, s, dir); r.RootDir != dir || r.Manifest.Digest != "" {
		t.Errorf("directory: %+v", r)
	}
	if ri, err := s.RunImage(context.Background(), resolve(t, s, dir), HostUnpacker{}); err != nil || len(ri.Layers) != 1 || ri.Layers[0] != dir {
		t.Errorf("RunImage of a directory: %+v, %v", ri, err)
	}
	for _, ref := range []string{"app:1", img.ID().Encoded()[:12]} {
		if r := resolve(t, s, ref); r.Manifest.Digest != img.Descriptor.Digest || r.Archive != "" {
			t.Errorf("%s: %+v, want manifest %s", ref, r, img.Descriptor.Digest)
		}
	}
	if _, err := s.Resolve(context.Background(), "nothing:1", ResolveOptions{}); err == nil || !strings.Contains(err.Error(), "nothing:1: no such file, and image nothing:1 not found") {
		t.Errorf("unknown: %v", err)
	}
	// Remote decides for what is no file: here, the store's image when it
	// has one, else a "pull".
	var pulled []string
	remote := func(ctx context.Context, ref string, local v1.Descriptor, notFound error) (v1.Descriptor, error) {
		if notFound == nil {
			return local, nil
		}
		pulled = append(pulled, ref)
		if ref == "registry.example/app:2" {
			return img.Descriptor, nil
		}
		return v1.Descriptor{}, errors.New("not in the registry")
	}
	for _, ref := range []string{"app:1", "registry.example/app:2", "gone:3", dir} {
		r, err := s.Resolve(context.Background(), ref, ResolveOptions{Remote: remote})
		if (err == nil) != (ref != "gone:3") || (err == nil && ref != dir && r.Manifest.Digest != img.Descriptor.Digest) {
			t.Errorf("%s with Remote: %+v, %v", ref, r, err)
		}
	}
	if len(pulled) != 2 || pulled[0] != "registry.example/app:2" {
		t.Errorf("Remote pulled %v: want the two references the store lacks", pulled)
	}
}

// TestResolveDefer: with Defer, a root file system archive the store has
// not imported is only hashed: nothing is stored or unpacked, and the
// pending import knows the image's config and layer blob (the archive
// itself). Its blob stores as it is; its import makes the image a plain
// Resolve makes. An image archive is imported at once.
func TestResolveDefer(t *testing.T) {
	dir := t.TempDir()
	data := gz(mkTar(t, tEnt{name: "f", body: "one"}))
	file := writeFile(t, dir, "root.tar.gz", data)
	var n int
	opts := ResolveOptions{Dir: dir, Unpacker: countingUnpacker{n: &n}, Defer: true}

	s := newStore(t)
	r, err := s.Resolve(context.Background(), "root.tar.gz", opts)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Pending
	want := v1.Descriptor{MediaType: v1.MediaTypeImageLayerGzip, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if p == nil || r.Archive != want.Digest || r.Manifest.Digest != "" || p.Layer.MediaType != want.MediaType || p.Layer.Digest != want.Digest || p.Layer.Size != want.Size {
		t.Fatalf("resolved %+v (pending %+v), want a pending import of layer %+v", r, p, want)
	}
	if blobs, _ := os.ReadDir(s.blobDir()); len(blobs) != 0 || n != 0 {
		t.Errorf("a deferred import stored %d blobs and unpacked %d layers", len(blobs), n)
	}
	b, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.PutBlob(context.Background(), b); err != nil || !s.HasBlob(want.Digest) {
		t.Errorf("PutBlob: %v; blob stored: %v", err, s.HasBlob(want.Digest))
	}
	b.Close()

	m, err := p.Import(context.Background(), opts.Unpacker)
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.ImageByDigest(m.Digest)
	if err != nil {
		t.Fatal(err)
	}
	plain := resolve(t, newStore(t), file)
	if m.Digest != plain.Manifest.Digest || n != 1 {
		t.Errorf("the pending import made %s (%d unpacked), a plain Resolve %s", m.Digest, n, plain.Manifest.Digest)
	}
	img.Config.RootFS.DiffIDs = nil
	if got, want := img.Config.Image, p.Config.Image; got.Created.Compare(*want.Created) != 0 || got.OS != want.OS || got.Architecture != want.Architecture || len(got.History) != 1 || got.History[0].CreatedBy != want.History[0].CreatedBy {
		t.Errorf("the imported config %+v is not the pending one %+v", got, want)
	}
	if again, err := s.Resolve(context.Background(), "root.tar.gz", opts); err != nil || again.Pending != nil || again.Manifest.Digest != m.Digest {
		t.Errorf("once imported: %+v, %v", again, err)
	}

	// An archive whose content changed since Resolve is not imported.
	s = newStore(t)
	r, err = s.Resolve(context.Background(), "root.tar.gz", opts)
	if err != nil || r.Pending == nil {
		t.Fatalf("%+v, %v", r, err)
	}
	writeFile(t, dir, "root.tar.gz", gz(mkTar(t, tEnt{name: "f", body: "two"})))
	if _, err := r.Pending.Import(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("import of a changed archive: %v", err)
	}

	// An OCI archive is imported at once.
	oci := filepath.Join(dir, "img.tar")
	src := newStore(t)
	if _, err := src.Import(context.Background(), file, ImportOptions{Name: "img"}); err != nil {
		t.Fatal(err)
	}
	simg, err := src.Image("img")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(oci)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(src.SaveImage(context.Background(), f, simg, SaveOptions{}), f.Close()); err != nil {
		t.Fatal(err)
	}
	if r, err := newStore(t).Resolve(context.Background(), oci, opts); err != nil || r.Pending != nil || r.Manifest.Digest == "" {
		t.Errorf("an OCI archive: %+v, %v", r, err)
	}
}

// An archive hashed before (a build's Using), whose size, times and inode
// are those it was hashed with, is imported without being hashed again:
// its blob takes the known digest. A file that changed before the import
// is hashed; one that changes while it is read fails the import.
func TestImportKnownDigest(t *testing.T) {
	dir := t.TempDir()
	data := gz(mkTar(t, tEnt{name: "f", body: "one"}))
	file := writeFile(t, dir, "root.tar.gz", data)
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	real := digest.FromBytes(data)
	// A digest the content does not have shows that it was not hashed.
	known := digest.FromString("not the content")
	importWith := func(s *Store, opts ImportOptions) (digest.Digest, error) {
		var got digest.Digest
		opts.Digest = &got
		_, err := s.Import(context.Background(), file, opts)
		return got, err
	}

	s := newStore(t)
	if got, err := importWith(s, ImportOptions{known: known, knownFi: fi}); err != nil || got != known || !s.HasBlob(known) {
		t.Errorf("import with a known digest: %s, %v (blob stored: %v); want it taken as %s", got, err, s.HasBlob(known), known)
	}

	// Changed since it was hashed: hashed again.
	later := fi.ModTime().Add(time.Second)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	s = newStore(t)
	if got, err := importWith(s, ImportOptions{known: known, knownFi: fi}); err != nil || got != real {
		t.Errorf("import of a file changed since it was hashed: %s, %v; want %s", got, err, real)
	}

	// Changed while it is read: no blob.
	fi, err = os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	s = newStore(t)
	touch := func(done, total int64) {
		t := time.Now()
		os.Chtimes(file, t, t)
	}
	if _, err := importWith(s, ImportOptions{known: known, knownFi: fi, Progress: touch}); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("import of a file changed while it was read: %v", err)
	}
	if s.HasBlob(known) || s.HasBlob(real) {
		t.Error("a blob was stored from a file that changed while it was read")
	}

	// Resolve passes the memo's word on: the digest it remembers for the
	// file (here a wrong one, to tell) is the blob's, not computed again.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(file, old, old); err != nil {
		t.Fatal(err)
	}
	for time.Since(ctime(t, file)) <= time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	s = newStore(t)
	if fi, err = os.Stat(file); err != nil {
		t.Fatal(err)
	}
	m := memo.Open(s.path(archivesDir, "digests.json"))
	m.Record(file, fi, known.String())
	if err := m.Save(); err != nil {
		t.Fatal(err)
	}
	r, err := s.Resolve(context.Background(), file, ResolveOptions{Defer: true})
	if err != nil || r.Pending == nil || r.Pending.Layer.Digest != known {
		t.Fatalf("deferred: %+v, %v", r, err)
	}
	if _, err := r.Pending.Import(context.Background(), nil); err != nil || !s.HasBlob(known) {
		t.Errorf("the deferred import: %v; blob %s stored: %v", err, known, s.HasBlob(known))
	}
}

func ctime(t *testing.T, file string) time.Time {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(file, &st); err != nil {
		t.Fatal(err)
	}
	return time.Unix(st.Ctim.Unix())
}

// Resolve tells its caller before it reads an unknown archive whole to
// learn its digest (a build readies the user namespace meanwhile), and
// only then.
func TestResolveHashing(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "root.tar.gz", gz(mkTar(t, tEnt{name: "f", body: "one"})))
	s := newStore(t)
	n := 0
	opts := ResolveOptions{Dir: dir, Defer: true, Hashing: func() { n++ }}
	if _, err := s.Resolve(context.Background(), "root.tar.gz", opts); err != nil || n != 1 {
		t.Fatalf("an unknown archive: %v, Hashing called %d times, want 1", err, n)
	}
	// Known by its identity (once the racy window is past, as memo says).
	for time.Since(ctime(t, filepath.Join(dir, "root.tar.gz"))) <= time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := s.Resolve(context.Background(), "root.tar.gz", opts); err != nil {
		t.Fatal(err)
	}
	n = 0
	if _, err := s.Resolve(context.Background(), "root.tar.gz", opts); err != nil || n != 0 {
		t.Errorf("a known archive: %v, Hashing called %d times, want 0", err, n)
	}
	opts.Digest = digest.FromString("pinned")
	if _, err := s.Resolve(context.Background(), "root.tar.gz", opts); err != nil || n != 0 {
		t.Errorf("an archive of a given digest: %v, Hashing called %d times, want 0", err, n)
	}
}
