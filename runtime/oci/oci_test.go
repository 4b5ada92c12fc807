package oci_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/internal/testenv"
)

// The tests run the real gun binary, as gun-oci, as the test user
// (testenv.TestUser), on bundles of a busybox root file system.
var env struct {
	work   string // a directory the test user owns
	gun    string // the gun binary
	gunOCI string // a link to it named gun-oci
	rootfs string // a busybox root file system the test user owns
	user   *testenv.User
	err    error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := 1
	defer func() { os.Exit(code) }()
	// The containers' processes outlive gun-oci create, whose caller reaps
	// them, as conmon does: the test, for their exit codes.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "subreaper:", err)
		return
	}
	env.err = setup()
	code = m.Run()
	if env.work != "" {
		// Files of the test's subordinate ids, if any, stay for the
		// system's temporary directory cleaner; ours go.
		os.RemoveAll(env.work)
	}
}

func setup() error {
	var err error
	if env.user, err = testenv.TestUser(); err != nil {
		return err
	}
	if env.work, err = env.user.MkdirTemp("/tmp", "gun-oci-test-"); err != nil {
		return err
	}
	if env.gun, err = testenv.BuildGun(env.work); err != nil {
		return err
	}
	env.gunOCI = filepath.Join(env.work, "gun-oci")
	if err := os.Symlink("gun", env.gunOCI); err != nil {
		return err
	}
	b, err := os.ReadFile("../../testdata/rootfs/busybox.sh")
	if err != nil {
		return err
	}
	script := filepath.Join(env.work, "busybox.sh")
	if err := os.WriteFile(script, b, 0o755); err != nil {
		return err
	}
	env.rootfs = filepath.Join(env.work, "rootfs")
	if out, err := env.user.Command(exec.Command(script, env.rootfs)).CombinedOutput(); err != nil {
		return fmt.Errorf("make busybox root: %v\n%s", err, out)
	}
	return nil
}

func requireEnv(t *testing.T) {
	t.Helper()
	testenv.Need(t, "test environment", env.err)
}

// userDir makes a directory the test user owns.
func userDir(t *testing.T, name string) string {
	t.Helper()
	d, err := env.user.MkdirTemp(env.work, name+"-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rootlessSpec is a bundle's configuration as `runc spec --rootless`
// makes it: the test user mapped to root of a new user namespace.
func rootlessSpec(args ...string) *specs.Spec {
	uid, gid := uint32(env.user.UID), uint32(env.user.GID)
	return &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Args: args, Cwd: "/", Env: []string{"PATH=/bin:/usr/bin", "TERM=xterm"},
			Capabilities: &specs.LinuxCapabilities{
				Bounding: []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"}, Effective: []string{"CAP_KILL"},
				Permitted: []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
			},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 512}},
			NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: env.rootfs, Readonly: true},
		Hostname: "ocitest",
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
			{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/sys", Type: "none", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev"}},
		},
		Linux: &specs.Linux{
			UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: uid, Size: 1}},
			GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: gid, Size: 1}},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.MountNamespace}, {Type: specs.UserNamespace}, {Type: specs.CgroupNamespace},
			},
			MaskedPaths:   []string{"/proc/version", "/sys/firmware"},
			ReadonlyPaths: []string{"/proc/sys", "/proc/sysrq-trigger"},
		},
	}
}

// bundle writes spec as a bundle's config.json.
func bundle(t *testing.T, spec *specs.Spec) string {
	t.Helper()
	dir := userDir(t, "bundle")
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runtime is gun-oci with a state root of the test's own.
type ociRuntime struct{ root string }

func newRuntime(t *testing.T) *ociRuntime { return &ociRuntime{root: userDir(t, "state")} }

func (r *ociRuntime) cmd(args ...string) *exec.Cmd {
	c := env.user.Command(exec.Command(env.gunOCI, append([]string{"--root", r.root}, args...)...))
	c.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}
	// A container created by mistake keeps the output's pipe open.
	c.WaitDelay = 5 * time.Second
	return c
}

// create creates container id from the bundle b, its output in a file
// (a pipe would stay open as long as the container's process).
func (r *ociRuntime) create(t *testing.T, b, id string, flags ...string) {
	t.Helper()
	f, err := os.CreateTemp(env.work, "create-out-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	c := r.cmd(append(append([]string{"create", "--bundle", b}, flags...), id)...)
	c.Stdout, c.Stderr = f, f
	if err := c.Run(); err != nil {
		out, _ := os.ReadFile(f.Name())
		t.Fatalf("gun-oci create %s: %v\n%s", id, err, out)
	}
}

// run runs gun-oci and fails the test unless it exits 0.
func (r *ociRuntime) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := r.cmd(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("gun-oci %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (r *ociRuntime) state(t *testing.T, id string) specs.State {
	t.Helper()
	out, err := r.cmd("state", id).Output()
	if err != nil {
		t.Fatalf("gun-oci state %s: %v", id, err)
	}
	checkStateSchema(t, out)
	var s specs.State
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitStatus waits until the container is in the status want.
func (r *ociRuntime) waitStatus(t *testing.T, id string, want specs.ContainerState) specs.State {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; {
		s := r.state(t, id)
		if s.Status == want {
			return s
		}
		if time.Now().After(end) {
			t.Fatalf("container %s is %s, not %s", id, s.Status, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitOutput waits until the file out holds want.
func waitOutput(t *testing.T, out, want string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, _ := os.ReadFile(out)
		if string(got) == want {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("output %q, want %q", got, want)
		}
	}
}

// reap waits for the container's process, which the test reaps as the
// subreaper, and returns its exit status.
func reap(t *testing.T, pid int) unix.WaitStatus {
	t.Helper()
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatalf("wait for the container's process %d: %v", pid, err)
		}
		return ws
	}
}

// checkStateSchema checks a state against the runtime spec's
// schema/state-schema.json: its required properties, their types, the
// status's values and pid's minimum.
func checkStateSchema(t *testing.T, b []byte) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/opencontainers/runtime-spec").Output()
	if err != nil {
		t.Fatalf("find the runtime spec's module: %v", err)
	}
	sb, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "schema", "state-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]struct {
			Type    string
			Enum    []string
			Minimum *float64
			Ref     string `json:"$ref"`
		}
		Required []string
	}
	if err := json.Unmarshal(sb, &schema); err != nil {
		t.Fatal(err)
	}
	var state map[string]any
	if err := json.Unmarshal(b, &state); err != nil {
		t.Fatalf("state %s: %v", b, err)
	}
	for _, k := range schema.Required {
		if _, ok := state[k]; !ok {
			t.Errorf("state %s: no %s", b, k)
		}
	}
	for k, v := range state {
		p, ok := schema.Properties[k]
		if !ok {
			t.Errorf("state %s: %s is not in the schema", b, k)
			continue
		}
		switch p.Type {
		case "string":
			s, ok := v.(string)
			if !ok || len(p.Enum) > 0 && !strings.Contains(" "+strings.Join(p.Enum, " ")+" ", " "+s+" ") {
				t.Errorf("state %s: %s: %v is not one of %v", b, k, v, p.Enum)
			}
		case "integer":
			n, ok := v.(float64)
			if !ok || n != float64(int64(n)) || p.Minimum != nil && n < *p.Minimum {
				t.Errorf("state %s: %s: %v is no integer >= %v", b, k, v, p.Minimum)
			}
		}
		if k == "ociVersion" && !strings.HasPrefix(v.(string), "1.") {
			t.Errorf("state %s: ociVersion %v", b, v)
		}
	}
}

// TestLifecycle creates, starts, inspects, signals and deletes a
// container, and checks the process's exit status, output and setup.
func TestLifecycle(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	spec := rootlessSpec("sh", "-c", `echo "$(hostname) $(id -u):$(id -g) $(ulimit -n) $(grep CapEff /proc/self/status | cut -f2) $(grep NoNewPrivs /proc/self/status | cut -f2)"; touch /x 2>/dev/null || echo read-only; cat /proc/version | wc -c; ls /sys/firmware | wc -l; exec sleep 100`)
	b := bundle(t, spec)
	out := filepath.Join(userDir(t, "out"), "stdout")
	pidFile := filepath.Join(filepath.Dir(out), "pid")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	create := r.cmd("create", "--bundle", b, "--pid-file", pidFile, "c1")
	create.Stdout, create.Stderr = f, f
	if err := create.Run(); err != nil {
		b, _ := os.ReadFile(out)
		t.Fatalf("create: %v\n%s", err, b)
	}
	s := r.state(t, "c1")
	if s.Status != specs.StateCreated || s.ID != "c1" || s.Bundle != b || s.Pid <= 0 {
		t.Fatalf("state after create: %+v", s)
	}
	pb, err := os.ReadFile(pidFile)
	if err != nil || string(pb) != strconv.Itoa(s.Pid) {
		t.Errorf("pid file %q (%v), state's pid %d", pb, err, s.Pid)
	}
	// Held: nothing ran yet.
	if b, _ := os.ReadFile(out); len(b) > 0 {
		t.Errorf("output before start: %q", b)
	}
	if err := r.cmd("start", "c1").Run(); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := r.cmd("start", "c1").Run(); err == nil {
		t.Errorf("a second start succeeded")
	}
	r.waitStatus(t, "c1", specs.StateRunning)
	// Root's execve makes its bounding set effective: 0x420 is CAP_KILL
	// and CAP_NET_BIND_SERVICE.
	waitOutput(t, out, "ocitest 0:0 512 0000000000000420 1\nread-only\n0\n0\n")
	if err := r.cmd("delete", "c1").Run(); err == nil {
		t.Errorf("delete of a running container without --force succeeded")
	}
	r.run(t, "kill", "c1", "KILL")
	if ws := reap(t, s.Pid); !ws.Signaled() || ws.Signal() != unix.SIGKILL {
		t.Errorf("process ended with %v, want SIGKILL", ws)
	}
	r.waitStatus(t, "c1", specs.StateStopped)
	if err := r.cmd("kill", "c1", "KILL").Run(); err == nil {
		t.Errorf("kill of a stopped container succeeded")
	}
	r.run(t, "delete", "c1")
	if out, err := r.cmd("state", "c1").CombinedOutput(); err == nil || !strings.Contains(string(out), "does not exist") {
		t.Errorf("state after delete: %v: %s", err, out)
	}
}

// TestExitCodes checks the process's exit status as its reaper sees it,
// and the errors of a command that is missing.
func TestExitCodes(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	for i, c := range []struct {
		args []string
		want int
	}{{[]string{"true"}, 0}, {[]string{"sh", "-c", "exit 7"}, 7}} {
		id := "exit" + strconv.Itoa(i)
		r.create(t, bundle(t, rootlessSpec(c.args...)), id)
		s := r.state(t, id)
		r.run(t, "start", id)
		if ws := reap(t, s.Pid); ws.ExitStatus() != c.want {
			t.Errorf("%v: exit status %v, want %d", c.args, ws, c.want)
		}
		if st := r.waitStatus(t, id, specs.StateStopped); st.Pid != s.Pid {
			t.Errorf("stopped container with pid %d, its process's was %d", st.Pid, s.Pid)
		}
		r.run(t, "delete", id)
	}
	out, err := r.cmd("create", "--bundle", bundle(t, rootlessSpec("/no/such/command")), "missing").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "/no/such/command") {
		t.Errorf("create of a missing command: %v: %s", err, out)
	}
	if out, err := r.cmd("state", "missing").CombinedOutput(); err == nil {
		t.Errorf("a failed create left a container: %s", out)
	}
	r.run(t, "delete", "--force", "missing") // as runc: nothing to delete is no error with --force
}

// TestKillCreated kills a container that was never started; a created
// one is deleted only with --force (without, an error that leaves it
// created, as the runtime spec says).
func TestKillCreated(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	for _, sig := range []string{"TERM", "9"} {
		r.create(t, bundle(t, rootlessSpec("true")), "k")
		s := r.state(t, "k")
		r.run(t, "kill", "k", sig)
		reap(t, s.Pid)
		r.waitStatus(t, "k", specs.StateStopped)
		r.run(t, "delete", "k")
	}
	r.create(t, bundle(t, rootlessSpec("true")), "d")
	s := r.state(t, "d")
	if out, err := r.cmd("delete", "d").CombinedOutput(); err == nil || !strings.Contains(string(out), "is created") {
		t.Errorf("delete of a created container without --force: %v, %s", err, out)
	}
	if st := r.state(t, "d"); st.Status != specs.StateCreated {
		t.Errorf("after a refused delete: %s, want created", st.Status)
	}
	r.run(t, "delete", "--force", "d")
	reap(t, s.Pid)
}

// TestUnsupported checks that fields gun does not carry out are errors
// that name them.
func TestUnsupported(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	for _, c := range []struct {
		edit func(*specs.Spec)
		want string
	}{
		{func(s *specs.Spec) { s.Process.ApparmorProfile = "x" }, "process.apparmorProfile"},
		{func(s *specs.Spec) { s.Hooks = &specs.Hooks{Poststop: []specs.Hook{{Path: "true"}}} }, `hooks.poststop[0].path "true": not an absolute path`},
		{func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true"}, {Path: "/bin/true", Timeout: new(0)}}}
		}, "hooks.createContainer[1].timeout 0"},
		{func(s *specs.Spec) { s.Linux.Resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{}} }, "linux.resources.memory"},
		{func(s *specs.Spec) { s.Mounts[0].Options = []string{"tmpcopyup"} }, "mounts[0] (/proc): option \"tmpcopyup\""},
		{func(s *specs.Spec) { s.Process.Capabilities.Bounding = []string{"CAP_NOPE"} }, "process.capabilities.bounding: \"CAP_NOPE\""},
		{func(s *specs.Spec) { s.Linux.Namespaces = s.Linux.Namespaces[:3] }, "mount namespace"},
	} {
		spec := rootlessSpec("true")
		c.edit(spec)
		out, err := r.cmd("create", "--bundle", bundle(t, spec), "u").CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("create: %v: %s; want an error naming %s", err, out, c.want)
		}
		if errors.Is(err, exec.ErrNotFound) {
			t.Fatal(err)
		}
	}
}

func TestFeaturesAndVersion(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	var f struct {
		OCIVersionMax string
		Hooks         []string
		Linux         struct{ Namespaces []string }
	}
	if err := json.Unmarshal([]byte(r.run(t, "features")), &f); err != nil || f.OCIVersionMax != specs.Version || len(f.Linux.Namespaces) == 0 ||
		strings.Join(f.Hooks, " ") != "prestart createRuntime createContainer startContainer poststart poststop" {
		t.Errorf("features: %+v, %v", f, err)
	}
	if v := r.run(t, "--version"); !strings.Contains(v, "spec: "+specs.Version) {
		t.Errorf("--version: %q", v)
	}
}

// TestExec runs processes in a running container: in the foreground (its
// exit code), detached (its pid file), as another user.
func TestExec(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	r.create(t, bundle(t, rootlessSpec("sleep", "100")), "e")
	s := r.state(t, "e")
	r.run(t, "start", "e")
	r.waitStatus(t, "e", specs.StateRunning)
	if out, err := r.cmd("exec", "e", "sh", "-c", "echo $(hostname) $(cat /proc/1/cmdline | tr '\\0' ' '); exit 3").Output(); err == nil || string(out) != "ocitest sleep 100\n" {
		t.Errorf("exec: %v, output %q", err, out)
	} else if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Errorf("exec: %v, want exit 3", err)
	}
	dir := userDir(t, "exec")
	proc := filepath.Join(dir, "process.json")
	p := &specs.Process{Args: []string{"sh", "-c", "id -u > /tmp/id; sleep 100"}, Cwd: "/tmp", Env: []string{"PATH=/bin"},
		User: specs.User{UID: 0, GID: 0}, NoNewPrivileges: true}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(proc, b, 0o644); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "pid")
	// (Its output would keep a pipe open: none.)
	if err := r.cmd("exec", "--process", proc, "--pid-file", pidFile, "--detach", "e").Run(); err != nil {
		t.Fatalf("exec --detach: %v", err)
	}
	pb, err := os.ReadFile(pidFile)
	pid, perr := strconv.Atoi(string(pb))
	if err != nil || perr != nil {
		t.Fatalf("pid file %q: %v %v", pb, err, perr)
	}
	// The detached process is in the container, pid 1's sibling.
	var a, bst unix.Stat_t
	if unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/pid", &a) != nil || unix.Stat("/proc/"+strconv.Itoa(s.Pid)+"/ns/pid", &bst) != nil || a.Ino != bst.Ino {
		t.Errorf("the exec'd process %d is not in the container's pid namespace", pid)
	}
	r.run(t, "kill", "--all", "e", "KILL")
	// The exec'd process first: pid 1 ends only once every other process
	// of its pid namespace is reaped (conmon reaps both as they end).
	reap(t, pid)
	reap(t, s.Pid)
	r.waitStatus(t, "e", specs.StateStopped)
	if out, err := r.cmd("exec", "e", "true").CombinedOutput(); err == nil {
		t.Errorf("exec in a stopped container: %s", out)
	}
	r.run(t, "delete", "e")
}

// TestListPs: list shows every container (-q, json, table) and ps a
// container's processes (json: their pids; table: ps's lines of them).
func TestListPs(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	if out := r.run(t, "list", "-q"); out != "" {
		t.Errorf("list -q of no container: %q", out)
	}
	held := bundle(t, rootlessSpec("true"))
	r.create(t, held, "a")
	r.create(t, bundle(t, rootlessSpec("sleep", "100")), "b")
	r.run(t, "start", "b")
	b := r.waitStatus(t, "b", specs.StateRunning)
	a := r.state(t, "a")
	if out := r.run(t, "list", "-q"); out != "a\nb\n" {
		t.Errorf("list -q: %q", out)
	}
	var l []struct {
		ID, Status, Bundle, Rootfs, Owner string
		Pid                               int
		Created                           time.Time
	}
	if err := json.Unmarshal([]byte(r.run(t, "list", "--format", "json")), &l); err != nil || len(l) != 2 {
		t.Fatalf("list --format json: %+v, %v", l, err)
	}
	if l[0].ID != "a" || l[0].Status != "created" || l[0].Pid != a.Pid || l[0].Bundle != held || l[0].Rootfs != env.rootfs ||
		l[0].Owner != env.user.Name || time.Since(l[0].Created) > time.Minute || l[1].ID != "b" || l[1].Status != "running" || l[1].Pid != b.Pid {
		t.Errorf("list --format json: %+v", l)
	}
	table := strings.Split(r.run(t, "list"), "\n")
	if len(table) != 4 || !strings.HasPrefix(table[0], "ID") || !strings.HasPrefix(table[2], "b ") || !strings.Contains(table[2], " running ") {
		t.Errorf("list:\n%s", strings.Join(table, "\n"))
	}

	// (Its output would keep a pipe open: none.)
	if err := r.cmd("exec", "--detach", "b", "sleep", "99").Run(); err != nil {
		t.Fatalf("exec --detach: %v", err)
	}
	var pids []int
	if err := json.Unmarshal([]byte(r.run(t, "ps", "--format", "json", "b")), &pids); err != nil || len(pids) != 2 || pids[0] != b.Pid {
		t.Errorf("ps --format json: %v, %v", pids, err)
	}
	out := r.run(t, "ps", "b", "-o", "pid,args")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.Contains(lines[0], "PID") ||
		!strings.Contains(out, "sleep 100") || !strings.Contains(out, "sleep 99") {
		t.Errorf("ps b -o pid,args:\n%s", out)
	}
	// The exec'd process is reaped first: pid 1 ends only once every other
	// process of its pid namespace is.
	r.run(t, "kill", "--all", "b", "KILL")
	for _, p := range pids[1:] {
		reap(t, p)
	}
	reap(t, b.Pid)
	r.waitStatus(t, "b", specs.StateStopped)
	r.run(t, "delete", "b")
	r.run(t, "delete", "--force", "a")
	reap(t, a.Pid)
}

// TestPreserveFDs: create and exec --preserve-fds N pass the caller's
// descriptors 3 to 3+N-1 on, at the same numbers, and no other.
func TestPreserveFDs(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	files := func(names ...string) []*os.File {
		var fs []*os.File
		for _, n := range names {
			p := filepath.Join(userDir(t, "fd"), n)
			if err := os.WriteFile(p, []byte(n+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			fs = append(fs, f)
		}
		return fs
	}
	script := `cat <&3; cat <&4; ls /proc/self/fd | sort -n | tr '\n' ' '; echo`
	out := filepath.Join(userDir(t, "out"), "stdout")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := r.cmd("create", "--preserve-fds", "2", "--bundle", bundle(t, rootlessSpec("sh", "-c", script+"; exec sleep 100")), "p")
	// A third descriptor, not preserved.
	c.Stdout, c.Stderr, c.ExtraFiles = f, f, files("three", "four", "five")
	if err := c.Run(); err != nil {
		b, _ := os.ReadFile(out)
		t.Fatalf("create: %v\n%s", err, b)
	}
	s := r.state(t, "p")
	r.run(t, "start", "p")
	// ls's own descriptor of /proc/self/fd is the one after 4.
	waitOutput(t, out, "three\nfour\n0 1 2 3 4 5 \n")
	e := r.cmd("exec", "--preserve-fds", "1", "p", "sh", "-c", "cat <&3; ls /proc/self/fd | sort -n | tr '\\n' ' '")
	e.ExtraFiles = files("exec3", "exec4")
	if got, err := e.CombinedOutput(); err != nil || string(got) != "exec3\n0 1 2 3 4 " {
		t.Errorf("exec --preserve-fds 1: %v, %q", err, got)
	}
	if got, err := r.cmd("exec", "--preserve-fds", "9", "p", "true").CombinedOutput(); err == nil || !strings.Contains(string(got), "descriptor") {
		t.Errorf("exec --preserve-fds of descriptors not open: %v, %q", err, got)
	}
	// --log opens its file in the first free number: never passed on, when
	// descriptor 3 was not given nor when it was.
	log := filepath.Join(userDir(t, "log"), "log")
	if got, err := r.cmd("--log", log, "exec", "--preserve-fds", "1", "p", "true").CombinedOutput(); err == nil ||
		!strings.Contains(string(got), "descriptor 3 was not open when gun started") {
		t.Errorf("exec --log --preserve-fds 1 without descriptor 3: %v, %q", err, got)
	}
	e = r.cmd("--log", log, "exec", "--preserve-fds", "1", "p", "sh", "-c", "cat <&3; ls /proc/self/fd | sort -n | tr '\\n' ' '")
	e.ExtraFiles = files("log3")
	if got, err := e.CombinedOutput(); err != nil || string(got) != "log3\n0 1 2 3 4 " {
		t.Errorf("exec --log --preserve-fds 1: %v, %q", err, got)
	}
	r.run(t, "kill", "p", "KILL")
	reap(t, s.Pid)
	r.run(t, "delete", "p")
}
