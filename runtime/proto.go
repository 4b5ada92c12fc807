package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/net/bpf"
	"os"

	"golang.org/x/sys/unix"
)

// The hidden entry points: os.Args[0] of a re-executed gun.
const (
	entryInit   = "gun:init"   // container init (pid 1)
	entryUnpack = "gun:unpack" // unpack a layer inside a user namespace
	entryRemove = "gun:rm"     // remove a directory inside a user namespace
	entryCommit = "gun:commit" // pack an overlay's upper directory inside a user namespace
	entryCopy   = "gun:copy"   // copy layers into a root inside a user namespace
	entryExec   = "gun:exec"   // start a process in a running container (C only)
)

// Monitor is what a detached gun run's monitor has of it: `gun run -d`
// forks in its constructor, before Go starts (detach.c); the parent waits
// for one report and exits, the child, the monitor, goes on as gun, in a
// session of its own, with these and its standard streams piped here, as
// the container's are: it gets the prefork and plan of the same command
// in the foreground (without -d, --name and --rm).
type Monitor struct {
	// Report is the pipe to gun run -d, which reads one report to its end:
	// "0 ID" when the container runs, else "CODE ERROR", gun run's exit
	// code and error.
	Report *os.File
	// Stdout and Stderr are the read ends of this process's stdout and
	// stderr.
	Stdout, Stderr *os.File
	// Stdin is the write end of this process's stdin with -i, else nil
	// (its stdin is /dev/null).
	Stdin *os.File
	// Winsize is, with -t, the window size of gun run -d's terminal, for
	// the container's pty (Spec.Winsize); nil without one.
	Winsize *unix.Winsize
}

// Reexec runs the hidden entry point this process was re-executed for, if
// any. It reports the exit code and whether it handled the process; main must
// call it first and exit with the code when ok is true.
func Reexec() (code int, ok bool) {
	if len(os.Args) == 0 {
		return 0, false
	}
	// The constructor (entry.c) runs entryInit, entryHolder and the waits
	// for id maps (mapsSuffix) before Go starts; these come here once it
	// has joined their user namespace.
	switch os.Args[0] {
	case entryUnpack:
		return unpackMain(), true
	case entryRemove:
		return removeMain(), true
	case entryCommit:
		return commitMain(), true
	case entryCopy:
		return copyMain(), true
	case entryFinish:
		return finishMain(os.Args), true
	}
	return 0, false
}

// mapsSuffix marks a re-exec whose id maps newuidmap/newgidmap write after it
// started. execve in a user namespace without a mapping for the caller
// clears every capability, so such a process waits for the maps and then
// executes itself again, as root of its namespace, under the entry's name
// (the constructor's gun_after_maps).
const mapsSuffix = "+maps"

// mapsMsg tells a child started with mapsSuffix that its id maps are written.
type mapsMsg struct{}

// syncFD is the child's end of the parent/child socket (the first of
// exec.Cmd.ExtraFiles).
const syncFD = 3

// The parent and the child talk over a SOCK_SEQPACKET socket pair, one
// message a packet, JSON but for the configuration, in this order:
//
//	parent -> child  initConfig          what to run, in the init's binary
//	                                     form (fastconfig.go)
//	parent -> child  goMsg               id maps written, cgroups joined
//	child  -> parent readyMsg            command started (with the pty master
//	                                     as SCM_RIGHTS when TTY) or an error
//	child  -> parent exitMsg             the command's exit code, all cleaned up
type goMsg struct{}

// exitMsg is the init's last message: the command's exit code, sent once
// every process of the container is gone and the scratch space is emptied.
type exitMsg struct {
	Code  int
	Error string `json:",omitempty"` // the init's own failure after the command exited
}

// result is Run's result for an exit report.
func (m exitMsg) result() (int, error) {
	if m.Error != "" {
		return m.Code, errors.New(m.Error)
	}
	return m.Code, nil
}

type readyMsg struct {
	Error string   `json:",omitempty"`
	Code  int      `json:",omitempty"` // exit code to report with Error
	Log   []string `json:",omitempty"` // the setup's steps, with initConfig.Debug
	// Planned: the init of a plan (plan.go) failed before gun let it run
	// anything.
	Planned bool `json:",omitempty"`
	// OverlayRefused: the kernel refused the overlay of the layers; gun
	// copies them (flatten.go) and starts the container again on the copy.
	OverlayRefused bool `json:",omitempty"`
}

// initConfig is what the container's init needs to know.
type initConfig struct {
	Layers   []string
	Scratch  string
	Args     []string
	Env      []string
	Cwd      string
	User     string
	Hostname string
	Mounts   []Mount
	NetNS    bool
	ReadOnly bool
	TTY      bool
	Copied   bool // the root is <Scratch>/root, a copy of the layers
	Single   bool // only the user is mapped: setgroups is denied
	Debug    bool // report the setup's steps in readyMsg.Log
	// Winsize is the outer terminal's window size, set on the container's
	// pty before the command starts (nil: no outer terminal).
	Winsize *unix.Winsize
	// KeepUpper: a command that exits with 0 leaves the overlay's upper
	// directory in the scratch directory, for gun to pack as a layer
	// (RunCommit); the root must then be an overlay.
	KeepUpper bool
	// Caps is the command's bounding set (bit n: capability n).
	Caps uint64
	// Seccomp is the filter loaded just before the command is executed;
	// nil: none.
	Seccomp []bpf.RawInstruction
	// Unmasked: nothing under /proc and /sys is masked or read-only.
	Unmasked bool
	// NoNewPrivs: the command runs with no_new_privs (always, for gun's
	// containers).
	NoNewPrivs bool
	// Groups are supplementary groups added to the user's.
	Groups []uint32
	// OCI: the container of an OCI bundle (oci.go): no layers and no
	// scratch directory; its process is pid 1 itself.
	OCI *ociInit
}

func socketPair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "sync-parent"), os.NewFile(uintptr(fds[1]), "sync-child"), nil
}

// reported reports whether the init at the other end of fd has queued a
// message or ended. The init does some of its setup while gun does its
// own steps (the root's mounts, while gun joins it to its cgroups): a step
// of gun's that failed meanwhile (told an init that had failed there and
// ended, or joined it to a cgroup) failed for the reason the init's
// report, read next, gives.
func reported(fd int) bool {
	pf := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(pf, 0)
	return err == nil && n > 0
}

func sendMsg(fd int, v any, files ...int) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return sendPacket(fd, b, files...)
}

func sendPacket(fd int, b []byte, files ...int) error {
	var err error
	var oob []byte
	if len(files) > 0 {
		oob = unix.UnixRights(files...)
	}
	for {
		err = unix.Sendmsg(fd, b, oob, nil, 0)
		if err != unix.EINTR {
			return err
		}
	}
}

var errPeerClosed = errors.New("peer closed the sync socket")

// recvMsg reads one message into v and returns any file descriptors that
// came with it.
func recvMsg(fd int, v any) ([]int, error) {
	b, fds, err := recvPacket(fd)
	if err != nil {
		return fds, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fds, fmt.Errorf("decode message: %w", err)
	}
	return fds, nil
}

// recvPacket reads one packet and returns any file descriptors that came
// with it.
func recvPacket(fd int) ([]byte, []int, error) {
	// Messages are small; a peek tells the size of a larger one.
	var small [4096]byte
	buf := small[:]
	var n, oobn int
	var err error
	// An init that exits with packets of gun's unread leaves a reset on
	// the socket, which the kernel reports once, at the next read (the
	// peek, or the read after it when the init exits in between), before
	// the packets the init queued (its error report): read on.
	reset := false
	again := func(err error) bool {
		if err == unix.ECONNRESET && !reset {
			reset = true
			return true
		}
		return err == unix.EINTR
	}
	for {
		n, _, err = unix.Recvfrom(fd, nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		if !again(err) {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if n > len(buf) {
		buf = make([]byte, n)
	}
	oob := make([]byte, unix.CmsgSpace(4*4))
	for {
		n, oobn, _, _, err = unix.Recvmsg(fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if !again(err) {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if n == 0 {
		return nil, nil, errPeerClosed
	}
	var fds []int
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil {
			return nil, nil, fmt.Errorf("parse control message: %w", err)
		}
		for _, m := range msgs {
			f, err := unix.ParseUnixRights(&m)
			if err == nil {
				fds = append(fds, f...)
			}
		}
	}
	return buf[:n], fds, nil
}
