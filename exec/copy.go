package exec

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/runtime"
)

// copySpec is a Copy with its values expanded.
type copySpec struct {
	srcs       []string // in the build context or the From stage or image
	urls       []string // https sources, downloaded
	dest       string   // absolute
	destIsDir  bool
	owner      string
	mode       int64 // -1: keep the sources' modes
	fromStage  int   // -1: not a stage
	fromImage  string
	fromPretty string
	unpack     bool // extract the archive sources
}

func (r *stageRun) copySpec(in *ast.Copy) (*copySpec, string, error) {
	c := &copySpec{mode: -1, fromStage: -1}
	var text strings.Builder
	text.WriteString("Copy")
	if in.From != nil {
		switch v := in.From.Value.(type) {
		case *ast.Ident:
			sym := r.b.info.Lookup(v)
			if sym == nil {
				return nil, "", fmt.Errorf("unknown stage %q", v.Name)
			}
			c.fromStage, c.fromPretty = sym.Stage, v.Name
			text.WriteString(" From " + v.Name)
		case *ast.String:
			s, err := r.expand(v)
			if err != nil {
				return nil, "", err
			}
			c.fromImage = s
			text.WriteString(" From " + strconv.Quote(s))
		}
	}
	if in.Owner != nil {
		if s, ok := in.Owner.Value.(*ast.String); ok {
			o, err := r.expand(s)
			if err != nil {
				return nil, "", err
			}
			c.owner = o
			text.WriteString(" Owner " + strconv.Quote(o))
		}
	}
	if in.Mode != nil {
		var m string
		switch v := in.Mode.Value.(type) {
		case *ast.Ident:
			m = v.Name
		case *ast.String:
			var err error
			if m, err = r.expand(v); err != nil {
				return nil, "", err
			}
		}
		n, err := strconv.ParseInt(m, 8, 32)
		if err != nil || n < 0 || n > 0o7777 {
			return nil, "", fmt.Errorf("invalid Mode %q: want an octal number from 0 to 7777", m)
		}
		c.mode = n
		text.WriteString(fmt.Sprintf(" Mode %04o", n))
	}
	if in.Unpack != nil {
		c.unpack = true
		text.WriteString(" Unpack")
	}
	for _, s := range in.Srcs {
		v, err := r.expand(s)
		if err != nil {
			return nil, "", err
		}
		c.srcs = append(c.srcs, v)
		text.WriteString(" " + strconv.Quote(v))
	}
	dest, err := r.expand(in.Dest)
	if err != nil {
		return nil, "", err
	}
	text.WriteString(" " + strconv.Quote(dest))
	c.destIsDir = strings.HasSuffix(dest, "/") || len(c.srcs) > 1
	local := c.srcs[:0]
	for _, s := range c.srcs {
		if c.fromStage < 0 && c.fromImage == "" && strings.ContainsAny(s, `*?[`) {
			c.destIsDir = true
		}
		if check.IsURL(s) {
			c.urls = append(c.urls, s)
			continue
		}
		local = append(local, s)
	}
	c.srcs = local
	if !path.IsAbs(dest) {
		wd := r.s.config.WorkingDir
		if wd == "" {
			wd = "/"
		}
		dest = path.Join(wd, dest)
	}
	c.dest = path.Clean(dest)
	return c, text.String(), nil
}

func (r *stageRun) copy(ctx context.Context, in *ast.Copy) error {
	c, text, err := r.copySpec(in)
	if err != nil {
		return r.fail(in, "Copy", nil, 0, err)
	}
	st := r.step(text)
	// What the sources are: the context's files, or a whole stage or image
	// (named by its key, which fixes its content).
	var srcHash string
	var from *view
	var fromLayers []cache.Layer
	switch {
	case c.fromStage >= 0 || c.fromImage != "":
		if srcHash, fromLayers, err = r.source(ctx, c.fromStage, c.fromImage); err != nil {
			return r.fail(in, text, st, 0, err)
		}
	case len(c.srcs) > 0:
		h, err := r.b.bctx.Hash(c.srcs)
		if err != nil {
			return r.fail(in, text, st, 0, err)
		}
		srcHash = "context:" + h
	}
	// A download counts by its pinned digest: a pinned, cached step
	// downloads nothing.
	urlSums, err := r.b.urlSums(ctx, c.urls)
	if err != nil {
		return r.fail(in, text, st, 0, err)
	}
	key := cache.Key(append([]string{r.s.key, text, srcHash}, urlSums...)...)
	if c.owner != "" {
		key = cache.Key(key, ownerRule)
	}
	return r.layerStep(ctx, in, text, text, key, st, func() (*cache.Layer, int, error) {
		dirs, err := r.b.layerDirs(ctx, r.s.layers)
		if err != nil {
			return nil, 0, err
		}
		v := newView(dirs)
		uid, gid, err := owner(v, "Owner", c.owner)
		if err != nil {
			return nil, 0, err
		}
		var entries []tarEntry
		if fromLayers != nil || c.fromStage >= 0 {
			fdirs, err := r.b.layerDirs(ctx, fromLayers)
			if err != nil {
				return nil, 0, err
			}
			from = newView(fdirs)
			entries, err = r.b.viewEntries(from, c, v, uid, gid)
			if err != nil {
				return nil, 0, err
			}
		} else if c.unpack {
			tmp, err := os.MkdirTemp(filepath.Join(r.b.opts.Root, "build", "tmp"), "unpack-")
			if err != nil {
				return nil, 0, err
			}
			defer os.RemoveAll(tmp)
			if entries, err = r.b.unpackEntries(ctx, c, v, tmp, uid, gid); err != nil {
				return nil, 0, err
			}
		} else if len(c.srcs) > 0 {
			entries, err = r.b.contextEntries(c, v, uid, gid)
			if err != nil {
				return nil, 0, err
			}
		}
		downloads, err := r.b.urlEntries(ctx, c, v, uid, gid)
		if err != nil {
			return nil, 0, err
		}
		l, err := r.b.putEntries(ctx, append(entries, downloads...))
		return l, 0, err
	})
}

// unpackEntries lists the layer entries of a Copy Unpack: each archive
// source of the context is extracted by guntar (which keeps every entry
// inside the directory it unpacks into, whatever its paths and links say)
// into a directory of tmp, and its tree goes into the destination
// directory, with the archive's owners unless Owner is given.
func (b *builder) unpackEntries(ctx context.Context, c *copySpec, v *view, tmp string, uid, gid int) ([]tarEntry, error) {
	sel, err := b.bctx.Select(c.srcs)
	if err != nil {
		return nil, err
	}
	root, err := v.resolve(c.dest, true)
	if err != nil {
		return nil, err
	}
	out := parentEntries(v, b.ids, root, false, uid, gid)
	out = append(out, c.destDir(v, b.ids, root, uid, gid))
	n := 0
	for _, ms := range sel {
		for _, m := range ms {
			for _, e := range m.Entries {
				if e.Info.IsDir() && e.Path != m.Root.Path {
					continue
				}
				if !e.Info.Mode().IsRegular() {
					return nil, fmt.Errorf("Copy Unpack %s: not an archive (a %s)", e.Path, fileKind(e.Info))
				}
				dir := filepath.Join(tmp, strconv.Itoa(n))
				n++
				if err := os.Mkdir(dir, 0o700); err != nil {
					return nil, err
				}
				owners, err := unpackArchive(ctx, filepath.Join(b.bctx.Dir, filepath.FromSlash(e.Path)), dir)
				if err != nil {
					return nil, fmt.Errorf("Copy Unpack %s: %w", e.Path, err)
				}
				if out, err = c.unpackedEntries(dir, root, owners, uid, gid, out); err != nil {
					return nil, fmt.Errorf("Copy Unpack %s: %w", e.Path, err)
				}
			}
		}
	}
	return out, nil
}

func fileKind(fi fs.FileInfo) string {
	if fi.IsDir() {
		return "directory"
	}
	return fi.Mode().Type().String()
}

// unpackArchive extracts the archive file into dir through guntar and
// returns the owners its entries name, by their path in dir.
func unpackArchive(ctx context.Context, file, dir string) (map[string][2]int, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dr, _, err := guntar.Decompress(f)
	if err != nil {
		return nil, err
	}
	owners := map[string][2]int{}
	tr := tar.NewReader(dr)
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			dr.Close()
			if i == 0 {
				return nil, errors.New("not an archive (tar, optionally gzip, bzip2, xz or zstd compressed)")
			}
			return nil, fmt.Errorf("read archive: %w", err)
		}
		owners[path.Clean("/"+hdr.Name)] = [2]int{hdr.Uid, hdr.Gid}
	}
	dr.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return owners, guntar.Unpack(ctx, f, dir, guntar.UnpackOptions{})
}

// unpackedEntries appends the entries of the tree unpacked in dir, placed
// in root. The files are gun's own: unreadable ones are made readable to
// pack them, their entries keep the archive's modes.
func (c *copySpec) unpackedEntries(dir, root string, owners map[string][2]int, uid, gid int, out []tarEntry) ([]tarEntry, error) {
	err := filepath.WalkDir(dir, func(host string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if need := readable(fi); need != 0 {
			if err := os.Chmod(host, fi.Mode().Perm()|need); err != nil {
				return err
			}
		}
		if host == dir {
			return nil
		}
		rel := filepath.ToSlash(strings.TrimPrefix(host, dir))
		u, g := uid, gid
		if c.owner == "" {
			o := owners[rel]
			u, g = o[0], o[1]
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(host); err != nil {
				return err
			}
		}
		te, err := c.entry(path.Join(root, rel), fi, host, link, u, g)
		if err != nil {
			return err
		}
		out = append(out, te)
		return nil
	})
	return out, err
}

// readable returns the owner permission bits gun needs to read fi: read
// for a file, read and search for a directory.
func readable(fi fs.FileInfo) fs.FileMode {
	switch {
	case fi.IsDir():
		return ^fi.Mode().Perm() & 0o500
	case fi.Mode().IsRegular():
		return ^fi.Mode().Perm() & 0o400
	}
	return 0
}

// urlSums returns the digests of a Copy's URL sources: as Gunfile.sum pins
// them, else downloaded (and pinned) now.
func (b *builder) urlSums(ctx context.Context, urls []string) ([]string, error) {
	var sums []string
	for _, u := range urls {
		if !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("Copy source %s: only https URLs are allowed", u)
		}
		sum, ok := b.sums.Lookup(u)
		if !ok {
			var err error
			if _, sum, err = b.fetcher.Fetch(ctx, u, b.sums); err != nil {
				return nil, err
			}
		}
		sums = append(sums, "url:"+u+"="+sum)
	}
	return sums, nil
}

// urlEntries lists the layer entries of a Copy's URL sources, downloaded
// (or found in the download cache) and checked against their pins. A file
// is named by the URL path's last element in a destination directory and
// has mode 0600 unless Mode says otherwise, as Docker's ADD gives it.
func (b *builder) urlEntries(ctx context.Context, c *copySpec, v *view, uid, gid int) ([]tarEntry, error) {
	var out []tarEntry
	for _, u := range c.urls {
		file, _, err := b.fetcher.Fetch(ctx, u, b.sums)
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(file)
		if err != nil {
			return nil, err
		}
		name := ""
		if pu, err := url.Parse(u); err == nil {
			name = path.Base(pu.Path)
		}
		if (c.destIsDir || v.isDir(c.dest)) && (name == "" || name == "/" || name == ".") {
			return nil, fmt.Errorf("Copy source %s: the URL names no file; give the destination's file name", u)
		}
		root, err := c.target(v, name)
		if err != nil {
			return nil, err
		}
		mode := int64(0o600)
		if c.mode >= 0 {
			mode = c.mode
		}
		out = append(out, parentEntries(v, b.ids, root, false, uid, gid)...)
		out = append(out, tarEntry{name: root, typ: tar.TypeReg, mode: mode, uid: uid, gid: gid, src: file, size: fi.Size()})
	}
	return out, nil
}

// source returns the key and layers of an earlier stage (stage >= 0) or
// of an image, which a Copy or a Bind reads from: the key fixes the
// content.
func (r *stageRun) source(ctx context.Context, stage int, image string) (string, []cache.Layer, error) {
	if stage >= 0 {
		r.b.mu.Lock()
		defer r.b.mu.Unlock()
		fs := r.b.states[stage]
		return "stage:" + fs.key, fs.layers, nil
	}
	img, err := r.b.resolveImage(ctx, image)
	if err != nil {
		return "", nil, err
	}
	return "image:" + img.ID, img.Layers, nil
}

// target returns where a source lands: into the destination directory, or
// as the destination itself.
func (c *copySpec) target(v *view, base string) (string, error) {
	if c.destIsDir || v.isDir(c.dest) {
		d, err := v.resolve(c.dest, true)
		return path.Join(d, base), err
	}
	d, err := v.resolve(path.Dir(c.dest), true)
	return path.Join(d, path.Base(c.dest)), err
}

func (c *copySpec) modeOf(fi fs.FileInfo) int64 {
	if c.mode >= 0 {
		return c.mode
	}
	return guntar.PermBits(fi.Mode())
}

func (c *copySpec) entry(name string, fi fs.FileInfo, host, link string, uid, gid int) (tarEntry, error) {
	e := tarEntry{name: name, uid: uid, gid: gid, mode: c.modeOf(fi)}
	switch {
	case fi.IsDir():
		e.typ = tar.TypeDir
	case fi.Mode().IsRegular():
		e.typ, e.src, e.size, e.inode = tar.TypeReg, host, fi.Size(), inodeOf(fi)
	case fi.Mode()&fs.ModeSymlink != 0:
		e.typ, e.link, e.mode = tar.TypeSymlink, link, 0o777
	default:
		return e, fmt.Errorf("%s: cannot copy a %s", host, fi.Mode().Type())
	}
	return e, nil
}

// contextEntries lists the layer entries of a Copy from the build context.
func (b *builder) contextEntries(c *copySpec, v *view, uid, gid int) ([]tarEntry, error) {
	sel, err := b.bctx.Select(c.srcs)
	if err != nil {
		return nil, err
	}
	if len(sel) == 1 && len(sel[0]) > 1 {
		c.destIsDir = true
	}
	var out []tarEntry
	for _, ms := range sel {
		for _, m := range ms {
			var root string
			if m.Root.Info.IsDir() {
				if root, err = v.resolve(c.dest, true); err != nil {
					return nil, err
				}
				out = append(out, parentEntries(v, b.ids, root, false, uid, gid)...)
				out = append(out, c.destDir(v, b.ids, root, uid, gid))
			} else {
				if root, err = c.target(v, path.Base(m.Root.Path)); err != nil {
					return nil, err
				}
				out = append(out, parentEntries(v, b.ids, root, false, uid, gid)...)
			}
			for _, e := range m.Entries {
				rel := strings.TrimPrefix(strings.TrimPrefix(e.Path, m.Root.Path), "/")
				if m.Root.Path == "." {
					rel = e.Path
				}
				if rel == "" && m.Root.Info.IsDir() {
					continue
				}
				host := filepath.Join(b.bctx.Dir, filepath.FromSlash(e.Path))
				te, err := c.entry(path.Join(root, rel), e.Info, host, e.Link, uid, gid)
				if err != nil {
					return nil, err
				}
				out = append(out, te)
			}
		}
	}
	return out, nil
}

// destDir is the entry of the directory a Copy writes into: as the stage
// has it when it exists (its mode and owner stay), else new, owned by the
// Copy's owner, mode 0755 (or the Copy's Mode).
func (c *copySpec) destDir(v *view, ids *idMap, dir string, uid, gid int) tarEntry {
	if _, fi, err := v.lstat(dir); err == nil && fi.IsDir() {
		u, g := ids.owner(fi)
		return tarEntry{name: dir, typ: tar.TypeDir, mode: guntar.PermBits(fi.Mode()), uid: u, gid: g}
	}
	mode := int64(0o755)
	if c.mode >= 0 {
		mode = c.mode
	}
	return tarEntry{name: dir, typ: tar.TypeDir, mode: mode, uid: uid, gid: gid}
}

// viewEntries lists the layer entries of a Copy From a stage or image.
func (b *builder) viewEntries(from *view, c *copySpec, v *view, uid, gid int) ([]tarEntry, error) {
	if len(c.srcs) > 1 {
		c.destIsDir = true
	}
	var out []tarEntry
	for _, src := range c.srcs {
		sp, err := from.resolve(path.Clean("/"+src), true)
		if err != nil {
			return nil, err
		}
		host, fi, err := from.lstat(sp)
		if err != nil {
			return nil, fmt.Errorf("Copy source %s: no such file or directory in the source", src)
		}
		var root string
		if fi.IsDir() {
			if root, err = v.resolve(c.dest, true); err != nil {
				return nil, err
			}
			out = append(out, parentEntries(v, b.ids, root, false, uid, gid)...)
			out = append(out, c.destDir(v, b.ids, root, uid, gid))
			if err := b.walkView(from, sp, root, c, uid, gid, &out); err != nil {
				return nil, err
			}
			continue
		}
		if root, err = c.target(v, path.Base(sp)); err != nil {
			return nil, err
		}
		out = append(out, parentEntries(v, b.ids, root, false, uid, gid)...)
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			link, _ = os.Readlink(host)
		}
		te, err := c.entry(root, fi, host, link, uid, gid)
		if err != nil {
			return nil, err
		}
		out = append(out, te)
	}
	return out, nil
}

func (b *builder) walkView(from *view, dir, dest string, c *copySpec, uid, gid int, out *[]tarEntry) error {
	names, err := from.readDir(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		p := path.Join(dir, n)
		host, fi, err := from.lstat(p)
		if err != nil {
			continue
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(host); err != nil {
				return err
			}
		}
		te, err := c.entry(path.Join(dest, n), fi, host, link, uid, gid)
		if err != nil {
			return err
		}
		*out = append(*out, te)
		if fi.IsDir() {
			if err := b.walkView(from, p, path.Join(dest, n), c, uid, gid, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// ownerRule names the rule owner resolves by. It is part of the cache keys
// of the steps that use it, so that the layers an earlier rule made are not
// reused (a uid without a passwd line had its own number as gid).
const ownerRule = "owner: Docker's user lookup"

// owner resolves a Copy's Owner (or a stage's User) "user[:group]" with
// the stage's /etc/passwd and /etc/group, by the rule the container's init
// resolves a User with (runtime.ResolveUser), so that Workdir, Copy and
// Exec agree. what names the option in errors.
func owner(v *view, what, spec string) (int, int, error) {
	if spec == "" {
		return 0, 0, nil
	}
	u, err := runtime.ReadUserFiles(spec, v.readFile)
	if err != nil {
		return 0, 0, fmt.Errorf("%s %q: %w", what, spec, err)
	}
	return u.UID, u.GID, nil
}
