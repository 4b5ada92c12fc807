package runtime_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gun-tools/gun/runtime"
)

// TestOutputToWritersComplete runs containers in-process, as the build
// executor does, with output going to plain io.Writers: every byte written
// before the command exits must reach them by the time Run returns.
func TestOutputToWritersComplete(t *testing.T) {
	requireEnv(t)
	if os.Geteuid() != 0 {
		// In-process runs use the test binary as gun; the rootless path of
		// the same code is covered by the build executor's tests.
		t.Skip("in-process runs of the test binary need root here")
	}
	// A root file system of our own: as root without a subordinate range,
	// only root's own files are mapped.
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("../testdata/rootfs/busybox.sh", rootfs).CombinedOutput(); err != nil {
		t.Fatalf("make busybox root: %v\n%s", err, out)
	}
	for i := range 20 {
		var stdout, stderr bytes.Buffer
		code, err := runtime.New("").Run(context.Background(), runtime.Spec{
			Layers:  []string{rootfs},
			Scratch: filepath.Join(t.TempDir(), "scratch"),
			Args:    []string{"/bin/sh", "-c", "seq 1 20000; echo last words >&2; exit 3"},
			Stdout:  &stdout,
			Stderr:  &stderr,
		})
		if err != nil || code != 3 {
			t.Fatalf("run %d: code %d, err %v; stderr %q", i, code, err, stderr.String())
		}
		if !strings.HasSuffix(stdout.String(), "\n19999\n20000\n") {
			t.Fatalf("run %d: stdout cut short: %d bytes, ends %q", i, stdout.Len(), stdout.String()[max(0, stdout.Len()-20):])
		}
		if stderr.String() != "last words\n" {
			t.Fatalf("run %d: stderr %q, want %q", i, stderr.String(), "last words\n")
		}
	}
}
