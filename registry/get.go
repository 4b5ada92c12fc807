package registry

import (
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gun-tools/gun/store"
)

// Get returns the image r names: with a digest, the one the store holds
// as pulled with that digest (no network needed), else the image pulled.
func (c *Client) Get(ctx context.Context, st *store.Store, r Ref, opts PullOptions) (*store.Image, error) {
	if r.Digest != "" {
		want, err := parsePlatform(opts.Platform)
		if err != nil {
			return nil, err
		}
		imgs, _ := st.PulledImages(r.Digest)
		for _, img := range imgs {
			if matches(v1.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant}, want) {
				return img, nil
			}
		}
	}
	return c.Pull(ctx, st, r, opts)
}

// Resolve returns the digest the registry serves for r's tag.
func (c *Client) Resolve(ctx context.Context, r Ref) (digest.Digest, error) {
	repo, err := c.repository(ctx, r.Host(), r)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", r, err)
	}
	desc, err := repo.Resolve(ctx, r.Target())
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", r, err)
	}
	return desc.Digest, nil
}

// ImageIs reports whether img is for platform (os/arch[/variant]; "" is
// this machine's), as a pull would choose it from an index.
func ImageIs(img *store.Image, platform string) (bool, error) {
	want, err := parsePlatform(platform)
	if err != nil {
		return false, err
	}
	return matches(v1.Platform{OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant}, want), nil
}
