package exec

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/exec/memo"
	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/runtime"
	"github.com/gun-tools/gun/store"
)

// storeBackend builds on the image store: layer blobs, configs and
// manifests are blobs of the store, layers are unpacked into the store's
// layer cache by the runtime's NSUnpacker (inside a user namespace, so that
// files have the owners they will be used with), and -t names an image in
// the store. A batch (the store's shared lock) is held for the whole build,
// so that `gun prune` cannot remove a step's layer before it is used.
type storeBackend struct {
	root  string // the store root
	dir   string // root/build: the executor's own records
	st    *store.Store
	batch *store.Batch
	u     runtime.NSUnpacker
}

func openBackend(root string, warn func(string)) (backend, error) {
	if root == "" {
		return nil, errors.New("no store root")
	}
	st, err := store.Open(root)
	if err != nil {
		return nil, err
	}
	st.RemoveAll = runtime.RemoveAll
	// Scratch space left by killed builds and containers goes first.
	if _, _, err := st.RemoveStaleRuns(); err != nil {
		return nil, err
	}
	dir := filepath.Join(st.Root(), "build")
	if err := errors.Join(os.MkdirAll(filepath.Join(dir, "archives"), 0o755), os.MkdirAll(filepath.Join(dir, "tmp"), 0o755)); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	batch, err := st.Begin()
	if err != nil {
		return nil, err
	}
	return &storeBackend{root: st.Root(), dir: dir, st: st, batch: batch, u: runtime.NSUnpacker{Warn: warn}}, nil
}

func (l *storeBackend) Close() error { return l.batch.Close() }

func (l *storeBackend) blobPath(d string) string {
	p, err := l.st.BlobPath(digest.Digest(d))
	if err != nil {
		return filepath.Join(l.st.BlobDir(), "invalid")
	}
	return p
}

func (l *storeBackend) HasLayer(layer cache.Layer) bool {
	_, err := os.Stat(l.blobPath(layer.Digest))
	return err == nil
}

// putBlob stores data and returns its descriptor.
func (l *storeBackend) putBlob(mediaType string, data []byte) (v1.Descriptor, error) {
	d := digest.FromBytes(data)
	p := l.blobPath(d.String())
	if _, err := os.Stat(p); err != nil {
		if err := memo.WriteFileAtomic(p, data, 0o644); err != nil {
			return v1.Descriptor{}, fmt.Errorf("store blob: %w", err)
		}
	}
	return v1.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}, nil
}

// PutLayer compresses an uncompressed layer tar with gzip (fixed header,
// so that the same tar gives the same blob) into the store.
func (l *storeBackend) PutLayer(ctx context.Context, r io.Reader) (*cache.Layer, error) {
	tmp, err := os.CreateTemp(l.st.BlobDir(), ".gun-build-layer")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	diff, blob := sha256.New(), sha256.New()
	gz, err := gzip.NewWriterLevel(io.MultiWriter(tmp, blob), gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.MultiWriter(gz, diff), ctxReader{ctx, r}); err != nil {
		return nil, fmt.Errorf("store layer: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	fi, err := tmp.Stat()
	if err != nil {
		return nil, err
	}
	layer := &cache.Layer{
		MediaType: v1.MediaTypeImageLayerGzip,
		Digest:    "sha256:" + hex.EncodeToString(blob.Sum(nil)),
		Size:      fi.Size(),
		DiffID:    "sha256:" + hex.EncodeToString(diff.Sum(nil)),
	}
	if err := os.Rename(tmp.Name(), l.blobPath(layer.Digest)); err != nil {
		return nil, err
	}
	return layer, nil
}

// ctxReader stops a long copy when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// LayerDirs returns the layers unpacked (once) in the store's layer cache.
func (l *storeBackend) LayerDirs(ctx context.Context, layers []cache.Layer) ([]string, error) {
	if len(layers) == 0 {
		empty := filepath.Join(l.dir, "empty")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			return nil, err
		}
		return []string{empty}, nil
	}
	var descs []v1.Descriptor
	var diffIDs []digest.Digest
	for _, layer := range layers {
		descs = append(descs, v1.Descriptor{MediaType: layer.MediaType, Digest: digest.Digest(layer.Digest), Size: layer.Size})
		diffIDs = append(diffIDs, digest.Digest(layer.DiffID))
	}
	return l.st.LayerDirsOf(ctx, descs, diffIDs, l.u)
}

// ImportArchive imports a root-filesystem, OCI or docker archive into the
// store (as `gun import` does), once per archive digest: a later build finds
// the image from the digest without reading the archive.
func (l *storeBackend) ImportArchive(ctx context.Context, p, sum string) (*baseImage, error) {
	rec := filepath.Join(l.dir, "archives", strings.TrimPrefix(sum, "sha256:"))
	if b, err := os.ReadFile(rec); err == nil {
		if img, err := l.load(strings.TrimSpace(string(b))); err == nil && l.hasLayers(img) {
			img.ID = sum
			return img, nil
		}
	}
	imgs, err := l.st.Import(ctx, p, store.ImportOptions{})
	if err != nil {
		return nil, err
	}
	if len(imgs) != 1 {
		return nil, fmt.Errorf("base %s: the archive holds %d images, want one", p, len(imgs))
	}
	d := imgs[0].Descriptor.Digest.String()
	if err := memo.WriteFileAtomic(rec, []byte(d+"\n"), 0o644); err != nil {
		return nil, err
	}
	img, err := l.load(d)
	if err != nil {
		return nil, err
	}
	img.ID = sum
	return img, nil
}

func (l *storeBackend) hasLayers(img *baseImage) bool {
	for _, layer := range img.Layers {
		if !l.HasLayer(layer) {
			return false
		}
	}
	return true
}

func (l *storeBackend) Image(ctx context.Context, name string) (*baseImage, error) {
	img, err := l.st.Image(name)
	if err != nil {
		return nil, err
	}
	return l.load(img.Descriptor.Digest.String())
}

func (l *storeBackend) load(d string) (*baseImage, error) {
	var m v1.Manifest
	if err := l.readJSON(d, &m); err != nil {
		return nil, err
	}
	img := &baseImage{ID: d}
	if err := l.readJSON(m.Config.Digest.String(), &img.Config); err != nil {
		return nil, err
	}
	if len(img.Config.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("image %s: %d layers but %d diff ids", d, len(m.Layers), len(img.Config.RootFS.DiffIDs))
	}
	for i, ld := range m.Layers {
		img.Layers = append(img.Layers, cache.Layer{MediaType: ld.MediaType, Digest: ld.Digest.String(), Size: ld.Size, DiffID: img.Config.RootFS.DiffIDs[i].String()})
	}
	return img, nil
}

func (l *storeBackend) readJSON(d string, v any) error {
	b, err := os.ReadFile(l.blobPath(d))
	if err != nil {
		return fmt.Errorf("blob %s: %w", d, err)
	}
	if digest.FromBytes(b).String() != d {
		return fmt.Errorf("blob %s: content does not match its digest", d)
	}
	return json.Unmarshal(b, v)
}

func (l *storeBackend) WriteImage(ctx context.Context, img v1.Image, layers []cache.Layer) (string, error) {
	cfg, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	cd, err := l.putBlob(v1.MediaTypeImageConfig, cfg)
	if err != nil {
		return "", err
	}
	m := v1.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageManifest, Config: cd, Layers: []v1.Descriptor{}}
	for _, layer := range layers {
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: layer.MediaType, Digest: digest.Digest(layer.Digest), Size: layer.Size})
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	md, err := l.putBlob(v1.MediaTypeImageManifest, mb)
	if err != nil {
		return "", err
	}
	return md.Digest.String(), nil
}

// Tag names the image in the store.
func (l *storeBackend) Tag(ctx context.Context, name, d string) error {
	var m v1.Manifest
	if err := l.readJSON(d, &m); err != nil {
		return err
	}
	config, err := os.ReadFile(l.blobPath(m.Config.Digest.String()))
	if err != nil {
		return err
	}
	img, err := l.batch.CommitImage(name, config, m.Layers, func(desc v1.Descriptor) (io.ReadCloser, error) {
		return os.Open(l.blobPath(desc.Digest.String()))
	})
	if err != nil {
		return fmt.Errorf("tag %s: %w", name, err)
	}
	if img.Descriptor.Digest.String() != d {
		return fmt.Errorf("tag %s: the store wrote manifest %s, not %s", name, img.Descriptor.Digest, d)
	}
	return nil
}

// Run runs a build step and turns its changes into a layer.
func (l *storeBackend) Run(ctx context.Context, dirs []string, spec runtime.Spec, epoch time.Time) (*cache.Layer, int, error) {
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, 125, err
	}
	scratch, release, err := l.st.NewRunDir("build-" + hex.EncodeToString(id[:]))
	if err != nil {
		return nil, 125, err
	}
	defer release()
	spec.Layers, spec.Scratch = dirs, scratch
	var layer *cache.Layer
	code, err := runtime.RunCommit(ctx, spec, epoch, func(diff string) error {
		if diff == "" {
			return nil
		}
		f, err := os.Open(diff)
		if err != nil {
			return err
		}
		defer f.Close()
		layer, err = l.PutLayer(ctx, f)
		return err
	})
	return layer, code, err
}

// Save writes the image as an OCI archive, or its flattened root file
// system as one tar.
func (l *storeBackend) Save(ctx context.Context, d, file, format, ref string) error {
	img, err := l.load(d)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if format == "rootfs" {
		err = l.writeRootfs(ctx, img, tmp)
	} else {
		err = l.writeOCIArchive(img, ref, tmp)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// writeOCIArchive writes an OCI archive holding the image, named ref
// (org.opencontainers.image.ref.name, as skopeo's oci-archive:FILE:REF).
func (l *storeBackend) writeOCIArchive(img *baseImage, ref string, w io.Writer) error {
	var m v1.Manifest
	if err := l.readJSON(img.ID, &m); err != nil {
		return err
	}
	mb, _ := os.ReadFile(l.blobPath(img.ID))
	index := v1.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: v1.MediaTypeImageIndex,
		Manifests: []v1.Descriptor{{MediaType: v1.MediaTypeImageManifest, Digest: digest.Digest(img.ID), Size: int64(len(mb)),
			Annotations: map[string]string{v1.AnnotationRefName: ref}}},
	}
	ib, _ := json.Marshal(index)
	tw := tar.NewWriter(w)
	epoch := time.Unix(0, 0)
	if img.Config.Created != nil {
		epoch = *img.Config.Created
	}
	add := func(name string, data []byte, src string, size int64) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if src != "" {
			return copyFile(tw, src, size)
		}
		_, err := tw.Write(data)
		return err
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	blobs := []v1.Descriptor{{Digest: digest.Digest(img.ID), Size: int64(len(mb))}, m.Config}
	blobs = append(blobs, m.Layers...)
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].Digest < blobs[j].Digest })
	for i, b := range blobs {
		if i > 0 && blobs[i-1].Digest == b.Digest {
			continue
		}
		if err := add("blobs/sha256/"+b.Digest.Encoded(), nil, l.blobPath(b.Digest.String()), b.Size); err != nil {
			return err
		}
	}
	if err := add("index.json", ib, "", int64(len(ib))); err != nil {
		return err
	}
	layout := []byte(`{"imageLayoutVersion":"1.0.0"}`)
	if err := add("oci-layout", layout, "", int64(len(layout))); err != nil {
		return err
	}
	return tw.Close()
}

// writeRootfs flattens the layers into one tar (guntar.Flatten).
func (l *storeBackend) writeRootfs(ctx context.Context, img *baseImage, w io.Writer) error {
	var layers []guntar.LayerOpener
	for _, layer := range img.Layers {
		p := l.blobPath(layer.Digest)
		layers = append(layers, func() (io.ReadCloser, error) { return os.Open(p) })
	}
	return guntar.Flatten(ctx, w, layers)
}
