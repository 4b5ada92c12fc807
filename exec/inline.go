package exec

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/lang/ast"
)

// inlineCopy writes an inline file (Copy "<dest>" <<EOF): its text (with
// Expand, its references expanded with the stage's Args and Envs), mode
// 0644 unless Mode says otherwise, owned by Owner. The cache key holds the
// text written, so a changed value of a reference changes the layer.
func (r *stageRun) inlineCopy(ctx context.Context, in *ast.Copy) error {
	var text strings.Builder
	text.WriteString("Copy")
	owns := ""
	if in.Owner != nil {
		if s, ok := in.Owner.Value.(*ast.String); ok {
			o, err := r.expand(s)
			if err != nil {
				return r.fail(in, "Copy", nil, 0, err)
			}
			owns = o
			text.WriteString(" Owner " + strconv.Quote(o))
		}
	}
	mode := int64(0o644)
	if in.Mode != nil {
		m, err := r.value(in.Mode.Value)
		if err != nil {
			return r.fail(in, "Copy", nil, 0, err)
		}
		n, err := strconv.ParseInt(m, 8, 32)
		if err != nil || n < 0 || n > 0o7777 {
			return r.fail(in, "Copy", nil, 0, fmt.Errorf("invalid Mode %q: want an octal number from 0 to 7777", m))
		}
		mode = n
		text.WriteString(fmt.Sprintf(" Mode %04o", n))
	}
	dest, err := r.expand(in.Dest)
	if err != nil {
		return r.fail(in, "Copy", nil, 0, err)
	}
	if !path.IsAbs(dest) {
		wd := r.s.config.WorkingDir
		if wd == "" {
			wd = "/"
		}
		dest = path.Join(wd, dest)
	}
	dest = path.Clean(dest)
	content := in.Content.Value
	if in.Expand != nil {
		if content, err = r.expand(in.Content); err != nil {
			return r.fail(in, "Copy", nil, 0, err)
		}
	}
	text.WriteString(" " + strconv.Quote(dest) + " " + strconv.Quote(content))
	show := "Copy " + strconv.Quote(dest) + " <<" + in.Content.Heredoc + " " + scriptSummary(in.Content.Value)
	st := r.step(show)
	key := cache.Key(r.s.key, text.String())
	return r.layerStep(ctx, in, text.String(), show, key, st, func() (*cache.Layer, int, error) {
		dirs, err := r.b.layerDirs(ctx, r.s.layers)
		if err != nil {
			return nil, 0, err
		}
		v := newView(dirs)
		uid, gid, err := owner(v, "Owner", owns)
		if err != nil {
			return nil, 0, err
		}
		dir, err := v.resolve(path.Dir(dest), true)
		if err != nil {
			return nil, 0, err
		}
		name := path.Join(dir, path.Base(dest))
		f, err := os.CreateTemp(filepath.Join(r.b.opts.Root, "build", "tmp"), "inline-")
		if err != nil {
			return nil, 0, err
		}
		defer os.Remove(f.Name())
		_, err = f.WriteString(content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, 0, err
		}
		entries := parentEntries(v, r.b.ids, name, false, uid, gid)
		entries = append(entries, tarEntry{name: name, typ: tar.TypeReg, mode: mode, uid: uid, gid: gid, src: f.Name(), size: int64(len(content))})
		l, err := r.b.putEntries(ctx, entries)
		return l, 0, err
	})
}
