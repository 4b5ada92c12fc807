package exec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/gun-tools/gun/internal/testenv"
)

// TestRegistryBase builds on an image of a real registry: the first build
// pins its digest in Gunfile.sum, a moved tag changes nothing, the build
// works with the registry stopped, an edited pin fails naming both
// digests, and --pull updates the pin.
func TestRegistryBase(t *testing.T) {
	need(t, "test environment", env.err)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ref := reg.Host + "/tools/bb:1"
	// Another store pushes the base, and later moves its tag.
	pusher := newProject(t, map[string]string{"Gunfile": "Using \"BUSYBOX\"\nExec \"echo two > /two\"\n"})
	if r := pusher.gun("import", env.busybox, "bb"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	r := pusher.gun("push", "bb", ref)
	if r.code != 0 {
		t.Fatalf("push: %s", r.stderr)
	}
	d1 := strings.TrimSpace(r.stdout)
	if digest.Digest(d1).Validate() != nil {
		t.Fatalf("gun push printed %q, not a digest", d1)
	}

	p := newProject(t, map[string]string{"Gunfile": `Using "` + ref + `"
Exec "echo built > /built"
Main ["/bin/cat", "/built"]
`})
	first := p.build("-t", "app", ".")
	sumFile := filepath.Join(p.dir, "Gunfile.sum")
	sum, err := os.ReadFile(sumFile)
	if err != nil || string(sum) != ref+" "+d1+"\n" {
		t.Fatalf("Gunfile.sum = %q, %v; want %q", sum, err, ref+" "+d1+"\n")
	}
	if r := p.gun("run", "app"); r.code != 0 || r.stdout != "built\n" {
		t.Fatalf("run app: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.gun("images"); !strings.Contains(r.stdout, ref+"@"+d1) {
		t.Errorf("gun images does not show where the base came from:\n%s", r.stdout)
	}

	// The tag moves: the pinned build does not notice.
	moved := pusher.build("-t", "bb2", ".")
	r = pusher.gun("push", "bb2", ref)
	if r.code != 0 {
		t.Fatalf("push: %s", r.stderr)
	}
	d2 := strings.TrimSpace(r.stdout)
	if d2 == d1 || !strings.Contains(moved.stdout, d2) {
		t.Fatalf("the moved tag's digest %s (first %s; build printed %q)", d2, d1, moved.stdout)
	}
	if again := p.build("-t", "app", "."); again.stdout != first.stdout {
		t.Errorf("after the tag moved the build made %s, before %s", again.stdout, first.stdout)
	}

	// Offline, from the store.
	reg.Stop()
	if r := p.build("--no-cache", "."); r.stdout != first.stdout {
		t.Errorf("offline build made %s, want %s", r.stdout, first.stdout)
	}
	reg.Start(t)

	// An edited pin the registry does not have fails, naming both digests.
	bogus := digest.FromString("bogus").String()
	os.WriteFile(sumFile, []byte(ref+" "+bogus+"\n"), 0o644)
	r = p.gun("build", "--progress", "plain", ".")
	if r.code == 0 {
		t.Fatal("a build with a wrong pin succeeded")
	}
	for _, want := range []string{"pinned: " + bogus, "served: " + d2, "--pull"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the error does not say %q:\n%s", want, r.stderr)
		}
	}

	// --pull resolves the tag again and pins what it serves now.
	p.build("--pull", ".")
	if sum, _ := os.ReadFile(sumFile); string(sum) != ref+" "+d2+"\n" {
		t.Errorf("after --pull Gunfile.sum = %q, want the moved tag's %s", sum, d2)
	}
	if r := p.gun("run", ref, "/bin/cat", "/two"); r.code != 0 || r.stdout != "two\n" {
		t.Errorf("gun run %s: exit %d, %q\n%s", ref, r.code, r.stdout, r.stderr)
	}
}

// TestArchiveTakesNoName: an archive that a build or a run imports never
// takes or moves a name the user owns, even when its manifest holds that
// name; and gun prune does not remove the user's image afterwards.
func TestArchiveTakesNoName(t *testing.T) {
	p := newProject(t, map[string]string{"Gunfile": `Using "BUSYBOX"
Exec "echo mine > /mine"
Main ["/bin/cat", "/mine"]
`})
	p.build("-t", "bb", ".")
	// bb.tar holds another image named bb (the plain busybox).
	other := newProject(t, nil)
	if r := other.gun("import", env.busybox, "bb"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	archive := filepath.Join(p.dir, "bb.tar")
	if r := other.gun("save", "bb", "-o", archive); r.code != 0 {
		t.Fatalf("save: %s", r.stderr)
	}
	p.chown(p.dir)
	images := func() string { return p.gun("images").stdout }
	before := images()

	p.write(map[string]string{"Gunfile": "Using \"bb.tar\"\nExec \"echo built on the archive > /x\"\n"})
	p.build("-t", "derived", ".")
	if r := p.gun("run", "bb.tar", "/bin/echo", "ran"); r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("gun run bb.tar: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.gun("prune"); r.code != 0 {
		t.Fatalf("prune: %s", r.stderr)
	}
	if r := p.gun("run", "bb"); r.code != 0 || r.stdout != "mine\n" {
		t.Errorf("gun run bb after building on and running bb.tar: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	after := images()
	if bbID(before) == "" || bbID(after) != bbID(before) {
		t.Errorf("bb changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if n := strings.Count(after, "\n"); n != 3 { // the header, bb, derived
		t.Errorf("the imports named images:\n%s", after)
	}
}

// bbID is the ID gun images shows for bb:latest.
func bbID(images string) string {
	for _, line := range strings.Split(images, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "bb:latest" {
			return f[1]
		}
	}
	return ""
}
