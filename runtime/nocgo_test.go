package runtime_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWithoutCgo builds gun without cgo: the container's init is C, so
// the build fails, saying why (no Go init to fall back to).
func TestWithoutCgo(t *testing.T) {
	requireEnv(t)
	build := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "gun-nocgo"), "../cmd/gun")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	if err == nil {
		t.Fatal("gun built without cgo")
	}
	if want := "gun needs cgo on Linux: build it with CGO_ENABLED=1 and a C compiler"; !strings.Contains(string(out), want) {
		t.Errorf("the failed build does not say %q:\n%s", want, out)
	}
}
