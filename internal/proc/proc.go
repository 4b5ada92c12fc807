// Package proc names a process for as long as it lives: its pid and its
// start time, which tells it from a later process given the same pid.
// Containers' records (gun's and the OCI runtime's) keep an ID of their
// process, and signal it through a pidfd checked against it.
package proc

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ID is one process.
type ID struct {
	Pid int `json:"pid"`
	// Start is /proc/PID/stat's starttime (field 22): clock ticks after
	// boot.
	Start uint64 `json:"start"`
}

// ErrGone is returned for an ID whose process has exited (or been reaped
// and its pid reused).
var ErrGone = errors.New("the process is gone")

// Stat returns the state (field 3 of /proc/PID/stat: R, S, Z, ...) and
// the start time (field 22) of process pid.
func Stat(pid int) (state byte, start uint64, err error) {
	if pid <= 0 {
		return 0, 0, fmt.Errorf("pid %d: no process", pid)
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command's name (field 2) is in parentheses and may hold anything.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64) // fields 3.. from index 0
	if err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: start time: %w", pid, err)
	}
	return f[0][0], start, nil
}

// Of returns the ID of process pid.
func Of(pid int) (ID, error) {
	_, start, err := Stat(pid)
	if err != nil {
		return ID{}, err
	}
	return ID{pid, start}, nil
}

// Running reports whether id's process lives: it exists and is not a
// zombie.
func (id ID) Running() bool {
	state, start, err := Stat(id.Pid)
	return err == nil && start == id.Start && state != 'Z' && state != 'X'
}

// Open returns a pidfd of id's process, checked to be that process while
// the pidfd holds it (its pid cannot be reused meanwhile). A process that
// has exited but is not reaped yet is ErrGone too.
func (id ID) Open() (*os.File, error) {
	fd, err := unix.PidfdOpen(id.Pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil, ErrGone
	}
	if err != nil {
		return nil, fmt.Errorf("process %d: %w", id.Pid, err)
	}
	if !id.Running() {
		unix.Close(fd)
		return nil, ErrGone
	}
	return os.NewFile(uintptr(fd), "pidfd"), nil
}

// Signal sends sig to id's process, if it still runs.
func (id ID) Signal(sig unix.Signal) error {
	f, err := id.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.PidfdSendSignal(int(f.Fd()), sig, nil, 0)
}

// killTimeout is how long KillWait waits: a process SIGKILL has not ended
// by then is stuck in the kernel.
const killTimeout = 10 * time.Second

// KillWait sends SIGKILL to id's process and waits until it has exited
// (reaped or not). A process already gone is no error.
func (id ID) KillWait() error {
	f, err := id.Open()
	if errors.Is(err, ErrGone) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fd := int(f.Fd())
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("process %d: %w", id.Pid, err)
	}
	// A pidfd polls readable once its process has exited, reaped or not.
	for end := time.Now().Add(killTimeout); time.Now().Before(end); {
		pf := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pf, int(time.Until(end)/time.Millisecond)+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("process %d: %w", id.Pid, err)
		}
		if n > 0 {
			return nil
		}
	}
	return fmt.Errorf("process %d did not exit within %v of SIGKILL", id.Pid, killTimeout)
}
