package exec_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// The tests of detached containers: gun run -d and the commands of
// containers, as the test user, in a store of their own (whose containers'
// state is <store>/containers: the tests set no XDG_RUNTIME_DIR).

var containerID = regexp.MustCompile(`^[0-9a-f]{64}\n$`)

// record is what gun ps --format json says of a container.
type record struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Status     string   `json:"status"`
	ExitCode   int      `json:"exit_code"`
	Unknown    bool     `json:"unknown"`
	MonitorPid int      `json:"monitor_pid"`
	InitPid    int      `json:"init_pid"`
	Ports      []string `json:"ports"`
}

// detach runs gun run -d with args and returns the container's id.
func (p *project) detach(args ...string) string {
	p.t.Helper()
	r := p.gun(append([]string{"run", "-d"}, args...)...)
	if r.code != 0 || !containerID.MatchString(r.stdout) {
		p.t.Fatalf("gun run -d %q: exit %d, stdout %q, stderr %q", args, r.code, r.stdout, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// ps returns gun ps [-a]'s records.
func (p *project) ps(all bool) []record {
	p.t.Helper()
	args := []string{"ps", "--format", "json"}
	if all {
		args = append(args, "-a")
	}
	r := p.gun(args...)
	var recs []record
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &recs) != nil {
		p.t.Fatalf("gun ps: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	return recs
}

// find returns the record of name from recs.
func find(recs []record, name string) (record, bool) {
	for _, r := range recs {
		if r.Name == name {
			return r, true
		}
	}
	return record{}, false
}

// waitLog waits until gun logs name shows want, for 30 seconds at most.
func (p *project) waitLog(name, want string) {
	p.t.Helper()
	var r result
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if r = p.gun("logs", name); strings.Contains(r.stdout+r.stderr, want) {
			return
		}
	}
	p.t.Fatalf("gun logs %s: no %q in stdout %q, stderr %q", name, want, r.stdout, r.stderr)
}

// cleanContainers removes every container and checks that nothing of
// them is left: no state, no scratch directory, no process.
// killMonitor kills the monitor of the running container name with SIGKILL,
// waits until it is gone (kill's gone), and returns the container's record
// from before.
func (p *project) killMonitor(t *testing.T, name string) record {
	t.Helper()
	rec, _ := find(p.ps(false), name)
	if rec.MonitorPid == 0 || !alive(rec.MonitorPid) || !alive(rec.InitPid) {
		t.Fatalf("record %+v: no live monitor and init", rec)
	}
	if !kill(t, rec.MonitorPid)() {
		t.Fatalf("the monitor %d killed: not gone after 10 s", rec.MonitorPid)
	}
	return rec
}

// kill sends process pid SIGKILL and returns a function that waits, for 10
// seconds at most, until the process has exited entirely and the kernel has
// released its locks, and reports whether it has. alive is false as soon as
// a process is a zombie, which a killed Go process's first thread is while
// its other threads still exit, holding its files and with them its locks
// (a monitor's container lock, which gun ps reads).
func kill(t *testing.T, pid int) (gone func() bool) {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if err == nil {
		err = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
	if err != nil && err != unix.ESRCH { // ESRCH: gone already
		t.Fatalf("kill %d: %v", pid, err)
	}
	return func() bool {
		deadline := time.Now().Add(10 * time.Second)
		if fd >= 0 {
			defer unix.Close(fd)
		}
		for fd >= 0 {
			// Readable once every thread has exited.
			n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(time.Until(deadline)/time.Millisecond)+1)
			if n > 0 {
				break
			}
			if (err != nil && err != unix.EINTR) || time.Now().After(deadline) {
				return false
			}
		}
		for holdsLocks(pid) {
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(time.Millisecond)
		}
		return true
	}
}

// holdsLocks reports whether /proc/locks lists a lock of process pid.
func holdsLocks(pid int) bool {
	b, _ := os.ReadFile("/proc/locks")
	for line := range strings.Lines(string(b)) {
		// "1: FLOCK  ADVISORY  WRITE PID ...", or "1: -> FLOCK ..." for a waiter.
		f := strings.Fields(line)
		if len(f) > 1 && f[1] == "->" {
			f = f[1:]
		}
		if len(f) > 4 && f[4] == strconv.Itoa(pid) {
			return true
		}
	}
	return false
}

// contestName starts six detached containers named name at once: exactly
// one wins the name, and each other says why it lost.
func (p *project) contestName(t *testing.T, name string) {
	t.Helper()
	results := make([]result, 6)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = p.gun("run", "-d", "--name", name, env.busybox, "sleep", "1000") })
	}
	wg.Wait()
	won := 0
	for _, r := range results {
		switch {
		case r.code == 0:
			won++
		case r.code != 125 || !strings.Contains(r.stderr, fmt.Sprintf("container name %q is in use by container", name)):
			t.Errorf("a losing claim: exit %d, %q", r.code, r.stderr)
		}
	}
	if won != 1 {
		t.Errorf("%d gun processes won the name", won)
	}
}

func (p *project) cleanContainers() {
	p.t.Helper()
	for _, rec := range p.ps(true) {
		if r := p.gun("rm", "-f", rec.ID); r.code != 0 {
			p.t.Errorf("gun rm -f %s: exit %d, %s", rec.Name, r.code, r.stderr)
		}
	}
	if r := p.gun("prune"); r.code != 0 {
		p.t.Errorf("gun prune: exit %d, %s", r.code, r.stderr)
	}
	if left := p.ps(true); len(left) != 0 {
		p.t.Errorf("containers left: %+v", left)
	}
	if runs, _ := os.ReadDir(filepath.Join(p.root, "run")); len(runs) != 0 {
		p.t.Errorf("scratch directories left: %d", len(runs))
	}
	if m := monitors(p.root); len(m) != 0 {
		p.t.Errorf("monitors left: %v", m)
	}
}

// monitors returns the pids of the live monitors of store root's
// containers.
func monitors(root string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, f := range procs {
		b, err := os.ReadFile(f)
		if err != nil || string(b) != "gun:monitor\n" {
			continue
		}
		env, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "environ"))
		if bytes.Contains(env, []byte("GUN_ROOT="+root+"\x00")) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			pids = append(pids, pid)
		}
	}
	return pids
}

// alive reports whether process pid exists (and is not a zombie).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && len(b) > i+2 && b[i+2] != 'Z'
}

// TestDetachedServer: a busybox httpd run with -d and -p serves on the
// host's loopback; ps, logs, stop and rm work on it, and nothing of it is
// left.
func TestDetachedServer(t *testing.T) {
	needPasta(t)
	p := newProject(t, nil)
	port := freePort(t, "tcp")
	if recs := p.ps(true); len(recs) != 0 {
		t.Fatalf("containers before: %+v", recs)
	}
	id := p.detach("--name", "web", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), env.busybox,
		"sh", "-c", "mkdir /www; echo served > /www/index.html; echo up; exec httpd -f -vv -p 80 -h /www")
	if got := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "served\n" {
		t.Errorf("page: %q", got)
	}
	rec, ok := find(p.ps(false), "web")
	if !ok || rec.ID != id || rec.Status != "running" || len(rec.Ports) != 1 || rec.Ports[0] != fmt.Sprintf("127.0.0.1:%d->80/tcp", port) {
		t.Errorf("ps: %+v", p.ps(true))
	}
	if r := p.gun("ps"); !strings.Contains(r.stdout, id[:12]) || !strings.Contains(r.stdout, " Up ") || !strings.Contains(r.stdout, "web") {
		t.Errorf("gun ps:\n%s", r.stdout)
	}
	// The page's request is in httpd's log (its stderr), the echo in stdout.
	p.waitLog("web", "response:200")
	if r := p.gun("logs", "web"); r.stdout != "up\n" || !strings.Contains(r.stderr, "127.0.0.1]:") {
		t.Errorf("gun logs: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	// gun exec finds it by name.
	if r := p.gun("exec", "web", "cat", "/www/index.html"); r.code != 0 || r.stdout != "served\n" {
		t.Errorf("gun exec web: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if r := p.gun("inspect", id[:8]); r.code != 0 || !strings.Contains(r.stdout, `"name": "web"`) {
		t.Errorf("gun inspect: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	// httpd ends on SIGTERM: stopped by it, well within the timeout.
	if r := p.gun("stop", "-t", "30", "web"); r.code != 0 || r.stdout != "web\n" {
		t.Fatalf("gun stop: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if _, ok := find(p.ps(false), "web"); ok {
		t.Errorf("ps lists a stopped container")
	}
	if rec, ok := find(p.ps(true), "web"); !ok || rec.Status != "exited" || rec.ExitCode != 143 || rec.Unknown {
		t.Errorf("ps -a after stop: %+v (want exited by SIGTERM: 143)", rec)
	}
	if r := p.gun("ps", "-a"); !strings.Contains(r.stdout, "Exited (143)") {
		t.Errorf("gun ps -a:\n%s", r.stdout)
	}
	if left := pastas(p.root); len(left) != 0 {
		t.Errorf("pasta left after stop: %q", left)
	}
	portFree(t, port)
	if r := p.gun("rm", "web"); r.code != 0 {
		t.Fatalf("gun rm: exit %d, %s", r.code, r.stderr)
	}
	if recs := p.ps(true); len(recs) != 0 {
		t.Errorf("containers after rm: %+v", recs)
	}
	if r := p.gun("logs", "web"); r.code == 0 || !strings.Contains(r.stderr, "no such container: web") {
		t.Errorf("logs of a removed container: exit %d, %q", r.code, r.stderr)
	}
	p.cleanContainers()
}

// TestDetachedLogs: logs -f follows the output to the container's end,
// --tail and --timestamps.
func TestDetachedLogs(t *testing.T) {
	p := newProject(t, nil)
	p.detach("--name", "talk", env.busybox, "sh", "-c",
		`echo ready; sleep 2; for i in 1 2 3 4 5; do echo line $i; echo warn $i >&2; sleep 0.2; done; printf end`)
	p.waitLog("talk", "ready")
	c := asUser(exec.Command(env.gun, "logs", "-f", "talk"))
	c.Env = []string{"PATH=/usr/bin:/bin", "GUN_ROOT=" + p.root, holderIdle}
	var out, errb syncBuffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("gun logs -f ended while the container runs: %v", err)
	case <-time.After(time.Second): // the container sleeps 2 s, then prints for 1 s
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("gun logs -f: %v, %s", err, errb.String())
		}
	case <-time.After(30 * time.Second):
		c.Process.Kill()
		t.Fatal("gun logs -f did not end with the container")
	}
	if want := "ready\nline 1\nline 2\nline 3\nline 4\nline 5\nend"; out.String() != want {
		t.Errorf("logs -f stdout %q, want %q", out.String(), want)
	}
	if want := "warn 1\nwarn 2\nwarn 3\nwarn 4\nwarn 5\n"; errb.String() != want {
		t.Errorf("logs -f stderr %q, want %q", errb.String(), want)
	}
	if r := p.gun("logs", "--tail", "2", "talk"); r.stdout != "line 5\nend" {
		t.Errorf("--tail 2: %q", r.stdout)
	}
	stamped := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 5\n\d{4}-[^ ]+ end$`)
	if r := p.gun("logs", "-n", "2", "--timestamps", "talk"); !stamped.MatchString(r.stdout) {
		t.Errorf("--timestamps: %q", r.stdout)
	}
	if rec, _ := find(p.ps(true), "talk"); rec.Status != "exited" || rec.ExitCode != 0 {
		t.Errorf("after the end: %+v", rec)
	}
	p.cleanContainers()
}

// TestStopKill: stop sends SIGKILL after the timeout to a command that
// ignores SIGTERM; kill sends a signal, SIGKILL by default; wait prints the
// exit code.
func TestStopKill(t *testing.T) {
	p := newProject(t, nil)
	p.detach("--name", "stubborn", env.busybox, "sh", "-c", `trap "" TERM; trap "echo got USR1" USR1; echo ready; while :; do sleep 0.1; done`)
	p.waitLog("stubborn", "ready")
	if r := p.gun("kill", "-s", "USR1", "stubborn"); r.code != 0 {
		t.Fatalf("gun kill -s USR1: exit %d, %s", r.code, r.stderr)
	}
	p.waitLog("stubborn", "got USR1")
	start := time.Now()
	if r := p.gun("stop", "-t", "1", "stubborn"); r.code != 0 {
		t.Fatalf("gun stop: exit %d, %s", r.code, r.stderr)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("stop took %v: it did not wait for the timeout", took)
	}
	if r := p.gun("wait", "stubborn"); r.stdout != "137\n" {
		t.Errorf("gun wait after stop: %q (want SIGKILL's 137), %s", r.stdout, r.stderr)
	}
	p.detach("--name", "victim", env.busybox, "sleep", "1000")
	if r := p.gun("kill", "victim"); r.code != 0 {
		t.Fatalf("gun kill: exit %d, %s", r.code, r.stderr)
	}
	if r := p.gun("wait", "victim"); r.stdout != "137\n" {
		t.Errorf("gun wait after kill: %q", r.stdout)
	}
	if r := p.gun("kill", "victim"); r.code == 0 || !strings.Contains(r.stderr, "not running") {
		t.Errorf("kill of an exited container: exit %d, %q", r.code, r.stderr)
	}
	if r := p.gun("kill", "-s", "NOPE", "victim"); r.code != 2 || !strings.Contains(r.stderr, `unknown signal "NOPE"`) {
		t.Errorf("kill -s NOPE: exit %d, %q", r.code, r.stderr)
	}
	// rm refuses a running container, rm -f kills it.
	p.detach("--name", "busy", env.busybox, "sleep", "1000")
	if r := p.gun("rm", "busy"); r.code == 0 || !strings.Contains(r.stderr, "container busy is running: stop it first, or use rm -f") {
		t.Errorf("rm of a running container: exit %d, %q", r.code, r.stderr)
	}
	if r := p.gun("rm", "-f", "busy"); r.code != 0 {
		t.Errorf("rm -f: exit %d, %q", r.code, r.stderr)
	}
	if _, ok := find(p.ps(true), "busy"); ok {
		t.Error("rm -f left the container")
	}
	p.cleanContainers()
}

// TestDetachedRm: with --rm the container goes when it exits; wait still
// learns its exit code. A start that fails says why with gun run's exit
// code and leaves nothing.
func TestDetachedRm(t *testing.T) {
	p := newProject(t, nil)
	p.detach(append([]string{"--rm", "--name", "brief", env.busybox}, untilGo(3)...)...)
	if _, ok := find(p.ps(false), "brief"); !ok {
		t.Errorf("ps lacks the running container: %+v", p.ps(true))
	}
	if got := p.releaseAndWait("brief"); got != "3\n" {
		t.Errorf("gun wait brief: %q, want 3", got)
	}
	if recs := p.ps(true); len(recs) != 0 {
		t.Errorf("--rm left %+v", recs)
	}
	r := p.gun("run", "-d", env.busybox, "/nonexistent")
	if r.code != 127 || r.stdout != "" || !strings.Contains(r.stderr, "/nonexistent") {
		t.Errorf("a command not found: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := p.gun("run", "-d", "--name", "Bad/Name", env.busybox, "true"); r.code != 125 || !strings.Contains(r.stderr, `invalid container name "Bad/Name"`) {
		t.Errorf("a bad name: exit %d, %q", r.code, r.stderr)
	}
	if recs := p.ps(true); len(recs) != 0 {
		t.Errorf("failed starts left %+v", recs)
	}
	// A global option before run: gun reads the command line and executes
	// itself again as the constructor reads it.
	if r := p.gun(append([]string{"--root", p.root, "run", "--rm", "-d", "--name", "global", env.busybox}, untilGo(5)...)...); r.code != 0 || !containerID.MatchString(r.stdout) {
		t.Errorf("gun --root R run -d: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if got := p.releaseAndWait("global"); got != "5\n" {
		t.Errorf("gun wait global: %q, want 5", got)
	}
	// The monitor keeps none of the caller's descriptors: a pipe passed to
	// gun run -d ends with it, while the container runs.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := asUser(exec.Command(env.gun, "run", "-d", "--name", "fds", env.busybox, "sleep", "1000"))
	c.Env = []string{"PATH=/usr/bin:/bin", "GUN_ROOT=" + p.root, holderIdle}
	c.ExtraFiles = []*os.File{pw}
	if out, err := c.Output(); err != nil || !containerID.Match(out) {
		t.Fatalf("gun run -d: %v, %q", err, out)
	}
	pw.Close()
	ended := make(chan struct{})
	go func() { _, _ = pr.Read(make([]byte, 1)); close(ended) }()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Error("the monitor holds a descriptor gun run -d was given")
	}
	pr.Close()
	// Without -i, the command's stdin is /dev/null.
	p.detach("--name", "nostdin", env.busybox, "readlink", "/proc/self/fd/0")
	if r := p.gun("wait", "nostdin"); r.stdout != "0\n" {
		t.Errorf("gun wait: %q, %q", r.stdout, r.stderr)
	}
	if r := p.gun("logs", "nostdin"); r.stdout != "/dev/null\n" {
		t.Errorf("the command's stdin: %q, %q", r.stdout, r.stderr)
	}
	// -d -i: the command's stdin stays open, so that a shell waits.
	p.detach("-i", "--name", "shell", env.busybox, "sh")
	time.Sleep(500 * time.Millisecond)
	if rec, _ := find(p.ps(false), "shell"); rec.Status != "running" {
		t.Errorf("a shell run with -d -i: %+v", p.ps(true))
	}
	p.cleanContainers()
}

// TestForegroundName: a foreground run with --name is a container while
// it runs, and goes with it.
func TestForegroundName(t *testing.T) {
	p := newProject(t, nil)
	var out syncBuffer
	gun, exited := p.start(&out, "run", "--name", "fg", env.busybox, "sh", "-c", "echo hello >&2; sleep 1000")
	// The command may write before gun has recorded it running.
	var rec record
	ok := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if rec, ok = find(p.ps(false), "fg"); ok && rec.Status == "running" && strings.Contains(out.String(), "hello") {
			break
		}
	}
	if !ok || rec.Status != "running" || rec.MonitorPid != gun.Process.Pid {
		t.Fatalf("ps: %+v (gun is %d)", p.ps(true), gun.Process.Pid)
	}
	if r := p.gun("run", "-d", "--name", "fg", env.busybox, "true"); r.code != 125 || !strings.Contains(r.stderr, `container name "fg" is in use`) {
		t.Errorf("a second fg: exit %d, %q", r.code, r.stderr)
	}
	if r := p.gun("logs", "fg"); r.code == 0 || !strings.Contains(r.stderr, "runs in the foreground") {
		t.Errorf("logs of a foreground container: exit %d, %q", r.code, r.stderr)
	}
	if r := p.gun("stop", "fg"); r.code != 0 {
		t.Errorf("stop: exit %d, %q", r.code, r.stderr)
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatal("gun did not exit")
	}
	if recs := p.ps(true); len(recs) != 0 {
		t.Errorf("after the run: %+v", recs)
	}
	p.cleanContainers()
}

// TestPruneKeepsImagesInUse: gun prune keeps the unnamed image (an
// imported archive) that a container left by it runs, as docker's image
// prune does, and removes it once the container is gone.
func TestPruneKeepsImagesInUse(t *testing.T) {
	need(t, "test environment", env.err)
	p := newProject(t, nil)
	p.detach("--name", "user", env.busybox, "sleep", "1000")
	ids := func() string { return p.gun("images", "-q").stdout }
	before := ids()
	if !regexp.MustCompile(`^[0-9a-f]{12}\n$`).MatchString(before) {
		t.Fatalf("gun images -q after gun run -d of an archive: %q", before)
	}
	if r := p.gun("prune"); r.code != 0 || !strings.HasPrefix(r.stdout, "removed 0 images without a name, 0 blobs") {
		t.Errorf("gun prune with the container running: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if after := ids(); after != before {
		t.Errorf("gun images -q: %q after gun prune, %q before", after, before)
	}
	if r := p.gun("exec", "user", "/bin/echo", "still"); r.code != 0 || r.stdout != "still\n" {
		t.Errorf("gun exec after prune: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if r := p.gun("rm", "-f", "user"); r.code != 0 {
		t.Fatalf("gun rm -f: exit %d, %s", r.code, r.stderr)
	}
	if r := p.gun("prune"); r.code != 0 || !strings.HasPrefix(r.stdout, "removed 1 images without a name") {
		t.Errorf("gun prune after the container: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if after := ids(); after != "" {
		t.Errorf("gun images -q after the container and prune: %q", after)
	}
	p.cleanContainers()
}

// TestMonitorKilled: a container whose monitor was killed is exited, code
// unknown, in ps at once, and prune cleans all it left; so does killing
// gun run -d or the monitor while it starts.
func TestMonitorKilled(t *testing.T) {
	needPasta(t)
	p := newProject(t, nil)
	port := freePort(t, "tcp")
	p.detach("--name", "doomed", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), env.busybox, "httpd", "-f", "-p", "80")
	rec := p.killMonitor(t, "doomed")
	start := time.Now()
	got, _ := find(p.ps(true), "doomed")
	if got.Status != "exited" || !got.Unknown || got.ExitCode != -1 {
		t.Errorf("after the monitor's SIGKILL: %+v", got)
	}
	if r := p.gun("ps", "-a"); !strings.Contains(r.stdout, "Exited (unknown)") {
		t.Errorf("gun ps -a:\n%s", r.stdout)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("ps took %v", took)
	}
	if r := p.gun("wait", "doomed"); r.stdout != "-1\n" {
		t.Errorf("gun wait: %q, %q", r.stdout, r.stderr)
	}
	// The container died with its monitor (the relay's parent-death
	// signal); its network is prune's.
	for deadline := time.Now().Add(10 * time.Second); alive(rec.InitPid) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if alive(rec.InitPid) {
		t.Errorf("the init outlived its monitor")
	}
	if r := p.gun("prune"); r.code != 0 || !strings.Contains(r.stdout, " 1 containers\n") {
		t.Errorf("gun prune: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	if left := pastas(p.root); len(left) != 0 {
		t.Errorf("pasta left after prune: %q", left)
	}
	portFree(t, port)

	// gun run -d killed at moments of its start: the container either
	// runs, as ps says, or ps reports it exited, or there is none.
	for _, delay := range []time.Duration{0, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond} {
		c := asUser(exec.Command(env.gun, "run", "-d", env.busybox, "sleep", "1000"))
		c.Env = []string{"PATH=/usr/bin:/bin", "GUN_ROOT=" + p.root, holderIdle}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		c.Process.Kill()
		c.Wait()
	}
	// And monitors killed as soon as they are seen, before they report.
	var killed []func() bool
	for i := 0; i < 3; i++ {
		c := asUser(exec.Command(env.gun, "run", "-d", env.busybox, "sleep", "1000"))
		c.Env = []string{"PATH=/usr/bin:/bin", "GUN_ROOT=" + p.root, holderIdle}
		var errb bytes.Buffer
		c.Stderr = &errb
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			if m := monitors(p.root); len(m) > 0 {
				for _, pid := range m {
					killed = append(killed, kill(t, pid))
				}
				break
			}
		}
		err := c.Wait()
		if err != nil && !strings.Contains(errb.String(), "monitor exited before the container started") {
			t.Errorf("gun run -d whose monitor was killed: %v, %q", err, errb.String())
		}
	}
	for _, gone := range killed {
		if !gone() {
			t.Fatal("a monitor killed: not gone after 10 s")
		}
	}
	for _, rec := range p.ps(true) {
		live := rec.MonitorPid != 0 && alive(rec.MonitorPid) && alive(rec.InitPid)
		if (rec.Status == "running") != live || (rec.Status == "exited" && !rec.Unknown) {
			t.Errorf("ps says %+v; monitor alive %v", rec, live)
		}
	}
	p.cleanContainers()
}

// TestManyDetached: 20 containers started at once get distinct ids and
// names; of gun processes racing on one name, one wins.
func TestManyDetached(t *testing.T) {
	p := newProject(t, nil)
	var wg sync.WaitGroup
	results := make([]result, 20)
	for i := range results {
		wg.Go(func() { results[i] = p.gun("run", "-d", env.busybox, "sleep", "1000") })
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, r := range results {
		if r.code != 0 || !containerID.MatchString(r.stdout) {
			t.Errorf("gun run -d: exit %d, %q, %q", r.code, r.stdout, r.stderr)
		}
		ids[r.stdout] = true
	}
	recs := p.ps(false)
	names := map[string]bool{}
	for _, rec := range recs {
		names[rec.Name] = true
		if rec.Status != "running" {
			t.Errorf("not running: %+v", rec)
		}
	}
	if len(ids) != 20 || len(recs) != 20 || len(names) != 20 {
		t.Errorf("%d ids, %d containers, %d names", len(ids), len(recs), len(names))
	}

	p.contestName(t, "contested")
	p.cleanContainers()
}

// TestAttach: gun attach prints what the container writes from then on
// and exits with its exit code.
func TestAttach(t *testing.T) {
	p := newProject(t, nil)
	p.detach("--name", "late", env.busybox, "sh", "-c", "echo early; sleep 2; echo late; echo oops >&2; exit 4")
	p.waitLog("late", "early")
	r := p.gun("attach", "late")
	if r.code != 4 || r.stdout != "late\n" || r.stderr != "oops\n" {
		t.Errorf("gun attach: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := p.gun("attach", "late"); r.code == 0 || !strings.Contains(r.stderr, "not a running detached container") {
		t.Errorf("attach to an exited container: exit %d, %q", r.code, r.stderr)
	}
	p.cleanContainers()
}

// attachment is a gun attach that a test writes to and reads from.
type attachment struct {
	t    *testing.T
	in   io.WriteCloser
	out  syncBuffer // stdout and stderr
	done chan struct{}
	code int
}

// attach starts gun attach with args, its stdin a pipe.
func (p *project) attach(args ...string) *attachment {
	p.t.Helper()
	a := &attachment{t: p.t, done: make(chan struct{})}
	c := asUser(exec.Command(env.gun, append([]string{"attach"}, args...)...))
	c.Env = []string{"PATH=/usr/bin:/bin", "GUN_ROOT=" + p.root, holderIdle}
	c.Stdout, c.Stderr = &a.out, &a.out
	var err error
	if a.in, err = c.StdinPipe(); err != nil {
		p.t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() {
		_ = c.Wait()
		a.code = c.ProcessState.ExitCode()
		close(a.done)
	}()
	p.t.Cleanup(func() { _ = c.Process.Kill(); <-a.done })
	return a
}

func (a *attachment) send(s string) {
	a.t.Helper()
	if _, err := io.WriteString(a.in, s); err != nil {
		a.t.Fatal(err)
	}
}

// waitFor waits until the output holds want, for 30 seconds at most.
func (a *attachment) waitFor(want string) {
	a.t.Helper()
	if !waitOutput(&a.out, want) {
		a.t.Fatalf("gun attach: no %q in %q", want, a.out.String())
	}
}

// waitOutput waits until b holds want, for 30 seconds at most.
func waitOutput(b *syncBuffer, want string) bool { return waitOutputFor(b, want, 30*time.Second) }

// waitOutputFor waits until b holds want, for d at most.
func waitOutputFor(b *syncBuffer, want string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(b.String(), want) {
			return true
		}
	}
	return false
}

// end waits for gun attach to exit and returns its exit code.
func (a *attachment) end() int {
	a.t.Helper()
	select {
	case <-a.done:
		return a.code
	case <-time.After(30 * time.Second):
		a.t.Fatalf("gun attach did not exit; output %q", a.out.String())
		return -1
	}
}

// TestAttachInput: gun attach passes its stdin to a container run with -i
// and the output comes back; the detach keys (ctrl-p ctrl-q, or
// --detach-keys) leave the container running. With -t, a shell gets the
// local terminal's input and window size.
func TestAttachInput(t *testing.T) {
	p := newProject(t, nil)
	p.detach("-i", "--name", "cat", env.busybox, "cat")
	a := p.attach("cat")
	a.send("hello\n")
	a.waitFor("hello\n")
	a.send("\x10\x11")
	if code := a.end(); code != 0 {
		t.Errorf("gun attach after ctrl-p ctrl-q: exit %d, %q", code, a.out.String())
	}
	if rec, _ := find(p.ps(false), "cat"); rec.Status != "running" {
		t.Fatalf("after detaching: %+v", p.ps(true))
	}
	// The end of attach's input is not the end of the container's.
	a = p.attach("--detach-keys", "ctrl-x,x", "cat")
	a.send("again\n")
	a.waitFor("again\n")
	a.in.Close()
	time.Sleep(200 * time.Millisecond)
	b := p.attach("--detach-keys", "ctrl-x,x", "cat")
	b.send("third\n")
	b.waitFor("third\n")
	a.waitFor("third\n") // still attached, its output too
	b.send("\x18x")
	if code := b.end(); code != 0 || strings.Contains(b.out.String(), "x") {
		t.Errorf("gun attach --detach-keys: exit %d, %q", code, b.out.String())
	}
	// --no-stdin passes nothing; attach ends with the container, with its
	// exit code (cat's SIGTERM).
	c := p.attach("--no-stdin", "cat")
	c.send("ignored\n")
	// c is attached once it shows what another attach sends.
	for i := 0; !strings.Contains(c.out.String(), "marker\n"); i++ {
		if i == 10 {
			t.Fatalf("gun attach --no-stdin does not follow the output: %q", c.out.String())
		}
		m := p.attach("cat")
		m.send("marker\n")
		m.waitFor("marker\n")
		m.send("\x10\x11")
		m.end()
		waitOutputFor(&c.out, "marker\n", 2*time.Second)
	}
	if r := p.gun("stop", "cat"); r.code != 0 {
		t.Fatalf("gun stop: exit %d, %s", r.code, r.stderr)
	}
	for _, at := range []*attachment{a, c} {
		if code := at.end(); code != 143 || strings.Contains(at.out.String(), "ignored") {
			t.Errorf("gun attach to a stopped container: exit %d, %q", code, at.out.String())
		}
	}

	// -it: attach on a terminal, in raw mode, its window size followed.
	p.detach("-it", "--name", "sh", env.busybox, "sh")
	master, slave := env.user.OpenPTY(t)
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 33, Col: 77}); err != nil {
		t.Fatal(err)
	}
	cmd := asUser(exec.Command(env.gun, "attach", "sh"))
	cmd.Env = []string{"PATH=/usr/bin:/bin", "GUN_ROOT=" + p.root, holderIdle}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// The terminal is attach's controlling terminal: a resize signals it.
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid, cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = true, true, 0
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var out syncBuffer
	go func() { _, _ = io.Copy(&out, master) }()
	sizeIs := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if _, err := master.Write([]byte("echo size $(stty size)\r")); err != nil {
				t.Fatal(err)
			}
			if waitOutputFor(&out, "size "+want, 200*time.Millisecond) {
				return
			}
		}
		t.Fatalf("no size %s in %q", want, out.String())
	}
	sizeIs("33 77")
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 20, Col: 50}); err != nil {
		t.Fatal(err)
	}
	sizeIs("20 50")
	if _, err := master.Write([]byte("\x10\x11")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("gun attach -t after ctrl-p ctrl-q: %v, %q", err, out.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("gun attach -t did not detach: %q", out.String())
	}
	if rec, _ := find(p.ps(false), "sh"); rec.Status != "running" {
		t.Errorf("the shell after detaching: %+v", p.ps(true))
	}
	p.cleanContainers()
}

// releaseAndWait lets a container run by p.detach with the command
// untilGo end and returns what gun wait prints for it: a gun wait is
// started and has found the container (it opened its lock) before the test
// creates /go in the container, so that a container run with --rm cannot
// be gone before the wait finds it.
func (p *project) releaseAndWait(name string) string {
	p.t.Helper()
	var out, errb bytes.Buffer
	wait := p.command("wait", name)
	wait.Stdout, wait.Stderr = &out, &errb
	if err := wait.Start(); err != nil {
		p.t.Fatal(err)
	}
	fds := fmt.Sprintf("/proc/%d/fd", wait.Process.Pid)
	found := false
	for deadline := time.Now().Add(30 * time.Second); !found && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ents, err := os.ReadDir(fds)
		if err != nil {
			p.t.Fatalf("gun wait %s: %v, %q", name, err, errb.String())
		}
		for _, e := range ents {
			if l, _ := os.Readlink(filepath.Join(fds, e.Name())); filepath.Base(l) == "lock" {
				found = true
			}
		}
	}
	if !found {
		p.t.Fatalf("gun wait %s did not open the container's lock within 30 s", name)
	}
	if r := p.gun("exec", name, "touch", "/go"); r.code != 0 {
		p.t.Errorf("gun exec %s touch /go: exit %d, %q", name, r.code, r.stderr)
	}
	if err := wait.Wait(); err != nil {
		p.t.Errorf("gun wait %s: %v, %q", name, err, errb.String())
	}
	return out.String()
}

// untilGo is a command that runs until /go exists, then exits with code.
func untilGo(code int) []string {
	return []string{"sh", "-c", fmt.Sprintf("until [ -e /go ]; do sleep 0.05; done; exit %d", code)}
}

// runsWithoutGo reports whether gun run IMAGE true ran without Go, with
// GUN_PLAN_TRACE in p's environment.
func (p *project) runsWithoutGo() bool {
	p.t.Helper()
	r := p.gun("run", env.busybox, "true")
	if r.code != 0 {
		p.t.Fatalf("gun run: exit %d, %q", r.code, r.stderr)
	}
	return strings.Contains(r.stderr, "run without Go")
}

// planFast traces p's plans (GUN_PLAN_TRACE) and waits until the plan of
// gun run IMAGE has its fast section: gun run then runs without Go.
func (p *project) planFast() {
	p.t.Helper()
	p.env = append(p.env, "GUN_PLAN_TRACE=1")
	// A plan gets its fast section once its files are a second old.
	for deadline := time.Now().Add(30 * time.Second); !p.runsWithoutGo(); time.Sleep(300 * time.Millisecond) {
		if time.Now().After(deadline) {
			p.t.Fatal("gun run never ran without Go")
		}
	}
}

// TestDetachKeepsFastPlan: a detached run of a command line uses the plan
// of the same foreground run and leaves its fast section, so that the
// foreground run goes on running without Go.
func TestDetachKeepsFastPlan(t *testing.T) {
	p := newProject(t, nil)
	p.planFast()
	p.detach(append([]string{"--name", "d"}, env.busybox, "true")...)
	if r := p.gun("wait", "d"); r.stdout != "0\n" {
		t.Fatalf("gun wait d: %q, %q", r.stdout, r.stderr)
	}
	if !p.runsWithoutGo() {
		t.Error("after gun run -d of the same command, gun run no longer runs without Go")
	}
}

// TestDetachWithoutGo: a detached run whose plan is current is started
// and recorded by the constructor, without Go (its monitor's trace, in the
// container's log, says so), and keeps what a start through Go gives: the
// record (its name, command, image, stop signal), the logs, the exit code,
// --rm, a failed start's error, one winner of a name, a killed monitor's
// container shown exited, in the store or in XDG_RUNTIME_DIR.
func TestDetachWithoutGo(t *testing.T) {
	p := newProject(t, nil)
	p.planFast()
	// The monitor's trace goes to the log, once its Go copies it there.
	fast := func(name string) { t.Helper(); p.waitLog(name, "plan trace: started without Go") }
	id := p.detach("--name", "talk", env.busybox, "sh", "-c", "echo out; echo err >&2; exit 3")
	if r := p.gun("wait", "talk"); r.stdout != "3\n" {
		t.Errorf("gun wait talk: %q, %q", r.stdout, r.stderr)
	}
	fast("talk")
	if r := p.gun("logs", "talk"); r.stdout != "out\n" || !strings.Contains(r.stderr, "err\n") {
		t.Errorf("gun logs talk: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	var recs []map[string]any
	if r := p.gun("ps", "-a", "--format", "json"); json.Unmarshal([]byte(r.stdout), &recs) != nil || len(recs) != 1 {
		t.Fatalf("gun ps -a: %q, %q", r.stdout, r.stderr)
	}
	rec := recs[0]
	want := map[string]any{"id": id, "name": "talk", "image": env.busybox, "status": "exited", "exit_code": 3.0, "detached": true, "store": p.root}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("record's %s: %v, want %v", k, rec[k], v)
		}
	}
	if c, _ := json.Marshal(rec["command"]); string(c) != `["sh","-c","echo out; echo err \u003e\u00262; exit 3"]` {
		t.Errorf("record's command: %s", c)
	}
	if s, _ := rec["image_id"].(string); !strings.HasPrefix(s, "sha256:") {
		t.Errorf("record's image id: %v", rec["image_id"])
	}
	for _, k := range []string{"created", "started", "finished"} {
		if ts, _ := rec[k].(string); !strings.HasPrefix(ts, time.Now().UTC().Format("2006-01-02")) {
			t.Errorf("record's %s: %v", k, rec[k])
		}
	}

	// --rm, a generated name, stop.
	p.detach(append([]string{"--rm", "--name", "brief", env.busybox}, untilGo(5)...)...)
	fast("brief")
	if got := p.releaseAndWait("brief"); got != "5\n" {
		t.Errorf("gun wait brief: %q, want 5", got)
	}
	id = p.detach(env.busybox, "sleep", "1000")
	if rec, _ := find(p.ps(false), ""); rec.ID != "" {
		t.Errorf("a container without a name: %+v", rec)
	}
	for _, rec := range p.ps(false) {
		if rec.ID == id && !regexp.MustCompile(`^[a-z]+_[a-z]+[0-9]*$`).MatchString(rec.Name) {
			t.Errorf("generated name %q", rec.Name)
		}
	}
	if r := p.gun("stop", "-t", "30", id); r.code != 0 {
		t.Errorf("gun stop: exit %d, %q", r.code, r.stderr)
	}
	if r := p.gun("wait", id); r.stdout != "143\n" {
		t.Errorf("gun wait after stop: %q, %q", r.stdout, r.stderr)
	}

	// A command not found: gun run's error and exit code, nothing left.
	r := p.gun("run", "-d", "--name", "missing", env.busybox, "/nonexistent")
	if r.code != 127 || r.stdout != "" || !strings.Contains(r.stderr, "/nonexistent") {
		t.Errorf("a command not found: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if _, ok := find(p.ps(true), "missing"); ok {
		t.Error("a failed start left its container")
	}

	p.contestName(t, "contested")
	fast("contested")

	// Its monitor killed, the container is gone and shown exited.
	doomed := p.killMonitor(t, "contested")
	for deadline := time.Now().Add(10 * time.Second); alive(doomed.InitPid) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got, _ := find(p.ps(true), "contested"); got.Status != "exited" || !got.Unknown || alive(doomed.InitPid) {
		t.Errorf("after the monitor's SIGKILL: %+v, init alive %v", got, alive(doomed.InitPid))
	}
	p.cleanContainers()

	// The containers' state in XDG_RUNTIME_DIR.
	xdg := filepath.Join(p.root, "xdg")
	if err := os.Mkdir(xdg, 0o700); err != nil {
		t.Fatal(err)
	}
	p.chown(xdg)
	p.env = append(p.env, "XDG_RUNTIME_DIR="+xdg)
	p.planFast() // gun prune's changes to the store made the plan stale
	p.detach("--name", "xdg", env.busybox, "true")
	if r := p.gun("wait", "xdg"); r.stdout != "0\n" {
		t.Errorf("gun wait xdg: %q, %q", r.stdout, r.stderr)
	}
	fast("xdg")
	if _, err := os.Lstat(filepath.Join(xdg, "gun", "containers", "names", "xdg")); err != nil {
		t.Errorf("the name in XDG_RUNTIME_DIR: %v", err)
	}
	p.cleanContainers()
}

// TestDetachRecordWithoutGo: the record of a detached container that the
// constructor makes without Go (runtime/claim.c, from the templates gun put
// in the plan) is the one the monitor's Go makes for the same command line,
// field by field, but for what is each run's own (id, name, times, the
// monitor's pid, the scratch directory): with and without --rm. So a field
// that one of them fills and the other not shows here.
func TestDetachRecordWithoutGo(t *testing.T) {
	p := newProject(t, nil)
	run := func(name string, rm bool) map[string]any {
		t.Helper()
		args := []string{"--name", name}
		if rm {
			args = append(args, "--rm")
		}
		id := p.detach(append(args, env.busybox, "sleep", "1000")...)
		b, err := os.ReadFile(filepath.Join(p.root, "containers", id, "state.json"))
		var rec map[string]any
		if err != nil || json.Unmarshal(b, &rec) != nil {
			t.Fatalf("the record of %s: %v, %q", name, err, b)
		}
		for _, k := range []string{"id", "name", "created", "started", "monitor_pid", "scratch"} {
			if rec[k] == nil || rec[k] == "" {
				t.Errorf("the record of %s has no %s: %s", name, k, b)
			}
			delete(rec, k)
		}
		return rec
	}
	saved := p.env
	p.env = append(p.env, "GUN_PREFORK=0") // the monitor's Go starts it
	viaGo, viaGoRm := run("go", false), run("go-rm", true)
	p.env = saved
	p.planFast()
	viaC, viaCRm := run("c", false), run("c-rm", true)
	p.waitLog("c", "plan trace: started without Go")
	p.waitLog("c-rm", "plan trace: started without Go")
	if d := cmp.Diff(viaGo, viaC); d != "" {
		t.Errorf("records (-Go +C):\n%s", d)
	}
	if d := cmp.Diff(viaGoRm, viaCRm); d != "" {
		t.Errorf("records with --rm (-Go +C):\n%s", d)
	}
	if viaGoRm["auto_remove"] != true || viaGo["status"] != "running" || viaGo["image_id"] == nil {
		t.Errorf("records: %v, with --rm %v", viaGo, viaGoRm)
	}
	p.cleanContainers()
}

// TestDetachOptionsWithoutGo: a detached run with the options that a
// foreground run takes from its plan (the container's configuration)
// starts without Go too, from the plan of the same command line in the
// foreground, and does what it does when the monitor's Go starts it: the
// same output in its log, exit code and record.
func TestDetachOptionsWithoutGo(t *testing.T) {
	p := newProject(t, map[string]string{"vol/f": "vol\n", "rel/f": "rel\n", "env": "C=from file\nB\n"})
	p.env = append(p.env, "B=hostB", "GUN_PLAN_TRACE=1")
	script := `echo "$A|$B|$C|$(pwd)|$(id -u):$(id -g)|$(hostname)"; grep -E '^CapEff' /proc/self/status; ` +
		`grep -h . /mnt/f /rel/f 2>&1; touch /x 2>/dev/null && echo writable; exit 3`
	// run runs line detached as name and returns its log, exit code and
	// record but for what is each run's own.
	run := func(name string, line []string) (stdout, stderr, code string, rec map[string]any) {
		t.Helper()
		id := p.detach(slices.Concat([]string{"--name", name}, line)...)
		code = p.gun("wait", name).stdout
		logs := p.gun("logs", name)
		var kept []string
		for _, l := range strings.SplitAfter(logs.stderr, "\n") {
			if !strings.HasPrefix(l, "gun: plan trace: ") {
				kept = append(kept, l)
			}
		}
		b, err := os.ReadFile(filepath.Join(p.root, "containers", id, "state.json"))
		if err != nil || json.Unmarshal(b, &rec) != nil {
			t.Fatalf("the record of %s: %v, %q", name, err, b)
		}
		for _, k := range []string{"id", "name", "created", "started", "finished", "monitor_pid", "scratch"} {
			delete(rec, k)
		}
		return logs.stdout, strings.Join(kept, ""), code, rec
	}
	for i, flags := range [][]string{
		{"-e", "A=1", "-e", "B", "--env", "C=3", "-w", "/new/dir", "-u", "1:2", "--hostname", "h"},
		{"-i", "--read-only", "--env-file", "env"},
		{"-v", filepath.Join(p.dir, "vol") + ":/mnt:ro", "-v", "rel:/rel"},
		{"--cap-drop", "ALL", "--cap-add", "CHOWN", "--security-opt", "seccomp=unconfined"},
	} {
		line := slices.Concat(flags, []string{env.busybox, "sh", "-c", script})
		saved := p.env
		p.env = append(p.env, "GUN_PREFORK=0") // the monitor's Go starts it
		out, errOut, code, rec := run(fmt.Sprintf("go%d", i), line)
		p.env = saved
		if code != "3\n" || !strings.Contains(out, "|") {
			t.Fatalf("%q with Go: exit %q, stdout %q, stderr %q", flags, code, out, errOut)
		}
		// The foreground run of the line writes its plan's fast section.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
			if r := p.gun(append([]string{"run"}, line...)...); strings.Contains(r.stderr, "plan trace: run without Go") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q never ran without Go", flags)
			}
		}
		name := fmt.Sprintf("c%d", i)
		cOut, cErrOut, cCode, cRec := run(name, line)
		p.waitLog(name, "plan trace: started without Go")
		if cOut != out || cErrOut != errOut || cCode != code {
			t.Errorf("%q without Go: exit %q, stdout %q, stderr %q; with Go: exit %q, stdout %q, stderr %q", flags, cCode, cOut, cErrOut, code, out, errOut)
		}
		if d := cmp.Diff(rec, cRec); d != "" {
			t.Errorf("%q: records (-Go +C):\n%s", flags, d)
		}
	}
	p.cleanContainers()
}

// TestDetachedTTYSize: the pty of a container run with -dt starts with the
// window size of gun run -d's terminal, and 0 by 0 without one, as
// docker's.
func TestDetachedTTYSize(t *testing.T) {
	p := newProject(t, nil)
	_, slave := env.user.OpenPTY(t)
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 33, Col: 77}); err != nil {
		t.Fatal(err)
	}
	// busybox's stty -a shows rows and columns unless they are 0.
	probe := []string{env.busybox, "stty", "-a"}
	c := p.command(append([]string{"run", "-dt", "--name", "sized"}, probe...)...)
	c.Stdin = slave
	if out, err := c.Output(); err != nil || !containerID.Match(out) {
		t.Fatalf("gun run -dt on a terminal: %v, %q", err, out)
	}
	p.detach(append([]string{"-t", "--name", "unsized"}, probe...)...)
	logs := func(name string) string {
		t.Helper()
		if r := p.gun("wait", name); r.stdout != "0\n" {
			t.Errorf("gun wait %s: %q, %q", name, r.stdout, r.stderr)
		}
		return p.gun("logs", name).stdout
	}
	if out := logs("sized"); !strings.Contains(out, "rows 33; columns 77;") {
		t.Errorf("stty -a on the caller's terminal's size: %q", out)
	}
	if out := logs("unsized"); !strings.Contains(out, "line = 0;") || strings.Contains(out, "rows") {
		t.Errorf("stty -a without a terminal: %q, want no rows and columns", out)
	}
	p.cleanContainers()
}
