// Package buildctx reads a build context: the directory whose files a
// Gunfile's Copy instructions take, less what its .gunignore excludes. It
// selects the files a Copy names and hashes their content and metadata for
// the step cache.
package buildctx

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/gun-tools/gun/exec/ignore"
	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/internal/memo"
)

// IgnoreFile is the name of the ignore file at the context root.
const IgnoreFile = ".gunignore"

// An Entry is one file, directory or symlink of the context.
type Entry struct {
	Path string      // slash-separated, relative to the context root
	Info fs.FileInfo // from lstat
	Link string      // symlink target
}

// Context is an opened build context. Its tree is read on first use.
type Context struct {
	Dir    string
	Ignore *ignore.Matcher
	memo   *memo.Memo

	once    sync.Once
	entries []Entry // sorted by Path; the root itself is not included
	index   map[string]int
	err     error
}

// Open opens the context at dir, reading dir/.gunignore when present. m
// remembers file digests across builds; it may be nil.
func Open(dir string, m *memo.Memo) (*Context, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("build context %s: not a directory", dir)
	}
	c := &Context{Dir: dir, memo: m}
	f, err := os.Open(filepath.Join(dir, IgnoreFile))
	switch {
	case err == nil:
		defer f.Close()
		c.Ignore, err = ignore.Parse(filepath.Join(dir, IgnoreFile), f)
		if err != nil {
			return nil, err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("build context: %w", err)
	}
	return c, nil
}

// Entries returns every entry of the context that .gunignore does not
// exclude, sorted by path. A directory that is excluded but holds a
// re-included path is listed too, as Docker sends it.
func (c *Context) Entries() ([]Entry, error) {
	c.once.Do(func() { c.entries, c.err = c.walk() })
	return c.entries, c.err
}

func (c *Context) walk() ([]Entry, error) {
	var out []Entry
	err := filepath.WalkDir(c.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("build context: %w", err)
		}
		rel, err := filepath.Rel(c.Dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if c.Ignore.Excluded(rel) {
			if d.IsDir() && !c.Ignore.MayIncludeBelow(rel) {
				return filepath.SkipDir
			}
			if !d.IsDir() {
				return nil
			}
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("build context: %w", err)
		}
		e := Entry{Path: rel, Info: fi}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if e.Link, err = os.Readlink(p); err != nil {
				return fmt.Errorf("build context: %w", err)
			}
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Order by path components, so that a directory's entries follow it.
	sort.Slice(out, func(i, j int) bool { return guntar.PathLess(out[i].Path, out[j].Path) })
	// Drop excluded directories that ended up with nothing re-included.
	kept := make([]Entry, 0, len(out))
	next := "" // the nearest kept path after i
	for i := len(out) - 1; i >= 0; i-- {
		e := out[i]
		if e.Info.IsDir() && c.Ignore.Excluded(e.Path) && !strings.HasPrefix(next, e.Path+"/") {
			continue
		}
		kept = append(kept, e)
		next = e.Path
	}
	slices.Reverse(kept)
	out = kept
	c.index = make(map[string]int, len(out))
	for i, e := range out {
		c.index[e.Path] = i
	}
	return out, nil
}

// A Match is one path a Copy source names, with everything below it.
type Match struct {
	Root    Entry   // the named file or directory
	Entries []Entry // Root and, for a directory, all entries below it, sorted
}

// Select resolves Copy sources (context-relative paths, possibly with
// path.Match wildcards) to the entries they name. A source that names
// nothing is an error saying whether .gunignore excluded it.
func (c *Context) Select(srcs []string) ([][]Match, error) {
	entries, err := c.Entries()
	if err != nil {
		return nil, err
	}
	out := make([][]Match, len(srcs))
	for i, src := range srcs {
		clean := path.Clean("/" + filepath.ToSlash(src))[1:]
		if clean == "" {
			clean = "."
		}
		var roots []int
		switch {
		case clean == ".":
			roots = []int{-1}
		case hasMeta(clean):
			if _, err := path.Match(clean, ""); err != nil {
				return nil, fmt.Errorf("Copy source %q: %w", src, err)
			}
			for j, e := range entries {
				if ok, _ := path.Match(clean, e.Path); ok {
					roots = append(roots, j)
				}
			}
		default:
			if j, ok := c.index[clean]; ok {
				roots = []int{j}
			}
		}
		if len(roots) == 0 {
			if c.Ignore.Excluded(clean) {
				return nil, fmt.Errorf("Copy source %q is excluded by %s", src, IgnoreFile)
			}
			return nil, fmt.Errorf("Copy source %q: no such file or directory in the build context %s", src, c.Dir)
		}
		for _, j := range roots {
			out[i] = append(out[i], c.subtree(entries, j))
		}
	}
	return out, nil
}

// subtree returns the match rooted at entries[j] (j == -1: the context root).
func (c *Context) subtree(entries []Entry, j int) Match {
	if j < 0 {
		root, _ := os.Lstat(c.Dir)
		return Match{Root: Entry{Path: ".", Info: root}, Entries: entries}
	}
	m := Match{Root: entries[j], Entries: []Entry{entries[j]}}
	if entries[j].Info.IsDir() {
		prefix := entries[j].Path + "/"
		for k := j + 1; k < len(entries) && strings.HasPrefix(entries[k].Path, prefix); k++ {
			m.Entries = append(m.Entries, entries[k])
		}
	}
	return m
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// Hash returns a digest of the content and metadata (path below the named
// root, type, permission bits, size, symlink target) of every entry the
// sources name. Modification times and owners are not part of it: layers
// are written with clamped times and the Copy's own owner. Regular files are
// hashed in parallel, through the digest memo.
func (c *Context) Hash(srcs []string) (string, error) {
	sel, err := c.Select(srcs)
	if err != nil {
		return "", err
	}
	var files []fileJob
	var digests []*string
	for _, ms := range sel {
		for _, m := range ms {
			for _, e := range m.Entries {
				if e.Info.Mode().IsRegular() {
					d := new(string)
					files = append(files, fileJob{e, d})
					digests = append(digests, d)
				}
			}
		}
	}
	if err := c.hashFiles(files); err != nil {
		return "", err
	}
	h := sha256.New()
	k := 0
	for i, ms := range sel {
		fmt.Fprintf(h, "src %q\n", srcs[i])
		for _, m := range ms {
			fmt.Fprintf(h, "root %q\n", m.Root.Path)
			for _, e := range m.Entries {
				rel := strings.TrimPrefix(strings.TrimPrefix(e.Path, m.Root.Path), "/")
				if m.Root.Path == "." {
					rel = e.Path
				}
				fi := e.Info
				fmt.Fprintf(h, "%q %s %o", rel, typeOf(fi.Mode()), guntar.PermBits(fi.Mode()))
				switch {
				case fi.Mode().IsRegular():
					fmt.Fprintf(h, " %d %s", fi.Size(), *digests[k])
					k++
				case fi.Mode()&fs.ModeSymlink != 0:
					fmt.Fprintf(h, " -> %q", e.Link)
				}
				h.Write([]byte{'\n'})
			}
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

type fileJob struct {
	e   Entry
	out *string
}

func (c *Context) hashFiles(files []fileJob) error {
	workers := min(runtime.GOMAXPROCS(0), len(files))
	ch := make(chan int)
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				f := files[i]
				d, err := c.memo.FileInfo(filepath.Join(c.Dir, filepath.FromSlash(f.e.Path)), f.e.Info)
				if err != nil {
					errs[i] = fmt.Errorf("build context: %w", err)
					continue
				}
				*f.out = d
			}
		}()
	}
	for i := range files {
		ch <- i
	}
	close(ch)
	wg.Wait()
	return errors.Join(errs...)
}

func typeOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsRegular():
		return "file"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "chardev"
	case m&fs.ModeDevice != 0:
		return "blockdev"
	}
	return "other"
}
