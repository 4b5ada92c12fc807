package runtime_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gun-tools/gun/internal/testenv"
)

func TestDebianAPT(t *testing.T) {
	requireSubIDs(t)
	archive := testenv.DebianArchive(t, "run apt in a Debian container")
	s := newStore(t)
	// apt drops privileges to _apt (uid 42) for downloads: that user must be
	// mapped. The host network and resolv.conf make the mirror reachable.
	r := s.run(t, nil, "run", archive, "sh", "-c", `runuser -u _apt -- id -un && apt-get update -qq && apt-get install -y -qq --no-install-recommends hello >/dev/null && hello`)
	if r.code != 0 || !strings.HasSuffix(r.stdout, "_apt\nHello, world!\n") {
		t.Errorf("exit %d, output %q\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestDebianThreads runs a program that glibc's pthreads start threads for
// in a Debian image under the default seccomp profile: clone3 gets ENOSYS,
// and glibc (2.34 and later) falls back to clone, which the profile allows.
// The program is built on the host against its glibc, dynamically, and runs
// on the image's.
func TestDebianThreads(t *testing.T) {
	requireSubIDs(t)
	archive := testenv.DebianArchive(t, "run glibc's pthreads in a Debian container")
	gcc := testenv.NeedProgram(t, "gcc")
	dir := userDir(t, "threads")
	bin := filepath.Join(dir, "threads")
	if out, err := exec.Command(gcc, "-Wall", "-Werror", "-O2", "-pthread", "-o", bin, "testdata/threads/threads.c").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	r := s.run(t, nil, "run", "-v", dir+":/t:ro", archive, "/t/threads")
	if want := "clone3: ENOSYS\nthreads: 4 ran\n"; r.code != 0 || r.stdout != want {
		t.Errorf("exit %d, stdout %q (want %q), stderr %q", r.code, r.stdout, want, r.stderr)
	}
}
