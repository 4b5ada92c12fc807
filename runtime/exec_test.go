package runtime_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/runtime"
)

// running is a container that gun run runs in the background, for gun
// exec.
type running struct {
	id   string
	cmd  *exec.Cmd
	done chan struct{}
}

// startContainer starts c, a gun run whose command prints "ready" once it
// runs, in the store whose run directory is runDir, and returns the
// container once it is ready. It is stopped when the test ends.
func startContainer(t *testing.T, c *exec.Cmd, runDir string) *running {
	t.Helper()
	startReady(t, c)
	r := &running{cmd: c, done: make(chan struct{})}
	go func() { _ = c.Wait(); close(r.done) }()
	t.Cleanup(r.stop)
	entries, err := os.ReadDir(runDir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("run directory: %v, %v; want one container", entries, err)
	}
	r.id = entries[0].Name()
	return r
}

// stop stops the container (SIGTERM to gun, forwarded to its command) and
// waits for gun.
func (r *running) stop() {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

// statusLines returns the lines of /proc/PID/status the container's
// command and an exec's process must agree on.
var statusLines = regexp.MustCompile(`(?m)^(Seccomp|NoNewPrivs|CapInh|CapPrm|CapEff|CapBnd|CapAmb):.*$`)

func TestExecJoinsTheContainer(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	c := startContainer(t, s.cmd("run", "--hostname", "exectest", "--network", "none", "-e", "RUNVAR=1", "-w", "/tmp",
		env.rootfs, "sh", "-c", "echo hello > /tmp/marker; echo ready; exec sleep 1000"), filepath.Join(s.root, "run"))
	exe := func(args ...string) string {
		t.Helper()
		r := s.run(t, nil, append([]string{"exec"}, args...)...)
		if r.code != 0 {
			t.Fatalf("gun exec %q: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	// Every namespace is the command's (pid 2; the init is 1).
	ns := exe(c.id, "sh", "-c", `for n in user mnt pid uts ipc net cgroup; do echo $n $(readlink /proc/self/ns/$n) $(readlink /proc/2/ns/$n); done`)
	for _, l := range strings.Split(strings.TrimSpace(ns), "\n") {
		if f := strings.Fields(l); len(f) != 3 || f[1] != f[2] {
			t.Errorf("namespace of the exec, then of the container's command: %q", l)
		}
	}
	if ps := exe(c.id, "ps", "-o", "pid,args"); !regexp.MustCompile(`(?m)^ +1 gun:init\n +2 sleep 1000\n +\d+ ps -o pid,args\n$`).MatchString(ps) {
		t.Errorf("ps in the container:\n%s", ps)
	}
	if h := exe(c.id, "hostname"); h != "exectest\n" {
		t.Errorf("hostname %q", h)
	}
	if m := exe(c.id, "cat", "/tmp/marker"); m != "hello\n" {
		t.Errorf("the command's file: %q", m)
	}
	if lo := exe(c.id, "ls", "/sys/class/net"); lo != "lo\n" {
		t.Errorf("network interfaces %q, want the container's loopback", lo)
	}
	// The same capabilities, seccomp filter and no_new_privs as the
	// container's command.
	st := exe(c.id, "sh", "-c", "cat /proc/self/status; echo ---; cat /proc/2/status")
	self, cmd, _ := strings.Cut(st, "---")
	mine, theirs := statusLines.FindAllString(self, -1), statusLines.FindAllString(cmd, -1)
	if len(mine) != 7 || strings.Join(mine, "\n") != strings.Join(theirs, "\n") || !strings.Contains(self, "Seccomp:\t2\n") {
		t.Errorf("exec's status:\n%s\nthe command's:\n%s", strings.Join(mine, "\n"), strings.Join(theirs, "\n"))
	}
	// The container's environment and working directory, and the exec's.
	envs := exe("-e", "FOO=bar", c.id, "sh", "-c", "pwd; env | sort")
	want := "/tmp\nFOO=bar\nHOME=/root\nHOSTNAME=exectest\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nPWD=/tmp\nRUNVAR=1\nSHLVL=1\n"
	if envs != want {
		t.Errorf("environment:\n%s\nwant:\n%s", envs, want)
	}
	if d := exe("-w", "/etc", c.id, "pwd"); d != "/etc\n" {
		t.Errorf("with -w /etc: %q", d)
	}
	// stdin only with -i.
	r := s.run(t, strings.NewReader("in\n"), "exec", "-i", c.id, "cat")
	if r.stdout != "in\n" || r.code != 0 {
		t.Errorf("exec -i cat: %+v", r)
	}
	if r := s.run(t, strings.NewReader("in\n"), "exec", c.id, "cat"); r.stdout != "" || r.code != 0 {
		t.Errorf("exec cat without -i: %+v", r)
	}
}

func TestExecUser(t *testing.T) {
	requireSubIDs(t)
	s := newStore(t)
	// The user resolved as for a run, in the container's files as they
	// are now: a group that lists app gives it a supplementary group.
	c := startContainer(t, s.cmd("run", "-u", "app", env.rootfs, "sh", "-c", "echo ready; exec sleep 1000"), filepath.Join(s.root, "run"))
	if r := s.run(t, nil, "exec", "-u", "root", c.id, "sh", "-c", "echo staff:x:50:app >> /etc/group"); r.code != 0 {
		t.Fatalf("add a group: %+v", r)
	}
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{nil, "uid=1000(app) gid=1000(app) groups=50(staff)\n"},
		{[]string{"-u", "root"}, "uid=0(root) gid=0(root)\n"},
		{[]string{"-u", "1000:65534"}, "uid=1000(app) gid=65534(nogroup)\n"},
	} {
		r := s.run(t, nil, append(append([]string{"exec"}, tc.flags...), c.id, "id")...)
		if r.code != 0 || r.stdout != tc.want {
			t.Errorf("exec %v id: %+v, want %q", tc.flags, r, tc.want)
		}
	}
	if r := s.run(t, nil, "exec", "-u", "nobody-here", c.id, "id"); r.code != 125 || !strings.Contains(r.stderr, `user "nobody-here"`) {
		t.Errorf("exec -u nobody-here: %+v", r)
	}
}

func TestExecExitCodesAndErrors(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	c := startContainer(t, s.cmd("run", env.rootfs, "sh", "-c", "echo ready; exec sleep 1000"), filepath.Join(s.root, "run"))
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{c.id, "sh", "-c", "exit 7"}, 7, ""},
		{[]string{c.id, "sh", "-c", "kill -9 $$"}, 128 + 9, ""},
		{[]string{c.id, "nosuch"}, 127, "gun: nosuch: executable file not found in $PATH\n"},
		{[]string{c.id, "/etc/passwd"}, 126, "gun: start /etc/passwd: permission denied\n"},
		{[]string{"-w", "/nonexistent", c.id, "true"}, 126, "gun: start true: working directory /nonexistent: no such file or directory\n"},
		{[]string{c.id[:4], "true"}, 0, ""},
		{[]string{"0123456789abcdef", "true"}, 125, "gun: container 0123456789abcdef: no such container\n"},
	} {
		r := s.run(t, nil, append([]string{"exec"}, tc.args...)...)
		if r.code != tc.code || r.stderr != tc.stderr {
			t.Errorf("gun exec %q: exit %d, stderr %q; want %d, %q", tc.args, r.code, r.stderr, tc.code, tc.stderr)
		}
	}
	c.stop()
	if r := s.run(t, nil, "exec", c.id, "true"); r.code != 125 || r.stderr != "gun: container "+c.id+": no such container\n" {
		t.Errorf("exec into a stopped container: %+v", r)
	}
}

func TestExecSignalsForwarded(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	c := startContainer(t, s.cmd("run", env.rootfs, "sh", "-c", "echo ready; exec sleep 1000"), filepath.Join(s.root, "run"))
	e := s.cmd("exec", c.id, "sh", "-c", `trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done`)
	code := runUntilReady(t, e, func(p *os.Process) {
		if err := p.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	})
	if code != 42 {
		t.Errorf("exit code %d, want 42", code)
	}
	// The container lives on.
	if r := s.run(t, nil, "exec", c.id, "true"); r.code != 0 {
		t.Errorf("exec after the signalled one: %+v", r)
	}
}

func TestExecTTY(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	c := startContainer(t, s.cmd("run", env.rootfs, "sh", "-c", "echo ready; exec sleep 1000"), filepath.Join(s.root, "run"))
	master, slave := openPTY(t)
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 33, Col: 77}); err != nil {
		t.Fatal(err)
	}
	e := s.cmd("exec", "-i", "-t", c.id, "sh", "-c", `tty; stty size; echo $TERM; stat -c %u /proc/self/fd/0; test -t 0 && echo terminal`)
	e.Stdin, e.Stdout, e.Stderr = slave, slave, slave
	e.SysProcAttr.Setsid, e.SysProcAttr.Setctty, e.SysProcAttr.Ctty = true, true, 0
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&out, master); close(copied) }()
	waited := make(chan error, 1)
	go func() { waited <- e.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("gun exec -t: %v", err)
		}
	case <-time.After(20 * time.Second):
		_ = e.Process.Kill()
		t.Fatal("gun exec -t did not exit")
	}
	slave.Close()
	select {
	case <-copied:
	case <-time.After(time.Second): // the master stays readable while the test holds it
	}
	got := strings.ReplaceAll(out.String(), "\r", "")
	if want := "/dev/pts/0\n33 77\nxterm\n0\nterminal\n"; got != want {
		t.Errorf("exec -t: %q, want %q", got, want)
	}
}

func TestExecJoinsTheCgroup(t *testing.T) {
	rootfs := requireRoot(t)
	root := t.TempDir()
	c := exec.Command(env.gun, "run", "--pids-limit", "50", rootfs, "sh", "-c", "echo ready; exec sleep 1000")
	c.Env = []string{"GUN_ROOT=" + root, "HOME=" + root, "GUN_USERNS_IDLE=" + testIdle.String()}
	r := startContainer(t, c, filepath.Join(root, "run"))
	res := rootRun(t, root, "exec", r.id, "sh", "-c", "cat /proc/self/cgroup; echo ---; cat /proc/2/cgroup")
	self, cmd, _ := strings.Cut(res.stdout, "---\n")
	if res.code != 0 || self != cmd || !strings.Contains(self, ":pids:/\n") {
		t.Errorf("the exec's cgroups, then the command's: %+v", res)
	}
}

// TestExecProcessOptions runs runtime.Exec itself (as root, with a
// container of root's: the test process is the caller) with what gun exec
// does not set: no no_new_privs (the seccomp filter is then loaded before
// the user is taken) and extra groups.
func TestExecProcessOptions(t *testing.T) {
	rootfs := requireRoot(t)
	root := t.TempDir()
	c := exec.Command(env.gun, "run", rootfs, "sh", "-c", "echo ready; exec sleep 1000")
	c.Env = []string{"GUN_ROOT=" + root, "HOME=" + root, "GUN_USERNS_IDLE=" + testIdle.String()}
	r := startContainer(t, c, filepath.Join(root, "run"))
	ctr, err := runtime.LoadContainer(filepath.Join(root, "run", r.id))
	if err != nil {
		t.Fatal(err)
	}
	init, err := ctr.OpenInit()
	if err != nil {
		t.Fatal(err)
	}
	defer init.Close()
	var out, errb bytes.Buffer
	code, err := runtime.Exec(context.Background(), init, runtime.Process{
		Args: []string{"sh", "-c", "id -G; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status"},
		User: "app", Groups: []uint32{27, 50}, Caps: ctr.Caps, Seccomp: ctr.Seccomp,
		Stdout: &out, Stderr: &errb,
	})
	if want := "1000 27 50\nNoNewPrivs:\t0\nSeccomp:\t2\n"; err != nil || code != 0 || out.String() != want {
		t.Errorf("exec: %d, %v, %q (stderr %q), want %q", code, err, out.String(), errb.String(), want)
	}
	// A later process with the init's pid is not the container's init.
	later := *ctr
	later.Init.Start++
	if _, err := later.OpenInit(); err == nil {
		t.Error("OpenInit took a process that started after the container's init")
	}
}
