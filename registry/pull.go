package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/gun-tools/gun/store"
)

// Media types of Docker's image format, which registries still serve.
const (
	dockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	dockerConfig       = "application/vnd.docker.container.image.v1+json"
	dockerLayer        = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

// layerTypes are the layer media types gun unpacks.
var layerTypes = []string{v1.MediaTypeImageLayer, v1.MediaTypeImageLayerGzip, v1.MediaTypeImageLayerZstd, dockerLayer}

// parallel is how many blobs move at once.
const parallel = 4

// PullOptions configure a pull.
type PullOptions struct {
	// Platform is os/arch[/variant]; "" is this machine's.
	Platform string
	// KeepOwned leaves a name that an image not pulled from the same
	// repository holds where it is (pulls that a build or a run makes);
	// gun pull takes the name.
	KeepOwned bool
}

// Pull copies the image r names into the store, from the mirrors the
// registries file gives its registry first, then from the registry: the manifest for the
// platform asked for, its config and its layers, several at once, each
// streamed into the store and verified. Blobs the store has are not
// downloaded. Nothing is named, and no blob kept, unless all of it
// arrived. The image's Source says what the registry served.
func (c *Client) Pull(ctx context.Context, st *store.Store, r Ref, opts PullOptions) (*store.Image, error) {
	for _, m := range c.opts.Registries[r.Host()].Mirrors {
		img, err := c.pull(ctx, st, m, r, opts)
		if err == nil {
			return img, nil
		}
		c.logf("mirror %s: %v; trying the next", m, err)
	}
	img, err := c.pull(ctx, st, r.Host(), r, opts)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", r, explain(err, r.Host()))
	}
	return img, nil
}

// pull pulls r from host (its registry, or a mirror of it).
func (c *Client) pull(ctx context.Context, st *store.Store, host string, r Ref, opts PullOptions) (*store.Image, error) {
	want, err := parsePlatform(opts.Platform)
	if err != nil {
		return nil, err
	}
	repo, err := c.repository(ctx, host, r)
	if err != nil {
		return nil, err
	}
	top, data, err := fetchManifest(ctx, repo, r.Target(), v1.Descriptor{})
	if err != nil {
		return nil, err
	}
	if r.Digest != "" && top.Digest != r.Digest {
		return nil, fmt.Errorf("the registry served %s for digest %s", top.Digest, r.Digest)
	}
	mdesc := top
	if isIndex(top.MediaType) {
		var idx v1.Index
		if err := json.Unmarshal(data, &idx); err != nil {
			return nil, fmt.Errorf("index %s: %w", top.Digest, err)
		}
		if mdesc, err = choosePlatform(idx, want); err != nil {
			return nil, err
		}
		if _, data, err = fetchManifest(ctx, repo, "", mdesc); err != nil {
			return nil, err
		}
	}
	if !isManifest(mdesc.MediaType) {
		return nil, fmt.Errorf("%s: media type %q is not an image gun knows", mdesc.Digest, mdesc.MediaType)
	}
	var m v1.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", mdesc.Digest, err)
	}
	if m.Config.MediaType != v1.MediaTypeImageConfig && m.Config.MediaType != dockerConfig {
		return nil, fmt.Errorf("manifest %s: config media type %q is not an image's", mdesc.Digest, m.Config.MediaType)
	}
	for _, l := range m.Layers {
		if !slices.Contains(layerTypes, l.MediaType) {
			return nil, fmt.Errorf("manifest %s: layer %s: media type %q is not one gun unpacks", mdesc.Digest, l.Digest, l.MediaType)
		}
	}
	b, err := st.Begin()
	if err != nil {
		return nil, err
	}
	defer b.Close()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if st.HasBlob(d.Digest) {
			c.logf("%s: already in the store", d.Digest)
			continue
		}
		g.Go(func() error { return c.pullBlob(gctx, repo, b, d) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := b.PutBlob(bytes.NewReader(data), mdesc.Digest, mdesc.Size); err != nil {
		return nil, err
	}
	src := store.Source{Ref: r.String(), Digest: top.Digest}
	if r.Tag != "" {
		src.Ref = r.Name() + ":" + r.Tag
	}
	return b.TagPulled(r.StoreName(), v1.Descriptor{MediaType: mdesc.MediaType, Digest: mdesc.Digest, Size: mdesc.Size}, src, opts.KeepOwned)
}

// pullBlob streams a blob into the store. When the connection breaks, it
// asks for the rest (an HTTP range) and goes on from the bytes it has, or
// starts again if the registry ignores ranges; three tries in all. A pull
// that stopped (killed, canceled) left the bytes it had in the store: this
// one asks for the rest of them.
func (c *Client) pullBlob(ctx context.Context, repo *remote.Repository, b *store.Batch, d v1.Descriptor) error {
	tries, first := 1, true
	open := func(offset int64) (io.ReadCloser, bool, error) {
		if first && offset > 0 {
			c.logf("%s: resuming at byte %d of %d, which a pull that stopped left", d.Digest, offset, d.Size)
		}
		first = false
		if offset == 0 {
			rc, err := repo.Fetch(ctx, d)
			return c.counted(rc, d.Digest, 0, d.Size), true, err
		}
		rc, fromStart, err := fetchRange(ctx, repo, d, offset)
		if err == nil && fromStart {
			c.logf("%s: the registry ignores ranges; starting again", d.Digest)
			offset = 0
		}
		return c.counted(rc, d.Digest, offset, d.Size), fromStart, err
	}
	retry := func(err error) bool {
		if ctx.Err() != nil || tries == 3 || errors.Is(err, store.ErrDigestMismatch) {
			return false
		}
		tries++
		c.logf("%s: %v; asking for the rest", d.Digest, err)
		return true
	}
	if err := b.PutBlobFrom(d.Digest, d.Size, open, retry); err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	c.logf("%s: pulled (%d bytes)", d.Digest, d.Size)
	return nil
}

// fetchRange asks for blob d from byte offset on. A registry that ignores
// the range answers with the whole blob (fromStart).
func fetchRange(ctx context.Context, repo *remote.Repository, d v1.Descriptor, offset int64) (rc io.ReadCloser, fromStart bool, err error) {
	scheme := "https"
	if repo.PlainHTTP {
		scheme = "http"
	}
	url := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", scheme, repo.Reference.Host(), repo.Reference.Repository, d.Digest)
	ctx = auth.AppendRepositoryScope(ctx, repo.Reference, auth.ActionPull)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	resp, err := repo.Client.Do(req)
	if err != nil {
		return nil, false, err
	}
	switch {
	case resp.StatusCode == http.StatusPartialContent && strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", offset)):
		return resp.Body, false, nil
	case resp.StatusCode == http.StatusOK:
		return resp.Body, true, nil
	}
	resp.Body.Close()
	return nil, false, fmt.Errorf("GET %s (bytes %d-): %s", url, offset, resp.Status)
}

// fetchManifest fetches a manifest or index by reference (a tag or a
// digest) or, if ref is "", by its descriptor, refusing one larger than
// maxManifest and checking its digest.
func fetchManifest(ctx context.Context, repo *remote.Repository, ref string, desc v1.Descriptor) (v1.Descriptor, []byte, error) {
	var rc io.ReadCloser
	var err error
	if ref != "" {
		desc, rc, err = repo.FetchReference(ctx, ref)
	} else if desc.Size > maxManifest {
		err = fmt.Errorf("manifest %s is %d bytes, more than the limit of %d", desc.Digest, desc.Size, maxManifest)
	} else {
		rc, err = repo.Fetch(ctx, desc)
	}
	if err != nil {
		return desc, nil, err
	}
	defer rc.Close()
	if desc.Size > maxManifest {
		return desc, nil, fmt.Errorf("manifest %s is %d bytes, more than the limit of %d", desc.Digest, desc.Size, maxManifest)
	}
	data, err := io.ReadAll(io.LimitReader(rc, desc.Size+1))
	if err != nil {
		return desc, nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	if int64(len(data)) != desc.Size || digest.FromBytes(data) != desc.Digest {
		return desc, nil, fmt.Errorf("manifest %s: the content does not match its digest or size", desc.Digest)
	}
	if desc.MediaType == "" || desc.MediaType == "application/json" {
		var probe struct {
			MediaType string `json:"mediaType"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			return desc, nil, fmt.Errorf("manifest %s: not valid JSON: %w", desc.Digest, err)
		}
		desc.MediaType = probe.MediaType
	}
	if !json.Valid(data) {
		return desc, nil, fmt.Errorf("manifest %s: not valid JSON", desc.Digest)
	}
	return desc, data, nil
}

func isIndex(mt string) bool    { return mt == v1.MediaTypeImageIndex || mt == dockerManifestList }
func isManifest(mt string) bool { return mt == v1.MediaTypeImageManifest || mt == dockerManifest }

// parsePlatform parses os/arch[/variant]; "" is this machine.
func parsePlatform(s string) (v1.Platform, error) {
	if s == "" {
		p := v1.Platform{OS: "linux", Architecture: goruntime.GOARCH}
		if p.Architecture == "arm" {
			p.Variant = armVariant()
		}
		return p, nil
	}
	f := strings.Split(s, "/")
	if len(f) < 2 || len(f) > 3 || f[0] == "" || f[1] == "" {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", s)
	}
	p := v1.Platform{OS: f[0], Architecture: f[1]}
	if len(f) == 3 {
		p.Variant = f[2]
	}
	return p, nil
}

// choosePlatform picks want's manifest of idx, or says which it has.
func choosePlatform(idx v1.Index, want v1.Platform) (v1.Descriptor, error) {
	var have []string
	for _, d := range idx.Manifests {
		p := d.Platform
		if p == nil || !isManifest(d.MediaType) {
			continue
		}
		if matches(*p, want) {
			return d, nil
		}
		have = append(have, platformString(*p))
	}
	if len(have) == 0 {
		return v1.Descriptor{}, fmt.Errorf("the index names no platform (want %s)", platformString(want))
	}
	return v1.Descriptor{}, fmt.Errorf("no image for %s; the index has %s (choose one with --platform)", platformString(want), strings.Join(have, ", "))
}

// matches reports whether p is want; a variant either leaves out matches
// any.
func matches(p, want v1.Platform) bool {
	return p.OS == want.OS && p.Architecture == want.Architecture &&
		(want.Variant == "" || p.Variant == "" || p.Variant == want.Variant)
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// armVariant is the ARM variant gun was built for (GOARM), v7 by default.
func armVariant() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" && s.Value != "" {
				return "v" + s.Value[:1]
			}
		}
	}
	return "v7"
}
