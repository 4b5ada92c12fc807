package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// initMain is pid 1 of the container. It sets up the root file system,
// starts the command, forwards signals to it, reaps every child and exits
// with the command's status.
func initMain() int {
	// Namespaces joined with unshare, no_new_privs and the capability bounding
	// set are per thread: everything below runs on this thread, and the
	// command is forked from it.
	goruntime.LockOSThread()
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	// Descriptors gun inherited (and the sync socket) must not reach the
	// command.
	closeExtraFDs()
	// JSON, or the C init's binary form when it left the container to us
	// (cinit.c).
	b, _, err := recvPacket(syncFD)
	var cfg *initConfig
	if err == nil {
		cfg, err = decodeConfig(b)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gun: init: read config: %v\n", err)
		return 125
	}
	var g goMsg
	if _, err := recvMsg(syncFD, &g); err != nil {
		// The parent failed before writing the id maps and reported why.
		return 125
	}
	// Notify synchronises with the runtime's signal thread once per signal;
	// that runs while the root is set up, and must be done before the
	// command starts. The standard signals are forwarded (and SIGCHLD
	// reaps); the real-time ones, which would double the round trips, are
	// ignored.
	sigs := make(chan os.Signal, 64)
	notified := make(chan struct{})
	go func() {
		signal.Notify(sigs, forwardedSignals()...)
		close(notified)
	}()
	c := &container{cfg: cfg, scratch: -1}
	err = c.start(notified)
	if err != nil {
		code := 125
		var ce *commandError
		if errors.As(err, &ce) {
			code = ce.code
		}
		_ = sendMsg(syncFD, readyMsg{Error: err.Error(), Code: code, Log: c.log})
		return code
	}
	var fds []int
	if c.master != nil {
		fds = append(fds, int(c.master.Fd()))
	}
	if err := sendMsg(syncFD, readyMsg{Log: c.log}, fds...); err != nil {
		_ = unix.Kill(c.pid, unix.SIGKILL)
	}
	if c.master != nil {
		c.master.Close()
	}
	// The parent never writes again: the socket's end means gun is gone,
	// and the container must go too. (The parent-death signal set at clone
	// time does not survive the re-exec that gained our capabilities.)
	orphaned := make(chan struct{})
	go func() {
		var b [1]byte
		for {
			n, err := unix.Read(syncFD, b[:])
			if err == unix.EINTR {
				continue
			}
			if n <= 0 {
				close(orphaned)
				return
			}
		}
	}()
	code := c.supervise(sigs, orphaned)
	c.cleanup(cfg.KeepUpper && code == 0)
	// The parent may go on now: tearing down the namespaces as this
	// process exits takes the kernel a while.
	_ = sendMsg(syncFD, exitMsg{Code: code})
	return code
}

// forwardedSignals are the signals the init handles: every standard one
// that can be caught.
func forwardedSignals() []os.Signal {
	var l []os.Signal
	for s := syscall.Signal(1); s < 32; s++ {
		if s != unix.SIGKILL && s != unix.SIGSTOP {
			l = append(l, s)
		}
	}
	return l
}

// closeExtraFDs marks every descriptor above stderr close-on-exec.
func closeExtraFDs() {
	if unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC) == nil {
		return
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}

// commandError is a failure to start the command, with docker's exit code
// (126 not executable, 127 not found).
type commandError struct {
	code int
	err  error
}

func (e *commandError) Error() string { return e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

type container struct {
	cfg     *initConfig
	pid     int // the command's
	master  *os.File
	scratch int      // O_PATH descriptor of the scratch directory
	log     []string // the setup's steps, with cfg.Debug, for gun's debug log
}

// debugf records a setup step when debug logs are asked for.
func (c *container) debugf(format string, args ...any) {
	if c.cfg.Debug {
		c.log = append(c.log, fmt.Sprintf(format, args...))
	}
}

// start sets the container up as a checklist and starts the command, once
// notified is closed; the order matters where a comment says so.
func (c *container) start(notified <-chan struct{}) error {
	cfg := c.cfg
	// Nothing we mount may propagate back to the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	fd, err := unix.Open(cfg.Scratch, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open scratch: %w", err)
	}
	c.scratch = fd
	rootDir := filepath.Join(cfg.Scratch, "root")
	if err := os.Mkdir(rootDir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("scratch: %w", err)
	}
	if err := c.mountRoot(rootDir); err != nil {
		return err
	}
	r, err := openRoot(rootDir)
	if err != nil {
		return err
	}
	if cfg.Debug {
		r.logf = c.debugf
	}
	defer unix.Close(r.fd)
	// We are pid 1 of the new pid namespace: this proc shows only our tree.
	if err := r.mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return err
	}
	if cfg.NetNS {
		// sysfs can be mounted only by the owner of the network namespace.
		err = r.mount("sysfs", "/sys", "sysfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	} else {
		err = r.bind("/sys", "/sys", true)
	}
	if err != nil {
		return err
	}
	if err := r.setupDev(!cfg.Single); err != nil {
		return err
	}
	for _, name := range etcFiles {
		if err := r.bind(filepath.Join(cfg.Scratch, name), "/etc/"+name, false); err != nil {
			return err
		}
	}
	for _, m := range cfg.Mounts {
		if err := r.bind(m.Source, m.Target, m.ReadOnly); err != nil {
			return err
		}
	}
	for _, p := range maskedPaths {
		if err := r.mask(p); err != nil {
			return err
		}
	}
	for _, p := range readonlyPaths {
		if err := r.readOnly(p); err != nil {
			return err
		}
	}
	// pivot_root, never chroot: the old root is detached and unreachable.
	if err := unix.Chdir(rootDir); err != nil {
		return fmt.Errorf("chdir to root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	if cfg.NetNS {
		if err := loopbackUp(); err != nil {
			return err
		}
	}
	c.debugf("pivot_root into %s; hostname %s", rootDir, cfg.Hostname)
	u, err := resolveUser(cfg.User, "/etc/passwd", "/etc/group")
	if err != nil {
		return err
	}
	c.debugf("user %q: uid %d, gid %d, groups %v, home %s", cfg.User, u.uid, u.gid, u.groups, u.home)
	env := containerEnv(cfg, u)
	if cfg.Cwd != "/" {
		// As docker: a missing working directory is created.
		_ = os.MkdirAll(cfg.Cwd, 0o755)
	}
	if cfg.ReadOnly {
		// After the last write to the root (the working directory above).
		if err := setReadOnly(unix.AT_FDCWD, "/", 0); err != nil {
			return fmt.Errorf("read-only root: %w", err)
		}
	}
	path, err := lookPath(cfg.Args[0], env)
	if err != nil {
		return err
	}
	// The container's cgroup namespace is rooted at the cgroup the parent put
	// us in.
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return fmt.Errorf("unshare cgroup namespace: %w", err)
	}
	if err := dropCapabilities(); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	attr := &syscall.ProcAttr{
		Dir:   cfg.Cwd,
		Env:   env,
		Files: []uintptr{0, 1, 2},
		Sys: &syscall.SysProcAttr{
			Setsid: true,
			Credential: &syscall.Credential{
				Uid: uint32(u.uid), Gid: uint32(u.gid), Groups: toUint32(u.groups),
				NoSetGroups: cfg.Single,
			},
		},
	}
	var slave *os.File
	if cfg.TTY {
		c.master, slave, err = openPTY(u.uid)
		if err != nil {
			return err
		}
		if cfg.Winsize != nil {
			// Before the command starts, so that its first look is right.
			if err := unix.IoctlSetWinsize(int(c.master.Fd()), unix.TIOCSWINSZ, cfg.Winsize); err != nil {
				return fmt.Errorf("set pty window size: %w", err)
			}
		}
		fd := slave.Fd()
		attr.Files = []uintptr{fd, fd, fd}
		attr.Sys.Setctty = true
		attr.Sys.Ctty = 0
	}
	<-notified
	// syscall.ForkExec rather than os/exec: it forks from this locked
	// thread and skips os/exec's one-time probe fork.
	c.pid, err = syscall.ForkExec(path, cfg.Args, attr)
	if slave != nil {
		slave.Close()
	}
	if err != nil {
		code := 126
		if errors.Is(err, os.ErrNotExist) {
			code = 127
		}
		return &commandError{code, fmt.Errorf("start %s: %w", cfg.Args[0], err)}
	}
	c.debugf("started %s (pid %d in the container), cwd %s", path, c.pid, cfg.Cwd)
	return nil
}

// mountRoot mounts the overlay of the layers on dir, or, when the kernel
// refuses overlayfs, copies the layers into dir.
func (c *container) mountRoot(dir string) error {
	cfg := c.cfg
	upper := filepath.Join(cfg.Scratch, "upper")
	work := filepath.Join(cfg.Scratch, "work")
	err := mountOverlay(cfg.Layers, upper, work, dir)
	if err == nil {
		c.debugf("root: overlay of %d layers (top first: %s), upper %s", len(cfg.Layers), strings.Join(reversed(cfg.Layers), ":"), upper)
		return nil
	}
	if cfg.KeepUpper {
		return fmt.Errorf("%v: a build step's changes are read from the overlay's upper directory, and this kernel refuses the overlay", err)
	}
	Warn(fmt.Sprintf("%v; copying the image's layers instead", err))
	if err := flatten(cfg.Layers, dir); err != nil {
		return err
	}
	c.debugf("root: overlayfs refused (%v); %d layers copied into %s", err, len(cfg.Layers), dir)
	// pivot_root needs a mount point.
	if err := unix.Mount(dir, dir, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind mount root %s: %w", dir, err)
	}
	return nil
}

func containerEnv(cfg *initConfig, u execUser) []string {
	env := []string{"PATH=" + DefaultPath, "HOSTNAME=" + cfg.Hostname, "HOME=" + u.home}
	if cfg.TTY {
		env = append(env, "TERM=xterm")
	}
	for _, kv := range cfg.Env {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range env {
			if strings.HasPrefix(old, k+"=") {
				env[i], replaced = kv, true
			}
		}
		if !replaced {
			env = append(env, kv)
		}
	}
	return env
}

// lookPath finds the command in the container's PATH.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &commandError{127, fmt.Errorf("%s: executable file not found in $PATH", name)}
}

// docker's default capabilities: every other one leaves the bounding set.
var defaultCaps = map[int]bool{
	unix.CAP_CHOWN: true, unix.CAP_DAC_OVERRIDE: true, unix.CAP_FSETID: true,
	unix.CAP_FOWNER: true, unix.CAP_MKNOD: true, unix.CAP_NET_RAW: true,
	unix.CAP_SETGID: true, unix.CAP_SETUID: true, unix.CAP_SETFCAP: true,
	unix.CAP_SETPCAP: true, unix.CAP_NET_BIND_SERVICE: true, unix.CAP_SYS_CHROOT: true,
	unix.CAP_KILL: true, unix.CAP_AUDIT_WRITE: true,
}

func dropCapabilities() error {
	last := unix.CAP_LAST_CAP
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			last = n
		}
	}
	for c := 0; c <= last; c++ {
		if defaultCaps[c] {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	return nil
}

func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: get flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: bring up: %w", err)
	}
	return nil
}

// openPTY opens a pseudo terminal on the container's own devpts and gives
// its slave to uid.
func openPTY(uid int) (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/pts/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("open pty slave: %w", err)
	}
	_ = unix.Fchown(int(s.Fd()), uid, -1)
	return m, s, nil
}

func toUint32(l []int) []uint32 {
	out := make([]uint32, len(l))
	for i, v := range l {
		out[i] = uint32(v)
	}
	return out
}

// supervise forwards signals to the command and reaps children until the
// command exits; it returns the command's exit code (128+N for signal N).
func (c *container) supervise(sigs chan os.Signal, orphaned chan struct{}) int {
	pid := c.pid
	for {
		var sig os.Signal
		select {
		case sig = <-sigs:
		case <-orphaned:
			orphaned = nil
			_ = unix.Kill(pid, unix.SIGKILL)
			continue
		}
		s := sig.(syscall.Signal)
		switch s {
		case unix.SIGCHLD:
			for {
				var ws unix.WaitStatus
				p, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
				if err == unix.EINTR {
					continue
				}
				if p <= 0 || err != nil {
					break
				}
				if p == pid {
					return statusCode(ws)
				}
			}
		case unix.SIGURG, unix.SIGPIPE:
			// The Go runtime's preemption signal; a broken pipe of our own.
		default:
			_ = unix.Kill(pid, s)
		}
	}
}

func statusCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// cleanup kills what is left of the container and empties the scratch
// space from inside the user namespace, where the files' owners are mapped:
// all but its lock (and the upper directory, with keepUpper), so that gun
// has little left to do after the exit report.
func (c *container) cleanup(keepUpper bool) {
	_ = unix.Kill(-1, unix.SIGKILL) // as pid 1: every other process in the namespace
	for {
		_, err := unix.Wait4(-1, nil, 0, nil)
		if err != unix.EINTR && err != nil {
			break
		}
	}
	for _, name := range append([]string{"upper", "work", "root"}, etcFiles...) {
		if keepUpper && name == "upper" {
			continue
		}
		_ = os.RemoveAll(filepath.Join(fdPath(c.scratch), name))
	}
}

func reversed(l []string) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[len(l)-1-i] = v
	}
	return out
}
