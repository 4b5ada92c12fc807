package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestTagPulled checks the names pulled images take: gun pull's take any
// name, a build's or a run's (keepOwned) never one an image built or
// imported here holds.
func TestTagPulled(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	commit := func(name, body string) *Image {
		desc, diff, err := b.PutLayer(context.Background(), bytes.NewReader(mkTar(t, tEnt{name: "f", body: body})))
		if err != nil {
			t.Fatal(err)
		}
		img, err := b.Commit(name, v1.Image{}, []Layer{{Descriptor: desc, DiffID: diff}})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	mine := commit("debian:bookworm", "mine")
	pulled := commit("scratchpad", "pulled")
	src := Source{Ref: "docker.io/library/debian:bookworm", Digest: digest.FromString("index")}

	img, err := b.TagPulled("debian:bookworm", pulled.Descriptor, src, true)
	if err != nil {
		t.Fatal(err)
	}
	if img.Name != "" || img.Source != src {
		t.Errorf("keepOwned took the user's name: %q, source %+v", img.Name, img.Source)
	}
	if got, _ := s.Image("debian:bookworm"); got.Descriptor.Digest != mine.Descriptor.Digest {
		t.Errorf("debian:bookworm moved to %s", got.Descriptor.Digest)
	}
	if got, err := s.PulledImages(src.Digest); err != nil || len(got) != 1 || got[0].Descriptor.Digest != pulled.Descriptor.Digest {
		t.Fatalf("PulledImages: %v, %d images", err, len(got))
	}

	// gun pull takes the name; a later pull from the same repository by a
	// build may move it again.
	if img, err = b.TagPulled("debian:bookworm", pulled.Descriptor, src, false); err != nil || img.Name != "debian:bookworm" {
		t.Fatalf("pull: %v, name %q", err, img.Name)
	}
	src2 := Source{Ref: src.Ref, Digest: digest.FromString("index2")}
	if img, err = b.TagPulled("debian:bookworm", mine.Descriptor, src2, true); err != nil || img.Name != "debian:bookworm" {
		t.Fatalf("pull from the same repository: %v, name %q", err, img.Name)
	}
	got, _ := s.Image("debian:bookworm")
	if got.Source != src2 {
		t.Errorf("source after the second pull: %+v", got.Source)
	}

	// A manifest whose blobs are missing is not named.
	if _, err := b.TagPulled("x:1", v1.Descriptor{Digest: digest.FromString("nothing")}, src, false); err == nil {
		t.Error("a missing manifest was named")
	}
	// PutBlob refuses content that does not match its digest.
	if err := b.PutBlob(bytes.NewReader([]byte("abc")), digest.FromString("abd"), 3); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("PutBlob of wrong content: %v", err)
	}
	if err := b.PutBlob(bytes.NewReader([]byte("abc")), digest.FromString("abc"), 4); err == nil {
		t.Error("PutBlob of a wrong size: no error")
	}
}

// TestUnnamedImages: an image a build or a run pulled or imported without a
// name is listed (with its source) until gun prune removes it with the
// blobs only it used; a name's images stay.
func TestUnnamedImages(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mine := commitImage(t, s, "debian:bookworm", mkTar(t, tEnt{name: "f", body: "mine"}))
	b, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	desc, diff, err := b.PutLayer(context.Background(), bytes.NewReader(mkTar(t, tEnt{name: "f", body: "pulled"})))
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := b.Commit("scratchpad", v1.Image{}, []Layer{{Descriptor: desc, DiffID: diff}})
	if err != nil {
		t.Fatal(err)
	}
	src := Source{Ref: "docker.io/library/debian:bookworm", Digest: digest.FromString("index")}
	if _, err := b.TagPulled("debian:bookworm", pulled.Descriptor, src, true); err != nil {
		t.Fatal(err)
	}
	// An unnamed entry of an image a name holds is that image.
	if _, err := b.TagPulled("", mine.Descriptor, src, true); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if err := s.Remove("scratchpad"); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(archive, mkTar(t, tEnt{name: "f", body: "imported"}), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := s.Resolve(context.Background(), archive, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}

	imgs, err := s.Images()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, img := range imgs {
		got = append(got, fmt.Sprintf("%q %s imported=%v %s", img.Name, img.Descriptor.Digest, img.Imported, img.Source.Ref))
	}
	want := []string{
		fmt.Sprintf("%q %s imported=false %s", "debian:bookworm", mine.Descriptor.Digest, ""),
		fmt.Sprintf("%q %s imported=false %s", "", pulled.Descriptor.Digest, src.Ref),
		fmt.Sprintf("%q %s imported=true %s", "", r.Manifest.Digest, ""),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}

	rep, err := s.Prune()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Images != 2 || rep.Blobs != 6 {
		t.Errorf("prune removed %d images and %d blobs, want 2 and 6 (their manifests, configs and layers)", rep.Images, rep.Blobs)
	}
	if imgs, err := s.Images(); err != nil || len(imgs) != 1 || imgs[0].Name != "debian:bookworm" {
		t.Errorf("after prune: %v, %d images", err, len(imgs))
	}
	if _, err := s.LayerDirs(context.Background(), "debian:bookworm", HostUnpacker{}); err != nil {
		t.Errorf("the named image broken by prune: %v", err)
	}
}
