package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

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
