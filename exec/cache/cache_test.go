package cache

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestKey(t *testing.T) {
	a := Key("parent", "Exec \"make\"")
	if a != Key("parent", "Exec \"make\"") {
		t.Fatal("key not stable")
	}
	for _, other := range [][]string{
		{"parent", "Exec \"make \""},
		{"parentExec \"make\""},
		{"paren", "tExec \"make\""},
		{"parent", "Exec \"make\"", ""},
	} {
		if Key(other...) == a {
			t.Errorf("Key(%q) collides with Key(parent, Exec \"make\")", other)
		}
	}
}

func TestPutGetWalk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "steps")
	c := Open(dir)
	k1, k2 := Key("1"), Key("2")
	if _, ok := c.Get(k1); ok {
		t.Fatal("hit in an empty cache")
	}
	e1 := Entry{Layer: &Layer{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: Key("blob"), Size: 42, DiffID: Key("diff")}, Created: time.Unix(5, 0).UTC()}
	e2 := Entry{Created: time.Unix(6, 0).UTC()}
	if err := c.Put(k1, e1); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(k2, e2); err != nil {
		t.Fatal(err)
	}
	got, ok := Open(dir).Get(k1)
	if !ok {
		t.Fatal("miss after Put")
	}
	if diff := cmp.Diff(e1, got); diff != "" {
		t.Errorf("entry (-want +got):\n%s", diff)
	}
	// A corrupt entry is a miss, and Walk removes it.
	p, _ := c.path(k2)
	os.WriteFile(p, []byte("{"), 0o644)
	if _, ok := c.Get(k2); ok {
		t.Fatal("corrupt entry was a hit")
	}
	var seen []string
	if err := c.Walk(func(key string, e Entry) bool { seen = append(seen, key); return true }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{k1}, seen); diff != "" {
		t.Errorf("walked (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("corrupt entry not removed")
	}
	// Walk drops what fn does not keep.
	c.Walk(func(string, Entry) bool { return false })
	if _, ok := c.Get(k1); ok {
		t.Error("entry not dropped")
	}
	if err := Open(filepath.Join(t.TempDir(), "none")).Walk(func(string, Entry) bool { return true }); err != nil {
		t.Errorf("walk of a missing cache: %v", err)
	}
	if err := c.Put("md5:x", e1); err == nil {
		t.Error("bad key accepted")
	}
}
