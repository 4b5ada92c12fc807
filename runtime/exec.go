package runtime

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/internal/proc"
)

// Process is a process to start in a running container (Exec), as runc
// exec's process.json describes one.
type Process struct {
	Args []string // the command and its arguments; required
	// Env holds KEY=VALUE entries over Docker's defaults (PATH, HOSTNAME,
	// HOME from the user's passwd entry, TERM with TTY), as for a run.
	Env  []string
	Cwd  string // working directory, which must exist; default "/"
	User string // USER[:GROUP], names or numbers, as Spec.User; default root
	// Groups are supplementary groups added to those of User.
	Groups []uint32
	TTY    bool // a pseudo terminal of the container's devpts
	// Caps is the bounding set (bit n: capability n); NoNewPrivs sets
	// no_new_privs; Seccomp, when not nil, is loaded just before execve.
	Caps       uint64
	NoNewPrivs bool
	Seccomp    []bpf.RawInstruction

	Stdin          io.Reader // nil means /dev/null
	Stdout, Stderr io.Writer // nil means discard
}

// Exec runs p in the running container whose init is init (a pidfd, as
// Container.OpenInit returns) and returns its exit code (128+N when it was killed by
// signal N). It joins the namespaces of the container's command (user,
// mount, pid, uts, ipc, network and cgroup) and the cgroups gun made for
// its limits; the user is resolved against the container's /etc/passwd
// and /etc/group as for a run. An error means the process could not be
// started; the exit code then is Docker's: 125 for gun's own failures,
// 126 for a command that cannot be executed, 127 for one that is not
// found.
//
// Exec forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to
// the process. Cancelling ctx kills it.
func Exec(ctx context.Context, init *os.File, p Process) (int, error) {
	cfg, err := execConfig(&p)
	if err != nil {
		return 125, err
	}
	cfg.Debug = debugEnabled()
	var outer *os.File
	if p.TTY {
		if outer = terminalOf(p.Stdin, p.Stdout); outer != nil {
			cfg.Winsize, _ = unix.IoctlGetWinsize(int(outer.Fd()), unix.TIOCGWINSZ)
		}
	}
	b, err := fastConfig(cfg)
	if err != nil {
		return 125, err
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH)
	defer signal.Stop(sigs)
	parent, child, err := socketPair()
	if err != nil {
		return 125, err
	}
	defer parent.Close()
	cmd := &exec.Cmd{
		Path: "/proc/self/exe", Args: []string{entryExec}, Env: []string{},
		ExtraFiles:  []*os.File{child, init},
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: unix.SIGKILL},
	}
	if !p.TTY {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = p.Stdin, p.Stdout, p.Stderr
	}
	err = cmd.Start()
	child.Close()
	if err != nil {
		return 125, fmt.Errorf("exec: start: %w", err)
	}
	proc := execProcess{cmd.Process}
	wait := func() (unix.WaitStatus, error) {
		err := cmd.Wait()
		if cmd.ProcessState == nil {
			return 0, err
		}
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		return unix.WaitStatus(ws), nil
	}
	fail := func(err error) (int, error) {
		_ = proc.Kill()
		_, _ = wait()
		return 125, err
	}
	pfd := int(parent.Fd())
	if err := sendPacket(pfd, b); err != nil {
		return fail(fmt.Errorf("exec: send config: %w", err))
	}
	// The relay found the container's command and holds it; it joins its
	// cgroups before anything runs in the container.
	var m relayMsg
	if _, err := recvMsg(pfd, &m); err != nil || m.Error != "" || m.Pid <= 0 {
		if err == nil {
			err = errors.New(m.Error)
		}
		return fail(fmt.Errorf("exec: %w", err))
	}
	if err := joinContainerCgroups(proc.pid(), m.Pid); err != nil {
		return fail(fmt.Errorf("exec: %w", err))
	}
	if err := sendMsg(pfd, goMsg{}); err != nil {
		return fail(fmt.Errorf("exec: %w", err))
	}
	var ready readyMsg
	fds, err := recvMsg(pfd, &ready)
	for _, l := range ready.Log {
		slog.Debug("exec setup", "step", l)
	}
	if err == nil && ready.Error != "" {
		_, _ = wait()
		return cmp.Or(ready.Code, 125), errors.New(ready.Error)
	}
	if err != nil {
		return fail(fmt.Errorf("exec: %w", err))
	}
	var tty *ptyCopier
	if p.TTY {
		if len(fds) != 1 {
			return fail(errors.New("exec: no pty received"))
		}
		tty = newPTYCopier(os.NewFile(uintptr(fds[0]), "pty"), outer, p.Stdin, p.Stdout)
		defer tty.restore()
	}
	return awaitExit(ctx, proc, wait, pfd, sigs, tty, copiesOutput(p.Stdout, p.Stderr))
}

// execConfig checks p and returns its configuration for the C exec.
func execConfig(p *Process) (*initConfig, error) {
	if len(p.Args) == 0 || p.Args[0] == "" {
		return nil, errors.New("exec: no command to run")
	}
	cfg := &initConfig{
		Args: p.Args, Env: p.Env, Cwd: p.Cwd, User: p.User, Groups: p.Groups, TTY: p.TTY,
		Caps: p.Caps, NoNewPrivs: p.NoNewPrivs, Seccomp: p.Seccomp,
	}
	if cfg.Cwd == "" {
		cfg.Cwd = "/"
	}
	if !filepath.IsAbs(cfg.Cwd) {
		return nil, fmt.Errorf("exec: working directory %q: not an absolute path", cfg.Cwd)
	}
	for _, kv := range p.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("exec: environment entry %q: want KEY=VALUE", kv)
		}
	}
	return cfg, nil
}

// execInitFD is the init's pidfd in gun:exec (the second of ExtraFiles).
const execInitFD = 4

// scratchContainer is the file of a container's scratch directory that
// says what an exec needs to know of it (Container).
const scratchContainer = "container"

// Container is a running container as Exec sees it: its init, and the
// settings its command was started with, which a process started in it
// takes by default (as docker exec does).
type Container struct {
	Init proc.ID  // the init, as the host sees it
	Env  []string // the command's environment, as the spec gave it
	Cwd  string
	User string
	// Privileged: the container was started with Spec.Privileged.
	Privileged bool
	Caps       uint64
	NoNewPrivs bool
	Seccomp    []bpf.RawInstruction
}

// OpenInit returns a pidfd of the container's init, checked to be it
// while the pidfd holds it. Exec takes it.
func (c *Container) OpenInit() (*os.File, error) {
	f, err := c.Init.Open()
	if err != nil {
		return nil, fmt.Errorf("container init %d: not running: %w", c.Init.Pid, err)
	}
	return f, nil
}

// containerRecord is Container as the scratch directory keeps it.
type containerRecord struct {
	Init                   proc.ID
	Env                    []string
	Cwd, User              string
	Privileged, NoNewPrivs bool
	Caps                   uint64
	Seccomp                string // filterHex
}

// writeContainer records the container of cfg, whose init is pid, in its
// scratch directory, before its command starts. (entry.c's gun_fast writes
// the same record from a plan.)
func writeContainer(cfg *initConfig, pid int) error {
	init, err := proc.Of(pid)
	if err != nil {
		return fmt.Errorf("container init: %w", err)
	}
	b, err := containerRecordJSON(cfg, init)
	if err != nil {
		return err
	}
	path := filepath.Join(cfg.Scratch, scratchContainer)
	if err := os.WriteFile(path+".new", b, 0o600); err != nil {
		return fmt.Errorf("record the container: %w", err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		return fmt.Errorf("record the container: %w", err)
	}
	return nil
}

// containerRecordJSON is the record of the container of cfg whose init is
// init; it starts with {"Init":{"pid":PID,"start":START}.
func containerRecordJSON(cfg *initConfig, init proc.ID) ([]byte, error) {
	return json.Marshal(containerRecord{
		Init: init, Env: cfg.Env, Cwd: cfg.Cwd, User: cfg.User, Privileged: cfg.Unmasked, NoNewPrivs: cfg.NoNewPrivs,
		Caps: cfg.Caps, Seccomp: filterHex(cfg.Seccomp),
	})
}

// LoadContainer reads the record of the container whose scratch directory
// (Spec.Scratch) is scratch. A container that is not running has none.
func LoadContainer(scratch string) (*Container, error) {
	b, err := os.ReadFile(filepath.Join(scratch, scratchContainer))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("container %s: not running", filepath.Base(scratch))
	}
	if err != nil {
		return nil, err
	}
	var r containerRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("container %s: %w", filepath.Base(scratch), err)
	}
	prog, err := hexFilter(r.Seccomp)
	if err != nil {
		return nil, fmt.Errorf("container %s: seccomp filter: %w", filepath.Base(scratch), err)
	}
	return &Container{
		Init: r.Init, Env: r.Env, Cwd: r.Cwd, User: r.User, Privileged: r.Privileged,
		Caps: r.Caps, NoNewPrivs: r.NoNewPrivs, Seccomp: prog,
	}, nil
}

// hexFilter is filterHex's inverse.
func hexFilter(s string) ([]bpf.RawInstruction, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b)%8 != 0 {
		return nil, fmt.Errorf("malformed: %q", s)
	}
	return rawFilter(b), nil
}

// rawFilter decodes the kernel's struct sock_filter array b (in the
// machine's byte order; a partial instruction at its end is dropped).
func rawFilter(b []byte) []bpf.RawInstruction {
	var prog []bpf.RawInstruction
	for ; len(b) >= 8; b = b[8:] {
		prog = append(prog, bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:]),
		})
	}
	return prog
}
