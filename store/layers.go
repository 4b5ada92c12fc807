package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/gun-tools/gun/guntar"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Unpacker unpacks one layer into a directory in overlay whiteout form. The
// store calls it when a layer is not yet in the unpacked-layer cache.
type Unpacker interface {
	// Unpack unpacks layer, an uncompressed tar stream, into dir, which
	// exists and is empty.
	Unpack(ctx context.Context, layer io.Reader, dir string) error
	// Key names the uid/gid mapping the files are owned under; caches
	// under different keys are kept apart.
	Key() string
}

// HostUnpacker unpacks layers in this process with guntar, in overlay
// whiteout form. As root it applies the archive's owners; otherwise every
// file belongs to the calling user.
type HostUnpacker struct {
	// Warn receives non-fatal events (device nodes not created, ...).
	Warn func(msg string)
}

// Unpack implements Unpacker.
func (h HostUnpacker) Unpack(ctx context.Context, layer io.Reader, dir string) error {
	return guntar.Unpack(ctx, layer, dir, guntar.UnpackOptions{
		Whiteouts: guntar.WhiteoutOverlay,
		Chown:     os.Geteuid() == 0,
		Warn:      h.Warn,
	})
}

// Key implements Unpacker: "host-root" when the archive's owners are kept,
// else "host-uid-N" for the user N who owns every file.
func (HostUnpacker) Key() string {
	if os.Geteuid() == 0 {
		return "host-root"
	}
	return fmt.Sprintf("host-uid-%d", os.Geteuid())
}

// keyDir is the directory of the cache for an unpacker's key.
func (s *Store) keyDir(key string) string {
	if !validKey(key, 64) {
		sum := sha256.Sum256([]byte(key))
		key = "key-" + hex.EncodeToString(sum[:12])
	}
	return s.path(layersDir, key)
}

// LayerDirs returns the unpacked, read-only layer directories of an image
// (as Resolve finds it), bottom layer first, unpacking (once, atomically,
// under a lock) those not yet cached for u.Key().
func (s *Store) LayerDirs(ctx context.Context, image string, u Unpacker) ([]string, error) {
	r, err := s.Resolve(ctx, image, ResolveOptions{Unpacker: u})
	if err != nil {
		return nil, err
	}
	img, err := s.RunImage(ctx, r, u)
	if err != nil {
		return nil, err
	}
	return img.Layers, nil
}

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
	if err := mkdirTop(kd); err != nil {
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

// RunImage is what running a container takes from an image.
type RunImage struct {
	Name   string
	Digest digest.Digest // the manifest's
	// From the image's configuration.
	User, WorkingDir     string
	Env, Entrypoint, Cmd []string
	ExposedPorts         []string // "80/tcp", sorted
	StopSignal           string
	// Layers are the unpacked layer directories, bottom first.
	Layers []string
	// Sources are the files read to make it, as Resolved's: the
	// resolution's, the manifest and configuration, and each layer's
	// directory and the mark of one not yet synced.
	Sources []string
	// Durable: every layer is synced (none has the mark), so that none
	// is to be unpacked again after a crash.
	Durable bool
}

// runManifest and runConfig are the parts of an image's manifest and
// configuration that RunImage reads: decoding only those is a fraction of
// the work, in the start of every gun run.
type runManifest struct {
	Config struct{ Digest digest.Digest }
	Layers []struct{ Digest digest.Digest }
}

type runConfig struct {
	Config struct {
		User, WorkingDir     string
		Env, Entrypoint, Cmd []string
		ExposedPorts         map[string]struct{}
		StopSignal           string
	}
	RootFS struct {
		DiffIDs []digest.Digest `json:"diff_ids"`
	}
}

// RunImage returns what running the image r takes, with its layer
// directories unpacked (once) for u. A directory is the only layer.
func (s *Store) RunImage(ctx context.Context, r *Resolved, u Unpacker) (*RunImage, error) {
	if r.RootDir != "" {
		return &RunImage{Layers: []string{r.RootDir}, Durable: true}, nil
	}
	unlock, err := s.lock(gcLock, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	desc := r.Manifest
	ri := &RunImage{Name: refName(desc), Digest: desc.Digest}
	what := ri.Name // names the image in errors
	if what == "" {
		what = desc.Digest.String()
	}
	var m runManifest
	var c runConfig
	mpath, err := s.blobPath(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("image %s: manifest: %w", what, err)
	}
	ri.Sources = append(slices.Clone(r.Sources), mpath)
	if err := s.readBlobJSON(desc.Digest, &m); err != nil {
		return nil, fmt.Errorf("image %s: manifest: %w", what, err)
	}
	cpath, err := s.blobPath(m.Config.Digest)
	if err != nil {
		return nil, fmt.Errorf("image %s: config: %w", what, err)
	}
	ri.Sources = append(ri.Sources, cpath)
	if err := s.readBlobJSON(m.Config.Digest, &c); err != nil {
		return nil, fmt.Errorf("image %s: config: %w", what, err)
	}
	if len(c.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("image %s: the config lists %d layers, the manifest %d", what, len(c.RootFS.DiffIDs), len(m.Layers))
	}
	ri.User, ri.WorkingDir = c.Config.User, c.Config.WorkingDir
	ri.Env, ri.Entrypoint, ri.Cmd = c.Config.Env, c.Config.Entrypoint, c.Config.Cmd
	ri.ExposedPorts = slices.Sorted(maps.Keys(c.Config.ExposedPorts))
	ri.StopSignal = c.Config.StopSignal
	kd := s.keyDir(u.Key())
	if err := mkdirTop(kd); err != nil {
		return nil, fmt.Errorf("layer cache: %w", err)
	}
	if debugEnabled() {
		slog.Debug("image resolved", "image", ri.Name, "manifest", ri.Digest, "layers", len(m.Layers), "cache", kd)
	}
	ri.Layers = make([]string, len(m.Layers))
	ri.Durable = true
	for i, layer := range m.Layers {
		dir, err := s.unpackLayer(ctx, kd, layer.Digest, c.RootFS.DiffIDs[i], u)
		if err != nil {
			return nil, fmt.Errorf("image %s: layer %d (%s): %w", what, i+1, layer.Digest, err)
		}
		ri.Layers[i] = dir
		ri.Sources = append(ri.Sources, dir, dir+unsyncedSuffix)
		if _, err := os.Lstat(dir + unsyncedSuffix); !errors.Is(err, fs.ErrNotExist) {
			ri.Durable = false
		}
	}
	return ri, nil
}

// unpackLayer returns the cached directory of the layer with the given
// diff ID, unpacking the blob into it first if needed. The directory
// appears only complete: it is unpacked beside it and renamed into place.
func (s *Store) unpackLayer(ctx context.Context, kd string, blob, diffID digest.Digest, u Unpacker) (string, error) {
	if err := diffID.Validate(); err != nil {
		return "", fmt.Errorf("diff ID %q: %w", diffID, err)
	}
	dir := kd + "/" + diffID.Encoded()
	if layerReady(dir) {
		if debugEnabled() {
			slog.Debug("layer cached", "diff_id", diffID, "dir", dir)
		}
		return dir, nil
	}
	unlock, err := flock(dir+".lock", true, false)
	if err != nil {
		return "", err
	}
	defer unlock()
	if layerReady(dir) {
		slog.Debug("layer unpacked by another process", "diff_id", diffID, "dir", dir)
		return dir, nil
	}
	if err := s.removeStaleLayer(dir); err != nil {
		return "", err
	}
	start := time.Now()
	tmp, err := os.MkdirTemp(kd, tmpPrefix+diffID.Encoded()[:12]+"-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := s.unpackBlob(ctx, blob, diffID, tmp, u); err != nil {
		if rerr := s.RemoveAll(tmp); rerr != nil {
			err = errors.Join(err, fmt.Errorf("clean up: %w", rerr))
		}
		return "", err
	}
	if err := s.installLayer(kd, tmp, dir); err != nil {
		return "", err
	}
	slog.Debug("layer unpacked", "diff_id", diffID, "blob", blob, "dir", dir, "unpacker", u.Key(), "elapsed", time.Since(start))
	return dir, nil
}

// unpackBlob decompresses the blob and hands it to u, checking on the way
// that the uncompressed stream has the digest diffID.
func (s *Store) unpackBlob(ctx context.Context, blob, diffID digest.Digest, dir string, u Unpacker) error {
	// The diff ID check below covers the content: the blob's own digest
	// is not checked again.
	p, err := s.blobPath(blob)
	if err != nil {
		return err
	}
	rc, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob %s is missing from the store", blob)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	dr, _, err := guntar.Decompress(rc)
	if err != nil {
		return err
	}
	defer dr.Close()
	v := diffID.Verifier()
	tee := io.TeeReader(dr, v)
	if err := u.Unpack(ctx, tee, dir); err != nil {
		return err
	}
	// The unpacker may stop at the end-of-archive marker: hash the rest.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return err
	}
	if !v.Verified() {
		return fmt.Errorf("uncompressed layer does not match its diff ID %s", diffID)
	}
	return nil
}

// putLayerUnpacked is PutLayer that also unpacks the layer with u into the
// layer cache as it reads it, so that the layer is read and decompressed
// once. A failure to unpack does not fail the import: the layer is then
// unpacked when first used, where the failure is reported.
func (b *Batch) putLayerUnpacked(ctx context.Context, r io.Reader, u Unpacker, known knownStream) (v1.Descriptor, digest.Digest, error) {
	kd := b.s.keyDir(u.Key())
	if err := mkdirTop(kd); err != nil {
		return b.putLayer(ctx, r, nil, known)
	}
	tmp, err := os.MkdirTemp(kd, tmpPrefix+"import-")
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	if err != nil {
		return b.putLayer(ctx, r, nil, known)
	}
	start := time.Now()
	// A pipe of the system: an unpacker in another process reads it
	// directly, not through a copy of os/exec's (204 MB for a Debian
	// base). (A 1 MiB pipe made the commit's pipe 3 times slower here.)
	pr, pw, err := os.Pipe()
	if err != nil {
		b.s.RemoveAll(tmp)
		return b.putLayer(ctx, r, nil, known)
	}
	done := make(chan error, 1)
	go func() {
		err := u.Unpack(ctx, pr, tmp)
		// The unpacker may stop at the end-of-archive marker, or fail:
		// the rest of the stream is still the import's.
		io.Copy(io.Discard, pr)
		pr.Close()
		done <- err
	}()
	desc, diffID, err := b.putLayer(ctx, r, pw, known)
	// A failed import ends the stream early; its error is err.
	pw.Close()
	if uerr := <-done; err != nil || uerr != nil {
		b.s.RemoveAll(tmp)
		return desc, diffID, err
	}
	if err := b.s.placeUnpacked(kd, tmp, diffID); err != nil {
		b.s.RemoveAll(tmp)
	} else {
		slog.Debug("layer unpacked", "diff_id", diffID, "blob", desc.Digest, "dir", kd+"/"+diffID.Encoded(), "unpacker", u.Key(), "elapsed", time.Since(start), "while", "importing")
	}
	return desc, diffID, nil
}

// placeUnpacked makes tmp, a complete unpacked layer, the cached directory
// of diffID, unless another process cached it first.
func (s *Store) placeUnpacked(kd, tmp string, diffID digest.Digest) error {
	dir := kd + "/" + diffID.Encoded()
	unlock, err := flock(dir+".lock", true, false)
	if err != nil {
		return err
	}
	defer unlock()
	if layerReady(dir) {
		return s.RemoveAll(tmp)
	}
	if err := s.removeStaleLayer(dir); err != nil {
		return err
	}
	return s.installLayer(kd, tmp, dir)
}
