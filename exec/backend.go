package exec

import (
	"context"
	"io"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/registry"
	"github.com/gun-tools/gun/runtime"
	"github.com/gun-tools/gun/store"
)

// baseImage is an image a stage starts from.
type baseImage struct {
	ID string // names its content: a manifest or archive digest
	// Archive: the image is an archive's (ID is its digest).
	Archive bool
	Layers  []cache.Layer
	Config  store.Config
	// Source is the registry the image was pulled from, if it was.
	Source store.Source
}

// backend is what the executor needs of the image store and the runtime.
type backend interface {
	// Resolve finds the image ref names (store.Resolve): an archive file
	// (relative to dir; with sum, the digest it must have), imported once,
	// an image of the store, or what remote decides for a reference that
	// is no file (ok false: not a registry's, the store's answer stands).
	// The image's ID is the archive's digest or the manifest's.
	Resolve(ctx context.Context, ref, dir string, sum digest.Digest, remote func(ctx context.Context) (img *baseImage, ok bool, err error)) (*baseImage, error)
	// Image returns an image of the store by name.
	Image(ctx context.Context, name string) (*baseImage, error)
	// Pull returns the image r names from a registry: with a digest, the
	// one the store holds as pulled with it, else the image pulled.
	Pull(ctx context.Context, c *registry.Client, r registry.Ref, opts registry.PullOptions) (*baseImage, error)
	// PullLayer pulls a layer of a step cache in a registry (r names the
	// cache) into the store.
	PullLayer(ctx context.Context, c *registry.Client, r registry.Ref, l cache.Layer) error
	// PushCache pushes a step cache, its records (config) and the layers
	// of the store they name, to r; it returns the manifest's digest.
	PushCache(ctx context.Context, c *registry.Client, r registry.Ref, config []byte, layers []cache.Layer) (string, error)
	// HasLayer reports whether the layer's blob is in the store.
	HasLayer(l cache.Layer) bool
	// Complete returns layers with the diff IDs of those of bases whose
	// import waits ("" until then): known (diffIDs, by blob digest, asked
	// only then), their blob is stored as it is; else they are imported
	// without unpacking.
	Complete(ctx context.Context, layers []cache.Layer, diffIDs func(context.Context) map[string]string) ([]cache.Layer, error)
	// LayerDirs returns the unpacked layers, bottom first (bases whose
	// import waits imported and unpacked).
	LayerDirs(ctx context.Context, layers []cache.Layer) ([]string, error)
	// PutLayer stores an uncompressed layer tar, compressed as the build
	// asked.
	PutLayer(ctx context.Context, tar io.Reader) (*cache.Layer, error)
	// Recompress returns a cached layer compressed as the build asked.
	Recompress(ctx context.Context, l cache.Layer) (cache.Layer, error)
	// Run runs a build step in a container on the layer dirs and returns
	// its changes as a layer (nil when it changed nothing), with file
	// times clamped to epoch.
	Run(ctx context.Context, dirs []string, spec runtime.Spec, epoch time.Time) (*cache.Layer, int, error)
	// WriteImage stores the image and returns its manifest digest.
	WriteImage(ctx context.Context, img store.Config, layers []cache.Layer) (string, error)
	// Tag names the image with digest.
	Tag(ctx context.Context, name, digest string) error
	// Save writes the image to file as an OCI archive whose image is named
	// name (a normalized image name, or "" for none), or ("rootfs") its
	// flattened root file system.
	Save(ctx context.Context, digest, file, format, name string) error
	Close() error
}

func digestOf(s string) digest.Digest { return digest.Digest(s) }

// layerDirs returns the unpacked layer directories of a state. A state
// without layers (scratch) gets one empty directory, as the runtime needs a
// layer.
func (b *builder) layerDirs(ctx context.Context, layers []cache.Layer) ([]string, error) {
	return b.be.LayerDirs(ctx, layers)
}
