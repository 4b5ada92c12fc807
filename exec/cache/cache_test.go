package cache

import (
	"os"
	"path/filepath"
	"strings"
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

func TestEncodeDecode(t *testing.T) {
	l := &Layer{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: Key("blob"), Size: 42, DiffID: Key("diff")}
	steps := map[string]Entry{
		Key("1"): {Layer: l, Created: time.Unix(5, 0).UTC()},
		Key("2"): {Created: time.Unix(5, 0).UTC()},
		Key("3"): {Layer: l, Created: time.Unix(5, 0).UTC()},
	}
	records := Records{Steps: steps, DiffIDs: map[string]string{Key("base"): Key("base diff")}}
	config, layers, err := Encode(records)
	if err != nil {
		t.Fatal(err)
	}
	if again, _, _ := Encode(records); string(again) != string(config) {
		t.Error("Encode is not reproducible")
	}
	if diff := cmp.Diff([]Layer{*l}, layers); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
	got, err := Decode(config, []string{l.Digest})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(records, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, bad := range []struct{ config, want string }{
		{`{"steps": {"md5:x": {}}}`, "not a sha256 digest"},
		{`{"steps": {"` + Key("1") + `": {"layer": {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:../../x", "diffID": "` + Key("d") + `"}}}}`, "not a sha256 digest"},
		{`{"steps": {"` + Key("1") + `": {"layer": {"mediaType": "text/plain", "digest": "` + l.Digest + `", "diffID": "` + l.DiffID + `"}}}}`, "not an OCI layer's"},
		{`{"steps": {"` + Key("1") + `": {"layer": {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "` + Key("other") + `", "diffID": "` + l.DiffID + `"}}}}`, "not among the manifest's layers"},
		{`{"diffIDs": {"` + Key("base") + `": "sha256:x"}}`, "not a sha256 digest"},
		{`[`, "step cache"},
	} {
		if _, err := Decode([]byte(bad.config), []string{l.Digest}); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Decode(%s) = %v, want an error saying %q", bad.config, err, bad.want)
		}
	}
}
