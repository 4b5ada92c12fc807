package runtime_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// debianArchive returns a Debian minbase root file system archive: the one
// named by GUN_TEST_DEBIAN, or, with GUN_TEST_DEBIAN=build, one made once
// with debootstrap (about two minutes; it needs the Debian mirror) and
// cached in /var/tmp/gun-test-debian. The test is opt-in to keep the suite
// fast and offline.
func debianArchive(t *testing.T) string {
	t.Helper()
	v := os.Getenv("GUN_TEST_DEBIAN")
	if v == "" {
		t.Skip("set GUN_TEST_DEBIAN=build (or to a minbase .tar.gz) to run apt in a Debian container")
	}
	if v != "build" {
		return v
	}
	cache := "/var/tmp/gun-test-debian"
	archive := filepath.Join(cache, "bookworm-minbase.tar.gz")
	if _, err := os.Stat(archive); err == nil {
		return archive
	}
	if os.Geteuid() != 0 {
		t.Fatal("debootstrap needs root")
	}
	tree := filepath.Join(cache, "tree")
	os.RemoveAll(tree)
	for _, c := range [][]string{
		{"debootstrap", "--variant=minbase", "bookworm", tree, "http://deb.debian.org/debian"},
		{"tar", "--numeric-owner", "-C", tree, "-czf", archive + ".tmp", "."},
		{"mv", archive + ".tmp", archive},
		{"chmod", "-R", "a+rX", cache},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	os.RemoveAll(tree)
	return archive
}

func TestDebianAPT(t *testing.T) {
	requireSubIDs(t)
	archive := debianArchive(t)
	s := newStore(t)
	// apt drops privileges to _apt (uid 42) for downloads: that user must be
	// mapped. The host network and resolv.conf make the mirror reachable.
	r := s.run(t, nil, "run", archive, "sh", "-c", `runuser -u _apt -- id -un && apt-get update -qq && apt-get install -y -qq --no-install-recommends hello >/dev/null && hello`)
	if r.code != 0 || !strings.HasSuffix(r.stdout, "_apt\nHello, world!\n") {
		t.Errorf("exit %d, output %q\n%s", r.code, r.stdout, r.stderr)
	}
}
