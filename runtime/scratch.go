package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Scratch is a container's scratch directory, <store root>/run/<id>, held
// with an exclusive flock on its lock file while the container lives.
type Scratch struct {
	Dir  string
	lock *os.File
}

// NewScratch creates a scratch directory under root/run, first removing the
// stale ones (whose lock is not held) left by containers that were killed.
func NewScratch(root string) (*Scratch, error) {
	run := filepath.Join(root, "run")
	if err := os.MkdirAll(run, 0o700); err != nil {
		return nil, fmt.Errorf("scratch: %w", err)
	}
	if _, err := PruneScratch(root); err != nil {
		return nil, err
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	id := hex.EncodeToString(b[:])
	// Made under a hidden name and renamed once locked, so that a concurrent
	// prune never sees it unlocked.
	tmp := filepath.Join(run, ".new-"+id)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("scratch: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(tmp, "lock"), os.O_CREATE|os.O_RDWR|syscall.O_CLOEXEC, 0o600)
	if err == nil {
		err = unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	}
	dir := filepath.Join(run, id)
	if err == nil {
		err = os.Rename(tmp, dir)
	}
	if err != nil {
		if lock != nil {
			lock.Close()
		}
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("scratch: %w", err)
	}
	return &Scratch{Dir: dir, lock: lock}, nil
}

// Close removes the scratch directory (if Run has not already) and releases
// its lock.
func (s *Scratch) Close() error {
	err := removeScratch(s.Dir)
	s.lock.Close()
	return err
}

// PruneScratch removes every scratch directory under root/run whose lock is
// not held, and returns their paths.
func PruneScratch(root string) ([]string, error) {
	run := filepath.Join(root, "run")
	entries, err := os.ReadDir(run)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prune scratch: %w", err)
	}
	var removed []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		dir := filepath.Join(run, e.Name())
		lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|syscall.O_CLOEXEC, 0)
		if err == nil {
			if unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
				lock.Close()
				continue // a live container
			}
		}
		err = removeScratch(dir)
		if lock != nil {
			lock.Close()
		}
		if err != nil {
			return removed, fmt.Errorf("prune scratch: %w", err)
		}
		removed = append(removed, dir)
	}
	return removed, nil
}

// removeScratch removes dir. Files a container created under other mapped
// ids cannot be removed by the user outside; those are removed from inside a
// user namespace with the containers' id maps.
func removeScratch(dir string) error { return RemoveAll(dir) }

// removeInNS re-executes gun as entryRemove in a new user namespace.
func removeInNS(dir string) error {
	out, err := runInUserNS(context.Background(), []string{entryRemove, dir}, nil)
	if err != nil {
		return fmt.Errorf("remove %s: %w: %s", dir, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// runInUserNS re-executes gun with args in a new user namespace with the
// containers' id maps, waits for it and returns its combined output. The
// child waits for a goMsg on syncFD before it does anything.
func runInUserNS(ctx context.Context, args []string, stdin io.Reader) ([]byte, error) {
	maps, err := hostMaps()
	if err != nil {
		return nil, err
	}
	parent, child, err := socketPair()
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	var out strings.Builder
	cmd := &exec.Cmd{
		Path: "/proc/self/exe", Args: append([]string{entryName(args[0], maps)}, args[1:]...), Env: []string{},
		Stdin: stdin, Stdout: &out, Stderr: &out,
		ExtraFiles: []*os.File{child},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWUSER,
			Pdeathsig:  unix.SIGKILL,
		},
	}
	if !maps.helper {
		cmd.SysProcAttr.UidMappings = maps.sysUIDs()
		cmd.SysProcAttr.GidMappings = maps.sysGIDs()
		cmd.SysProcAttr.GidMappingsEnableSetgroups = !maps.single
	}
	err = cmd.Start()
	child.Close()
	if err != nil {
		return nil, err
	}
	if err := writeMaps(int(parent.Fd()), cmd.Process.Pid, maps); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	if err := sendMsg(int(parent.Fd()), goMsg{}); err != nil {
		_ = cmd.Process.Kill()
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	err = cmd.Wait()
	stop()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return []byte(out.String()), err
}

// waitGo blocks a re-executed child until its parent has written its maps.
func waitGo() error {
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
