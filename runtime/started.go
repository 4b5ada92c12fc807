package runtime

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// Started is a detached run's container that the constructor started from
// its plan without Go (entry.c's gun_fast), and recorded (claim.c), for
// the monitor's Go to see to its end: gun run -d has already printed its
// id, unless its start failed.
type Started struct {
	// ID is the container's id among the records of the container
	// package's directory Containers; Lock, the record's lock, held.
	ID, Containers string
	Lock           *os.File
	Store          string // the store's directory
	scratch        string
	scratchLock    *os.File
	sock           *os.File // the prefork's sync socket
	pid            int      // the prefork: the relay
	failed         *string  // the init's report of a failed start, if so
}

// Failed reports whether the container's command did not start: Wait then
// returns gun run's exit code and error.
func (s *Started) Failed() bool { return s.failed != nil }

// Kill kills the container (its relay, and the init with it); Wait then
// returns.
func (s *Started) Kill() { _ = unix.Kill(s.pid, unix.SIGKILL) }

// Wait waits for the container's command to exit, forwarding SIGINT,
// SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to it, removes its scratch
// directory and returns its exit code, as Run does once the command
// started; or gun run's exit code and error for a failed start.
func (s *Started) Wait(ctx context.Context) (code int, err error) {
	rt := New(s.Store)
	defer s.scratchLock.Close()
	defer s.sock.Close()
	if s.failed != nil {
		return rt.finishFast(s.scratch, "ready", 125, *s.failed)
	}
	var proc process
	var wait func() (unix.WaitStatus, error)
	if c, err := newChild(s.pid); err == nil {
		defer c.close()
		proc, wait = c, c.wait
	} else {
		p, _ := os.FindProcess(s.pid) // never fails on Linux
		proc = execProcess{p}
		wait = func() (unix.WaitStatus, error) { return (&child{id: s.pid}).wait() }
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2)
	defer signal.Stop(sigs)
	code, err = awaitExit(ctx, proc, wait, int(s.sock.Fd()), sigs, nil, false)
	if rerr := rt.removeScratch(s.scratch); rerr != nil && err == nil {
		code, err = 125, fmt.Errorf("remove scratch space: %w", rerr)
	}
	return code, err
}
