package exec

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/shell"
	"github.com/gun-tools/gun/runtime"
)

// Secret is a secret given to gun build: the file it is read from, or the
// environment variable that holds it.
type Secret struct {
	File string
	Env  string
}

// stepMounts are the prepared mounts of one Exec.
type stepMounts struct {
	mounts  []runtime.Mount
	key     string           // what counts in the step's cache key: the mounts as written, never a secret or a cache's content
	context []string         // context paths bound, hashed into the key
	sources []string         // the keys of the stages and images bound, for the key
	network *runtime.Network // nil: the build's
	env     []string         // NAME=secret of the Secret mounts with Env: the step's processes only
	cleanup []func()
}

func (m *stepMounts) release() {
	for i := len(m.cleanup) - 1; i >= 0; i-- {
		m.cleanup[i]()
	}
}

// mounts reads the mounts and network of an Exec and, with prepare, makes
// them ready (the step runs: a cached step needs neither its secrets nor
// its caches). The caller releases them when the step is done.
func (r *stageRun) mounts(ctx context.Context, in *ast.Exec, prepare bool) (*stepMounts, error) {
	m := &stepMounts{}
	var key strings.Builder
	for _, mt := range in.Mounts {
		args := make([]string, len(mt.Args))
		for i, a := range mt.Args {
			v, err := r.expand(a)
			if err != nil {
				return m, err
			}
			args[i] = v
		}
		opts := map[string]string{}
		for _, o := range mt.Options {
			v := ""
			if o.Value != nil {
				var err error
				if v, err = r.value(o.Value); err != nil {
					return m, err
				}
			}
			opts[o.Name] = v
		}
		fmt.Fprintf(&key, " %s %s", mt.Name, quoteAll(args))
		for _, o := range mt.Options {
			if o.Value == nil { // a flag
				fmt.Fprintf(&key, " %s", o.Name)
				continue
			}
			fmt.Fprintf(&key, " %s %s", o.Name, strconv.Quote(opts[o.Name]))
		}
		// The bound context paths, stages and images count in the key.
		var from []cache.Layer
		if o := mt.Option("From"); o != nil && mt.Name == "Bind" {
			stage, image := -1, ""
			if id, ok := o.Value.(*ast.Ident); ok {
				sym := r.b.info.Lookup(id)
				if sym == nil {
					return m, fmt.Errorf("unknown stage %q", id.Name)
				}
				stage = sym.Stage
			} else {
				image = opts["From"]
			}
			key, layers, err := r.source(ctx, stage, image)
			if err != nil {
				return m, err
			}
			m.sources, from = append(m.sources, key), layers
		} else if mt.Name == "Bind" {
			m.context = append(m.context, path.Clean(args[0]))
		}
		if !prepare {
			continue
		}
		var err error
		switch mt.Name {
		case "Cache":
			err = r.cacheMount(ctx, m, args[0], opts)
		case "Secret":
			err = r.secretMount(ctx, m, args[0], opts)
		case "Bind":
			err = r.bindMount(ctx, m, args[0], args[1], opts, from)
		case "Tmpfs":
			err = r.tmpfsMount(m, args[0], opts)
		default:
			err = fmt.Errorf("unknown mount %s", mt.Name)
		}
		if err != nil {
			return m, fmt.Errorf("%s %s: %w", mt.Name, strconv.Quote(args[0]), err)
		}
	}
	if in.Network != nil {
		v, err := r.value(in.Network.Value)
		if err != nil {
			return m, err
		}
		fmt.Fprintf(&key, " Network %s", v)
		if v == "none" {
			none := runtime.NoNetwork
			m.network = &none
		}
	}
	m.key = key.String()
	return m, nil
}

// stubRule names the rule that leaves mount points out of a step's layer.
// It is part of the keys of steps with mounts, so that layers made before
// it, which held them, are not reused.
const stubRule = "mounts: mount points left out"

// shebangRule is part of the keys of Execs whose script block starts with
// #!: gun ran those with the shell before.
const shebangRule = "script: run by its #! line"

// shebang returns an Exec's command if it is a script block whose first
// line is a #! line: it runs as a program, by that line's interpreter, as
// Docker runs RUN <<EOF with one.
func shebang(cmd ast.Expr) *ast.String {
	if s, ok := cmd.(*ast.String); ok && s.Heredoc != "" {
		if _, _, ok := shell.Shebang(s.Value); ok {
			return s
		}
	}
	return nil
}

// scriptMount writes script to a file, mode 0755, mounts it read-only at
// /dev/pipes/DELIM (where BuildKit puts RUN <<DELIM's) and returns that
// path.
func (r *stageRun) scriptMount(m *stepMounts, script *ast.String) (string, error) {
	dir, err := os.MkdirTemp(filepath.Join(r.b.opts.Root, "build", "tmp"), "script-")
	if err != nil {
		return "", fmt.Errorf("script <<%s: %w", script.Heredoc, err)
	}
	m.cleanup = append(m.cleanup, func() { os.RemoveAll(dir) })
	file := filepath.Join(dir, script.Heredoc)
	if err := os.WriteFile(file, []byte(script.Value), 0o755); err != nil {
		return "", fmt.Errorf("script <<%s: %w", script.Heredoc, err)
	}
	if err := os.Chmod(file, 0o755); err != nil { // whatever the umask
		return "", fmt.Errorf("script <<%s: %w", script.Heredoc, err)
	}
	target := "/dev/pipes/" + script.Heredoc
	m.mounts = append(m.mounts, runtime.Mount{Source: file, Target: target, ReadOnly: true})
	return target, nil
}

// stubs lists the paths that the mounts' targets need and the stage lacks:
// the init makes them as mount points, and the step's commit leaves those
// still empty out of its layer (as BuildKit does).
func stubs(v *view, mounts []runtime.Mount) []string {
	var out []string
	for _, m := range mounts {
		real, err := v.resolve(m.Target, true)
		if err != nil {
			continue
		}
		parts := splitPath(real)
		for i := 1; i <= len(parts); i++ {
			p := "/" + strings.Join(parts[:i], "/")
			if _, _, err := v.lstat(p); err != nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// cacheMount mounts the cache named by its Id (by default its target)
// from the store's build/caches. A locked cache is held for the step;
// a private one that another step holds is replaced by a fresh directory.
// Only the Id names the cache, as in BuildKit: Uid, Gid and Mode apply when
// it is made.
func (r *stageRun) cacheMount(ctx context.Context, m *stepMounts, target string, opts map[string]string) error {
	id := opts["Id"]
	if id == "" {
		id = target
	}
	sum := sha256.Sum256([]byte(id))
	caches := filepath.Join(r.b.opts.Root, "build", "caches")
	if err := os.MkdirAll(caches, 0o755); err != nil {
		return err
	}
	dir := filepath.Join(caches, hex.EncodeToString(sum[:16]))
	if err := r.makeCache(ctx, dir, opts); err != nil {
		return err
	}
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	m.cleanup = append(m.cleanup, func() { lock.Close() })
	switch opts["Sharing"] {
	case "locked":
		err = unix.Flock(int(lock.Fd()), unix.LOCK_EX)
	case "private":
		if err = unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); errors.Is(err, unix.EWOULDBLOCK) {
			tmp, terr := os.MkdirTemp(filepath.Join(r.b.opts.Root, "build", "tmp"), "cache-")
			if terr != nil {
				return terr
			}
			m.cleanup = append(m.cleanup, func() { r.b.rt.RemoveAll(tmp) })
			dir = filepath.Join(tmp, "cache")
			err = r.makeCache(ctx, dir, opts)
		}
	default:
		err = unix.Flock(int(lock.Fd()), unix.LOCK_SH)
	}
	if err != nil {
		return fmt.Errorf("lock the cache: %w", err)
	}
	m.mounts = append(m.mounts, runtime.Mount{Source: dir, Target: target})
	return nil
}

// makeCache makes the cache directory dir unless it exists: owned by Uid
// and Gid (0 by default) with the permission bits Mode (0755), as BuildKit
// makes it. It is made beside dir and renamed into place unless another
// build made dir meanwhile (a rename in one directory: moving a directory
// of another owner to another one is not allowed). Gun's user is the
// containers' root; a directory of another owner is made by the unpacker
// in the containers' user namespace, where the owner can be any container id.
func (r *stageRun) makeCache(ctx context.Context, dir string, opts map[string]string) error {
	if _, err := os.Lstat(dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	name := ".new-" + hex.EncodeToString(rnd[:])
	hdr := &tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: r.b.epoch}
	if err := ownerOptions(hdr, opts); err != nil {
		return err
	}
	made := filepath.Join(filepath.Dir(dir), name)
	defer r.b.rt.RemoveAll(made)
	var err error
	if hdr.Uid == 0 && hdr.Gid == 0 {
		if err = os.Mkdir(made, 0o700); err == nil {
			err = unix.Chmod(made, uint32(hdr.Mode)) // not the umask's
		}
	} else {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		if err = tw.WriteHeader(hdr); err == nil {
			err = tw.Close()
		}
		if err == nil {
			err = r.b.rt.Unpacker(nil).Unpack(ctx, &buf, filepath.Dir(dir))
		}
	}
	if err != nil {
		return fmt.Errorf("make the cache: %w", err)
	}
	err = unix.Renameat2(unix.AT_FDCWD, made, unix.AT_FDCWD, dir, unix.RENAME_NOREPLACE)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("make the cache: %w", err)
	}
	return nil
}

// secretMount writes the secret to a file on a tmpfs (/dev/shm), removed
// after the step, and mounts it read-only: owned by the step's user (or
// Uid and Gid), mode 0400 (or Mode). The file is made by the unpacker in
// the containers' user namespace, where the owner can be any container
// id, from a tar stream on a pipe. Its content goes nowhere else. With
// Env the step's environment gets it instead, as BuildKit's env= does, or
// as well when Target is given.
func (r *stageRun) secretMount(ctx context.Context, m *stepMounts, id string, opts map[string]string) error {
	s, ok := r.b.opts.Secrets[id]
	if !ok {
		return fmt.Errorf("no secret %q: give it with gun build --secret id=%s,src=FILE (or env=VAR)", id, id)
	}
	hdr, err := r.secretHeader(ctx, opts)
	if err != nil {
		return err
	}
	var data []byte
	if s.Env != "" {
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return fmt.Errorf("secret %q: environment variable %s is not set", id, s.Env)
		}
		data = []byte(v)
	} else {
		if data, err = os.ReadFile(s.File); err != nil {
			return fmt.Errorf("secret %q: %w", id, err)
		}
	}
	if name := opts["Env"]; name != "" {
		m.env = append(m.env, name+"="+string(data))
		if opts["Target"] == "" {
			return nil
		}
	}
	dir, err := os.MkdirTemp("/dev/shm", "gun-secret-")
	if err != nil {
		return fmt.Errorf("secret %q: a tmpfs for it: %w", id, err)
	}
	m.cleanup = append(m.cleanup, func() { os.RemoveAll(dir) })
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil || fs.Type != unix.TMPFS_MAGIC {
		return fmt.Errorf("secret %q: /dev/shm is not a tmpfs: the secret would touch a disk", id)
	}
	hdr.Size = int64(len(data))
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(hdr)
		if err == nil {
			_, err = tw.Write(data)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	err = r.b.rt.Unpacker(nil).Unpack(ctx, pr, dir)
	pr.CloseWithError(err)
	if err != nil {
		return fmt.Errorf("secret %q: %w", id, err)
	}
	target := opts["Target"]
	if target == "" {
		target = path.Join("/run/secrets", id)
	}
	m.mounts = append(m.mounts, runtime.Mount{Source: filepath.Join(dir, hdr.Name), Target: target, ReadOnly: true})
	return nil
}

// secretHeader is the tar header of a secret's file: its owner, the step's
// user unless Uid or Gid say otherwise, and its mode, 0400 unless Mode.
func (r *stageRun) secretHeader(ctx context.Context, opts map[string]string) (*tar.Header, error) {
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: "secret", Mode: 0o400, ModTime: r.b.epoch}
	if user := r.s.config.User; user != "" {
		dirs, err := r.b.layerDirs(ctx, r.s.layers)
		if err != nil {
			return nil, err
		}
		if hdr.Uid, hdr.Gid, err = owner(newView(dirs), "User", user); err != nil {
			return nil, err
		}
	}
	return hdr, ownerOptions(hdr, opts)
}

// ownerOptions sets the owner and mode of hdr from a mount's Uid, Gid and
// Mode, those given.
func ownerOptions(hdr *tar.Header, opts map[string]string) error {
	for _, f := range []struct {
		name string
		to   *int
	}{{"Uid", &hdr.Uid}, {"Gid", &hdr.Gid}} {
		if v, ok := opts[f.name]; ok {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return fmt.Errorf("invalid %s %q: want a number", f.name, v)
			}
			*f.to = int(n)
		}
	}
	if v, ok := opts["Mode"]; ok {
		n, err := strconv.ParseInt(v, 8, 32)
		if err != nil || n < 0 || n > 0o7777 {
			return fmt.Errorf("invalid Mode %q: want an octal number from 0 to 7777", v)
		}
		hdr.Mode = n
	}
	return nil
}

// bindMount mounts a path of the build context or, with From, of a stage
// or image (whose layers are from), read-only. A directory of one layer is
// bound as it is; one of several layers, and whatever a ReadWrite bind
// mounts, is a copy made for the step (in the containers' user namespace,
// so that owners stay), thrown away after it.
func (r *stageRun) bindMount(ctx context.Context, m *stepMounts, src, target string, opts map[string]string, from []cache.Layer) error {
	_, rw := opts["ReadWrite"]
	var host string
	var trees []string // the directories whose merge is the source
	if _, ok := opts["From"]; ok {
		dirs, err := r.b.layerDirs(ctx, from)
		if err != nil {
			return err
		}
		v := newView(dirs)
		p, err := v.resolve("/"+src, true)
		if err != nil {
			return err
		}
		h, fi, err := v.lstat(p)
		if err != nil {
			return fmt.Errorf("no such file or directory in %s", opts["From"])
		}
		host = h
		if fi.IsDir() {
			trees = v.subtrees(p)
		}
	} else {
		real, err := r.contextPath(src)
		if err != nil {
			return err
		}
		host = real
		if fi, err := os.Stat(real); err == nil && fi.IsDir() {
			trees = []string{real}
		}
	}
	if !rw && len(trees) <= 1 {
		m.mounts = append(m.mounts, runtime.Mount{Source: host, Target: target, ReadOnly: true})
		return nil
	}
	tmp, err := os.MkdirTemp(filepath.Join(r.b.opts.Root, "build", "tmp"), "bind-")
	if err != nil {
		return err
	}
	m.cleanup = append(m.cleanup, func() { r.b.rt.RemoveAll(tmp) })
	dst := filepath.Join(tmp, "src")
	if trees != nil {
		err = r.b.rt.CopyLayers(ctx, trees, dst)
	} else {
		err = copyOne(host, dst)
	}
	if err != nil {
		return err
	}
	m.mounts = append(m.mounts, runtime.Mount{Source: dst, Target: target, ReadOnly: !rw})
	return nil
}

// contextPath returns the host path of a context path, which must stay in
// the context, through symbolic links too.
func (r *stageRun) contextPath(src string) (string, error) {
	clean := path.Clean(src)
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("the source leaves the build context")
	}
	dir, err := filepath.Abs(r.b.bctx.Dir)
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(clean)))
	if err != nil {
		return "", err
	}
	if real != root && !strings.HasPrefix(real, root+string(filepath.Separator)) {
		return "", fmt.Errorf("the source leaves the build context through a symbolic link")
	}
	return real, nil
}

// copyOne copies the regular file src to dst, with its permission bits.
func copyOne(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file or directory", src)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fi.Mode().Perm())
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// tmpfsMount mounts an empty tmpfs for the step, capped at Size, with the
// permission bits Mode (1777 by default).
func (r *stageRun) tmpfsMount(m *stepMounts, target string, opts map[string]string) error {
	var size int64
	if v, ok := opts["Size"]; ok {
		var err error
		if size, err = check.ParseSize(v); err != nil {
			return fmt.Errorf("Size %q: %w", v, err)
		}
	}
	var mode uint64
	if v, ok := opts["Mode"]; ok {
		var err error
		if mode, err = strconv.ParseUint(v, 8, 32); err != nil || mode == 0 || mode > 0o7777 {
			return fmt.Errorf("Mode %q: not an octal mode from 1 to 7777", v)
		}
	}
	m.mounts = append(m.mounts, runtime.Mount{Target: target, Tmpfs: true, Size: size, Mode: uint32(mode)})
	return nil
}
