package buildctx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// makeTree writes files (path -> content; a trailing "/" makes a directory,
// content starting with "->" a symlink).
func makeTree(t testing.TB, files map[string]string) string {
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(c, "->"); ok {
			err = os.Symlink(target, full)
		} else {
			err = os.WriteFile(full, []byte(c), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var tree = map[string]string{
	".gunignore":    "secret\n*.log\ndir/sub\n!dir/sub/y\nempty\n!empty/nothing",
	"a.txt":         "a",
	"a.b":           "ab",
	"b.log":         "log",
	"dir/x":         "x",
	"dir/sub/y":     "y",
	"dir/sub/z":     "z",
	"dir/keep.log":  "kl",
	"secret/key":    "k",
	"empty/e":       "e",
	"link":          "->a.txt",
	"emptydir/":     "",
	"a/z":           "az",
	"a-b/c":         "abc",
	"deep/er/est/f": "f",
}

func paths(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Path)
	}
	return out
}

func TestEntries(t *testing.T) {
	c, err := Open(makeTree(t, tree), nil)
	if err != nil {
		t.Fatal(err)
	}
	es, err := c.Entries()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		".gunignore", "a", "a/z", "a-b", "a-b/c", "a.b", "a.txt",
		"deep", "deep/er", "deep/er/est", "deep/er/est/f",
		"dir", "dir/keep.log", "dir/sub", "dir/sub/y", "dir/x", "emptydir", "link", // *.log is anchored at the root
	}
	if diff := cmp.Diff(want, paths(es)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestSelect(t *testing.T) {
	c, err := Open(makeTree(t, tree), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		srcs []string
		want [][]string // per source, per match: entry paths
		err  string
	}{
		{srcs: []string{"a.txt"}, want: [][]string{{"a.txt"}}},
		{srcs: []string{"./dir/"}, want: [][]string{{"dir", "dir/keep.log", "dir/sub", "dir/sub/y", "dir/x"}}},
		{srcs: []string{"a*", "link"}, want: [][]string{{"a", "a/z"}, {"a-b", "a-b/c"}, {"a.b"}, {"a.txt"}, {"link"}}},
		{srcs: []string{"/deep/er"}, want: [][]string{{"deep/er", "deep/er/est", "deep/er/est/f"}}},
		{srcs: []string{"secret/key"}, err: `Copy source "secret/key" is excluded by .gunignore`},
		{srcs: []string{"b.log"}, err: `Copy source "b.log" is excluded by .gunignore`},
		{srcs: []string{"nope"}, err: `Copy source "nope": no such file or directory in the build context`},
		{srcs: []string{"*.nope"}, err: `Copy source "*.nope": no such file or directory`},
		{srcs: []string{"[a"}, err: `Copy source "[a": syntax error in pattern`},
	}
	for _, tt := range tests {
		sel, err := c.Select(tt.srcs)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Select(%q) error = %v, want %q", tt.srcs, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q): %v", tt.srcs, err)
			continue
		}
		var got [][]string
		for _, ms := range sel {
			for _, m := range ms {
				got = append(got, paths(m.Entries))
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Select(%q) (-want +got):\n%s", tt.srcs, diff)
		}
	}
}

func TestHash(t *testing.T) {
	dir := makeTree(t, tree)
	hash := func(srcs ...string) string {
		t.Helper()
		c, err := Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := c.Hash(srcs)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	all, sub, one := hash("."), hash("dir"), hash("a.txt")
	if all != hash(".") || sub != hash("dir") {
		t.Fatal("hash not stable")
	}
	if hash("a.txt", "dir") == hash("dir", "a.txt") {
		t.Error("order of sources does not change the hash")
	}
	if hash("a.txt") == hash("a.b") {
		t.Error("different files hash the same")
	}

	type change struct {
		name    string
		do      func() error
		changed []string // which of "all", "sub", "one" must change
	}
	steps := []change{
		{"touch (mtime only)", func() error {
			ts := time.Now().Add(-time.Hour)
			return os.Chtimes(filepath.Join(dir, "dir/x"), ts, ts)
		}, nil},
		{"ignored file edited", func() error { return os.WriteFile(filepath.Join(dir, "secret/key"), []byte("k2"), 0o644) }, nil},
		{"file outside the source edited", func() error { return os.WriteFile(filepath.Join(dir, "a.b"), []byte("changed"), 0o644) }, []string{"all"}},
		{"file in source edited, same size", func() error { return os.WriteFile(filepath.Join(dir, "dir/x"), []byte("X"), 0o644) }, []string{"all", "sub"}},
		{"mode changed", func() error { return os.Chmod(filepath.Join(dir, "a.txt"), 0o755) }, []string{"all", "one"}},
		{"re-included file edited", func() error { return os.WriteFile(filepath.Join(dir, "dir/sub/y"), []byte("yy"), 0o644) }, []string{"all", "sub"}},
		{"file added", func() error { return os.WriteFile(filepath.Join(dir, "dir/new"), nil, 0o644) }, []string{"all", "sub"}},
		{"symlink retargeted", func() error {
			os.Remove(filepath.Join(dir, "link"))
			return os.Symlink("a.b", filepath.Join(dir, "link"))
		}, []string{"all"}},
		{".gunignore edited to exclude dir/x", func() error {
			return os.WriteFile(filepath.Join(dir, ".gunignore"), []byte(tree[".gunignore"]+"\ndir/x"), 0o644)
		}, []string{"all", "sub"}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatal(err)
		}
		now := map[string]string{"all": hash("."), "sub": hash("dir"), "one": hash("a.txt")}
		before := map[string]string{"all": all, "sub": sub, "one": one}
		for k := range now {
			want := false
			for _, c := range s.changed {
				want = want || c == k
			}
			if got := now[k] != before[k]; got != want {
				t.Errorf("%s: hash of %s changed = %v, want %v", s.name, k, got, want)
			}
		}
		all, sub, one = now["all"], now["sub"], now["one"]
	}
}

func TestOpenErrors(t *testing.T) {
	dir := makeTree(t, map[string]string{".gunignore": "ok\n[bad", "f": ""})
	if _, err := Open(dir, nil); err == nil || !strings.Contains(err.Error(), ".gunignore:2: pattern \"[bad\"") {
		t.Errorf("bad .gunignore: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "f"), nil); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as context: %v", err)
	}
}

func BenchmarkHash1000Files(b *testing.B) {
	files := map[string]string{}
	for i := 0; i < 1000; i++ {
		files[fmt.Sprintf("d%d/f%d", i%10, i)] = strings.Repeat("x", 4096)
	}
	dir := makeTree(b, files)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := Open(dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Hash([]string{"."}); err != nil {
			b.Fatal(err)
		}
	}
}
