package store

import (
	"context"
	"fmt"
	"io"
	"os"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// This file holds what the build executor (exec/) needs beyond images:
// layers that belong to no image yet (build steps), and images whose config
// the executor wrote itself.

// BlobPath returns the path of a blob in the store (which may not exist).
func (s *Store) BlobPath(d digest.Digest) (string, error) { return s.blobPath(d) }

// BlobDir returns the directory blobs are stored in; a writer may create a
// blob there by renaming a complete temporary file (in the same directory)
// to its digest's hex name.
func (s *Store) BlobDir() string { return s.blobDir() }

// LayerDirsOf is LayerDirs for layers that are not (yet) an image's: the
// layer blobs descs with their diff IDs, bottom first.
func (s *Store) LayerDirsOf(ctx context.Context, descs []v1.Descriptor, diffIDs []digest.Digest, u Unpacker) ([]string, error) {
	if len(descs) != len(diffIDs) {
		return nil, fmt.Errorf("%d layers but %d diff IDs", len(descs), len(diffIDs))
	}
	unlock, err := s.lock(gcLock, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	kd := s.keyDir(u.Key())
	if err := os.MkdirAll(kd, 0o755); err != nil {
		return nil, fmt.Errorf("layer cache: %w", err)
	}
	dirs := make([]string, len(descs))
	for i, d := range descs {
		dir, err := s.unpackLayer(ctx, kd, d.Digest, diffIDs[i], u)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", d.Digest, err)
		}
		dirs[i] = dir
	}
	return dirs, nil
}

// CommitImage stores an image whose config is complete as given (RootFS
// and History included, so that its digest is the one the caller computed)
// and names it. Layer blobs the store lacks are copied from open; blobs it
// has are not read.
func (b *Batch) CommitImage(name string, config []byte, layers []v1.Descriptor, open func(v1.Descriptor) (io.ReadCloser, error)) (*Image, error) {
	name, err := NormalizeName(name)
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		if b.s.hasBlob(l.Digest) {
			continue
		}
		rc, err := open(l)
		if err != nil {
			return nil, fmt.Errorf("image %s: layer %s: %w", name, l.Digest, err)
		}
		_, _, err = b.put(rc, l.Digest)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("image %s: layer %s: %w", name, l.Digest, err)
		}
	}
	cd, csize, err := b.put(bytesReader(config), "")
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: v1.MediaTypeImageManifest,
		Config:    v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: cd, Size: csize},
		Layers:    append([]v1.Descriptor{}, layers...),
	}
	return b.commitManifest(name, m)
}
