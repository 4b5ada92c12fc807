package runtime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// Run runs spec.Args in a new container and returns the command's exit code
// (128+N when it was killed by signal N). An error means the container
// could not be set up or the command could not be started; the exit code
// then is docker's: 125 for gun's own failures, 126 for a command that
// cannot be executed, 127 for one that is not found.
//
// Run forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to the
// command. Cancelling ctx kills the container.
func (rt *Runtime) Run(ctx context.Context, spec Spec) (exitCode int, err error) {
	return rt.run(ctx, spec, nil)
}

// run is Run; commit, when not nil, is called after the command exited with
// 0 (and only then), before the scratch directory is removed, and the init
// is asked to leave the overlay's upper directory in it for commit.
func (rt *Runtime) run(ctx context.Context, spec Spec, commit func() error) (exitCode int, err error) {
	s, err := rt.Prestart(spec)
	if err != nil {
		return 125, err
	}
	return s.run(ctx, spec, commit)
}

// Starter is a container whose init process is started but not yet told
// what to run. Starting the init (a new process in new namespaces whose id
// maps setuid helpers write) takes milliseconds; Prestart lets the caller
// find the image and lay out the scratch space meanwhile.
type Starter struct {
	rt       *Runtime
	proc     process                         // the init, or the relay to it (join)
	wait     func() (unix.WaitStatus, error) // waits for proc
	parent   *os.File
	maps     *idMaps
	netNS    bool
	tty      bool
	outer    *os.File // the local terminal, with TTY
	sigs     chan os.Signal
	notified chan struct{} // sigs is registered
	mapsOK   chan error    // the id maps are written
	// join: the init joined a holder's user namespace (holder.go); the
	// relay it forked from tells its pid first.
	join bool
	used bool
	// planned: the prefork set the container up from a plan (plan.go);
	// planArgs: this run's plan is keyed by them, nil for none.
	planned  *planned
	planArgs []string
	plan     []byte // the plan checkPlan worked out, for savePlan
	// copied: run on a copy of the layers, made after the kernel refused
	// to overlay them for another init; restarted: that init handed its
	// container to another (copyRoot).
	copied, restarted bool
}

// process is the container's init, or the relay to it, as gun controls it.
type process interface {
	pid() int
	Signal(os.Signal) error
	Kill() error
}

// execProcess is a process that os/exec started.
type execProcess struct{ *os.Process }

func (p execProcess) pid() int { return p.Pid }

// Prestart starts the init of a container ahead of Starter.Run. Only spec's
// Network, TTY, Stdin, Stdout and Stderr are used here; the spec given to
// Run must agree on them. Call Run or Close.
func (rt *Runtime) Prestart(spec Spec) (*Starter, error) {
	s := &Starter{rt: rt, tty: spec.TTY, netNS: spec.Network != HostNetwork}
	var err error
	if spec.TTY {
		s.outer = terminalOf(spec.Stdin, spec.Stdout)
	}
	// Registered before the command starts (run waits for it), so that no
	// signal for it is lost. signal.Notify mostly waits: it hands each new
	// signal to the Go runtime's signal thread in turn. Yielding at once
	// runs it up to its first wait, so that the caller's work overlaps the
	// rest without waiting for another thread to pick the goroutine up.
	s.sigs = make(chan os.Signal, 16)
	s.notified = make(chan struct{})
	go func() {
		signal.Notify(s.sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH)
		close(s.notified)
	}()
	goruntime.Gosched()
	s.mapsOK = make(chan error, 1)
	if s.prefork(spec) {
		s.mapsOK <- nil
		if debugEnabled() {
			slog.Debug("container init started", "pid", s.proc.pid(), "network", spec.Network, "tty", spec.TTY, "joined_holder", true, "preforked", true, "planned", s.planned != nil)
		}
		return s, nil
	}
	if s.maps, err = rt.maps(); err != nil {
		s.stopSignals()
		return nil, err
	}
	parent, child, err := socketPair()
	if err != nil {
		s.stopSignals()
		return nil, err
	}
	s.parent = parent
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Env:        []string{},
		ExtraFiles: []*os.File{child},
		// The container dies with gun, even on SIGKILL.
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: unix.SIGKILL},
	}
	// Joining, the init makes the other namespaces itself.
	flags, join := uintptr(unix.CLONE_NEWNS|unix.CLONE_NEWPID|unix.CLONE_NEWUTS|unix.CLONE_NEWIPC), "1"
	if s.netNS {
		flags, join = flags|unix.CLONE_NEWNET, "net"
	}
	ns := rt.enterUserNS(cmd, []string{entryInit}, s.maps, flags, join)
	s.join = ns != nil
	if !spec.TTY {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = spec.Stdin, spec.Stdout, spec.Stderr
	}
	err = cmd.Start()
	child.Close()
	if ns != nil {
		ns.Close()
	}
	if err != nil {
		s.stopSignals()
		parent.Close()
		return nil, fmt.Errorf("start container init: %w", err)
	}
	s.proc = execProcess{cmd.Process}
	s.wait = func() (unix.WaitStatus, error) {
		err := cmd.Wait()
		if cmd.ProcessState == nil {
			return 0, err
		}
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		return unix.WaitStatus(ws), nil
	}
	if debugEnabled() {
		slog.Debug("container init started", "pid", s.proc.pid(), "network", spec.Network, "tty", spec.TTY, "joined_holder", s.join)
	}
	if s.join {
		s.mapsOK <- nil
		return s, nil
	}
	// newuidmap and newgidmap run while the caller goes on.
	go func() { s.mapsOK <- writeMaps(int(parent.Fd()), s.proc.pid(), s.maps) }()
	return s, nil
}

// replan abandons a planned container before it ran anything, waits for its
// init to empty the scratch directory and exit, and runs spec in a
// container gun starts itself, in the same scratch directory.
func (s *Starter) replan(ctx context.Context, spec Spec, commit func() error, why string) (int, error) {
	slog.Debug("run plan not used", "why", why)
	s.parent.Close() // the init's end of it says so
	_, _ = s.wait()
	s.stopSignals()
	if p := s.planned; p.scratch != spec.Scratch {
		// One that gun did not take (Scratch), emptied by the init.
		if err := s.rt.removeScratch(p.scratch); err != nil {
			slog.Debug("run plan's scratch directory not removed", "error", err)
		}
		p.lock.Close()
	}
	f, err := s.rt.Prestart(spec) // the prefork is taken: an init of its own
	if err != nil {
		return 125, err
	}
	f.planArgs = s.planArgs
	return f.run(ctx, spec, commit)
}

// copyRoot runs spec again on a copy of its layers, since the kernel
// refused to overlay them (why says how): once s's init, which reported it
// and set nothing up, is gone, a helper in the user namespace copies the
// layers into <scratch>/root (flatten.go) and a new init starts the
// container on that directory.
func (s *Starter) copyRoot(ctx context.Context, spec Spec, cfg *initConfig, cg *cgroup, commit func() error, why string) (int, error) {
	s.restarted = true
	_, _ = s.wait()
	s.stopSignals()
	defer s.rt.removeScratch(spec.Scratch) // when the copy or the start fails
	if cg != nil {
		if err := cg.remove(); err != nil {
			return 125, err
		}
	}
	if commit != nil {
		return 125, fmt.Errorf("%s: a build step's changes cannot be told apart on a copy of its layers", why)
	}
	Warn(why + "; copying the image's layers instead")
	if err := s.rt.CopyLayers(ctx, cfg.Layers, filepath.Join(cfg.Scratch, scratchRoot)); err != nil {
		return 125, err
	}
	f, err := s.rt.Prestart(spec) // the prefork is taken: an init of its own
	if err != nil {
		return 125, err
	}
	f.copied = true
	return f.run(ctx, spec, commit)
}

// Close kills an init that Run was not called for. It is a no-op after Run.
func (s *Starter) Close() {
	if s.used {
		return
	}
	s.used = true
	s.abort()
}

// abort kills the init and waits for it and for the id map helpers.
func (s *Starter) abort() {
	if s.planned != nil {
		// Its init empties the scratch directory as it ends; the
		// directory is the caller's, as from Scratch.
		s.parent.Close()
	} else {
		_ = s.proc.Kill()
	}
	<-s.mapsOK
	_, _ = s.wait()
	s.stopSignals()
	s.parent.Close()
	if s.planned != nil {
		_ = s.rt.removeScratch(s.planned.scratch)
		s.planned.lock.Close()
	}
}

// killInit kills the init (or the relay, and the init with it) and reaps
// it.
func (s *Starter) killInit() {
	_ = s.proc.Kill()
	_, _ = s.wait()
}

func (s *Starter) stopSignals() {
	<-s.notified
	signal.Stop(s.sigs)
}

// Run configures the prestarted init to run spec and waits for the command,
// as Runtime.Run does.
func (s *Starter) Run(ctx context.Context, spec Spec) (exitCode int, err error) {
	return s.run(ctx, spec, nil)
}

func (s *Starter) run(ctx context.Context, spec Spec, commit func() error) (exitCode int, err error) {
	if s.used {
		return 125, errors.New("container already run")
	}
	s.used = true
	if spec.TTY != s.tty || (spec.Network != HostNetwork) != s.netNS {
		s.abort()
		return 125, errors.New("spec does not match the prestarted container")
	}
	cfg, etc, err := prepareConfig(&spec)
	if err == nil && (spec.TTY != s.tty || cfg.NetNS != s.netNS) {
		err = errors.New("spec does not match the prestarted container")
	}
	if err == nil && s.planned == nil {
		err = writeScratch(cfg.Scratch, etc)
	}
	if err == nil && s.maps == nil { // a planned start's, computed meanwhile
		s.maps, err = s.rt.maps()
	}
	if err != nil {
		s.abort()
		if s.planned == nil && spec.Scratch != "" {
			// Nothing ran in it (abort removes a planned one).
			_ = s.rt.removeScratch(spec.Scratch)
		}
		return 125, err
	}
	cfg.KeepUpper = commit != nil
	cfg.Copied = s.copied
	debug := debugEnabled()
	cfg.Single = s.maps.single
	cfg.Debug = debug
	if s.planned != nil && !s.checkPlan(&spec, cfg, etc, commit != nil) {
		return s.replan(ctx, spec, commit, "the plan differs")
	}
	defer func() {
		if s.restarted {
			return // the other init's run did it all
		}
		if commit != nil && err == nil && exitCode == 0 {
			if cerr := commit(); cerr != nil {
				exitCode, err = 125, cerr
			}
		}
		rerr := s.rt.removeScratch(spec.Scratch)
		if rerr != nil && err == nil {
			exitCode, err = 125, rerr
		}
		if debug {
			slog.Debug("container exited", "code", exitCode, "error", err)
			if rerr == nil {
				slog.Debug("scratch removed", "dir", spec.Scratch)
			}
		}
	}()
	if debug {
		slog.Debug("container spec", "args", cfg.Args, "cwd", cfg.Cwd, "user", cfg.User, "hostname", cfg.Hostname,
			"layers", len(cfg.Layers), "scratch", cfg.Scratch, "read_only", cfg.ReadOnly, "volumes", len(cfg.Mounts))
	}
	if s.outer != nil {
		cfg.Winsize, _ = unix.IoctlGetWinsize(int(s.outer.Fd()), unix.TIOCGWINSZ)
	} else if spec.TTY {
		cfg.Winsize = spec.Winsize
	}
	var cg *cgroup
	if spec.Resources.Any() {
		// Those of containers whose gun was killed go first.
		if _, err := RemoveStaleCgroups(filepath.Dir(cfg.Scratch)); err != nil {
			slog.Debug("stale cgroups", "error", err)
		}
		cg, err = newCgroup(cgroupName(cfg.Scratch), spec.Resources)
		if err != nil {
			s.abort()
			return 125, err
		}
		defer func() {
			if rerr := cg.remove(); rerr != nil && err == nil {
				exitCode, err = 125, rerr
			}
		}()
	}
	// Forwarding ends with the command. signal.Stop waits until the signal
	// loop is idle, which need not delay the caller (gun's exit).
	defer func() { go s.stopSignals() }()
	defer s.parent.Close()
	proc, sigs := s.proc, s.sigs
	pfd := int(s.parent.Fd())
	if err := <-s.mapsOK; err != nil {
		s.killInit()
		return 125, err
	}
	pid := proc.pid()
	if s.join {
		if pid, err = relayedPid(pfd); err != nil {
			s.killInit()
			return 125, err
		}
	}
	<-s.notified
	// What an exec into it needs (exec.go), before anything runs there.
	if err := writeContainer(cfg, pid); err != nil {
		s.killInit()
		return 125, err
	}
	if s.planned != nil {
		// The init has the plan's configuration, checked: let it run the
		// command.
		b, ok := verdict(cfg.Args)
		if !ok {
			return s.replan(ctx, spec, commit, "the command does not fit gun's word")
		}
		if err = sendPacket(pfd, b); err != nil {
			// It failed before it ran anything; gun starts one itself.
			return s.replan(ctx, spec, commit, err.Error())
		}
	} else {
		var ready func() error
		if spec.Network == PrivateNetwork {
			var p *pasta
			if p, err = startPasta(spec.Ports, cfg.Scratch, pid); err != nil {
				s.killInit()
				return 125, err
			}
			defer p.stop()
			ready = p.wait
		}
		err = startInit(pfd, pid, cfg, cg, ready)
	}
	if err != nil && !reported(pfd) {
		s.killInit()
		return 125, err
	}
	var ready readyMsg
	fds, err := recvMsg(pfd, &ready)
	for _, l := range ready.Log {
		slog.Debug("container setup", "step", l)
	}
	if s.planned != nil && err == nil && ready.Planned {
		// The init failed before it ran anything, and says so; gun starts
		// one itself. (Without its word, the command may have run.)
		return s.replan(ctx, spec, commit, ready.Error)
	}
	if err == nil && ready.OverlayRefused && !s.copied {
		return s.copyRoot(ctx, spec, cfg, cg, commit, ready.Error)
	}
	if err == nil && ready.Error != "" {
		err = errors.New(ready.Error)
	}
	if err == nil {
		s.savePlan(&spec, cfg, etc, commit != nil)
	}
	if err != nil {
		s.killInit()
		if ready.Code != 0 {
			return ready.Code, err
		}
		return 125, fmt.Errorf("container setup: %w", err)
	}

	var tty *ptyCopier
	if spec.TTY {
		if len(fds) != 1 {
			s.killInit()
			return 125, fmt.Errorf("container setup: no pty received")
		}
		tty = newPTYCopier(os.NewFile(uintptr(fds[0]), "pty"), s.outer, spec.Stdin, spec.Stdout)
		defer tty.restore()
		if spec.Console != nil {
			spec.Console(tty.master)
		}
	}
	if spec.Started != nil {
		spec.Started()
	}

	// The init is exiting once it reported; the kernel's teardown of its
	// namespaces need not delay us (waited still reaps it), unless its
	// cgroup is to be removed, which needs it gone, or exec.Cmd copies the
	// output through pipes, which only Wait drains to the end.
	return awaitExit(ctx, proc, s.wait, pfd, sigs, tty, cg != nil || copiesOutput(spec.Stdout, spec.Stderr))
}

// awaitExit waits for the exit report of the command that proc (an init,
// the relay to one, or an exec's relay, whose sync socket is pfd)
// supervises, forwarding sigs to proc and following the window size for
// tty (nil without one), and returns the command's exit code. Cancelling
// ctx kills proc. reap: return only once proc is reaped.
func awaitExit(ctx context.Context, proc process, wait func() (unix.WaitStatus, error), pfd int, sigs <-chan os.Signal,
	tty *ptyCopier, reap bool) (int, error) {
	type waitResult struct {
		ws  unix.WaitStatus
		err error
	}
	waited := make(chan waitResult, 1)
	go func() {
		ws, err := wait()
		waited <- waitResult{ws, err}
	}()
	exited := make(chan exitMsg, 1)
	go func() {
		var m exitMsg
		if _, err := recvMsg(pfd, &m); err == nil {
			exited <- m
		}
	}()
	for {
		select {
		case sig := <-sigs:
			if sig == unix.SIGWINCH {
				if tty != nil {
					tty.resize()
				}
				continue
			}
			_ = proc.Signal(sig)
		case <-ctx.Done():
			_ = proc.Kill()
			<-waited
			if tty != nil {
				tty.wait()
			}
			return 125, ctx.Err()
		case m := <-exited:
			if reap {
				<-waited
			}
			if tty != nil {
				tty.wait()
			}
			return m.result()
		case w := <-waited:
			if tty != nil {
				tty.wait()
			}
			select {
			case m := <-exited: // the report, if one was made
				return m.result()
			default:
			}
			if w.err != nil {
				return 125, fmt.Errorf("wait for container: %w", w.err)
			}
			return statusCode(w.ws), nil
		}
	}
}

func statusCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// copiesOutput reports whether the command's output reaches its writers
// through copying goroutines (any writer but an *os.File).
func copiesOutput(stdout, stderr io.Writer) bool {
	for _, w := range []io.Writer{stdout, stderr} {
		if _, isFile := w.(*os.File); w != nil && !isFile {
			return true
		}
	}
	return false
}

// relayedPid reads the relay's report of the init's pid.
func relayedPid(fd int) (int, error) {
	var m relayMsg
	if _, err := recvMsg(fd, &m); err != nil {
		return 0, fmt.Errorf("start container init: %w", err)
	}
	if m.Error != "" || m.Pid <= 0 {
		return 0, fmt.Errorf("start container init: %s", cmp.Or(m.Error, "no pid"))
	}
	return m.Pid, nil
}

// startInit hands the init its configuration (fastconfig.go), puts it in
// its cgroup and lets it go once ready (if not nil) says so. Its id maps
// are written.
func startInit(fd, pid int, cfg *initConfig, cg *cgroup, ready func() error) error {
	b, err := fastConfig(cfg)
	if err != nil {
		return err
	}
	if err := sendPacket(fd, b); err != nil {
		return fmt.Errorf("send container config: %w", err)
	}
	slog.Debug("container config sent")
	if cg != nil {
		if err := cg.add(pid); err != nil {
			return err
		}
	}
	if ready != nil {
		if err := ready(); err != nil {
			return err
		}
	}
	if err := sendMsg(fd, goMsg{}); err != nil {
		return fmt.Errorf("start container: %w", err)
	}
	return nil
}

// entryName is the argv[0] to re-execute gun with for entry.
func entryName(entry string, maps *idMaps) string {
	if maps.helper {
		return entry + mapsSuffix
	}
	return entry
}

// writeMaps has newuidmap/newgidmap write the child's id maps, when they are
// needed, and tells the child.
func writeMaps(fd, pid int, maps *idMaps) error {
	if !maps.helper {
		return nil
	}
	if err := writeMapsWithHelper(pid, maps); err != nil {
		return err
	}
	if err := sendMsg(fd, mapsMsg{}); err != nil {
		return fmt.Errorf("start container: %w", err)
	}
	return nil
}

// The layout of a container's scratch directory (scratch.h has it for
// the C init and plans): the overlay's upper and work directories, the copy
// of the layers when the kernel refuses the overlay, and etcFiles, the
// files the init binds on /etc/<name>.
const (
	scratchUpper = "upper"
	scratchWork  = "work"
	scratchRoot  = "root"
)

var etcFiles = []string{"resolv.conf", "hosts", "hostname"}

// scratchFile is a file of the scratch directory that the init binds on
// /etc.
type scratchFile struct {
	name string
	data []byte
}

// writeScratch lays out the scratch directory: the overlay's upper and work
// directories and the files bound on /etc. (The init mounts the root on
// the directory itself.)
func writeScratch(dir string, etc []scratchFile) error {
	for _, d := range []string{scratchUpper, scratchWork} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("scratch: %w", err)
		}
	}
	for _, f := range etc {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("scratch: %w", err)
		}
	}
	return nil
}

// prepareConfig checks the spec and fills in defaults; it returns the
// init's configuration and the files of the scratch directory.
func prepareConfig(spec *Spec) (*initConfig, []scratchFile, error) {
	if len(spec.Args) == 0 || spec.Args[0] == "" {
		return nil, nil, errors.New("no command to run")
	}
	if len(spec.Layers) == 0 {
		return nil, nil, errors.New("no image layers")
	}
	if spec.Scratch == "" {
		return nil, nil, errors.New("no scratch directory")
	}
	cfg := &initConfig{
		Args: spec.Args, Env: spec.Env, Cwd: spec.Cwd, User: spec.User,
		Hostname: spec.Hostname, ReadOnly: spec.ReadOnly, TTY: spec.TTY,
	}
	if cfg.Hostname == "" {
		cfg.Hostname = DefaultHostname
	}
	if cfg.Cwd == "" {
		cfg.Cwd = "/"
	}
	if !filepath.IsAbs(cfg.Cwd) {
		return nil, nil, fmt.Errorf("working directory %q: not an absolute path", cfg.Cwd)
	}
	if err := security(spec, cfg); err != nil {
		return nil, nil, err
	}
	if err := spec.Network.CheckPorts(spec.Ports); err != nil {
		return nil, nil, err
	}
	cfg.NetNS = spec.Network != HostNetwork
	for _, kv := range spec.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, nil, fmt.Errorf("environment entry %q: want KEY=VALUE", kv)
		}
	}
	var err error
	for _, l := range spec.Layers {
		if l, err = filepath.Abs(l); err != nil {
			return nil, nil, err
		}
		if fi, err := os.Stat(l); err != nil || !fi.IsDir() {
			return nil, nil, fmt.Errorf("layer %s: not a directory", l)
		}
		cfg.Layers = append(cfg.Layers, l)
	}
	for _, m := range spec.Mounts {
		if !filepath.IsAbs(m.Target) {
			return nil, nil, fmt.Errorf("mount target %q: not an absolute path", m.Target)
		}
		if m.Tmpfs {
			if m.Size < 0 {
				return nil, nil, fmt.Errorf("tmpfs at %s: negative size", m.Target)
			}
			mode := m.Mode
			switch {
			case mode == 0:
				mode = 0o1777
			case mode > 0o7777:
				return nil, nil, fmt.Errorf("tmpfs at %s: mode %o", m.Target, m.Mode)
			}
			cfg.Mounts = append(cfg.Mounts, Mount{Target: filepath.Clean(m.Target), Tmpfs: true, Size: m.Size, Mode: mode})
			continue
		}
		src, err := filepath.Abs(m.Source)
		if err != nil {
			return nil, nil, err
		}
		if _, err := os.Stat(src); err != nil {
			return nil, nil, fmt.Errorf("mount source: %w", err)
		}
		cfg.Mounts = append(cfg.Mounts, Mount{Source: src, Target: filepath.Clean(m.Target), ReadOnly: m.ReadOnly})
	}
	if cfg.Scratch, err = filepath.Abs(spec.Scratch); err != nil {
		return nil, nil, err
	}
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("read host resolv.conf: %w", err)
	}
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + cfg.Hostname + "\n"
	for _, h := range spec.Hosts {
		hosts += h.IP + "\t" + h.Name + "\n"
	}
	return cfg, []scratchFile{
		{"resolv.conf", resolvConf(resolv, spec.Network, spec.DNS)}, {"hosts", []byte(hosts)}, {"hostname", []byte(cfg.Hostname + "\n")},
	}, nil
}

// ptyCopier copies between the container's pty and gun's stdio, with the
// local terminal in raw mode and its window size followed.
type ptyCopier struct {
	master *os.File
	term   *os.File // the local terminal, if any
	state  *term.State
	done   chan struct{}
}

// terminalOf returns the first of in and out that is a terminal, or nil.
func terminalOf(in io.Reader, out io.Writer) *os.File {
	for _, s := range []any{in, out} {
		if f, ok := s.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return f
		}
	}
	return nil
}

// newPTYCopier starts copying; outer is the local terminal (or nil), whose
// window size the init already gave the pty.
func newPTYCopier(master, outer *os.File, in io.Reader, out io.Writer) *ptyCopier {
	p := &ptyCopier{master: master, term: outer, done: make(chan struct{})}
	if p.term != nil {
		// A resize between the init's setting and now would be lost.
		p.resize()
		if f, ok := in.(*os.File); ok && f == p.term {
			p.state, _ = term.MakeRaw(int(f.Fd()))
		}
	}
	if in != nil {
		go func() { _, _ = io.Copy(master, in) }()
	}
	if out == nil {
		out = io.Discard
	}
	go func() {
		// Reading the master fails with EIO once the last slave is closed.
		_, _ = io.Copy(out, master)
		close(p.done)
	}()
	return p
}

func (p *ptyCopier) resize() {
	if p.term == nil {
		return
	}
	ws, err := unix.IoctlGetWinsize(int(p.term.Fd()), unix.TIOCGWINSZ)
	if err == nil {
		_ = unix.IoctlSetWinsize(int(p.master.Fd()), unix.TIOCSWINSZ, ws)
	}
}

func (p *ptyCopier) wait() { <-p.done }

func (p *ptyCopier) restore() {
	if p.state != nil {
		_ = term.Restore(int(p.term.Fd()), p.state)
	}
	p.master.Close()
}

// debugEnabled reports whether debug logs are on, so that hot paths build
// their attributes only then.
func debugEnabled() bool { return slog.Default().Enabled(context.Background(), slog.LevelDebug) }
