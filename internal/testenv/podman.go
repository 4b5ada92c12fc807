package testenv

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// StopPodmanPause registers the end of rootless podman's pause process for
// the runtime directory dir (its XDG_RUNTIME_DIR) as t's last cleanup:
// the process holds podman's user namespace and outlives podman, one per
// runtime directory. (Cleanups run last first: register it before the
// cleanups that still run podman.)
func StopPodmanPause(t testing.TB, dir string) {
	t.Cleanup(func() {
		b, err := os.ReadFile(filepath.Join(dir, "libpod", "tmp", "pause.pid"))
		if err != nil {
			return // podman made none
		}
		pid, err := strconv.Atoi(string(bytes.TrimSpace(b)))
		if err != nil || pid <= 1 {
			t.Errorf("podman's pause.pid in %s: %q", dir, b)
			return
		}
		// The pid is the pause process's while it runs as podman's: its
		// command line says so.
		cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil || !bytes.Contains(cmd, []byte("catatonit")) && !bytes.Contains(cmd, []byte("pause")) {
			return
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Errorf("stop podman's pause process %d: %v", pid, err)
			return
		}
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if syscall.Kill(pid, 0) != nil {
				return
			}
		}
	})
}
