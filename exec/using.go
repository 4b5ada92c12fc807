package exec

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/registry"
)

func (r *stageRun) using(ctx context.Context, u *ast.Using) error {
	switch base := u.Base.(type) {
	case *ast.Ident:
		if base.Name == "scratch" {
			st := r.step("Using scratch")
			r.s = &state{key: cache.Key("scratch"), arch: goruntime.GOARCH, os: "linux", vars: map[string]string{}, args: map[string]string{}}
			st.Cached()
			return nil
		}
		sym := r.b.info.Lookup(base)
		if sym == nil {
			return r.fail(u, "Using "+base.Name, nil, 0, fmt.Errorf("unknown stage %q", base.Name))
		}
		r.fromStage("Using "+base.Name, sym.Stage)
		return nil
	case *ast.String:
		if j := r.b.stageBase(r.index); j >= 0 {
			r.fromStage("Using "+r.b.file.Stages[j].Name(), j)
			return nil
		}
		ref, err := base.Expand(r.b.globalValue)
		if err != nil {
			return r.fail(u, "Using", nil, 0, err)
		}
		text := "Using " + strconv.Quote(ref)
		st := r.step(text)
		st.Running()
		img, err := r.b.resolveImage(ctx, ref)
		if err != nil {
			return r.fail(u, text, st, 0, err)
		}
		if img.Archive {
			r.b.exportBase(img.Layers)
		}
		r.s = &state{
			key:     cache.Key("base", img.ID),
			layers:  img.Layers,
			config:  img.Config.Config,
			health:  img.Config.Healthcheck,
			shell:   img.Config.Shell,
			history: img.Config.History,
			arch:    img.Config.Architecture,
			os:      img.Config.OS,
			vars:    map[string]string{},
			args:    map[string]string{},
		}
		if r.s.arch == "" {
			r.s.arch = goruntime.GOARCH
		}
		if r.s.os == "" {
			r.s.os = "linux"
		}
		r.s = r.s.clone()
		st.Done(nil)
		return nil
	}
	return r.fail(u, "Using", nil, 0, errors.New("no base"))
}

// resolveImage finds the image a Using or Copy From string names: an https
// URL (downloaded once, pinned in Gunfile.sum), or what the store resolves:
// an archive relative to the Gunfile's folder, an image in the store, or
// an image of a registry (pulled once, pinned in Gunfile.sum).
func (b *builder) resolveImage(ctx context.Context, ref string) (*baseImage, error) {
	switch {
	case strings.HasPrefix(ref, "https://"):
		p, sum, err := b.fetcher.Fetch(ctx, ref, b.sums)
		if err != nil {
			return nil, err
		}
		return b.be.Resolve(ctx, p, "", digest.Digest(sum), nil)
	case strings.HasPrefix(ref, "http://"):
		return nil, fmt.Errorf("base %s: only https URLs are allowed", ref)
	}
	remote := false // fromRegistry's errors name the base themselves
	img, err := b.be.Resolve(ctx, ref, b.dir, "", func(ctx context.Context) (*baseImage, bool, error) {
		r, err := registry.ParseRef(ref)
		if err != nil {
			return nil, false, nil
		}
		remote = true
		img, err := b.fromRegistry(ctx, ref, r)
		return img, true, err
	})
	if err != nil && !remote {
		return nil, fmt.Errorf("base %q: %w", ref, err)
	}
	return img, err
}

// fromRegistry finds a base that names a registry image. A tag pinned in
// Gunfile.sum is pulled by its digest (from the store when it holds it,
// so that the build works offline); an image of the store by that name is
// used as it is; otherwise the tag is resolved, pulled and pinned. With
// --pull, tags are resolved again and the pins updated.
func (b *builder) fromRegistry(ctx context.Context, text string, r registry.Ref) (*baseImage, error) {
	key := r.String()
	pin, pinned := "", false
	if r.Digest == "" && !b.opts.Pull {
		pin, pinned = b.sums.Lookup(key)
	}
	if !pinned && !b.opts.Pull {
		if img, err := b.be.Image(ctx, text); err == nil {
			if img.Source.Ref == key && r.Digest == "" {
				b.sums.Add(key, img.Source.Digest.String())
			}
			return img, nil
		}
	}
	c, err := b.registry()
	if err != nil {
		return nil, err
	}
	opts := registry.PullOptions{Platform: b.opts.Platform, KeepOwned: true}
	if pinned {
		img, err := b.be.Pull(ctx, c, r.WithDigest(digest.Digest(pin)), opts)
		if err == nil {
			return img, nil
		}
		if got, rerr := c.Resolve(ctx, r); rerr == nil && got.String() != pin {
			return nil, &PinError{Ref: key, SumFile: b.sums.Path, Pinned: pin, Served: got.String(), Err: err}
		}
		return nil, err
	}
	img, err := b.be.Pull(ctx, c, r, opts)
	if err != nil {
		return nil, fmt.Errorf("base %q: no such file or image in the store, and %w", text, err)
	}
	if r.Digest == "" {
		b.sums.Add(key, img.Source.Digest.String())
	}
	return img, nil
}

// registry returns the build's registry client, made on first use.
func (b *builder) registry() (*registry.Client, error) {
	b.regOnce.Do(func() {
		if b.reg = b.opts.Registry; b.reg == nil {
			b.reg, b.regErr = registry.New(registry.Options{})
		}
	})
	return b.reg, b.regErr
}

// PinError says that the digest Gunfile.sum pins a registry base to is no
// longer what the registry serves for its tag, and cannot be pulled.
type PinError struct {
	Ref, SumFile, Pinned, Served string
	Err                          error
}

func (e *PinError) Error() string {
	return fmt.Sprintf("%s: %s is pinned to a digest the registry no longer serves\n\tpinned: %s\n\tserved: %s\n"+
		"(%v)\nif the change is intended, run gun build --pull to pin the new digest", e.SumFile, e.Ref, e.Pinned, e.Served, e.Err)
}

func (e *PinError) Unwrap() error { return e.Err }

// fromStage starts the stage from the state of the earlier stage j.
func (r *stageRun) fromStage(text string, j int) {
	st := r.step(text)
	r.b.mu.Lock()
	from := r.b.states[j]
	r.b.mu.Unlock()
	r.s = from.clone()
	st.Cached()
}
