package oci_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gun-tools/gun/internal/testenv"
)

// podman is rootless podman as the test user, with a store and runtime
// directory of the test's own.
type podman struct {
	bin, home, runtimeDir string
	storage               []string
}

// newPodman is podman with the image localhost/busybox:oci, and runc to
// compare gun-oci with.
func newPodman(t *testing.T) *podman {
	t.Helper()
	p := podmanOnly(t)
	testenv.NeedProgram(t, "runc")
	archive := filepath.Join(userDir(t, "image"), "busybox.tar")
	// Owned by root in the image, as busybox.sh -t makes it.
	if out, err := env.user.Command(exec.Command("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", env.rootfs, "-cf", archive, ".")).CombinedOutput(); err != nil {
		t.Fatalf("busybox archive: %v\n%s", err, out)
	}
	if r := p.run(t, "", "import", archive, "localhost/busybox:oci"); r.code != 0 {
		t.Fatalf("podman import: %d\n%s", r.code, r.stderr)
	}
	return p
}

// podmanOnly is podman with a store of its own and no image.
func podmanOnly(t *testing.T) *podman {
	t.Helper()
	requireEnv(t)
	p := &podman{bin: testenv.NeedProgram(t, "podman"), home: userDir(t, "home"), runtimeDir: userDir(t, "xdg")}
	if err := os.Chmod(p.runtimeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	testenv.NeedProgram(t, "newuidmap")
	p.storage = []string{"--root", userDir(t, "podman-root"), "--runroot", userDir(t, "podman-run"),
		"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"}
	testenv.StopPodmanPause(t, p.runtimeDir)
	return p
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs podman with args, with runtime (a path, or "" for podman's
// default) as its OCI runtime.
func (p *podman) run(t *testing.T, runtime string, args ...string) result {
	t.Helper()
	full := append([]string{}, p.storage...)
	if runtime != "" {
		full = append(full, "--runtime", runtime)
	}
	c := env.user.Command(exec.Command(p.bin, append(full, args...)...))
	c.Env = []string{"HOME=" + p.home, "XDG_RUNTIME_DIR=" + p.runtimeDir, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}
	c.Dir = p.home
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("podman %v: %v", args, err)
	}
	return result{out.String(), errb.String(), c.ProcessState.ExitCode()}
}

// TestPodman runs containers with podman on gun-oci and on runc, and
// compares what they do.
func TestPodman(t *testing.T) {
	p := newPodman(t)
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal(err)
	}
	img := "localhost/busybox:oci"
	for _, c := range []struct {
		name string
		args []string
	}{
		{"output and exit code", []string{"run", "--rm", "--network", "host", img, "sh", "-c", "echo hello; id -u; hostname -s >/dev/null; exit 3"}},
		{"not found", []string{"run", "--rm", "--network", "host", img, "/no/such/command"}},
		{"tty", []string{"run", "--rm", "-t", "--network", "host", img, "sh", "-c", "tty; test -t 0 && echo terminal"}},
		{"no network", []string{"run", "--rm", "--network", "none", img, "sh", "-c", "ls /sys/class/net"}},
		{"environment and user", []string{"run", "--rm", "--network", "host", "-u", "1000:1000", "-e", "A=b", "-w", "/tmp", img, "sh", "-c", "echo $A $(id -u):$(id -g) $(pwd)"}},
		{"additional groups", []string{"run", "--rm", "--network", "host", "-u", "1000:1000", "--group-add", "5", "--group-add", "100", img, "id", "-G"}},
	} {
		gun := p.run(t, env.gunOCI, c.args...)
		want := p.run(t, runc, c.args...)
		if gun.code != want.code || gun.stdout != want.stdout {
			t.Errorf("%s: on gun-oci: exit %d, output %q (stderr %q); on runc: exit %d, output %q", c.name, gun.code, gun.stdout, gun.stderr, want.code, want.stdout)
		}
	}
	// Detached, exec'd into, stopped (sleep ignores SIGTERM as pid 1:
	// SIGKILL after 2 seconds), removed.
	var gunExecs []result
	for _, rt := range []string{env.gunOCI, runc} {
		r := p.run(t, rt, "run", "-d", "--network", "host", img, "sleep", "100")
		id := strings.TrimSpace(r.stdout)
		if r.code != 0 || id == "" {
			t.Fatalf("%s: run -d: %d %s", rt, r.code, r.stderr)
		}
		if r := p.run(t, rt, "inspect", "--format", "{{.State.Status}}", id); strings.TrimSpace(r.stdout) != "running" {
			t.Errorf("%s: after run -d: %q %s", rt, r.stdout, r.stderr)
		}
		var execs []result
		for _, args := range [][]string{
			{"exec", id, "sh", "-c", "echo $((1+2)) $(id -u) $(cat /proc/1/cmdline | tr '\\0' ' '); exit 4"},
			{"exec", "-t", id, "tty"},
			{"exec", "-u", "1000", "-w", "/tmp", id, "sh", "-c", "echo $(id -u) $(pwd)"},
			{"exec", id, "/no/such/command"},
			{"top", id, "pid", "args"},
		} {
			execs = append(execs, p.run(t, rt, args...))
		}
		if rt == env.gunOCI {
			gunExecs = execs
		} else {
			for i, want := range execs {
				if got := gunExecs[i]; got.code != want.code || got.stdout != want.stdout {
					t.Errorf("exec %d: on gun-oci: exit %d, output %q (stderr %q); on runc: exit %d, output %q", i, got.code, got.stdout, got.stderr, want.code, want.stdout)
				}
			}
		}
		if r := p.run(t, rt, "stop", "-t", "2", id); r.code != 0 {
			t.Errorf("%s: stop: %d %s", rt, r.code, r.stderr)
		}
		if r := p.run(t, rt, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", id); strings.TrimSpace(r.stdout) != "exited 137" {
			t.Errorf("%s: after stop: %q %s", rt, r.stdout, r.stderr)
		}
		if r := p.run(t, rt, "rm", id); r.code != 0 {
			t.Errorf("%s: rm: %d %s", rt, r.code, r.stderr)
		}
		if r := p.run(t, rt, "ps", "-aq"); strings.TrimSpace(r.stdout) != "" {
			t.Errorf("%s: containers left: %q", rt, r.stdout)
		}
	}
}

// TestPodmanHooks gives podman OCI hooks (--hooks-dir, its hook files)
// of each stage, and checks that they run on gun-oci, in order and with
// the container's state, as on runc. (podman passes all but poststop to
// the runtime, and runs those itself.)
func TestPodmanHooks(t *testing.T) {
	p := newPodman(t)
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal(err)
	}
	hooksDir := userDir(t, "hooks.d")
	stages := []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}
	for _, rt := range []string{env.gunOCI, runc} {
		rec := userDir(t, "hookrec")
		for _, s := range stages {
			d := rec
			if s == "startContainer" {
				d = "/hooks" // in the container, where rec is bound
			}
			h := map[string]any{
				"version": "1.0.0", "when": map[string]bool{"always": true}, "stages": []string{s},
				"hook": map[string]any{"path": "/bin/sh", "args": []string{"sh", "-c", `cat > "$1/$2.state"; echo "$2" >> "$1/order"`, "sh", d, s}},
			}
			b, err := json.Marshal(h)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(hooksDir, s+".json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r := p.run(t, rt, "--hooks-dir", hooksDir, "run", "--rm", "--network", "host", "-v", rec+":/hooks", "localhost/busybox:oci", "true")
		if r.code != 0 {
			t.Errorf("%s: podman run with hooks: exit %d\n%s", rt, r.code, r.stderr)
			continue
		}
		order, _ := os.ReadFile(filepath.Join(rec, "order"))
		got := strings.Fields(string(order))
		if rt == runc {
			// runc 1.1.5 runs the poststart hooks at create, before
			// startContainer's (runc moved them to start in 2026).
			slices.Sort(got)
			want := slices.Sorted(slices.Values(stages))
			if !slices.Equal(got, want) {
				t.Errorf("runc: hooks ran: %q, want %q in any order", order, want)
			}
		} else if !slices.Equal(got, stages) {
			t.Errorf("gun-oci: hooks ran: %q, want %q", order, stages)
		}
		for _, s := range stages {
			var st specs.State
			b, err := os.ReadFile(filepath.Join(rec, s+".state"))
			// (podman runs the poststop hooks itself: no pid.)
			if err != nil || json.Unmarshal(b, &st) != nil || len(st.ID) != 64 || st.Pid <= 0 && s != "poststop" {
				t.Errorf("%s: %s hook's state: %q, %v", rt, s, b, err)
			}
		}
	}
}
