package runtime_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testIdle is the holders' idle time in the tests (gstore.cmd sets it), so
// that the suite leaves no process behind for long.
const testIdle = 2 * time.Second

// holderPID returns the pid of the process listening on the store's only
// holder socket, or 0 when there is no socket or nobody listens.
func holderPID(t *testing.T, s *gstore) int {
	t.Helper()
	socks, err := filepath.Glob(filepath.Join(s.root, "userns", "*.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if len(socks) > 1 {
		t.Fatalf("%d holder sockets, want at most one: %v", len(socks), socks)
	}
	if len(socks) == 0 {
		return 0
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: socks[0]}); err != nil {
		return 0
	}
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		t.Fatal(err)
	}
	return int(cred.Pid)
}

// runningHolder returns the store's holder's pid, and fails t when none
// runs.
func runningHolder(t *testing.T, s *gstore) int {
	t.Helper()
	pid := holderPID(t, s)
	if pid == 0 {
		t.Fatal("no user namespace holder after a run")
	}
	return pid
}

// killHolder kills the store's holder with SIGKILL, waits until it is gone
// and returns its pid.
func killHolder(t *testing.T, s *gstore) int {
	t.Helper()
	pid := runningHolder(t, s)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid, time.Second)
	return pid
}

// userNSOf returns the user namespace of pid, as readlink shows it.
func userNSOf(t *testing.T, pid int) string {
	t.Helper()
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid))
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// containerUserNS runs a container and returns the user namespace it is in.
func containerUserNS(t *testing.T, s *gstore) string {
	t.Helper()
	return strings.TrimSpace(s.sh(t, nil, "readlink /proc/self/ns/user"))
}

func TestHolderIsReused(t *testing.T) {
	requireEnv(t)
	// A holder that outlives the test's pauses, however slow the machine
	// (under the sanitizers, or loaded, a run can take longer than
	// testIdle); killed at the end.
	s := newStore(t)
	s.idle = time.Minute
	defer killHolder(t, s)
	first := containerUserNS(t, s)
	pid := runningHolder(t, s)
	if got := userNSOf(t, pid); got != first {
		t.Errorf("the container ran in %s, the holder holds %s", first, got)
	}
	// Unpacking and removing use it too: an archive unpacks its layers.
	archive := filepath.Join(userDir(t, "archive"), "img.tar.gz")
	writeImageArchive(t, archive)
	if err := os.Chown(archive, env.uid, -1); err != nil {
		t.Fatal(err)
	}
	if r := s.run(t, nil, "run", archive, "true"); r.code != 0 {
		t.Fatalf("gun run %s: %+v", archive, r)
	}
	if r := s.run(t, nil, "run", "--verbose", env.rootfs, "true"); r.code != 0 || !strings.Contains(r.stderr, "joined_holder=true") {
		t.Errorf("the debug log does not say the init joined the holder: %+v", r)
	}
	if second := containerUserNS(t, s); second != first {
		t.Errorf("second run in %s, first in %s: the holder was not reused", second, first)
	}
	if got := holderPID(t, s); got != pid {
		t.Errorf("holder pid %d, then %d", pid, got)
	}
	// The holder keeps no directory busy and no descriptor of the store.
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err != nil || cwd != "/" {
		t.Errorf("holder's working directory %q, %v; want /", cwd, err)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if strings.HasPrefix(target, "/") && target != "/dev/null" {
			t.Errorf("holder has %s open on fd %s", target, fd.Name())
		}
	}
}

func TestDeadHolderIsReplaced(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	containerUserNS(t, s)
	pid := killHolder(t, s)
	// Its socket is left; the next run starts a new holder.
	second := containerUserNS(t, s)
	npid := holderPID(t, s)
	if npid == 0 || npid == pid {
		t.Fatalf("holder %d after the old one (%d) was killed", npid, pid)
	}
	if got := userNSOf(t, npid); got != second {
		t.Errorf("the container ran in %s, the new holder holds %s", second, got)
	}
}

func TestConcurrentFirstRunsShareOneHolder(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	const n = 5
	type res struct {
		ns  string
		err string
	}
	out := make(chan res, n)
	for range n {
		go func() {
			c := s.cmd("run", env.rootfs, "readlink", "/proc/self/ns/user")
			b, err := c.CombinedOutput()
			if err != nil {
				out <- res{err: fmt.Sprintf("%v: %s", err, b)}
				return
			}
			out <- res{ns: strings.TrimSpace(string(b))}
		}()
	}
	seen := map[string]int{}
	for range n {
		r := <-out
		if r.err != "" {
			t.Error(r.err)
			continue
		}
		seen[r.ns]++
	}
	if len(seen) != 1 {
		t.Errorf("the containers ran in %d user namespaces, want one holder's: %v", len(seen), seen)
	}
	if ns := userNSOf(t, runningHolder(t, s)); seen[ns] != n {
		t.Errorf("holder's namespace %s, containers' %v", ns, seen)
	}
}

func TestHolderExitsWhenIdle(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	containerUserNS(t, s)
	pid := runningHolder(t, s)
	waitGone(t, pid, testIdle+3*time.Second)
	socks, _ := filepath.Glob(filepath.Join(s.root, "userns", "*.sock"))
	if len(socks) != 0 {
		t.Errorf("an idle holder left its socket: %v", socks)
	}
	// And the next run starts another.
	containerUserNS(t, s)
	if holderPID(t, s) == 0 {
		t.Error("no holder after the next run")
	}
}

// TestContainerDiesWithGunInHolderNamespace: the init of a container in a
// holder's namespace runs under a relay; SIGKILL to gun kills the relay,
// whose death kills the init, and with it the container.
func TestContainerDiesWithGunInHolderNamespace(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	c := s.cmd("run", env.rootfs, "sh", "-c", `echo ready; exec sleep 62`)
	runUntilReady(t, c, func(p *os.Process) {
		if holderPID(t, s) == 0 {
			t.Error("no holder while the container runs")
		}
		if err := p.Kill(); err != nil {
			t.Fatal(err)
		}
	})
	waitNoProcess(t, "sleep\x0062\x00")
}

func TestNoHolderForALongStorePath(t *testing.T) {
	requireEnv(t)
	// A socket path longer than sun_path allows: containers make their own
	// user namespaces, as without a store.
	long := userDir(t, "long")
	for len(long) < 110 {
		long = filepath.Join(long, "a-rather-long-directory-name")
		if err := os.Mkdir(long, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(long, env.uid, -1); err != nil {
			t.Fatal(err)
		}
	}
	s := &gstore{root: long, home: userDir(t, "home")}
	got := s.sh(t, nil, "id -u; cat /proc/self/uid_map | wc -l")
	want := "0\n2\n"
	if env.subuid < 0 {
		want = "0\n1\n"
	}
	if got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	// The C init sets such a container up too, volumes, exit code and all.
	vol := userDir(t, "vol")
	if err := os.WriteFile(filepath.Join(vol, "f"), []byte("vol\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := s.run(t, nil, "run", "--verbose", "-v", vol+":/mnt:ro", env.rootfs, "sh", "-c", "cat /mnt/f; exit 3")
	if r.code != 3 || r.stdout != "vol\n" {
		t.Errorf("exit %d, output %q, want 3 and %q: %s", r.code, r.stdout, "vol\n", r.stderr)
	}
	checkLogged(t, r.stderr, []string{"joined_holder=false", `step="set up by the C init"`})
	// And a pty, its master passed to gun.
	master, slave := openPTY(t)
	c := s.cmd("run", "-t", env.rootfs, "sh", "-c", "tty; echo $TERM")
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	if err := c.Run(); err != nil {
		t.Fatalf("gun run -t: %v", err)
	}
	slave.Close()
	out, _ := io.ReadAll(master) // EIO once the slave is closed
	if got, want := strings.Fields(string(out)), []string{"/dev/pts/0", "xterm"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("gun run -t: output %q, want %q", got, want)
	}
	if pid := holderPID(t, s); pid != 0 {
		t.Errorf("a holder (pid %d) for a store whose socket path is too long", pid)
	}
}

// waitGone waits until pid has exited (or is a zombie).
func waitGone(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); ; {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("process %d still runs after %v", pid, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// leftProcesses lists the processes whose command line names a path under
// dir: holders and containers the tests started.
func leftProcesses(dir string) []string {
	var left []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	self := fmt.Sprintf("/proc/%d/", os.Getpid())
	for _, p := range procs {
		if strings.HasPrefix(p, self) {
			continue
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), dir) {
			left = append(left, filepath.Base(filepath.Dir(p))+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return left
}
