package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// gun run's container init is forked by the C constructor (entry.c)
// before the Go runtime starts (the prefork), instead of gun executing
// itself again: that saves an execve of gun and its dynamic loading on
// every run. The child's first packet is plannedMagic when it set the
// container up from a plan (plan.go), else preforkMagic and NUL; then it
// waits for gun's: preforkMagic, NUL, the flags in decimal, with the
// holder's user namespace attached. The constructor has the same names.
// GUN_PREFORK=0 in gun's environment turns it off.
const preforkMagic = "gun-prefork-1"

// Flags of the prefork's packet.
const (
	preforkNet        = 1 << iota // a network namespace of its own
	preforkNullStdin              // /dev/null in place of gun's stdin
	preforkNullStdout             // ... stdout
	preforkNullStderr             // ... stderr
)

// prefork hands the preforked init, if this process has one, its user
// namespace and takes it as s's init. It reports false when there is none
// or it cannot serve spec: its standard descriptors are gun's, so spec's
// must be gun's own or none, and it joins a holder's namespace only.
func (s *Starter) prefork(spec Spec) bool {
	pid, sock, ok := takePrefork()
	if !ok {
		return false
	}
	s.planArgs = planArgs(commandLine())
	c, err := newChild(pid)
	if err != nil {
		slog.Debug("prefork not used", "error", err)
		sock.Close() // the child exits
		return false
	}
	// Its first packet says whether it set the container up from a plan.
	b, fds, err := recvPacket(int(sock.Fd()))
	if err == nil && bytes.HasPrefix(b, []byte(plannedMagic+"\x00")) {
		p, err := parsePlanned(b, fds)
		if err != nil {
			slog.Debug("prefork not used", "error", err)
			sock.Close()
			c.close()
			return false
		}
		s.proc, s.wait, s.parent, s.join, s.planned = c, c.wait, sock, true, p
		go s.rt.maps() // for checking the plan, while gun finds the image
		return true
	}
	for _, fd := range fds {
		unix.Close(fd)
	}
	if err != nil || string(b) != preforkMagic+"\x00" {
		slog.Debug("prefork not used", "error", err, "report", string(b))
		sock.Close()
		c.close()
		return false
	}
	flags, ok := preforkStdio(spec)
	if ok {
		s.maps, err = s.rt.maps()
	}
	if !ok || err != nil {
		sock.Close() // the child exits
		c.close()
		return false
	}
	if s.netNS {
		flags |= preforkNet
	}
	ns, err := s.rt.userNS(s.maps)
	if err != nil {
		if !errors.Is(err, errNoHolder) {
			slog.Debug("user namespace holder not used", "error", err)
		}
		sock.Close()
		c.close()
		return false
	}
	defer ns.Close()
	if err := sendPacket(int(sock.Fd()), []byte(preforkMagic+"\x00"+strconv.Itoa(flags)), int(ns.Fd())); err != nil {
		slog.Debug("prefork not used", "error", err)
		sock.Close()
		c.close()
		return false
	}
	s.proc, s.wait, s.parent, s.join = c, c.wait, sock, true
	return true
}

// child is the prefork: a child that os/exec did not start. (os.FindProcess
// would cost a check of pidfd support that forks a process.)
type child struct {
	id, pidfd int
}

func newChild(pid int) (*child, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, fmt.Errorf("pidfd_open %d: %w", pid, err)
	}
	return &child{id: pid, pidfd: fd}, nil
}

func (c *child) pid() int { return c.id }

func (c *child) Signal(sig os.Signal) error {
	n, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("signal %v: not a Unix signal", sig)
	}
	return unix.PidfdSendSignal(c.pidfd, n, nil, 0)
}

func (c *child) Kill() error { return c.Signal(unix.SIGKILL) }

// wait reaps the child. Signals after it are safe: they go through the
// pidfd, which no other process can take over.
func (c *child) wait() (unix.WaitStatus, error) {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.id, &ws, 0, nil)
		if err != unix.EINTR {
			return ws, err
		}
	}
}

// close forgets a child that was not used: it exits by itself, as its
// socket's end tells it, and its zombie goes with gun.
func (c *child) close() { unix.Close(c.pidfd) }

// preforkStdio returns the prefork flags for spec's standard streams, and
// false when one is neither gun's own nor none.
func preforkStdio(spec Spec) (flags int, ok bool) {
	if spec.TTY { // the init's are /dev/null; the command's are the pty
		return preforkNullStdin | preforkNullStdout | preforkNullStderr, true
	}
	for i, f := range []any{spec.Stdin, spec.Stdout, spec.Stderr} {
		switch f := f.(type) {
		case nil:
			flags |= preforkNullStdin << i
		case *os.File:
			if f == nil {
				flags |= preforkNullStdin << i
			} else if f.Fd() != uintptr(i) {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	return flags, true
}
