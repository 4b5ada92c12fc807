package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"

	"github.com/gun-tools/gun/store"
)

// An artifact is an OCI image manifest whose config blob, of a media type
// of its own, says what it is, and whose layers are blobs of the store
// (gun's registry build cache is one).

// maxArtifactConfig bounds an artifact's config blob, which is read whole.
const maxArtifactConfig = 16 << 20

// PushArtifact pushes config (of media type configType) and the blobs
// of the store that layers names to r's tag, under a manifest that names
// them, and returns the manifest's digest. Blobs the registry has are
// skipped; the manifest goes last.
func (c *Client) PushArtifact(ctx context.Context, st *store.Store, r Ref, configType string, config []byte, layers []v1.Descriptor) (digest.Digest, error) {
	d, err := c.pushArtifact(ctx, st, r, configType, config, layers)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", r, explain(err, r.Host()))
	}
	return d, nil
}

func (c *Client) pushArtifact(ctx context.Context, st *store.Store, r Ref, configType string, config []byte, layers []v1.Descriptor) (digest.Digest, error) {
	if r.Digest != "" {
		return "", fmt.Errorf("push to a tag, not to a digest")
	}
	repo, err := c.repository(ctx, r.Host(), r)
	if err != nil {
		return "", err
	}
	cdesc := v1.Descriptor{MediaType: configType, Digest: digest.FromBytes(config), Size: int64(len(config))}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	g.Go(func() error {
		ok, err := repo.Exists(gctx, cdesc)
		if err == nil && !ok {
			err = repo.Push(gctx, cdesc, bytes.NewReader(config))
		}
		if err != nil {
			return fmt.Errorf("config %s: %w", cdesc.Digest, err)
		}
		return nil
	})
	for _, d := range layers {
		g.Go(func() error { return c.pushBlob(gctx, repo, st, d, "") })
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	m := v1.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: v1.MediaTypeImageManifest,
		Config:    cdesc,
		Layers:    layers,
	}
	if m.Layers == nil {
		m.Layers = []v1.Descriptor{}
	}
	data, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	mdesc := v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := repo.PushReference(ctx, mdesc, bytes.NewReader(data), r.Tag); err != nil {
		return "", fmt.Errorf("manifest: %w", err)
	}
	c.logf("%s: manifest pushed", mdesc.Digest)
	return mdesc.Digest, nil
}

// FetchArtifact returns the manifest r names and its config, which must be
// of media type configType.
func (c *Client) FetchArtifact(ctx context.Context, r Ref, configType string) (v1.Manifest, []byte, error) {
	m, config, err := c.fetchArtifact(ctx, r, configType)
	if err != nil {
		return m, nil, fmt.Errorf("%s: %w", r, explain(err, r.Host()))
	}
	return m, config, nil
}

func (c *Client) fetchArtifact(ctx context.Context, r Ref, configType string) (v1.Manifest, []byte, error) {
	var m v1.Manifest
	repo, err := c.repository(ctx, r.Host(), r)
	if err != nil {
		return m, nil, err
	}
	desc, data, err := fetchManifest(ctx, repo, r.Target(), v1.Descriptor{})
	if err != nil {
		return m, nil, err
	}
	if desc.MediaType != v1.MediaTypeImageManifest {
		return m, nil, fmt.Errorf("%s: media type %q is not an OCI manifest", desc.Digest, desc.MediaType)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	if m.Config.MediaType != configType {
		return m, nil, fmt.Errorf("manifest %s: its config is %q, not %q", desc.Digest, m.Config.MediaType, configType)
	}
	if m.Config.Size > maxArtifactConfig {
		return m, nil, fmt.Errorf("manifest %s: its config is %d bytes, more than the limit of %d", desc.Digest, m.Config.Size, maxArtifactConfig)
	}
	rc, err := repo.Fetch(ctx, m.Config)
	if err != nil {
		return m, nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	defer rc.Close()
	config, err := io.ReadAll(io.LimitReader(rc, m.Config.Size+1))
	if err != nil {
		return m, nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	if int64(len(config)) != m.Config.Size || digest.FromBytes(config) != m.Config.Digest {
		return m, nil, fmt.Errorf("config %s: the content does not match its digest or size", m.Config.Digest)
	}
	return m, config, nil
}

// PullBlob streams the blob d of r's repository into the store through b,
// verified (the caller skips the blobs the store has).
func (c *Client) PullBlob(ctx context.Context, b *store.Batch, r Ref, d v1.Descriptor) error {
	repo, err := c.repository(ctx, r.Host(), r)
	if err == nil {
		err = c.pullBlob(ctx, repo, b, d)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", r, explain(err, r.Host()))
	}
	return nil
}
