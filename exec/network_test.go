package exec_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gun-tools/gun/internal/testenv"
)

// needPasta fails (in CI) or skips without pasta or a /dev/net/tun the
// test user can open.
func needPasta(t *testing.T) {
	t.Helper()
	testenv.NeedProgram(t, "pasta")
	f, err := os.Stat("/dev/net/tun")
	if err == nil && f.Mode().Perm()&0o006 != 0o006 {
		err = fmt.Errorf("/dev/net/tun has mode %v: run chmod 0666 /dev/net/tun", f.Mode().Perm())
	}
	need(t, "a /dev/net/tun for pasta", err)
}

// freePort returns a port of 127.0.0.1 that nothing listens on, for proto.
func freePort(t *testing.T, proto string) int {
	t.Helper()
	if proto == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// udpEcho builds testdata/udpecho, static, into dir.
func udpEcho(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "udpecho")
	c := exec.Command("go", "build", "-o", bin, "./testdata/udpecho")
	c.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("build udpecho: %v\n%s", err, out)
	}
	return bin
}

// start starts gun as the test user in the background; the test ends it.
// It returns the command and a channel closed once it exited.
func (p *project) start(stderr io.Writer, args ...string) (*exec.Cmd, <-chan struct{}) {
	p.t.Helper()
	c := p.command(args...)
	c.Stdout, c.Stderr = io.Discard, stderr
	if err := c.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = c.Wait()
		close(done)
	}()
	p.t.Cleanup(func() {
		// gun forwards SIGTERM to the container and stops its pasta; a
		// SIGKILL would leave the pasta for gun prune.
		_ = c.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = c.Process.Kill()
			<-done
			p.gun("prune")
		}
	})
	return c, done
}

// get reads url until it answers, for 30 seconds at most.
func get(t *testing.T, url string) string {
	t.Helper()
	client := http.Client{Timeout: 2 * time.Second}
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var resp *http.Response
		if resp, err = client.Get(url); err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				return string(b)
			}
			err = fmt.Errorf("status %s, read %v", resp.Status, rerr)
		}
	}
	t.Fatalf("GET %s: %v", url, err)
	return ""
}

// pastas returns the command lines of the live pasta processes that name
// dir (zombies have no command line).
func pastas(dir string) []string {
	var found []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range procs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		line := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(line, "pasta") && strings.Contains(line, dir) {
			found = append(found, line)
		}
	}
	return found
}

// portFree fails the test unless the TCP port of 127.0.0.1 can be bound.
func portFree(t *testing.T, port int) {
	t.Helper()
	portFreeOn(t, "127.0.0.1", port)
}

// portFreeOn fails the test unless the TCP port of the address can be bound.
func portFreeOn(t *testing.T, ip string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		t.Errorf("port %d of %s is still taken: %v", port, ip, err)
		return
	}
	l.Close()
}

// stopRun sends sig to the gun that start started and waits for it to exit.
func stopRun(t *testing.T, gun *exec.Cmd, exited <-chan struct{}, sig os.Signal) {
	t.Helper()
	if err := gun.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		t.Fatal("gun did not exit")
	}
}

// TestNetworkPrivate serves a page and UDP from a container with published
// ports, to clients on the host's loopback, and checks that nothing of the
// network is left when the container ends.
func TestNetworkPrivate(t *testing.T) {
	needPasta(t)
	p := newProject(t, nil)
	echo := udpEcho(t, p.dir)
	p.chown(p.dir)
	tcpPort, udpPort := freePort(t, "tcp"), freePort(t, "udp")
	var serverLog syncBuffer
	gun, exited := p.start(&serverLog, "run",
		"-p", fmt.Sprintf("127.0.0.1:%d:80", tcpPort), "-p", fmt.Sprintf("127.0.0.1:%d:%d/udp", udpPort, udpPort),
		"-v", echo+":/udpecho:ro", env.busybox,
		"sh", "-c", fmt.Sprintf("mkdir /www; echo served > /www/index.html; /udpecho %d & exec httpd -f -vv -p 80 -h /www", udpPort))
	if got := get(t, fmt.Sprintf("http://127.0.0.1:%d/", tcpPort)); got != "served\n" {
		t.Errorf("page: %q", got)
	}

	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", udpPort))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	var n int
	for try := 0; try < 20; try++ { // the echo may start after the server
		if _, err = c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if n, err = c.Read(buf); err == nil {
			break
		}
	}
	if err != nil || string(buf[:n]) != "ping" {
		t.Errorf("UDP echo: %q, %v", buf[:n], err)
	}

	if len(pastas(p.root)) != 1 {
		t.Errorf("pasta processes while the container runs: %q", pastas(p.root))
	}
	stopRun(t, gun, exited, syscall.SIGTERM)
	// The server logs its client's address as pasta gives it: the host's.
	if !strings.Contains(serverLog.String(), "127.0.0.1]:") {
		t.Errorf("the server's log names no client of 127.0.0.1:\n%s", serverLog.String())
	}
	if left := pastas(p.root); len(left) != 0 {
		t.Errorf("pasta left after the container: %q", left)
	}
	portFree(t, tcpPort)
}

// TestNetworkPrivateIPv6 publishes a port on the host's IPv6 loopback only
// ([::1]:PORT:80): a client of ::1 gets the page, with its own address as
// the server sees it; 127.0.0.1 has no such port.
func TestNetworkPrivateIPv6(t *testing.T) {
	needPasta(t)
	l, err := net.Listen("tcp6", "[::1]:0")
	need(t, "IPv6 on the loopback (::1)", err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p := newProject(t, nil)
	var serverLog syncBuffer
	gun, exited := p.start(&serverLog, "run", "-p", fmt.Sprintf("[::1]:%d:80", port), env.busybox,
		"sh", "-c", "mkdir /www; echo served over IPv6 > /www/index.html; exec httpd -f -vv -p 80 -h /www")
	if got := get(t, fmt.Sprintf("http://[::1]:%d/", port)); got != "served over IPv6\n" {
		t.Errorf("page: %q", got)
	}
	if c, err := net.DialTimeout("tcp4", fmt.Sprintf("127.0.0.1:%d", port), 2*time.Second); err == nil {
		c.Close()
		t.Errorf("127.0.0.1:%d answers: the port is published on more than [::1]", port)
	}
	stopRun(t, gun, exited, syscall.SIGTERM)
	if !strings.Contains(serverLog.String(), "[::1]:") {
		t.Errorf("the server's log names no client of ::1:\n%s", serverLog.String())
	}
	if left := pastas(p.root); len(left) != 0 {
		t.Errorf("pasta left after the container: %q", left)
	}
	portFreeOn(t, "::1", port)
}

// TestNetworkPrivateInside checks the container's view: an interface of
// its own, the DNS forwarder in resolv.conf, --add-host and --dns, and no
// way to the host's loopback, directly or through the gateway.
func TestNetworkPrivateInside(t *testing.T) {
	needPasta(t)
	host, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	reached := make(chan struct{}, 16)
	go func() {
		for {
			c, err := host.Accept()
			if err != nil {
				return
			}
			reached <- struct{}{}
			c.Close()
		}
	}()
	port := host.Addr().(*net.TCPAddr).Port
	p := newProject(t, nil)
	r := p.gun("run", "--network", "private", env.busybox, "sh", "-c",
		fmt.Sprintf(`ip -o addr show; cat /etc/resolv.conf; for a in 127.0.0.1 $(ip route | awk '/default/ {print $3}'); do nc -w 2 $a %d </dev/null && echo reached $a; done; true`, port))
	if r.code != 0 {
		t.Fatalf("gun run: exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "nameserver 169.254.1.1\n") {
		t.Errorf("resolv.conf names no forwarder:\n%s", r.stdout)
	}
	iface := false
	for _, l := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(l); len(f) > 3 && f[1] != "lo" && f[2] == "inet" {
			iface = true
		}
	}
	if !iface {
		t.Errorf("no interface but lo with an address:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "reached") || len(reached) > 0 {
		t.Errorf("the container reached the host's loopback:\n%s", r.stdout)
	}

	r = p.gun("run", "--network", "private", "--dns", "192.0.2.53", "--add-host", "db:192.0.2.7", env.busybox,
		"sh", "-c", "grep nameserver /etc/resolv.conf; grep db /etc/hosts")
	if r.code != 0 || r.stdout != "nameserver 192.0.2.53\n192.0.2.7\tdb\n" {
		t.Errorf("--dns, --add-host: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestNetworkPrivateErrors: a taken host port, publishing on the host's
// network and a missing pasta are each a clear error.
func TestNetworkPrivateErrors(t *testing.T) {
	needPasta(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	p := newProject(t, nil)
	r := p.gun("run", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), env.busybox, "true")
	if r.code != 125 || !strings.Contains(r.stderr, fmt.Sprintf("host port %d/tcp is in use", port)) {
		t.Errorf("a taken port: exit %d, stderr %q", r.code, r.stderr)
	}
	if left := pastas(p.root); len(left) != 0 {
		t.Errorf("pasta left after a failed start: %q", left)
	}

	r = p.gun("run", "--network", "host", "-p", "8080:80", env.busybox, "true")
	if r.code != 2 || !strings.Contains(r.stderr, "published ports need network private") {
		t.Errorf("-p with --network host: exit %d, stderr %q", r.code, r.stderr)
	}
	r = p.gun("run", "-p", "80", env.busybox, "true")
	if r.code != 2 || !strings.Contains(r.stderr, `port "80": want [IP:]HOST:CONTAINER`) {
		t.Errorf("-p 80: exit %d, stderr %q", r.code, r.stderr)
	}

	c := asUser(exec.Command(env.gun, "run", "--network", "private", env.busybox, "true"))
	c.Env = []string{"PATH=/nonexistent", "GUN_ROOT=" + p.root, "HOME=" + filepath.Dir(p.root), holderIdle}
	out, err := c.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "pasta not found: install it (Debian package passt)") {
		t.Errorf("without pasta: %v, %q", err, out)
	}
}

// TestNetworkPrivateKilled: after gun is killed with SIGKILL, gun prune
// stops the container's pasta and frees its port.
func TestNetworkPrivateKilled(t *testing.T) {
	needPasta(t)
	p := newProject(t, nil)
	port := freePort(t, "tcp")
	gun, exited := p.start(io.Discard, "run", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), env.busybox,
		"sh", "-c", "mkdir /www && echo up > /www/index.html && exec httpd -f -p 80 -h /www")
	get(t, fmt.Sprintf("http://127.0.0.1:%d/", port))
	stopRun(t, gun, exited, os.Kill)
	if len(pastas(p.root)) != 1 {
		t.Fatalf("want the killed run's pasta, found %q", pastas(p.root))
	}
	r := p.gun("prune")
	if r.code != 0 || !strings.Contains(r.stdout, "1 networks") {
		t.Errorf("gun prune: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if left := pastas(p.root); len(left) != 0 {
		t.Errorf("pasta left after gun prune: %q", left)
	}
	if runs, _ := os.ReadDir(filepath.Join(p.root, "run")); len(runs) != 0 {
		t.Errorf("run directories left after gun prune: %d", len(runs))
	}
	portFree(t, port)
}

// TestBuildNetworkPrivate: gun build --network private gives Exec steps a
// network of their own.
func TestBuildNetworkPrivate(t *testing.T) {
	needPasta(t)
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec "ls /sys/class/net | grep -vx lo > /nets; grep nameserver /etc/resolv.conf > /dns"
Main ["cat", "/nets", "/dns"]
`,
	})
	p.build("--network", "private", "-t", "private-net", ".")
	r := p.gun("run", "private-net")
	if r.code != 0 || !strings.HasSuffix(r.stdout, "\nnameserver 169.254.1.1\n") || strings.HasPrefix(r.stdout, "nameserver") {
		t.Errorf("a step's network: exit %d, stdout %q (want an interface and the forwarder), stderr %q", r.code, r.stdout, r.stderr)
	}
	if left := pastas(p.root); len(left) != 0 {
		t.Errorf("pasta left after the build: %q", left)
	}
}

// TestPublishAll: gun run -P publishes the image's exposed ports on free
// host ports, and says which.
func TestPublishAll(t *testing.T) {
	needPasta(t)
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec "mkdir /www && echo exposed > /www/index.html"
Expose 80
Main ["httpd", "-f", "-p", "80", "-h", "/www"]
`,
	})
	p.build("-t", "web", ".")
	var stderr syncBuffer
	p.start(&stderr, "run", "-P", "web")
	var port int
	for deadline := time.Now().Add(30 * time.Second); port == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		fmt.Sscanf(stderr.String(), "gun: publishing 80/tcp on host port %d", &port)
	}
	if port == 0 {
		t.Fatalf("no published port reported: %q", stderr.String())
	}
	if got := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "exposed\n" {
		t.Errorf("page: %q", got)
	}
}

// syncBuffer is a bytes.Buffer that a command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNetworkPrivateTun: a /dev/net/tun the user cannot open, or none, is
// a clear error saying how to fix it. The test hides the device in a mount
// namespace of its own (as root: CI runs the tests as root), and runs gun
// there as the test user.
func TestNetworkPrivateTun(t *testing.T) {
	needPasta(t)
	if os.Geteuid() != 0 {
		need(t, "root, to hide /dev/net/tun in a mount namespace", fmt.Errorf("running as uid %d", os.Geteuid()))
	}
	setpriv := testenv.NeedProgram(t, "setpriv")
	unshare := testenv.NeedProgram(t, "unshare")
	p := newProject(t, nil)
	closed := filepath.Join(p.dir, "tun-0600")
	if err := os.WriteFile(closed, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ hide, want string }{
		{"mount --bind " + closed + " /dev/net/tun", "network private: /dev/net/tun: permission denied: as root, run chmod 0666 /dev/net/tun"},
		{"mount -t tmpfs none /dev/net", "network private: /dev/net/tun: no such file or directory: as root, run modprobe tun"},
	} {
		script := c.hide + ` && exec "$@"`
		cmd := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-ec", script, "sh",
			setpriv, fmt.Sprintf("--reuid=%d", env.user.UID), fmt.Sprintf("--regid=%d", env.user.GID), "--clear-groups",
			env.gun, "run", "--network", "private", env.busybox, "true")
		cmd.Dir = p.dir
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GUN_ROOT=" + p.root, "HOME=" + filepath.Dir(p.root), holderIdle}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 125 || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: %v, output %q, want exit 125 and %q", c.hide, err, out, c.want)
		}
	}
	if left := pastas(p.root); len(left) != 0 {
		t.Errorf("pasta left: %q", left)
	}
}

// TestDebianAPTPrivate: apt-get in a Debian image reaches the mirror over a
// build step's private network, resolving its name through pasta's DNS
// forwarder (the step's resolv.conf names only the forwarder).
func TestDebianAPTPrivate(t *testing.T) {
	needPasta(t)
	archive := testenv.DebianArchive(t, "apt in a Debian base over a private network")
	p := newProject(t, map[string]string{
		"Gunfile": `Using "debian.tar.gz"
Exec "grep nameserver /etc/resolv.conf > /dns; apt-get update -qq && apt-get install -y -qq --no-install-recommends hello"
Main ["sh", "-c", "cat /dns; hello"]
`,
	})
	p.copyIn(archive, "debian.tar.gz")
	p.build("--network", "private", "-t", "hello-private", ".")
	if r := p.gun("run", "hello-private"); r.code != 0 || r.stdout != "nameserver 169.254.1.1\nHello, world!\n" {
		t.Errorf("gun run hello-private: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if left := pastas(p.root); len(left) != 0 {
		t.Errorf("pasta left after the build: %q", left)
	}
}
