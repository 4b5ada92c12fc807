package runtime_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gun-tools/gun/runtime"
)

// rootRun runs gun as root (cgroup v1 controllers need it).
func rootRun(t *testing.T, root string, args ...string) result {
	t.Helper()
	c := exec.Command(env.gun, args...)
	c.Env = []string{"HOME=" + root, "GUN_ROOT=" + root, "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "GUN_USERNS_IDLE=" + testIdle.String()}
	var out, errb strings.Builder
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), c.ProcessState.ExitCode()}
}

var (
	rootfsRootOnce sync.Once
	rootfsRoot     string
	rootfsRootErr  error
)

// requireRoot returns a busybox root file system owned by root, for gun run
// as root.
func requireRoot(t *testing.T) string {
	t.Helper()
	requireEnv(t)
	if os.Geteuid() != 0 {
		need(t, "cgroup limits", errors.New("the tests of cgroup limits run as root"))
	}
	rootfsRootOnce.Do(func() {
		rootfsRoot = filepath.Join(env.work, "rootfs-root")
		out, err := exec.Command("cp", "-a", env.rootfs, rootfsRoot).CombinedOutput()
		if err == nil {
			out, err = exec.Command("chown", "-R", "0:0", rootfsRoot).CombinedOutput()
		}
		if err != nil {
			rootfsRootErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if rootfsRootErr != nil {
		t.Fatal(rootfsRootErr)
	}
	return rootfsRoot
}

func TestMemoryLimit(t *testing.T) {
	rootfs := requireRoot(t)
	root := t.TempDir()
	hog := []string{"dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"}
	if r := rootRun(t, root, append([]string{"run", rootfs}, hog...)...); r.code != 0 {
		t.Fatalf("without a limit the hog should run: %+v", r)
	}
	r := rootRun(t, root, append([]string{"run", "--memory", "64m", rootfs}, hog...)...)
	if r.code != 128+9 {
		t.Errorf("with --memory 64m: exit %d, want 137 (killed); stderr %s", r.code, r.stderr)
	}
	noCgroupsLeft(t, "memory")
}

// noCgroupsLeft checks that no container cgroup of the v1 controller is
// left behind.
func noCgroupsLeft(t *testing.T, ctl string) {
	t.Helper()
	if mnt := v1Mount(t, ctl); mnt != "" {
		if left, _ := filepath.Glob(filepath.Join(mnt, "*gun-*")); len(left) != 0 {
			t.Errorf("cgroups left behind: %v", left)
		}
	}
}

func TestPidsLimit(t *testing.T) {
	rootfs := requireRoot(t)
	root := t.TempDir()
	bomb := `probe forks 60`
	count := func(r result) int {
		n, err := strconv.Atoi(strings.TrimSpace(r.stdout))
		if err != nil {
			t.Fatalf("output %+v", r)
		}
		return n
	}
	if n := count(rootRun(t, root, "run", rootfs, "sh", "-c", bomb)); n < 60 {
		t.Fatalf("without a limit, %d processes, want more than 60", n)
	}
	// init, sh, ls and the sleeps that fit.
	if n := count(rootRun(t, root, "run", "--pids-limit", "20", rootfs, "sh", "-c", bomb)); n > 21 {
		t.Errorf("with --pids-limit 20, %d processes", n)
	}
}

func TestCPULimitConfigured(t *testing.T) {
	rootfs := requireRoot(t)
	root := t.TempDir()
	mnt := v1Mount(t, "cpu")
	if mnt == "" {
		need(t, "cgroup v1 cpu controller", errors.New("not mounted"))
	}
	c := exec.Command(env.gun, "run", "--cpus", "0.5", rootfs, "sh", "-c", "echo ready; read x || true")
	c.Env = []string{"GUN_ROOT=" + root, "HOME=" + root, "GUN_USERNS_IDLE=" + testIdle.String()}
	in, _ := c.StdinPipe()
	code := runUntilReady(t, c, func(*os.Process) {
		defer in.Close()
		runs, _ := os.ReadDir(filepath.Join(root, "run"))
		if len(runs) != 1 {
			t.Errorf("containers running: %v", runs)
			return
		}
		name := "gun-*-" + runs[0].Name()
		matches, _ := filepath.Glob(filepath.Join(mnt, "*", name, "cpu.cfs_quota_us"))
		more, _ := filepath.Glob(filepath.Join(mnt, name, "cpu.cfs_quota_us"))
		matches = append(matches, more...)
		if len(matches) != 1 {
			t.Errorf("container cgroups: %v", matches)
			return
		}
		b, err := os.ReadFile(matches[0])
		if err != nil || strings.TrimSpace(string(b)) != "50000" {
			t.Errorf("cpu.cfs_quota_us: %q, %v", b, err)
		}
	})
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	noCgroupsLeft(t, "cpu")
}

func v1Mount(t *testing.T, ctl string) string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, _ := strings.Cut(sc.Text(), " - ")
		p := strings.Fields(post)
		if len(p) >= 3 && p[0] == "cgroup" && strings.Contains(","+p[2]+",", ","+ctl+",") {
			return strings.Fields(pre)[4]
		}
	}
	return ""
}

func TestLimitWithoutCgroupControlFails(t *testing.T) {
	requireEnv(t)
	if env.cred == nil {
		t.Skip("needs root to run gun as an unprivileged user without a delegated cgroup")
	}
	s := newStore(t)
	r := s.run(t, nil, "run", "--memory", "64m", env.rootfs, "true")
	if r.code != 125 || !strings.Contains(r.stderr, "cannot apply --memory") {
		t.Errorf("got %+v", r)
	}
}

// TestCgroupOfKilledGunRemoved kills gun while a limit is set: its cgroup
// stays behind, and goes with the next gun prune, or the next run with a
// limit.
func TestCgroupOfKilledGunRemoved(t *testing.T) {
	rootfs := requireRoot(t)
	mnt := v1Mount(t, "pids")
	if mnt == "" {
		need(t, "cgroup v1 pids controller", errors.New("not mounted"))
	}
	root := t.TempDir()
	// Only this store's cgroups: other tests (and other stores) may have
	// theirs meanwhile.
	prefix := runtime.CgroupPrefix(filepath.Join(root, "run"))
	left := func() []string {
		a, _ := filepath.Glob(filepath.Join(mnt, prefix+"*"))
		b, _ := filepath.Glob(filepath.Join(mnt, "*", prefix+"*"))
		c, _ := filepath.Glob(filepath.Join(mnt, "*", "*", prefix+"*"))
		return append(append(a, b...), c...)
	}
	for _, cleanup := range [][]string{
		{"prune"},
		{"run", "--pids-limit", "50", rootfs, "true"},
	} {
		c := exec.Command(env.gun, "run", "--pids-limit", "50", rootfs, "sh", "-c", "echo ready; sleep 100")
		c.Env = []string{"GUN_ROOT=" + root, "HOME=" + root, "GUN_USERNS_IDLE=" + testIdle.String()}
		runUntilReady(t, c, func(p *os.Process) { _ = p.Kill() })
		stale := left()
		if len(stale) != 1 {
			t.Fatalf("after SIGKILL, cgroups %v, want the container's", stale)
		}
		// The container dies with gun; then its cgroup is empty.
		deadline := time.Now().Add(10 * time.Second)
		for {
			b, err := os.ReadFile(filepath.Join(stale[0], "cgroup.procs"))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the container outlived gun: %s", b)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if r := rootRun(t, root, cleanup...); r.code != 0 {
			t.Fatalf("gun %v: %+v", cleanup, r)
		}
		if l := left(); len(l) != 0 {
			t.Errorf("after gun %v, cgroups left: %v", cleanup, l)
		}
	}
}
