package runtime_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// debianArchive returns a Debian minbase root file system archive: the one
// named by GUN_TEST_DEBIAN, or, with GUN_TEST_DEBIAN=build, the one
// testdata/rootfs/debian.sh makes once with debootstrap (as root; it needs
// the Debian mirror) and caches in /var/tmp/gun-test-debian. The test is
// opt-in (CI sets it) to keep a developer's suite fast and offline.
func debianArchive(t *testing.T) string {
	t.Helper()
	v := os.Getenv("GUN_TEST_DEBIAN")
	if v == "" {
		t.Skip("set GUN_TEST_DEBIAN=build (or to a minbase .tar.gz) to run apt in a Debian container")
	}
	if v != "build" {
		return v
	}
	// Made once (as root, with debootstrap) and shared with exec's test;
	// CI makes it before the suite.
	out, err := exec.Command("../testdata/rootfs/debian.sh").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v\n%s", err, ee.Stderr)
		}
		t.Fatalf("testdata/rootfs/debian.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
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
