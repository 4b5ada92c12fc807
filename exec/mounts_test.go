package exec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gun-tools/gun/runtime"
)

// TestCacheSharing checks the Sharing of Cache mounts between steps that
// run at once (two builds of one store): shared ones use the cache
// together, a locked one waits for the others, a private one that finds
// the cache in use gets a fresh directory, removed after its step.
func TestCacheSharing(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "build", "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &stageRun{b: &builder{opts: Options{Root: root}, rt: &runtime.Runtime{}}}
	mount := func(sharing, id string) *stepMounts {
		t.Helper()
		m := &stepMounts{}
		if err := r.cacheMount(context.Background(), m, "/cache", map[string]string{"Sharing": sharing, "Id": id}); err != nil {
			t.Fatalf("%s cache: %v", sharing, err)
		}
		return m
	}
	done := func(m *stepMounts) {
		for _, f := range m.cleanup {
			f()
		}
	}
	caches := filepath.Join(root, "build", "caches")

	a, b := mount("shared", ""), mount("shared", "")
	if a.mounts[0].Source != b.mounts[0].Source || filepath.Dir(a.mounts[0].Source) != caches {
		t.Fatalf("two shared mounts of one cache: %s and %s", a.mounts[0].Source, b.mounts[0].Source)
	}
	if other := mount("shared", "other"); other.mounts[0].Source == a.mounts[0].Source {
		t.Error("a cache of another Id is the same directory")
	} else {
		done(other)
	}

	// A private mount of the cache in use gets a directory of its own.
	p := mount("private", "")
	tmp := p.mounts[0].Source
	if !strings.HasPrefix(tmp, filepath.Join(root, "build", "tmp")+"/") {
		t.Errorf("a private mount of a cache in use is at %s, want a fresh directory in build/tmp", tmp)
	}
	done(p)
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the private directory is left after its step: %v", err)
	}

	// A locked mount waits until no step uses the cache.
	got := make(chan *stepMounts)
	go func() {
		m := &stepMounts{}
		if err := r.cacheMount(context.Background(), m, "/cache", map[string]string{"Sharing": "locked"}); err != nil {
			t.Error(err)
		}
		got <- m
	}()
	done(a)
	select {
	case <-got:
		t.Fatal("a locked mount did not wait for a shared one still in use")
	case <-time.After(200 * time.Millisecond):
	}
	done(b)
	var l *stepMounts
	select {
	case l = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("a locked mount still waits after the cache's other users are done")
	}
	if l.mounts[0].Source != a.mounts[0].Source {
		t.Errorf("the locked mount is at %s, want the cache %s", l.mounts[0].Source, a.mounts[0].Source)
	}
	// While it holds the cache, a private mount gets a fresh directory too;
	// once it is done, the cache itself.
	p = mount("private", "")
	if p.mounts[0].Source == l.mounts[0].Source {
		t.Error("a private mount shares the cache a locked one holds")
	}
	done(p)
	done(l)
	p = mount("private", "")
	if p.mounts[0].Source != a.mounts[0].Source {
		t.Errorf("a private mount of a free cache is at %s, want the cache %s", p.mounts[0].Source, a.mounts[0].Source)
	}
	done(p)
}
