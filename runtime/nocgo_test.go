package runtime_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWithoutCgo runs a container with a gun built without cgo: without the
// C constructor (entry.c) nothing can join a user namespace holder, so
// the container makes its own user namespace, and the process that waits
// for its id maps is Go (execAfterMaps).
func TestWithoutCgo(t *testing.T) {
	requireSubIDs(t)
	gun := filepath.Join(env.work, "gun-nocgo")
	build := exec.Command("go", "build", "-o", gun, "../cmd/gun")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build gun without cgo: %v\n%s", err, out)
	}
	st := newStore(t)
	c := st.cmd("run", env.rootfs, "sh", "-c", `id -u; cat /proc/self/uid_map | tr -s ' ' | wc -l; touch /tmp/f && chown 1000 /tmp/f && stat -c %u /tmp/f`)
	c.Path, c.Args[0] = gun, gun
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("gun run: %v\n%s", err, out)
	}
	// Root, both map lines (the user and the subordinate range), chown works.
	if got, want := strings.Fields(string(out)), []string{"0", "2", "1000"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("output %q, want %q", got, want)
	}
	if pid := holderPID(t, st); pid != 0 {
		t.Errorf("a gun without cgo started a user namespace holder (pid %d)", pid)
	}
}
