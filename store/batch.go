package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/internal/ctxio"
	gunflock "github.com/gun-tools/gun/internal/flock"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// A Batch adds content to the store: layers, then an image that names
// them. Prune waits while a batch is open. Closing a batch that did not
// commit removes the blobs it added that nothing references, so a failed
// import leaves the store as it was.
type Batch struct {
	s  *Store
	gc *os.File // gc.lock, flocked shared while the batch is open

	mu      sync.Mutex // guards the rest: a batch may be used by several goroutines
	created []digest.Digest
	// anonymous has tag keep images in the index without a name.
	anonymous bool
	keep      bool
}

// Begin opens a batch. The caller must Close it.
func (s *Store) Begin() (*Batch, error) {
	f, err := os.OpenFile(s.path(gcLock), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := gunflock.Flock(int(f.Fd()), unix.LOCK_SH); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return &Batch{s: s, gc: f}, nil
}

// Close ends the batch, removing the blobs it created that no image in the
// index references. Another batch open at the same time may be about to
// use one of them (it found it present and did not write it), so they are
// removed only when this batch is the last one open; otherwise Prune
// removes them later.
func (b *Batch) Close() error {
	defer b.gc.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.created) == 0 || b.keep {
		return nil
	}
	// Converting to an exclusive lock without waiting succeeds only if no
	// other batch, unpack or prune holds gc.lock.
	if gunflock.Flock(int(b.gc.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return nil
	}
	unlock, err := b.s.lock(indexLock, true)
	if err != nil {
		return err
	}
	defer unlock()
	idx, err := b.s.readIndex()
	if err != nil {
		return err
	}
	used := b.s.reachable(idx)
	for _, d := range b.created {
		if !used[d] {
			if p, err := b.s.blobPath(d); err == nil {
				os.Remove(p)
			}
		}
	}
	b.created = nil
	return nil
}

func (b *Batch) put(r io.Reader, want digest.Digest) (digest.Digest, int64, error) {
	d, size, created, err := b.s.putBlob(r, want)
	if created {
		b.add(d)
	}
	return d, size, err
}

// write is the store's writeBlob for this batch, or its writeKnownBlob
// when known is set.
func (b *Batch) write(known digest.Digest, write func(io.Writer) error) (d digest.Digest, size int64, err error) {
	var created bool
	if known != "" {
		d, size, created, err = b.s.writeKnownBlob(known, write)
	} else {
		d, size, created, err = b.s.writeBlob("", write)
	}
	if created {
		b.add(d)
	}
	return d, size, err
}

// add records a blob the batch created, for Close.
func (b *Batch) add(d digest.Digest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !slices.Contains(b.created, d) {
		b.created = append(b.created, d)
	}
}

// Keep makes Close leave the blobs the batch added even when no image
// names them: a build's cache names the layers of its steps (Prune removes
// them, and the build cache then forgets them).
func (b *Batch) Keep() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.keep = true
}

// PutLayer stores a layer read from r, a tar stream. A gzip, zstd or
// uncompressed stream is kept as it is, to its last byte (so its blob's
// digest is the stream's); xz and bzip2, which OCI has no media type for,
// are stored uncompressed. It returns the layer's descriptor and diff ID (the
// digest of the uncompressed tar).
func (b *Batch) PutLayer(ctx context.Context, r io.Reader) (v1.Descriptor, digest.Digest, error) {
	return b.putLayer(ctx, r, nil, knownStream{})
}

// knownStream is what a caller knows of a layer stream it hashed before:
// its digest, and a check, made once the stream is read, that it cannot
// have changed since (a file's size, times and inode as they were when it
// was hashed).
type knownStream struct {
	digest    digest.Digest
	unchanged func() error
}

// layerMediaTypes are the OCI media types of layers by compression.
var layerMediaTypes = map[guntar.Compression]string{
	guntar.None: v1.MediaTypeImageLayer,
	guntar.Gzip: v1.MediaTypeImageLayerGzip,
	guntar.Zstd: v1.MediaTypeImageLayerZstd,
}

// putLayer is PutLayer; tee, if set, also receives the uncompressed tar.
// A stream kept as it is whose digest is known is not hashed again.
func (b *Batch) putLayer(ctx context.Context, r io.Reader, tee io.Writer, known knownStream) (v1.Descriptor, digest.Digest, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(8)
	c := guntar.DetectCompression(head)
	kept := c == guntar.Gzip || c == guntar.Zstd
	if !kept {
		known = knownStream{}
	}
	diffHash := digest.SHA256.Digester()
	d, size, err := b.write(known.digest, func(blob io.Writer) error {
		var src io.Reader = br
		var sink io.Writer = diffHash.Hash()
		if kept {
			// Keep the compressed bytes; hash what they decompress to.
			src = io.TeeReader(br, blob)
		} else {
			// The blob is the uncompressed tar: one digest serves for both.
			sink = blob
		}
		if tee != nil {
			sink = io.MultiWriter(sink, tee)
		}
		dr, _, err := guntar.Decompress(ctxio.Reader(ctx, src))
		if err != nil {
			return err
		}
		_, err = io.CopyBuffer(sink, dr, make([]byte, 1<<20))
		dr.Close()
		if err != nil {
			return fmt.Errorf("read layer: %w", err)
		}
		if kept {
			// Bytes after the compressed stream's end belong to the blob too.
			_, err = io.Copy(io.Discard, src)
		}
		if err == nil && known.unchanged != nil {
			err = known.unchanged()
		}
		return err
	})
	if err != nil {
		return v1.Descriptor{}, "", err
	}
	diffID := diffHash.Digest()
	if !kept {
		c, diffID = guntar.None, d
	}
	return v1.Descriptor{MediaType: layerMediaTypes[c], Digest: d, Size: size}, diffID, nil
}

// CompressLayer stores the uncompressed layer tar read from r as a blob
// compressed with c (None, Gzip or Zstd) and returns its descriptor and
// diff ID. The same tar and compression always give the same blob.
func (b *Batch) CompressLayer(ctx context.Context, r io.Reader, c guntar.Compression) (v1.Descriptor, digest.Digest, error) {
	mediaType, ok := layerMediaTypes[c]
	if !ok {
		return v1.Descriptor{}, "", fmt.Errorf("store layer: %s compression is not supported for layers", c)
	}
	diffHash := digest.SHA256.Digester()
	d, size, err := b.write("", func(blob io.Writer) error {
		cw, err := guntar.Compress(blob, c)
		if err != nil {
			return err
		}
		_, err = io.CopyBuffer(io.MultiWriter(cw, diffHash.Hash()), ctxio.Reader(ctx, r), make([]byte, 1<<20))
		if cerr := cw.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return v1.Descriptor{}, "", fmt.Errorf("store layer: %w", err)
	}
	return v1.Descriptor{MediaType: mediaType, Digest: d, Size: size}, diffHash.Digest(), nil
}

// RecompressLayer returns the layer desc, whose diff ID is diffID,
// compressed with c: desc itself when it is, else a new blob made from
// its content (a build asked for another compression than its cached
// layers have).
func (b *Batch) RecompressLayer(ctx context.Context, desc v1.Descriptor, diffID digest.Digest, c guntar.Compression) (v1.Descriptor, error) {
	if desc.MediaType == layerMediaTypes[c] {
		return desc, nil
	}
	rc, err := b.s.openBlob(desc.Digest)
	if err != nil {
		return v1.Descriptor{}, err
	}
	defer rc.Close()
	dr, _, err := guntar.Decompress(rc)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	defer dr.Close()
	out, got, err := b.CompressLayer(ctx, dr, c)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	if got != diffID {
		return v1.Descriptor{}, fmt.Errorf("layer %s: its content has diff ID %s, not %s", desc.Digest, got, diffID)
	}
	return out, nil
}

// Layer is a layer of a new image.
type Layer struct {
	Descriptor v1.Descriptor
	DiffID     digest.Digest
	// History describes the step that made the layer, e.g. the Gunfile
	// line (CreatedBy) and a comment.
	History v1.History
}

// Commit writes the config and manifest of an image made of layers (bottom
// first) and names it. config's RootFS and History are filled in from the
// layers; its OS and Architecture default to this machine's.
func (b *Batch) Commit(name string, config v1.Image, layers []Layer) (*Image, error) {
	name, err := NormalizeName(name)
	if err != nil {
		return nil, err
	}
	config, descs := commitConfig(config, layers)
	img, err := b.WriteImage(Config{Image: config}, descs)
	if err != nil {
		return nil, err
	}
	return b.Tag(name, img)
}

// commitConfig is Commit's config of an image of layers, and the layers'
// descriptors.
func commitConfig(config v1.Image, layers []Layer) (v1.Image, []v1.Descriptor) {
	if config.OS == "" {
		config.OS = runtime.GOOS
	}
	if config.Architecture == "" {
		config.Architecture = runtime.GOARCH
	}
	config.RootFS = v1.RootFS{Type: "layers", DiffIDs: []digest.Digest{}}
	descs := []v1.Descriptor{}
	for _, l := range layers {
		config.RootFS.DiffIDs = append(config.RootFS.DiffIDs, l.DiffID)
		config.History = append(config.History, l.History)
		descs = append(descs, l.Descriptor)
	}
	return config, descs
}

// WriteImage stores an image whose config is complete as given (its RootFS
// names the layers, bottom first, by diff ID) and returns it, unnamed: its
// manifest digest names it. Every layer must be in the store.
func (b *Batch) WriteImage(config Config, layers []v1.Descriptor) (*Image, error) {
	if len(config.RootFS.DiffIDs) != len(layers) {
		return nil, fmt.Errorf("image: the config lists %d layers, the manifest %d", len(config.RootFS.DiffIDs), len(layers))
	}
	for _, l := range layers {
		if !b.s.HasBlob(l.Digest) {
			return nil, fmt.Errorf("image: layer %s is not in the store", l.Digest)
		}
	}
	cd, csize, err := b.putJSON(config)
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: v1.MediaTypeImageManifest,
		Config:    v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: cd, Size: csize},
		Layers:    append([]v1.Descriptor{}, layers...),
	}
	md, msize, err := b.putJSON(m)
	if err != nil {
		return nil, err
	}
	desc := v1.Descriptor{MediaType: m.MediaType, Digest: md, Size: msize}
	return &Image{Manifest: m, Descriptor: desc, Config: config}, nil
}

// Tag names img, an image of the store, name.
func (b *Batch) Tag(name string, img *Image) (*Image, error) {
	name, err := NormalizeName(name)
	if err != nil {
		return nil, err
	}
	desc := v1.Descriptor{MediaType: img.Descriptor.MediaType, Digest: img.Descriptor.Digest, Size: img.Descriptor.Size}
	return b.tag(name, desc)
}

func (b *Batch) putJSON(v any) (digest.Digest, int64, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", 0, err
	}
	return b.put(bytesReader(data), "")
}

// commitManifest stores m, checks that every blob it names is present, and
// points name at it.
func (b *Batch) commitManifest(name string, m v1.Manifest) (*Image, error) {
	md, msize, err := b.putJSON(m)
	if err != nil {
		return nil, err
	}
	desc := v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: md, Size: msize}
	if m.MediaType != "" {
		desc.MediaType = m.MediaType
	}
	return b.tag(name, desc)
}

// tag points name at the manifest desc after checking that everything the
// manifest names is in the store.
func (b *Batch) tag(name string, desc v1.Descriptor) (*Image, error) {
	err := b.s.updateIndex(func(idx *v1.Index) error {
		if _, err := b.s.checkComplete(name, desc.Digest); err != nil {
			return err
		}
		if b.anonymous {
			keepUnnamed(idx, desc, map[string]string{annImported: "true"})
		} else {
			setRef(idx, name, desc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if b.anonymous {
		desc.Annotations = map[string]string{annImported: "true"}
	} else {
		desc.Annotations = map[string]string{v1.AnnotationRefName: name}
	}
	return b.s.loadImage(desc)
}

// annImported marks an unnamed index entry of an imported archive.
const annImported = "dev.gun.imported"

// keepUnnamed adds desc to idx without a name, with the annotations ann,
// unless an unnamed entry with the same digest and annotations is there.
func keepUnnamed(idx *v1.Index, desc v1.Descriptor, ann map[string]string) {
	for _, d := range idx.Manifests {
		if refName(d) == "" && d.Digest == desc.Digest && maps.Equal(d.Annotations, ann) {
			return
		}
	}
	desc.Annotations = ann
	idx.Manifests = append(idx.Manifests, desc)
}

// checkComplete checks that the manifest d and every blob it names are in
// the store, and returns their files; name names the image in errors.
func (s *Store) checkComplete(name string, d digest.Digest) (blobs []string, err error) {
	var m v1.Manifest
	if err := s.readBlobJSON(d, &m); err != nil {
		return nil, err
	}
	for _, l := range append([]v1.Descriptor{{Digest: d}, m.Config}, m.Layers...) {
		p, err := s.blobPath(l.Digest)
		if err == nil {
			_, err = os.Stat(p)
		}
		if err != nil {
			return nil, fmt.Errorf("image %s: blob %s is missing", name, l.Digest)
		}
		blobs = append(blobs, p)
	}
	return blobs, nil
}

// reachable returns every blob that the images in idx reference.
func (s *Store) reachable(idx v1.Index) map[digest.Digest]bool {
	used := map[digest.Digest]bool{}
	for _, d := range idx.Manifests {
		used[d.Digest] = true
		var m v1.Manifest
		if s.readBlobJSON(d.Digest, &m) != nil {
			continue
		}
		used[m.Config.Digest] = true
		for _, l := range m.Layers {
			used[l.Digest] = true
		}
	}
	return used
}
