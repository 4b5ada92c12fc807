package oci_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gun-tools/gun/internal/testenv"
)

// runOut creates and starts container id of spec, waits for it to end and
// returns its output.
func (r *ociRuntime) runOut(t *testing.T, spec *specs.Spec, id string, setup func(*syscall.SysProcAttr), flags ...string) string {
	t.Helper()
	out := filepath.Join(userDir(t, "out"), "stdout")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := r.cmd(append(append(flags, "create", "--bundle", bundle(t, spec)), id)...)
	c.Stdout, c.Stderr = f, f
	if setup != nil {
		setup(c.SysProcAttr)
	}
	if err := c.Run(); err != nil {
		b, _ := os.ReadFile(out)
		t.Fatalf("create: %v\n%s", err, b)
	}
	s := r.state(t, id)
	r.run(t, "start", id)
	reap(t, s.Pid)
	r.run(t, "delete", id)
	b, _ := os.ReadFile(out)
	return string(b)
}

// hostCgroups returns the base names of the cgroup file systems mounted
// under /sys/fs/cgroup, and the mount point of the cgroup2 one.
func hostCgroups(t *testing.T) (names []string, v2 string) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		i := slices.Index(f, "-")
		if i < 0 || i+1 >= len(f) || (f[i+1] != "cgroup" && f[i+1] != "cgroup2") {
			continue
		}
		if f[i+1] == "cgroup2" && v2 == "" {
			v2 = f[4]
		}
		if filepath.Dir(f[4]) == "/sys/fs/cgroup" && !slices.Contains(names, filepath.Base(f[4])) {
			names = append(names, filepath.Base(f[4]))
		}
	}
	slices.Sort(names)
	return names, v2
}

// TestCgroupMount: a cgroup mount is the container's own cgroups, read-only
// with ro, as rootless runc binds them: each hierarchy's mount is rooted
// at the container's cgroup (its cgroup namespace's root: "/").
func TestCgroupMount(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	spec := rootlessSpec("sh", "-c", `grep ' /sys/fs/cgroup' /proc/self/mountinfo | cut -d' ' -f4,5,6 | cut -d, -f1; cd /sys/fs/cgroup && touch x 2>/dev/null || echo read-only`)
	// (A tmpfs on /sys: the host's, bound, would show its cgroup mounts
	// under the container's.)
	for i, m := range spec.Mounts {
		if m.Destination == "/sys" {
			spec.Mounts[i] = specs.Mount{Destination: "/sys", Type: "tmpfs", Source: "tmpfs"}
		}
	}
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup",
		Options: []string{"rprivate", "nosuid", "noexec", "nodev", "relatime", "ro"}})
	got := r.runOut(t, spec, "cg", nil)
	// cgroup v2 alone: its file system is at /sys/fs/cgroup; else a tmpfs
	// there holds them.
	want := "/ /sys/fs/cgroup ro\n"
	hier, v2 := hostCgroups(t)
	if v2 != "/sys/fs/cgroup" {
		for _, h := range hier {
			want += "/ /sys/fs/cgroup/" + h + " ro\n"
		}
	}
	want += "read-only\n"
	if got != want {
		t.Errorf("in the container:\n%s\nwant\n%s", got, want)
	}
}

// TestCgroupsPath: linux.cgroupsPath places the container where this user
// may make cgroups (a delegated cgroup v2 one: the test, as root, gives
// one to the test user and starts gun-oci create in it); where it may not,
// the container runs unplaced and the log says so.
func TestCgroupsPath(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	_, unified := hostCgroups(t)
	var err error
	if unified == "" {
		err = fmt.Errorf("no cgroup v2 file system at /sys/fs/cgroup or /sys/fs/cgroup/unified")
	} else if os.Geteuid() != 0 {
		err = fmt.Errorf("delegating a cgroup to the test user needs root")
	}
	testenv.Need(t, "a cgroup v2 file system and root", err)

	// Not writable: run, and warned about.
	name := fmt.Sprintf("gun-oci-test-%d", os.Getpid())
	spec := rootlessSpec("true")
	spec.Linux.CgroupsPath = "/" + name + "/no"
	logFile := filepath.Join(userDir(t, "log"), "log.json")
	r.runOut(t, spec, "unplaced", nil, "--log", logFile, "--log-format", "json")
	b, _ := os.ReadFile(logFile)
	var warned bool
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m struct{ Level, Msg, CgroupsPath string }
		if json.Unmarshal([]byte(l), &m) == nil && m.Level == "WARN" && strings.Contains(m.Msg, "linux.cgroupsPath") && m.CgroupsPath == spec.Linux.CgroupsPath {
			warned = true
		}
	}
	if !warned {
		t.Errorf("--log says nothing of the unplaced cgroupsPath:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(unified, name)); err == nil {
		t.Errorf("%s was made", filepath.Join(unified, name))
	}

	// Delegated: gun-oci create runs in a cgroup of the test user's, and
	// the relative cgroupsPath is under it.
	deleg := filepath.Join(unified, name)
	if err := os.Mkdir(deleg, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 500 && os.Remove(deleg) != nil; i++ {
			time.Sleep(10 * time.Millisecond)
		}
	})
	for _, f := range []string{"", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control"} {
		if err := os.Chown(filepath.Join(deleg, f), env.user.UID, env.user.GID); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := os.Open(deleg)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	spec = rootlessSpec("cat", "/proc/self/cgroup")
	spec.Linux.CgroupsPath = "c1"
	got := r.runOut(t, spec, "placed", func(a *syscall.SysProcAttr) { a.UseCgroupFD, a.CgroupFD = true, int(dir.Fd()) })
	// In its own cgroup namespace, rooted at deleg/c1.
	if !strings.Contains(got, "0::/\n") {
		t.Errorf("the container's cgroups:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(deleg, "c1")); err == nil {
		t.Errorf("delete left %s", filepath.Join(deleg, "c1"))
	}
	// And where it was, while it ran.
	spec = rootlessSpec("sleep", "100")
	spec.Linux.CgroupsPath = "c2"
	out, err := os.CreateTemp(env.work, "create-out-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(out.Name())
	c := r.cmd("create", "--bundle", bundle(t, spec), "placed2")
	c.Stdout, c.Stderr = out, out
	c.SysProcAttr.UseCgroupFD, c.SysProcAttr.CgroupFD = true, int(dir.Fd())
	if err := c.Run(); err != nil {
		b, _ := os.ReadFile(out.Name())
		t.Fatalf("create: %v\n%s", err, b)
	}
	s := r.state(t, "placed2")
	cg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", s.Pid))
	if !strings.Contains(string(cg), "0::/"+name+"/c2\n") {
		t.Errorf("the container's process is in\n%s", cg)
	}
	r.run(t, "delete", "--force", "placed2")
	reap(t, s.Pid)
}
