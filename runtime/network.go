package runtime

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/internal/flock"
)

// Network is a container's network.
type Network int

const (
	HostNetwork    Network = iota // the host's network namespace
	NoNetwork                     // a network namespace of its own, loopback only
	PrivateNetwork                // a network namespace of its own, connected through pasta
)

var networkNames = [...]string{HostNetwork: "host", NoNetwork: "none", PrivateNetwork: "private"}

// ParseNetwork parses a network's name: "host", "none" or "private".
func ParseNetwork(name string) (Network, error) {
	for n, s := range networkNames {
		if s == name {
			return Network(n), nil
		}
	}
	return HostNetwork, fmt.Errorf("network %q: want host, none or private", name)
}

func (n Network) String() string { return networkNames[n] }

// CheckPorts reports ports that n cannot publish: only a private network
// can.
func (n Network) CheckPorts(ports []Port) error {
	if len(ports) > 0 && n != PrivateNetwork {
		return fmt.Errorf("network %s: published ports need network private", n)
	}
	return nil
}

// DNSForwarder is the address in a private network whose port 53 pasta
// forwards to the host's first resolver; the container's resolv.conf names
// it unless Spec.DNS says otherwise.
const DNSForwarder = "169.254.1.1"

// pastaPidFile is the file of a container's scratch directory that names
// the pasta connecting its network, so that a killed run's can be stopped.
const pastaPidFile = "pasta.pid"

// Port is a container port published on the host.
type Port struct {
	HostIP        string // empty for every address
	HostPort      uint16
	ContainerPort uint16
	Proto         string // "tcp" or "udp"
}

// ParsePort parses docker's [IP:]HOST:CONTAINER[/tcp|udp]; an IPv6 address
// is written in brackets.
func ParsePort(s string) (Port, error) {
	p := Port{Proto: "tcp"}
	spec, proto, ok := strings.Cut(s, "/")
	if ok {
		if proto != "tcp" && proto != "udp" {
			return p, fmt.Errorf("port %q: protocol %q: want tcp or udp", s, proto)
		}
		p.Proto = proto
	}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return p, fmt.Errorf("port %q: want [IP:]HOST:CONTAINER[/tcp|udp]", s)
	}
	host, ctr := spec[:i], spec[i+1:]
	ip, given := "", false
	if rest, ok := strings.CutPrefix(host, "["); ok {
		// As podman: [IPv6]:HOST, the brackets closed and a host port after.
		end := strings.IndexByte(rest, ']')
		if end < 0 || !strings.HasPrefix(rest[end+1:], ":") {
			return p, fmt.Errorf("port %q: want [IPv6]:HOST:CONTAINER[/tcp|udp]", s)
		}
		ip, host, given = rest[:end], rest[end+2:], true
	} else if j := strings.LastIndexByte(host, ':'); j >= 0 {
		ip, host, given = host[:j], host[j+1:], true
		if strings.Contains(ip, ":") {
			// Docker's older parser and podman's refuse it too: where the
			// address ends is the reader's guess.
			return p, fmt.Errorf("port %q: host address %q: write an IPv6 address in brackets: [%s]:%s:%s", s, ip, ip, host, ctr)
		}
	}
	if given {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return p, fmt.Errorf("port %q: host address %q: not an IP address", s, ip)
		}
		p.HostIP = addr.String()
	}
	var err error
	if p.HostPort, err = parsePortNumber(host); err != nil {
		return p, fmt.Errorf("port %q: host port: %w", s, err)
	}
	if p.ContainerPort, err = parsePortNumber(ctr); err != nil {
		return p, fmt.Errorf("port %q: container port: %w", s, err)
	}
	return p, nil
}

func parsePortNumber(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q: want a number from 1 to 65535", s)
	}
	return uint16(n), nil
}

// PublishAll publishes each of an image's exposed ports ("80/tcp", "53/udp",
// "8080") on a free port of the host's every address, as docker -P does.
func PublishAll(exposed []string) ([]Port, error) {
	var ports []Port
	for _, e := range exposed {
		num, proto, _ := strings.Cut(e, "/")
		p := Port{Proto: cmp.Or(proto, "tcp")}
		var err error
		if p.ContainerPort, err = parsePortNumber(num); err != nil || (p.Proto != "tcp" && p.Proto != "udp") {
			return nil, fmt.Errorf("exposed port %q: want PORT[/tcp|udp]", e)
		}
		if p.HostPort, err = freeHostPort(p.Proto); err != nil {
			return nil, fmt.Errorf("exposed port %q: %w", e, err)
		}
		ports = append(ports, p)
	}
	return ports, nil
}

// freeHostPort returns a port of proto that the kernel would give a socket
// bound to port 0 now.
func freeHostPort(proto string) (uint16, error) {
	if proto == "udp" {
		c, err := net.ListenPacket("udp", ":0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return uint16(c.LocalAddr().(*net.UDPAddr).Port), nil
	}
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port), nil
}

// Host is an entry added to the container's /etc/hosts.
type Host struct{ Name, IP string }

// ParseHost parses docker's --add-host NAME:IP.
func ParseHost(s string) (Host, error) {
	name, ip, ok := strings.Cut(s, ":")
	addr, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]"))
	if !ok || name == "" || strings.ContainsAny(name, " \t") || err != nil {
		return Host{}, fmt.Errorf("host %q: want NAME:IP", s)
	}
	return Host{name, addr.String()}, nil
}

// resolvConf is the container's resolv.conf: the host's, with the
// nameservers replaced by dns, or by the forwarder in a private network.
func resolvConf(host []byte, n Network, dns []string) []byte {
	if len(dns) == 0 && n != PrivateNetwork {
		return host
	}
	if len(dns) == 0 {
		dns = []string{DNSForwarder}
	}
	var b bytes.Buffer
	for _, ns := range dns {
		fmt.Fprintf(&b, "nameserver %s\n", ns)
	}
	for line := range strings.Lines(string(host)) {
		if f := strings.Fields(line); len(f) == 0 || f[0] != "nameserver" {
			b.WriteString(line)
		}
	}
	return b.Bytes()
}

// pasta connects a container's network namespace to the host's network.
type pasta struct {
	cmd     *exec.Cmd
	stderr  bytes.Buffer
	pidFile string
	pidfd   int // of the pasta that forked to the background, once ready
}

// pastaArgs are pasta's options for a container with ports: the namespace
// gets an interface configured as the host's, no port of the host's
// loopback or gateway address reaches the host, and DNS goes through the
// forwarder.
func pastaArgs(ports []Port, pidFile string, pid int) []string {
	args := []string{"--config-net", "--quiet", "--no-map-gw", "-T", "none", "-U", "none",
		"--dns-forward", DNSForwarder, "-P", pidFile}
	for _, proto := range []string{"tcp", "udp"} {
		n := 0
		for _, p := range ports {
			if p.Proto != proto {
				continue
			}
			spec := fmt.Sprintf("%d:%d", p.HostPort, p.ContainerPort)
			if p.HostIP != "" {
				spec = p.HostIP + "/" + spec
			}
			args = append(args, "-"+proto[:1], spec)
			n++
		}
		if n == 0 {
			args = append(args, "-"+proto[:1], "none")
		}
	}
	return append(args, strconv.Itoa(pid))
}

// startPasta starts pasta for the network namespace of the process pid,
// with its pid file in the scratch directory; wait says when it is ready.
func startPasta(ports []Port, scratch string, pid int) (*pasta, error) {
	bin, err := exec.LookPath("pasta")
	if err != nil {
		return nil, errors.New("network private: pasta not found: install it (Debian package passt)")
	}
	if err := checkTun(); err != nil {
		return nil, err
	}
	for _, port := range ports {
		if err := checkHostPort(port); err != nil {
			return nil, err
		}
	}
	p := &pasta{pidFile: filepath.Join(scratch, pastaPidFile), pidfd: -1}
	p.cmd = exec.Command(bin, pastaArgs(ports, p.pidFile, pid)...)
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("network private: start pasta: %w", err)
	}
	return p, nil
}

// String returns p as docker's -p spells it.
func (p Port) String() string {
	host := strconv.Itoa(int(p.HostPort))
	if p.HostIP != "" {
		host = net.JoinHostPort(p.HostIP, host)
	}
	return fmt.Sprintf("%s:%d/%s", host, p.ContainerPort, p.Proto)
}

// checkHostPort reports a host port that pasta could not bind, which pasta
// would only report as "Failed to bind any port".
func checkHostPort(p Port) error {
	addr := net.JoinHostPort(p.HostIP, strconv.Itoa(int(p.HostPort)))
	var c io.Closer
	var err error
	if p.Proto == "udp" {
		c, err = net.ListenPacket("udp", addr)
	} else {
		c, err = net.Listen("tcp", addr)
	}
	switch {
	case err == nil:
		return c.Close()
	case errors.Is(err, unix.EADDRINUSE):
		return fmt.Errorf("publish %s: host port %d/%s is in use", p, p.HostPort, p.Proto)
	case errors.Is(err, unix.EACCES):
		return fmt.Errorf("publish %s: host port %d needs privileges (see sysctl net.ipv4.ip_unprivileged_port_start)", p, p.HostPort)
	}
	return fmt.Errorf("publish %s: %w", p, err)
}

// checkTun reports a /dev/net/tun that pasta cannot open.
func checkTun() error {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	switch {
	case err == nil:
		unix.Close(fd)
		return nil
	case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM):
		return errors.New("network private: /dev/net/tun: permission denied: as root, run chmod 0666 /dev/net/tun (udev sets this mode where it runs)")
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO):
		return fmt.Errorf("network private: /dev/net/tun: %w: as root, run modprobe tun (and mknod /dev/net/tun c 10 200, chmod 0666)", err)
	}
	return fmt.Errorf("network private: /dev/net/tun: %w", err)
}

// wait waits until pasta is ready: it exits 0 after forking to the
// background.
func (p *pasta) wait() error {
	err := p.cmd.Wait()
	if err != nil {
		var lines []string
		for l := range strings.Lines(p.stderr.String()) {
			if !strings.Contains(l, "to syslog") { // it has none here
				lines = append(lines, strings.TrimSpace(l))
			}
		}
		msg := strings.Join(lines, "; ")
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("network private: pasta: %s", msg)
	}
	pid, err := readPid(p.pidFile)
	if err != nil {
		return fmt.Errorf("network private: pasta: %w", err)
	}
	if p.pidfd, err = unix.PidfdOpen(pid, 0); err != nil {
		return fmt.Errorf("network private: pasta: %w", err)
	}
	slog.Debug("pasta ready", "pid", pid)
	return nil
}

// stop ends the pasta that forked and waits until it is gone, so that its
// ports are free.
func (p *pasta) stop() {
	if p == nil || p.pidfd < 0 {
		return
	}
	stopPidfd(p.pidfd)
}

// stopPidfd sends SIGTERM to the process of pidfd, waits for it a second
// at most, and closes pidfd.
func stopPidfd(pidfd int) {
	defer unix.Close(pidfd)
	if err := unix.PidfdSendSignal(pidfd, unix.SIGTERM, nil, 0); err != nil {
		return
	}
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		n, err := unix.Poll(fds, int(time.Until(deadline)/time.Millisecond)+1)
		if n > 0 || (err != nil && err != unix.EINTR) {
			return
		}
	}
}

func readPid(file string) (int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: no pid", file)
	}
	return pid, nil
}

// StopStaleNetworks stops the pasta processes of the store's containers
// that were killed (whose scratch directory in runDir nobody locks), before
// their directories are removed. It returns how many it stopped.
func StopStaleNetworks(runDir string) (stopped int) {
	files, _ := filepath.Glob(filepath.Join(runDir, "*", pastaPidFile))
	for _, f := range files {
		dir := filepath.Dir(f)
		unlock, err := flock.Lock(filepath.Join(dir, "lock"), 0o600, unix.LOCK_EX|unix.LOCK_NB)
		if err != nil {
			continue // the container runs
		}
		if pid, err := readPid(f); err == nil && isPasta(pid) {
			if fd, err := unix.PidfdOpen(pid, 0); err == nil {
				stopPidfd(fd)
				stopped++
				slog.Debug("stale pasta stopped", "pid", pid, "dir", dir)
			}
		}
		_ = os.Remove(f)
		unlock()
	}
	return stopped
}

// isPasta reports whether pid is a pasta (a recycled pid is left alone).
func isPasta(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	c := strings.TrimSpace(string(comm))
	return err == nil && (strings.HasPrefix(c, "pasta") || strings.HasPrefix(c, "passt"))
}
