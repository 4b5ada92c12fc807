package exec

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/internal/atomicfile"
	"github.com/gun-tools/gun/registry"
	"github.com/gun-tools/gun/runtime"
	"github.com/gun-tools/gun/store"
)

// storeBackend builds on the image store: layer blobs, configs and
// manifests are blobs of the store, layers are unpacked into the store's
// layer cache by the runtime's unpacker (inside a user namespace, so that
// files have the owners they will be used with), and -t names an image in
// the store. A batch (the store's shared lock) is held for the whole build,
// so that `gun prune` cannot remove a step's layer before it is used.
type storeBackend struct {
	root  string // the store root
	dir   string // root/build: the executor's own records
	st    *store.Store
	batch *store.Batch
	rt    *runtime.Runtime
	u     runtime.NSUnpacker
	// compression is the layers' the build makes.
	compression guntar.Compression

	mu sync.Mutex
	// pending are the base archives whose import waits for a step that
	// needs their files or for the image's end, by their digest.
	pending map[digest.Digest]*pendingBase
}

// pendingBase is a base archive not imported yet. Its layer is known but
// for its diff ID, which is "" until the import.
type pendingBase struct {
	mu     sync.Mutex
	imp    *store.PendingImport
	diffID string
}

func openBackend(rt *runtime.Runtime, root string, compression guntar.Compression, warn func(string)) (backend, error) {
	if root == "" {
		return nil, errors.New("no store root")
	}
	st, err := store.Open(root)
	if err != nil {
		return nil, err
	}
	st.RemoveAll = rt.RemoveAll
	// Scratch space left by killed builds and containers goes first.
	if _, _, err := st.RemoveStaleRuns(); err != nil {
		return nil, err
	}
	dir := filepath.Join(st.Root(), "build")
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	batch, err := st.Begin()
	if err != nil {
		return nil, err
	}
	// The build cache names the layers of steps, which no image may name.
	batch.Keep()
	return &storeBackend{
		root: st.Root(), dir: dir, st: st, batch: batch, rt: rt, u: rt.Unpacker(warn), compression: compression,
		pending: map[digest.Digest]*pendingBase{},
	}, nil
}

// Close ends the batch once the layers the build unpacked are durable.
func (l *storeBackend) Close() error {
	err := l.batch.Close()
	l.st.WaitSynced()
	return err
}

// descriptor is the layer's blob's descriptor.
func descriptor(layer cache.Layer) v1.Descriptor {
	return v1.Descriptor{MediaType: layer.MediaType, Digest: digest.Digest(layer.Digest), Size: layer.Size}
}

func (l *storeBackend) HasLayer(layer cache.Layer) bool {
	return l.st.HasBlob(digest.Digest(layer.Digest))
}

// PutLayer stores an uncompressed layer tar, compressed, in the store.
func (l *storeBackend) PutLayer(ctx context.Context, r io.Reader) (*cache.Layer, error) {
	start := time.Now()
	desc, diffID, err := l.batch.CompressLayer(ctx, r, l.compression)
	if err != nil {
		return nil, err
	}
	slog.Debug("layer stored", "digest", desc.Digest, "size", desc.Size, "compression", l.compression, "took", time.Since(start))
	return &cache.Layer{MediaType: desc.MediaType, Digest: desc.Digest.String(), Size: desc.Size, DiffID: diffID.String()}, nil
}

// Recompress returns the layer compressed as the build's layers are.
func (l *storeBackend) Recompress(ctx context.Context, layer cache.Layer) (cache.Layer, error) {
	desc := descriptor(layer)
	out, err := l.batch.RecompressLayer(ctx, desc, digest.Digest(layer.DiffID), l.compression)
	if err != nil {
		return cache.Layer{}, err
	}
	layer.MediaType, layer.Digest, layer.Size = out.MediaType, out.Digest.String(), out.Size
	return layer, nil
}

// Complete returns layers with the diff IDs of the layers of bases whose
// import waited, importing them (unpacked when unpack says so: a step
// needs their files).
func (l *storeBackend) Complete(ctx context.Context, layers []cache.Layer, diffIDs func(context.Context) map[string]string) ([]cache.Layer, error) {
	return l.complete(ctx, layers, false, diffIDs)
}

// complete is Complete, or LayerDirs's (unpack: the import unpacks, and
// known diff IDs are not asked for).
func (l *storeBackend) complete(ctx context.Context, layers []cache.Layer, unpack bool, diffIDs func(context.Context) map[string]string) ([]cache.Layer, error) {
	out, cloned := layers, false
	var known map[string]string
	for i, layer := range layers {
		if layer.DiffID != "" {
			continue
		}
		l.mu.Lock()
		p := l.pending[digest.Digest(layer.Digest)]
		l.mu.Unlock()
		if p == nil {
			return nil, fmt.Errorf("layer %s: no diff ID", layer.Digest)
		}
		if known == nil && diffIDs != nil {
			known = diffIDs(ctx)
		}
		diffID, err := p.importOnce(ctx, l, unpack, known[layer.Digest])
		if err != nil {
			return nil, err
		}
		if !cloned {
			out, cloned = slices.Clone(layers), true
		}
		out[i].DiffID = diffID
	}
	return out, nil
}

// importOnce returns the archive's layer's diff ID: known (a cache's
// word, which unpacking the layer checks), its blob is stored as it is;
// else the archive is imported (and unpacked if unpack). Once done, the
// diff ID stands.
func (p *pendingBase) importOnce(ctx context.Context, l *storeBackend, unpack bool, known string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.diffID != "" {
		return p.diffID, nil
	}
	start := time.Now()
	if !unpack && known != "" {
		if err := p.imp.PutBlob(ctx, l.batch); err != nil {
			return "", err
		}
		p.diffID = known
		slog.Debug("base archive stored", "digest", p.imp.Layer.Digest, "diff_id", known, "took", time.Since(start))
		return p.diffID, nil
	}
	var u store.Unpacker
	if unpack {
		u = l.u
	}
	desc, err := p.imp.Import(ctx, u)
	if err != nil {
		return "", err
	}
	img, err := l.st.ImageByDigest(desc.Digest)
	if err != nil {
		return "", err
	}
	if len(img.Manifest.Layers) != 1 || img.Manifest.Layers[0].Digest != p.imp.Layer.Digest {
		return "", fmt.Errorf("archive %s: imported as an image of other layers than itself", p.imp.Layer.Digest)
	}
	p.diffID = img.Config.RootFS.DiffIDs[0].String()
	slog.Debug("base archive imported", "digest", p.imp.Layer.Digest, "unpacked", unpack, "took", time.Since(start))
	return p.diffID, nil
}

// LayerDirs returns the layers unpacked (once) in the store's layer cache.
func (l *storeBackend) LayerDirs(ctx context.Context, layers []cache.Layer) ([]string, error) {
	layers, err := l.complete(ctx, layers, true, nil)
	if err != nil {
		return nil, err
	}
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
		descs = append(descs, descriptor(layer))
		diffIDs = append(diffIDs, digest.Digest(layer.DiffID))
	}
	return l.st.LayerDirsOf(ctx, descs, diffIDs, l.u)
}

// Resolve finds a base image as the store resolves references (an archive
// file is imported once, by its remembered digest, its layer unpacked as
// the import reads it). An archive's image is identified by the archive's
// digest, any other by its manifest digest.
func (l *storeBackend) Resolve(ctx context.Context, ref, dir string, sum digest.Digest, remote func(ctx context.Context) (*baseImage, bool, error)) (*baseImage, error) {
	opts := store.ResolveOptions{Dir: dir, Digest: sum, Unpacker: l.u, Defer: true, Hashing: l.rt.Prepare}
	var pulled *baseImage
	if remote != nil {
		opts.Remote = func(ctx context.Context, ref string, local v1.Descriptor, notFound error) (v1.Descriptor, error) {
			img, ok, err := remote(ctx)
			switch {
			case err != nil:
				return v1.Descriptor{}, err
			case !ok:
				return local, notFound
			}
			pulled = img
			return v1.Descriptor{Digest: digest.Digest(img.ID)}, nil
		}
	}
	r, err := l.st.Resolve(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	if pulled != nil {
		return pulled, nil
	}
	if r.RootDir != "" {
		return nil, fmt.Errorf("%s is a directory: a base is an image archive or an image of the store", r.RootDir)
	}
	if p := r.Pending; p != nil {
		l.mu.Lock()
		if l.pending[p.Layer.Digest] == nil {
			l.pending[p.Layer.Digest] = &pendingBase{imp: p}
		}
		l.mu.Unlock()
		return &baseImage{ID: r.Archive.String(), Archive: true, Config: p.Config, Layers: []cache.Layer{
			{MediaType: p.Layer.MediaType, Digest: p.Layer.Digest.String(), Size: p.Layer.Size},
		}}, nil
	}
	img, err := l.load(r.Manifest.Digest.String())
	if err != nil {
		return nil, err
	}
	if r.Archive != "" {
		img.ID, img.Archive = r.Archive.String(), true
	}
	return img, nil
}

func (l *storeBackend) Image(ctx context.Context, name string) (*baseImage, error) {
	img, err := l.st.Image(name)
	if err != nil {
		return nil, err
	}
	return toBase(img), nil
}

func (l *storeBackend) Pull(ctx context.Context, c *registry.Client, r registry.Ref, opts registry.PullOptions) (*baseImage, error) {
	img, err := c.Get(ctx, l.st, r, opts)
	if err != nil {
		return nil, err
	}
	return toBase(img), nil
}

func (l *storeBackend) PullLayer(ctx context.Context, c *registry.Client, r registry.Ref, layer cache.Layer) error {
	return c.PullBlob(ctx, l.batch, r, descriptor(layer))
}

func (l *storeBackend) PushCache(ctx context.Context, c *registry.Client, r registry.Ref, config []byte, layers []cache.Layer) (string, error) {
	var descs []v1.Descriptor
	for _, layer := range layers {
		descs = append(descs, descriptor(layer))
	}
	d, err := c.PushArtifact(ctx, l.st, r, cache.ConfigMediaType, config, descs)
	return d.String(), err
}

func (l *storeBackend) load(d string) (*baseImage, error) {
	img, err := l.st.ImageByDigest(digest.Digest(d))
	if err != nil {
		return nil, err
	}
	return toBase(img), nil
}

// toBase is what a stage takes from an image of the store; its ID is the
// manifest digest.
func toBase(img *store.Image) *baseImage {
	b := &baseImage{ID: img.Descriptor.Digest.String(), Config: img.Config, Source: img.Source}
	for i, ld := range img.Manifest.Layers {
		b.Layers = append(b.Layers, cache.Layer{MediaType: ld.MediaType, Digest: ld.Digest.String(), Size: ld.Size, DiffID: img.Config.RootFS.DiffIDs[i].String()})
	}
	return b
}

func (l *storeBackend) WriteImage(ctx context.Context, config store.Config, layers []cache.Layer) (string, error) {
	descs := []v1.Descriptor{}
	for _, layer := range layers {
		descs = append(descs, descriptor(layer))
	}
	img, err := l.batch.WriteImage(config, descs)
	if err != nil {
		return "", err
	}
	return img.Descriptor.Digest.String(), nil
}

// Tag names the image in the store.
func (l *storeBackend) Tag(ctx context.Context, name, d string) error {
	img, err := l.st.ImageByDigest(digest.Digest(d))
	if err == nil {
		_, err = l.batch.Tag(name, img)
	}
	if err != nil {
		return fmt.Errorf("tag %s: %w", name, err)
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
	code, err := l.rt.RunCommit(ctx, spec, epoch, func(r io.Reader) error {
		var err error
		layer, err = l.PutLayer(ctx, r)
		return err
	})
	return layer, code, err
}

// Save writes the image as an OCI archive (named name, a normalized image
// name, or "" for none), or its flattened root file system as one tar,
// with the store's Save, so that `gun save` gives the same bytes.
func (l *storeBackend) Save(ctx context.Context, d, file, format, name string) error {
	img, err := l.st.ImageByDigest(digest.Digest(d))
	if err != nil {
		return err
	}
	img.Name = name
	err = atomicfile.Write(file, 0o644, func(w io.Writer) error {
		if format == "rootfs" {
			return l.st.SaveImageRootfs(ctx, w, img)
		}
		opts := store.SaveOptions{}
		if img.Config.Created != nil {
			opts.Time = *img.Config.Created
		}
		return l.st.SaveImage(ctx, w, img, opts)
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}
