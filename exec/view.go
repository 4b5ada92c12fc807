package exec

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/gun-tools/gun/guntar"
)

// view is the merged file system of read-only layer directories (bottom
// first) in overlay whiteout form: a character device 0:0 deletes a path of
// the layers below, and a directory with the xattr user.overlay.opaque="y"
// hides their content under it. Paths are absolute, slash-separated paths
// of the container.
type view struct {
	layers []string
}

func newView(layers []string) *view { return &view{layers: layers} }

var errNotExist = fs.ErrNotExist

func splitPath(p string) []string {
	p = path.Clean("/" + p)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// lstat finds p without following a final symlink, and returns the host
// path of the entry in its top-most layer.
func (v *view) lstat(p string) (string, fs.FileInfo, error) {
	parts := splitPath(p)
	if len(parts) == 0 {
		for i := len(v.layers) - 1; i >= 0; i-- {
			if fi, err := os.Lstat(v.layers[i]); err == nil {
				return v.layers[i], fi, nil
			}
		}
		return "", nil, errNotExist
	}
	for li := len(v.layers) - 1; li >= 0; li-- {
		l := v.layers[li]
		opaque := false
		for i := range parts {
			q := filepath.Join(append([]string{l}, parts[:i+1]...)...)
			fi, err := os.Lstat(q)
			if err != nil {
				break
			}
			if guntar.IsWhiteout(fi) {
				return "", nil, errNotExist
			}
			if i == len(parts)-1 {
				return q, fi, nil
			}
			if !fi.IsDir() {
				return "", nil, errNotExist
			}
			if guntar.IsOpaque(q) {
				opaque = true
			}
		}
		if opaque {
			return "", nil, errNotExist
		}
	}
	return "", nil, errNotExist
}

// resolve follows symlinks in p, all of them or all but the last, staying
// inside the root, and returns the resulting absolute path (which may not
// exist).
func (v *view) resolve(p string, followLast bool) (string, error) {
	todo := splitPath(p)
	cur := "/"
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case ".", "":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		if len(todo) == 0 && !followLast {
			return next, nil
		}
		host, fi, err := v.lstat(next)
		if err != nil {
			// A missing component: the rest is taken as it is.
			return path.Join(append([]string{next}, todo...)...), nil
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		todo = append(splitPath(target), todo...)
	}
	return cur, nil
}

// readDir lists the names in directory p, merged over the layers, sorted.
func (v *view) readDir(p string) ([]string, error) {
	parts := splitPath(p)
	seen := map[string]bool{}
	var names []string
	found := false
	for li := len(v.layers) - 1; li >= 0; li-- {
		q := filepath.Join(append([]string{v.layers[li]}, parts...)...)
		fi, err := os.Lstat(q)
		if err != nil {
			continue
		}
		if guntar.IsWhiteout(fi) || !fi.IsDir() {
			break
		}
		found = true
		ents, err := os.ReadDir(q)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if seen[e.Name()] {
				continue
			}
			seen[e.Name()] = true
			if e.Type()&fs.ModeCharDevice != 0 {
				if info, err := e.Info(); err == nil && guntar.IsWhiteout(info) {
					continue
				}
			}
			names = append(names, e.Name())
		}
		if guntar.IsOpaque(q) {
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: %w", p, errNotExist)
	}
	sort.Strings(names)
	return names, nil
}

// subtrees returns the host directories whose merge is directory p, bottom
// first: p in each layer down to one that hides what is below it (p or a
// parent opaque, or a whiteout or a file on the way).
func (v *view) subtrees(p string) []string {
	parts := splitPath(p)
	var out []string
	for li := len(v.layers) - 1; li >= 0; li-- {
		l, stop := v.layers[li], false
		for i := 0; i <= len(parts); i++ {
			q := filepath.Join(append([]string{l}, parts[:i]...)...)
			fi, err := os.Lstat(q)
			if err != nil {
				break
			}
			if guntar.IsWhiteout(fi) || !fi.IsDir() {
				stop = true
				break
			}
			if guntar.IsOpaque(q) {
				stop = true
			}
			if i == len(parts) {
				out = append(out, q)
			}
		}
		if stop {
			break
		}
	}
	slices.Reverse(out)
	return out
}

// readFile reads the file at p (following symlinks).
func (v *view) readFile(p string) ([]byte, error) {
	r, err := v.resolve(p, true)
	if err != nil {
		return nil, err
	}
	host, fi, err := v.lstat(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	return os.ReadFile(host)
}

// exists reports whether p exists after following symlinks.
func (v *view) isDir(p string) bool {
	r, err := v.resolve(p, true)
	if err != nil {
		return false
	}
	_, fi, err := v.lstat(r)
	return err == nil && fi.IsDir()
}
