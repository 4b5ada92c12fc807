package store

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/internal/ctxio"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImportOptions configure Import.
type ImportOptions struct {
	// Name names the imported image. By default the name comes from the
	// archive (OCI ref.name annotations, docker RepoTags) or, failing
	// that, from the file's name.
	Name string
	// Progress, if set, is called as the input is read with the bytes
	// read so far and the input's size.
	Progress func(done, total int64)
	// Digest, if set, receives the imported file's sha256 digest (not a
	// layout directory's), so that the caller learns it without reading
	// the file again. A root filesystem tarball kept as its layer's blob
	// (gzip, zstd or uncompressed) has its blob's digest: it is not
	// hashed twice.
	Digest *digest.Digest
	// Unpacker, if set, unpacks the layer of a root filesystem tarball
	// into the layer cache for its key as the import reads it, so that
	// LayerDirs finds it there instead of reading the blob again.
	Unpacker Unpacker
	// Anonymous imports the images without a name: the index keeps them
	// unnamed (so that Prune keeps them), found by digest. Builds and runs
	// import archives so, never taking or moving a name of the user's.
	Anonymous bool

	// known is the file's digest as hashed when it was knownFi (the
	// archive memo's word): a root filesystem kept as its layer's blob is
	// then not hashed again, unless the file differs from knownFi.
	known   digest.Digest
	knownFi fs.FileInfo
}

// Media types of docker's image format, found in docker archives and in
// OCI layouts that skopeo copied docker images into.
const (
	dockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	// containerdName is the annotation containerd, buildkit and gun use
	// for an image's full name; ref.name holds only its tag.
	containerdName = "io.containerd.image.name"
)

// Import adds the images found at path to the store and returns them: an
// OCI image layout directory, an OCI archive (a tar of such a layout), a
// docker or podman save archive, or a tar of a root filesystem (compressed
// with gzip, zstd, xz or bzip2, or not), which becomes a one-layer image.
// Importing what the store already holds changes nothing. A failed import
// leaves the store as it was.
func (s *Store) Import(ctx context.Context, path string, opts ImportOptions) ([]*Image, error) {
	imgs, err := s.importPath(ctx, path, opts)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	return imgs, nil
}

func (s *Store) importPath(ctx context.Context, p string, opts ImportOptions) ([]*Image, error) {
	if opts.Name != "" {
		n, err := NormalizeName(opts.Name)
		if err != nil {
			return nil, err
		}
		opts.Name = n
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	b, err := s.Begin()
	if err != nil {
		return nil, err
	}
	defer b.Close()
	b.anonymous = opts.Anonymous
	if fi.IsDir() {
		return b.importLayout(ctx, p, opts)
	}
	archive, err := isImageArchive(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = ctxio.Reader(ctx, f)
	// The layer blob of a root filesystem kept as it is, is the file.
	head := make([]byte, 8)
	n, _ := f.ReadAt(head, 0)
	_, whole := layerMediaTypes[guntar.DetectCompression(head[:n])]
	whole = whole && !archive
	var h digest.Digester
	if opts.Digest != nil && !whole {
		h = digest.SHA256.Digester()
		r = io.TeeReader(r, h.Hash())
	}
	if opts.Progress != nil {
		r = &progressReader{r: r, total: fi.Size(), fn: opts.Progress}
	}
	if archive {
		imgs, err := b.importArchive(ctx, r, p, opts)
		if err == nil && h != nil {
			// Bytes after the end of the tar are the file's too.
			_, err = io.Copy(io.Discard, r)
			*opts.Digest = h.Digest()
		}
		return imgs, err
	}
	var known knownStream
	if whole && opts.known != "" && sameFile(fi, opts.knownFi) {
		known = knownStream{digest: opts.known, unchanged: func() error {
			now, err := os.Stat(p)
			if err == nil && !sameFile(now, opts.knownFi) {
				err = errors.New("the file changed while it was imported")
			}
			return err
		}}
	}
	imgs, layer, err := b.importRootfs(ctx, r, p, fi, opts, known)
	if err != nil || opts.Digest == nil {
		return imgs, err
	}
	if whole {
		*opts.Digest = layer.Digest
		return imgs, nil
	}
	_, err = io.Copy(io.Discard, r)
	*opts.Digest = h.Digest()
	return imgs, err
}

type progressReader struct {
	r         io.Reader
	done      int64
	total     int64
	fn        func(done, total int64)
	lastShown int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done-p.lastShown >= 1<<20 || err == io.EOF {
		p.lastShown = p.done
		p.fn(p.done, p.total)
	}
	return n, err
}

var archiveEntry = lazyRegexp(`^(oci-layout|index\.json|manifest\.json|repositories|blobs(/.*)?|[0-9a-f]{64}(/.*|\.[a-z]+)?)$`)

// isImageArchive tells an image archive (OCI or docker) from a root
// filesystem by the names of its first entries.
func isImageArchive(p string) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	dr, _, err := guntar.Decompress(f)
	if err != nil {
		return false, err
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	n := 0
	for ; n < 8; n++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if n == 0 {
				return false, fmt.Errorf("not a tar archive: %w", err)
			}
			return false, err
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		if name == "" {
			continue
		}
		if !archiveEntry().MatchString(name) {
			return false, nil
		}
	}
	if n == 0 {
		return false, errors.New("empty archive")
	}
	return true, nil
}

// importRootfs imports the root filesystem tarball read from r as a
// one-layer image, and returns it with the layer's descriptor.
func (b *Batch) importRootfs(ctx context.Context, r io.Reader, p string, fi os.FileInfo, opts ImportOptions, known knownStream) ([]*Image, v1.Descriptor, error) {
	var desc v1.Descriptor
	var diffID digest.Digest
	var err error
	if opts.Unpacker != nil {
		desc, diffID, err = b.putLayerUnpacked(ctx, r, opts.Unpacker, known)
	} else {
		desc, diffID, err = b.putLayer(ctx, r, nil, known)
	}
	if err != nil {
		return nil, desc, err
	}
	name := opts.Name
	if name == "" {
		name = nameFromFile(p) + ":latest"
	}
	config, history := rootfsConfig(p, fi)
	img, err := b.Commit(name, config, []Layer{{Descriptor: desc, DiffID: diffID, History: history}})
	if err != nil {
		return nil, desc, err
	}
	return []*Image{img}, desc, nil
}

// rootfsConfig is the configuration of the image a root file system
// archive p (stat'ed as fi) is imported as, and its layer's history. Times
// come from the file, not the clock: importing it again is a no-op.
func rootfsConfig(p string, fi os.FileInfo) (v1.Image, v1.History) {
	created := fi.ModTime().UTC().Truncate(1e9)
	return v1.Image{Created: &created}, v1.History{Created: &created, CreatedBy: "gun import " + filepath.Base(p)}
}

var nameJunk = lazyRegexp(`[^a-z0-9._-]+`)

// nameFromFile makes an image name of a file's name:
// "alpine-minirootfs-3.14.0-x86_64.tar.gz" gives "alpine-minirootfs-3.14.0-x86_64".
func nameFromFile(p string) string {
	base := strings.ToLower(filepath.Base(p))
	for _, ext := range []string{".gz", ".tgz", ".zst", ".xz", ".bz2", ".tar", ".oci"} {
		base = strings.TrimSuffix(base, ext)
	}
	base = strings.Trim(nameJunk().ReplaceAllString(base, "-"), "._-")
	if base == "" {
		return "imported"
	}
	return base
}

// importArchive reads an OCI or docker archive in one pass: every file
// goes into the store as a blob (blobs/sha256/X verified against X), the
// metadata is then read back from there.
func (b *Batch) importArchive(ctx context.Context, r io.Reader, p string, opts ImportOptions) ([]*Image, error) {
	dr, _, err := guntar.Decompress(r)
	if err != nil {
		return nil, err
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	files := map[string]digest.Digest{}
	links := map[string]string{}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		name := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
		switch hdr.Typeflag {
		case tar.TypeReg: // archive/tar reads the old TypeRegA as TypeReg
			var want digest.Digest
			if enc, ok := strings.CutPrefix(name, "blobs/sha256/"); ok {
				want = digest.NewDigestFromEncoded(digest.SHA256, enc)
				if err := want.Validate(); err != nil {
					return nil, fmt.Errorf("%s: not a blob name: %w", hdr.Name, err)
				}
			}
			d, _, err := b.put(tr, want)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", hdr.Name, err)
			}
			files[name] = d
		case tar.TypeSymlink, tar.TypeLink:
			// Old docker archives link repeated layers to the first copy.
			target := hdr.Linkname
			if hdr.Typeflag == tar.TypeSymlink {
				target = path.Join(path.Dir(name), target)
			}
			links[name] = strings.TrimPrefix(path.Clean("/"+target), "/")
		}
	}
	resolve := func(name string) (digest.Digest, error) {
		name = strings.TrimPrefix(path.Clean("/"+name), "/")
		for range 16 {
			if d, ok := files[name]; ok {
				return d, nil
			}
			t, ok := links[name]
			if !ok {
				break
			}
			name = t
		}
		return "", fmt.Errorf("the archive has no file %s", name)
	}
	fallback := nameFromFile(p)
	if d, err := resolve(v1.ImageIndexFile); err == nil {
		var idx v1.Index
		if err := b.s.readBlobJSON(d, &idx); err != nil {
			return nil, fmt.Errorf("index.json: %w", err)
		}
		present := func(d digest.Digest) error {
			if !b.s.HasBlob(d) {
				return fmt.Errorf("index.json names blob %s, which the archive does not hold", d)
			}
			return nil
		}
		return b.importIndex(idx, present, fallback, opts)
	}
	d, err := resolve("manifest.json")
	if err != nil {
		return nil, errors.New("neither index.json nor manifest.json found: not an image archive")
	}
	return b.importDocker(d, resolve, fallback, opts)
}

// importLayout copies the images of an OCI image layout directory.
func (b *Batch) importLayout(ctx context.Context, dir string, opts ImportOptions) ([]*Image, error) {
	if _, err := os.Stat(filepath.Join(dir, v1.ImageLayoutFile)); err != nil {
		return nil, fmt.Errorf("not an OCI image layout: %w", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, v1.ImageIndexFile))
	if err != nil {
		return nil, err
	}
	var idx v1.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w", v1.ImageIndexFile, err)
	}
	fetch := func(d digest.Digest) error {
		if err := d.Validate(); err != nil {
			return err
		}
		src := filepath.Join(dir, "blobs", string(d.Algorithm()), d.Encoded())
		f, err := os.Open(src)
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("index.json names blob %s, which the layout does not hold", d)
		}
		if err != nil {
			return err
		}
		defer f.Close()
		if _, _, err := b.put(ctxio.Reader(ctx, f), d); err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		return nil
	}
	fallback := strings.TrimSuffix(nameFromFile(dir), "-")
	return b.importIndex(idx, fetch, fallback, opts)
}

// importIndex names the images of an OCI index, after fetch has made sure
// each blob they use is in the store. Multi-platform indexes give the image
// for this machine.
func (b *Batch) importIndex(idx v1.Index, fetch func(digest.Digest) error, fallback string, opts ImportOptions) ([]*Image, error) {
	var imgs []*Image
	for _, desc := range idx.Manifests {
		m, mdesc, err := b.platformManifest(desc, fetch, 0)
		if err != nil {
			return nil, err
		}
		if m == nil {
			continue
		}
		for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
			if err := fetch(d.Digest); err != nil {
				return nil, err
			}
		}
		name, err := pickName(opts.Name, desc.Annotations, fallback)
		if err != nil {
			return nil, err
		}
		img, err := b.tag(name, mdesc)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	if len(imgs) == 0 {
		return nil, errors.New("no image for this platform in the index")
	}
	if opts.Name != "" && len(imgs) > 1 {
		return nil, fmt.Errorf("the archive holds %d images: import it without a name", len(imgs))
	}
	return imgs, nil
}

// platformManifest follows desc through nested indexes to the manifest for
// this machine (nil if there is none).
func (b *Batch) platformManifest(desc v1.Descriptor, fetch func(digest.Digest) error, depth int) (*v1.Manifest, v1.Descriptor, error) {
	if depth > 4 {
		return nil, desc, errors.New("image indexes nested too deeply")
	}
	if err := fetch(desc.Digest); err != nil {
		return nil, desc, err
	}
	switch desc.MediaType {
	case v1.MediaTypeImageIndex, dockerManifestList:
		var idx v1.Index
		if err := b.s.readBlobJSON(desc.Digest, &idx); err != nil {
			return nil, desc, err
		}
		for _, d := range idx.Manifests {
			if d.Platform != nil && (d.Platform.OS != runtime.GOOS || d.Platform.Architecture != runtime.GOARCH) {
				continue
			}
			if m, md, err := b.platformManifest(d, fetch, depth+1); err != nil || m != nil {
				return m, md, err
			}
		}
		return nil, desc, nil
	case v1.MediaTypeImageManifest, dockerManifest, "":
		var m v1.Manifest
		if err := b.s.readBlobJSON(desc.Digest, &m); err != nil {
			return nil, desc, err
		}
		if m.MediaType == "" && desc.MediaType != "" {
			m.MediaType = desc.MediaType
		}
		desc = v1.Descriptor{MediaType: m.MediaType, Digest: desc.Digest, Size: desc.Size}
		if desc.MediaType == "" {
			desc.MediaType = v1.MediaTypeImageManifest
		}
		return &m, desc, nil
	}
	return nil, desc, fmt.Errorf("manifest %s: unsupported media type %q", desc.Digest, desc.MediaType)
}

// pickName chooses an imported image's name: the one asked for, else the
// archive's full name annotation, else its ref.name (a tag, or a name if it
// has one), else the fallback.
func pickName(asked string, ann map[string]string, fallback string) (string, error) {
	if asked != "" {
		return asked, nil
	}
	if n, err := NormalizeName(ann[containerdName]); err == nil && ann[containerdName] != "" {
		return n, nil
	}
	if ref := ann[v1.AnnotationRefName]; ref != "" {
		if strings.Contains(ref, ":") {
			if n, err := NormalizeName(ref); err == nil {
				return n, nil
			}
		} else if n, err := NormalizeName(fallback + ":" + ref); err == nil {
			return n, nil
		}
	}
	return NormalizeName(fallback)
}

// importDocker turns the images of a docker save archive into OCI images.
func (b *Batch) importDocker(manifest digest.Digest, resolve func(string) (digest.Digest, error), fallback string, opts ImportOptions) ([]*Image, error) {
	var entries []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := b.s.readBlobJSON(manifest, &entries); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if opts.Name != "" && len(entries) > 1 {
		return nil, fmt.Errorf("the archive holds %d images: import it without a name", len(entries))
	}
	var imgs []*Image
	for _, e := range entries {
		cd, err := resolve(e.Config)
		if err != nil {
			return nil, fmt.Errorf("manifest.json: config: %w", err)
		}
		var config v1.Image
		if err := b.s.readBlobJSON(cd, &config); err != nil {
			return nil, fmt.Errorf("config %s: %w", e.Config, err)
		}
		if len(config.RootFS.DiffIDs) != len(e.Layers) {
			return nil, fmt.Errorf("config %s lists %d layers, manifest.json %d", e.Config, len(config.RootFS.DiffIDs), len(e.Layers))
		}
		m := v1.Manifest{
			Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: v1.MediaTypeImageManifest,
			Config:    v1.Descriptor{MediaType: v1.MediaTypeImageConfig, Digest: cd, Size: b.s.blobSize(cd)},
			Layers:    []v1.Descriptor{},
		}
		for _, l := range e.Layers {
			ld, err := resolve(l)
			if err != nil {
				return nil, fmt.Errorf("manifest.json: layer: %w", err)
			}
			mt, err := b.s.layerMediaType(ld)
			if err != nil {
				return nil, err
			}
			m.Layers = append(m.Layers, v1.Descriptor{MediaType: mt, Digest: ld, Size: b.s.blobSize(ld)})
		}
		var names []string
		switch {
		case opts.Name != "":
			names = []string{opts.Name}
		case len(e.RepoTags) > 0:
			for _, t := range e.RepoTags {
				// Docker Hub's prefixes, as docker itself shows names.
				t = strings.TrimPrefix(strings.TrimPrefix(t, "docker.io/library/"), "docker.io/")
				n, err := NormalizeName(t)
				if err != nil {
					return nil, fmt.Errorf("manifest.json: %w", err)
				}
				names = append(names, n)
			}
		default:
			n, err := NormalizeName(fallback)
			if err != nil {
				return nil, err
			}
			names = []string{n}
		}
		for _, n := range names {
			img, err := b.commitManifest(n, m)
			if err != nil {
				return nil, err
			}
			imgs = append(imgs, img)
		}
	}
	return imgs, nil
}

func (s *Store) blobSize(d digest.Digest) int64 {
	p, err := s.blobPath(d)
	if err != nil {
		return 0
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// layerMediaType tells a layer blob's media type by its compression.
func (s *Store) layerMediaType(d digest.Digest) (string, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return "", err
	}
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	switch guntar.DetectCompression(head[:n]) {
	case guntar.None:
		return v1.MediaTypeImageLayer, nil
	case guntar.Gzip:
		return v1.MediaTypeImageLayerGzip, nil
	case guntar.Zstd:
		return v1.MediaTypeImageLayerZstd, nil
	}
	return "", fmt.Errorf("layer %s: compression OCI has no media type for", d)
}
