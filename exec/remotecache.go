package exec

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/registry"
)

// remoteCache is a step cache in a registry (--cache-from).
type remoteCache struct {
	ref registry.Ref
	cache.Records
}

// parseCacheRefs checks the --cache-from and --cache-to references.
func parseCacheRefs(refs []string, flag string) ([]registry.Ref, error) {
	var out []registry.Ref
	for _, s := range refs {
		r, err := registry.ParseRef(s)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// remoteCaches reads the records of the --cache-from caches, once. One
// that cannot be read is skipped with a warning: the first build of a CI
// pipeline finds none.
func (b *builder) remoteCaches(ctx context.Context) []remoteCache {
	b.remoteOnce.Do(func() {
		if len(b.cacheFrom) == 0 {
			return
		}
		c, err := b.registry()
		if err != nil {
			b.warnf("--cache-from: %v; building without it", err)
			return
		}
		for _, r := range b.cacheFrom {
			m, config, err := c.FetchArtifact(ctx, r, cache.ConfigMediaType)
			var records cache.Records
			if err == nil {
				var blobs []string
				for _, l := range m.Layers {
					blobs = append(blobs, l.Digest.String())
				}
				records, err = cache.Decode(config, blobs)
			}
			if err != nil {
				b.warnf("--cache-from %s: %v; building without it", r, err)
				continue
			}
			slog.Debug("step cache read", "ref", r.String(), "steps", len(records.Steps), "base_layers", len(records.DiffIDs))
			b.remotes = append(b.remotes, remoteCache{ref: r, Records: records})
		}
	})
	return b.remotes
}

// fromRemote returns key's entry from the --cache-from caches, with its
// layer pulled into the store, and records it in the local cache. A layer
// that cannot be pulled is a miss (with a warning): the step runs.
func (b *builder) fromRemote(ctx context.Context, key string) (cache.Entry, bool) {
	for _, rc := range b.remoteCaches(ctx) {
		e, ok := rc.Steps[key]
		if !ok {
			continue
		}
		if e.Layer != nil && !b.be.HasLayer(*e.Layer) {
			c, err := b.registry()
			if err == nil {
				err = b.be.PullLayer(ctx, c, rc.ref, *e.Layer)
			}
			if err != nil {
				if ctx.Err() == nil {
					b.warnf("--cache-from %s: %v; running the step", rc.ref, err)
				}
				continue
			}
		}
		if err := b.cache.Put(key, e); err != nil {
			b.warnf("%v", err)
		}
		return e, true
	}
	return cache.Entry{}, false
}

// diffIDs returns the diff IDs of base layers that the --cache-from
// caches know, by blob digest.
func (b *builder) diffIDs(ctx context.Context) map[string]string {
	m := map[string]string{}
	for _, rc := range b.remoteCaches(ctx) {
		for blob, diffID := range rc.DiffIDs {
			if _, ok := m[blob]; !ok {
				m[blob] = diffID
			}
		}
	}
	return m
}

// exportBase records the layers of a base archive, for --cache-to.
func (b *builder) exportBase(layers []cache.Layer) {
	if len(b.cacheTo) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bases = append(b.bases, layers...)
}

// export records what a step of the build produced, for --cache-to.
func (b *builder) export(key string, e cache.Entry) {
	if len(b.cacheTo) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.exported == nil {
		b.exported = map[string]cache.Entry{}
	}
	b.exported[key] = e
}

// pushCache pushes the entries of the build's steps and their layers to
// each --cache-to reference.
func (b *builder) pushCache(ctx context.Context) error {
	if len(b.cacheTo) == 0 {
		return nil
	}
	// The bases' diff IDs, of those imported by now or known from
	// --cache-from.
	bases, err := b.be.Complete(ctx, b.bases, b.diffIDs)
	if err != nil {
		return err
	}
	records := cache.Records{Steps: b.exported}
	for _, l := range bases {
		if records.DiffIDs == nil {
			records.DiffIDs = map[string]string{}
		}
		records.DiffIDs[l.Digest] = l.DiffID
	}
	config, layers, err := cache.Encode(records)
	if err != nil {
		return err
	}
	c, err := b.registry()
	if err != nil {
		return err
	}
	for _, r := range b.cacheTo {
		d, err := b.be.PushCache(ctx, c, r, config, layers)
		if err != nil {
			return fmt.Errorf("--cache-to: %w", err)
		}
		slog.Debug("step cache pushed", "ref", r.String(), "digest", d, "steps", len(b.exported), "layers", len(layers))
	}
	return nil
}

func (b *builder) warnf(format string, args ...any) {
	if b.opts.Warn != nil {
		fmt.Fprintf(b.opts.Warn, "gun: warning: "+format+"\n", args...)
	}
}
