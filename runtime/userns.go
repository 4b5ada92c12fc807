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
// containers' id maps (a holder's, or a new one) and returns a function
// that waits for it. The child waits for a goMsg on syncFD before it does
// anything. Cancelling ctx kills it.
func (rt *Runtime) startInUserNS(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (wait func() error, err error) {
	maps, err := rt.maps()
	if err != nil {
		return nil, err
	}
	parent, child, err := socketPair()
	if err != nil {
		return nil, err
	}
	defer parent.Close()
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
		return nil, err
	}
	if ns == nil { // a joining child has its maps
		if err := writeMaps(int(parent.Fd()), cmd.Process.Pid, maps); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, err
		}
	}
	if err := sendMsg(int(parent.Fd()), goMsg{}); err != nil {
		_ = cmd.Process.Kill()
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	return func() error {
		err := cmd.Wait()
		stop()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return err
	}, nil
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

// waitGo blocks a re-executed child until its parent has written its maps.
func waitGo() error {
	// Lost with the re-exec that gained capabilities; set again.
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	var g goMsg
	_, err := recvMsg(syncFD, &g)
	unix.Close(syncFD)
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
