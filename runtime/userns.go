package runtime

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// removeScratch removes dir. Files a container created under other mapped
// ids cannot be removed by the user outside; those are removed from inside a
// user namespace with the containers' id maps.
func (rt *Runtime) removeScratch(dir string) error {
	// The init left its lock alone, usually: two calls, not a walk.
	if err := unix.Unlinkat(unix.AT_FDCWD, filepath.Join(dir, "lock"), 0); err == nil || err == unix.ENOENT {
		if err := unix.Rmdir(dir); err == nil || err == unix.ENOENT {
			return nil
		}
	}
	return rt.RemoveAll(dir)
}

// removeInNS re-executes gun as entryRemove in the containers' user namespace.
func (rt *Runtime) removeInNS(dir string) error {
	out, err := rt.runInUserNS(context.Background(), []string{entryRemove, dir}, nil)
	if err != nil {
		return fmt.Errorf("remove %s: %w: %s", dir, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// runInUserNS re-executes gun with args in a user namespace with the
// containers' id maps (startInUserNS), waits for it and returns its
// combined output.
func (rt *Runtime) runInUserNS(ctx context.Context, args []string, stdin io.Reader) ([]byte, error) {
	var out strings.Builder
	wait, err := rt.startInUserNS(ctx, args, stdin, &out, &out)
	if err != nil {
		return nil, err
	}
	err = wait()
	return []byte(out.String()), err
}

// startInUserNS re-executes gun with args in a user namespace with the
// containers' id maps (a holder's, or a new one), lets it go and returns a
// function that waits for it. Cancelling ctx kills it.
func (rt *Runtime) startInUserNS(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (wait func() error, err error) {
	h, err := rt.prestartInUserNS(ctx, args, stdin, stdout, stderr)
	if err != nil {
		return nil, err
	}
	h.start()
	return h.wait, nil
}

// nsHelper is gun re-executed in the containers' user namespace, waiting
// for its goMsg on syncFD before it does anything.
type nsHelper struct {
	ctx    context.Context
	cmd    *exec.Cmd
	parent *os.File // gun's end of the sync socket
	stop   func() bool
}

// prestartInUserNS starts what startInUserNS does without letting it go, so
// that its start (an exec, the Go runtime's, joining the namespace)
// overlaps what the caller does until start. Call wait, or kill.
func (rt *Runtime) prestartInUserNS(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (*nsHelper, error) {
	maps, err := rt.maps()
	if err != nil {
		return nil, err
	}
	parent, child, err := socketPair()
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{
		Path: "/proc/self/exe", Env: []string{},
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		ExtraFiles:  []*os.File{child},
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: unix.SIGKILL},
	}
	ns := rt.enterUserNS(cmd, args, maps, 0, "1")
	err = cmd.Start()
	child.Close()
	if ns != nil {
		ns.Close()
	}
	if err != nil {
		parent.Close()
		return nil, err
	}
	if ns == nil { // a joining child has its maps
		if err := writeMaps(int(parent.Fd()), cmd.Process.Pid, maps); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			parent.Close()
			return nil, err
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	return &nsHelper{ctx: ctx, cmd: cmd, parent: parent, stop: stop}, nil
}

// start lets the helper go; one that cannot be told is killed, and wait
// reports it.
func (h *nsHelper) start() {
	if err := sendMsg(int(h.parent.Fd()), goMsg{}); err != nil {
		_ = h.cmd.Process.Kill()
	}
}

// kill ends a helper that is not needed.
func (h *nsHelper) kill() {
	_ = h.cmd.Process.Kill()
	_ = h.wait()
}

// wait waits for the helper's end.
func (h *nsHelper) wait() error {
	err := h.cmd.Wait()
	h.stop()
	h.parent.Close()
	if h.ctx.Err() != nil {
		err = h.ctx.Err()
	}
	return err
}

// enterUserNS sets cmd up to run args (args[0] an entry) in the containers'
// user namespace: the holder's when there is one (holder.go: the child joins
// it before Go starts, told by joinEnv=join, and the namespace is its
// descriptor nsFD), else a new one cloned with flags, whose maps gun writes
// at clone time or writeMaps after the start. It returns the holder's
// namespace, which the caller closes once cmd started, or nil.
func (rt *Runtime) enterUserNS(cmd *exec.Cmd, args []string, maps *idMaps, flags uintptr, join string) *os.File {
	ns, err := rt.userNS(maps)
	if err != nil && err != errNoHolder {
		slog.Debug("user namespace holder not used", "error", err)
	}
	if ns != nil {
		cmd.Args = args
		cmd.Env = append(cmd.Env, joinEnv+"="+join)
		cmd.ExtraFiles = append(cmd.ExtraFiles, ns)
		return ns
	}
	cmd.Args = append([]string{entryName(args[0], maps)}, args[1:]...)
	cmd.SysProcAttr.Cloneflags = unix.CLONE_NEWUSER | flags
	if !maps.helper {
		cmd.SysProcAttr.UidMappings = maps.sysUIDs()
		cmd.SysProcAttr.GidMappings = maps.sysGIDs()
		cmd.SysProcAttr.GidMappingsEnableSetgroups = !maps.single
	}
	return nil
}

// waitGo blocks a re-executed child until its parent lets it go (its maps
// written).
func waitGo() error {
	err := recvGo()
	unix.Close(syncFD)
	return err
}

// recvGo is waitGo leaving syncFD open, for a child that reports on it.
func recvGo() error {
	// Lost with the re-exec that gained capabilities; set again.
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	var g goMsg
	_, err := recvMsg(syncFD, &g)
	return err
}

func removeMain() int {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "gun:rm: want one directory")
		return 2
	}
	if err := waitGo(); err != nil {
		fmt.Fprintf(os.Stderr, "gun:rm: %v\n", err)
		return 1
	}
	if err := os.RemoveAll(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
