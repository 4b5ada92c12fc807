package exec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/lang/ast"
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
		st := r.step("Using " + base.Name)
		r.b.mu.Lock()
		from := r.b.states[sym.Stage]
		r.b.mu.Unlock()
		r.s = from.clone()
		st.Cached()
		return nil
	case *ast.String:
		ref, err := base.Expand(func(n string) (string, bool) { v, ok := r.b.globals[n]; return v, ok })
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
		r.s = &state{
			key:     cache.Key("base", img.ID),
			layers:  img.Layers,
			config:  img.Config.Config,
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
// URL (downloaded once, pinned in Gunfile.sum), an archive relative to the
// Gunfile's folder, or an image in the store.
func (b *builder) resolveImage(ctx context.Context, ref string) (*baseImage, error) {
	switch {
	case strings.HasPrefix(ref, "https://"):
		p, sum, err := b.fetcher.Fetch(ctx, ref, b.sums)
		if err != nil {
			return nil, err
		}
		return b.be.ImportArchive(ctx, p, sum)
	case strings.HasPrefix(ref, "http://"):
		return nil, fmt.Errorf("base %s: only https URLs are allowed", ref)
	}
	p := ref
	if !filepath.IsAbs(p) {
		p = filepath.Join(b.dir, p)
	}
	fi, err := os.Stat(p)
	if err == nil && fi.Mode().IsRegular() {
		// A remembered digest finds the image without reading the archive;
		// else the import reads it once, hashing it on the way.
		sum, _ := b.memo.Lookup(p, fi)
		img, err := b.be.ImportArchive(ctx, p, sum)
		if err != nil {
			return nil, err
		}
		if sum == "" {
			b.memo.Record(p, fi, img.ID)
		}
		return img, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("base %s: %w", ref, err)
	}
	img, ierr := b.be.Image(ctx, ref)
	if ierr != nil {
		return nil, fmt.Errorf("base %q: no file %s and no such image in the store: %w", ref, p, ierr)
	}
	return img, nil
}
