package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gun-tools/gun/store"
)

// Push copies img from the store to r (a tag, latest if none) and returns
// the digest of its manifest. Blobs the registry has are skipped; a blob
// of an image pulled from another repository of the same registry is
// mounted from there when the registry allows it; the others are pushed,
// several at once. The manifest goes last, so the tag appears only when
// everything it names is there.
func (c *Client) Push(ctx context.Context, st *store.Store, img *store.Image, r Ref) (digest.Digest, error) {
	d, err := c.push(ctx, st, img, r)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", r, explain(err, r.Host()))
	}
	return d, nil
}

func (c *Client) push(ctx context.Context, st *store.Store, img *store.Image, r Ref) (digest.Digest, error) {
	if r.Digest != "" {
		return "", fmt.Errorf("push to a tag, not to a digest")
	}
	repo, err := c.repository(ctx, r.Host(), r)
	if err != nil {
		return "", err
	}
	var mountFrom string
	if img.Source.Ref != "" {
		if src, err := ParseRef(img.Source.Ref); err == nil && src.Host() == r.Host() && src.Path() != r.Path() {
			mountFrom = src.Path()
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for _, d := range append([]v1.Descriptor{img.Manifest.Config}, img.Manifest.Layers...) {
		g.Go(func() error { return c.pushBlob(gctx, repo, st, d, mountFrom) })
	}
	if err := g.Wait(); err != nil {
		return "", err
	}
	rc, err := st.OpenBlob(img.Descriptor.Digest)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxManifest+1))
	if err != nil {
		return "", err
	}
	mdesc := v1.Descriptor{MediaType: img.Descriptor.MediaType, Digest: img.Descriptor.Digest, Size: int64(len(data))}
	if mdesc.MediaType == "" {
		mdesc.MediaType = v1.MediaTypeImageManifest
	}
	if err := repo.PushReference(ctx, mdesc, bytes.NewReader(data), r.Tag); err != nil {
		return "", fmt.Errorf("manifest: %w", err)
	}
	c.logf("%s: manifest pushed", mdesc.Digest)
	return mdesc.Digest, nil
}

// pushBlob sends a blob the registry lacks.
func (c *Client) pushBlob(ctx context.Context, repo *remote.Repository, st *store.Store, d v1.Descriptor, mountFrom string) error {
	ok, err := repo.Exists(ctx, d)
	if err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	if ok {
		c.logf("%s: already in the registry", d.Digest)
		return nil
	}
	open := func() (io.ReadCloser, error) { return st.OpenBlob(d.Digest) }
	if mountFrom != "" {
		err = repo.Mount(ctx, d, mountFrom, open)
		if err == nil {
			c.logf("%s: mounted from %s", d.Digest, mountFrom)
		}
	} else {
		var rc io.ReadCloser
		if rc, err = open(); err == nil {
			err = repo.Push(ctx, d, c.counted(rc, d.Digest, 0, d.Size))
			rc.Close()
		}
		if err == nil {
			c.logf("%s: pushed (%d bytes)", d.Digest, d.Size)
		}
	}
	if err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	return nil
}
