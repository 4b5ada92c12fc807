package store

import (
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// This file holds what a registry client needs of the store: blobs by
// digest, and names for the images it pulls that say where they came from.

// Annotations of an index.json entry that record where a pulled image came
// from: its registry reference (fully qualified) and the digest the
// registry served for it (the index's, for a multi-platform image).
const (
	annSourceRef    = "dev.gun.source.ref"
	annSourceDigest = "dev.gun.source.digest"
)

// Source is where a pulled image came from; it is zero for images built
// or imported here.
type Source struct {
	Ref    string        // e.g. docker.io/library/debian:bookworm
	Digest digest.Digest // the manifest or index digest the registry served
}

func sourceOf(d v1.Descriptor) Source {
	return Source{Ref: d.Annotations[annSourceRef], Digest: digest.Digest(d.Annotations[annSourceDigest])}
}

// OpenBlob opens the blob d; the reader fails at its end if the content
// does not match d.
func (s *Store) OpenBlob(d digest.Digest) (io.ReadCloser, error) { return s.openBlob(d) }

// PutBlob stores the content of r, which must have the digest want and the
// size size, as a blob; a blob already stored is not read. The blob
// appears only when complete and verified. It is removed when the batch
// closes if no image uses it then.
func (b *Batch) PutBlob(r io.Reader, want digest.Digest, size int64) error {
	if b.s.HasBlob(want) {
		return nil
	}
	if _, err := b.s.blobPath(want); err != nil {
		return err
	}
	lr := &io.LimitedReader{R: r, N: size + 1}
	_, n, err := b.put(lr, want)
	if err == nil && n != size {
		// The digest matched: the descriptor's size was wrong.
		err = fmt.Errorf("blob %s: %d bytes, the descriptor says %d", want, n, size)
	}
	return err
}

// TagPulled names the manifest desc, whose blobs are in the store, as an
// image pulled from src ("" records it without a name). With keepOwned, a name that an image not pulled
// from src's repository holds (one built, imported or tagged here) is not
// taken: the image is then recorded without a name, found by its source.
func (b *Batch) TagPulled(name string, desc v1.Descriptor, src Source, keepOwned bool) (*Image, error) {
	if name != "" {
		n, err := NormalizeName(name)
		if err != nil {
			return nil, err
		}
		name = n
	}
	ann := map[string]string{annSourceRef: src.Ref, annSourceDigest: src.Digest.String()}
	err := b.s.updateIndex(func(idx *v1.Index) error {
		if _, err := b.s.checkComplete(src.Ref, desc.Digest); err != nil {
			return err
		}
		for _, d := range idx.Manifests {
			if refName(d) == name && keepOwned && repoOf(sourceOf(d).Ref) != repoOf(src.Ref) {
				name = ""
			}
		}
		if name == "" {
			keepUnnamed(idx, desc, ann)
			return nil
		}
		setRef(idx, name, desc)
		for i, d := range idx.Manifests {
			if refName(d) == name {
				maps.Copy(idx.Manifests[i].Annotations, ann)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	desc.Annotations = ann
	if name != "" {
		desc.Annotations[v1.AnnotationRefName] = name
	}
	return b.s.loadImage(desc)
}

// repoOf strips the tag and digest of a reference.
func repoOf(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	return ref
}

// PulledImages returns the images pulled from a registry whose manifest
// or index had digest d, named or not (one per platform pulled).
func (s *Store) PulledImages(d digest.Digest) ([]*Image, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var imgs []*Image
	for _, e := range idx.Manifests {
		if sourceOf(e).Digest != d {
			continue
		}
		if _, err := s.checkComplete(d.String(), e.Digest); err != nil {
			continue
		}
		img, err := s.loadImage(e)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}
