//go:build linux && cgo

package runtime

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/container"
	"github.com/gun-tools/gun/internal/flock"
)

// testClaim is the claim of a plan whose container's record is c's.
func testClaim(t *testing.T, dir string, c container.Container) Claim {
	t.Helper()
	cl := Claim{Dir: dir}
	cl.Adjectives, cl.Nouns = container.NameWords()
	for i := range cl.Records {
		c.Status, c.AutoRemove = container.Created, i%2 == 1
		if i >= 2 {
			c.Status = container.Running
		}
		var err error
		if cl.Records[i], err = container.Template(c); err != nil {
			t.Fatal(err)
		}
	}
	return cl
}

// TestClaim: the record claim.c makes from a plan's templates is the one
// the container package would write, every field of it, created and
// running, in its directory, under its locks: the container package reads
// it, finds it live and its name taken, and after claim.c removed it,
// nothing.
func TestClaim(t *testing.T) {
	path := filepath.Join(t.TempDir(), "containers")
	base := container.Container{
		Image: "busy\"box", ImageID: "sha256:0f", StopSignal: "SIGINT", Store: "/s\\t", Detached: true, Interactive: true,
	}
	cl := testClaim(t, path, base)
	// The last argument is longer than claim.c's buffer, escaped.
	args := []string{"sh", "-c", "echo \"<&>\"\n\x01\x7f", "é", strings.Repeat("a\"\\\x01é", 1000)}
	for _, tc := range []struct {
		name        string
		rm, running bool
		want        container.Status
	}{
		{name: "web", want: container.Created},
		{name: "web", rm: true, running: true, want: container.Running},
		{rm: true, want: container.Created},
		{running: true, want: container.Running},
	} {
		before := time.Now()
		r, err := cClaim(cl, tc.name, tc.rm, args, "/s/run/0a", tc.running)
		if err != nil {
			t.Fatal(err)
		}
		d, err := container.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Get(r.Name)
		if err != nil {
			t.Fatalf("the container package cannot read claim.c's record: %v", err)
		}
		want := base
		want.ID, want.Name, want.Command, want.Scratch, want.Status, want.AutoRemove = r.ID, r.Name, args, "/s/run/0a", tc.want, tc.rm
		if tc.running {
			want.MonitorPid = os.Getpid()
		}
		if d := cmp.Diff(&want, got, cmpopts.IgnoreUnexported(container.Container{}), cmpopts.IgnoreFields(container.Container{}, "Created", "Started")); d != "" {
			t.Errorf("%+v: claim.c's record (-want +got):\n%s", tc, d)
		}
		if got.Created.Before(before.Add(-time.Millisecond)) || got.Created.After(time.Now()) || got.Started.IsZero() == tc.running ||
			tc.running && got.Started.Before(got.Created) {
			t.Errorf("%+v: created %v, started %v", tc, got.Created, got.Started)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(r.ID) {
			t.Errorf("id %q", r.ID)
		}
		if tc.name == "" && !generatedName(r.Name) {
			t.Errorf("generated name %q is not made of the container package's words", r.Name)
		}
		if !got.Live() {
			t.Error("claim.c's container is not live")
		}
		if _, err := d.Create(&container.Container{Name: r.Name}); !errors.Is(err, container.ErrNameInUse) {
			t.Errorf("the name claim.c claimed: %v", err)
		}
		r.Remove()
		if _, err := d.Get(r.Name); !errors.Is(err, container.ErrNotFound) {
			t.Errorf("after claim.c removed it: %v", err)
		}
		if entries, _ := os.ReadDir(path); len(entries) != 2 {
			t.Errorf("left in the containers' directory: %v", entries)
		}
		lock, err := d.Create(&container.Container{Name: r.Name})
		if err != nil {
			t.Fatalf("the name claim.c released: %v", err)
		}
		if _, err := cClaim(cl, r.Name, false, args, "/s", false); err == nil {
			t.Error("claim.c took a name that the container package's Create holds")
		}
		c, _ := d.Get(r.Name)
		if err := d.RemoveOwned(c, lock); err != nil {
			t.Fatal(err)
		}
	}
	// The containers' directory's lock is the container package's.
	unlock, err := flock.Lock(filepath.Join(path, "lock"), 0o600, unix.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *cClaimed)
	go func() {
		r, _ := cClaim(cl, "late", false, args, "/s", false)
		done <- r
	}()
	select {
	case <-done:
		t.Error("claim.c claimed a name while the containers' directory was locked")
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	if r := <-done; r == nil {
		t.Error("claim.c did not claim once the lock was free")
	} else {
		r.Remove()
	}
	// A plan without templates, a name not valid: nothing recorded.
	for _, bad := range []struct {
		cl   Claim
		name string
	}{{Claim{Dir: path, Adjectives: cl.Adjectives, Nouns: cl.Nouns}, "x"}, {cl, "-x"}, {Claim{Dir: "rel", Records: cl.Records}, "x"}} {
		if r, err := cClaim(bad.cl, bad.name, false, args, "/s", false); err == nil {
			r.Remove()
			t.Errorf("claim.c recorded %q with %+v", bad.name, bad.cl)
		}
	}
}

// generatedName reports whether name is made of the container package's
// words, as it generates names.
func generatedName(name string) bool {
	adj, nouns := container.NameWords()
	return regexp.MustCompile(`^(` + strings.Join(adj, "|") + `)_(` + strings.Join(nouns, "|") + `)[0-9]{0,4}$`).MatchString(name)
}

// FuzzClaimName: claim.c takes a container name as container.CheckName
// does.
func FuzzClaimName(f *testing.F) {
	for _, s := range []string{"web", "a", "A.b-c_d", "-x", ".x", "_x", "a/b", "a b", "é", strings.Repeat("a", 128), strings.Repeat("a", 129), "", "x\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if strings.IndexByte(name, 0) >= 0 {
			return // not a C string
		}
		if c, gov := cCheckName(name), container.CheckName(name) == nil; c != gov {
			t.Fatalf("name %q: claim.c takes it %v, the container package %v", name, c, gov)
		}
	})
}
