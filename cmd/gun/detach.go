package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/container"
	"github.com/gun-tools/gun/runtime"
)

// A detached `gun run -d` records the container, starts its monitor (gun
// again, as runtime.EntryMonitor, in a session of its own) and returns once
// the monitor says the command started. The monitor runs the container as
// a foreground gun run does, with its stdout and stderr going through pipes
// into the container's log, records its exit and removes it with --rm.
// The monitor's descriptors:
const (
	monOutFD    = 3 // the read end of the command's stdout
	monErrFD    = 4 // ... stderr
	monStatusFD = 5 // the report to gun run -d: one monitorReport
	monLockFD   = 6 // the container's lock, held
	monStdinFD  = 7 // with -i: the write end of the command's stdin, kept open
	// monitorEnv names the container's state directory.
	monitorEnv = "_GUN_CONTAINER"
)

// monitorReport is the monitor's word to gun run -d.
type monitorReport struct {
	Error string `json:"error,omitempty"`
	Code  int    `json:"code,omitempty"` // gun run's exit code for Error
}

// owned is a container record that this gun owns: a detached one's
// monitor, or a foreground gun run --name.
type owned struct {
	dir     *container.Dir
	c       *container.Container
	lock    *os.File
	status  *os.File // the monitor's report; nil in the foreground
	started bool
	removed bool
}

// begin is runtime.Spec.Started: the command runs.
func (o *owned) begin() {
	o.started = true
	o.c.Status, o.c.Started, o.c.MonitorPid = container.Running, time.Now().UTC(), os.Getpid()
	if err := o.dir.Save(o.c); err != nil {
		fmt.Fprintf(os.Stderr, "gun: warning: %v\n", err)
	}
	o.report(nil, 0)
}

// report tells gun run -d that the command started (err nil) or why not,
// and the exit code for it.
func (o *owned) report(err error, code int) {
	if o.status == nil {
		return
	}
	var r monitorReport
	if err != nil {
		r.Error, r.Code = err.Error(), code
	}
	_ = json.NewEncoder(o.status).Encode(r)
	o.status.Close()
	o.status = nil
}

// finish records how runRun ended (err as runRun returns it): the exit
// code of a command that started, else the error, reported to gun run -d.
func (o *owned) finish(err error) {
	if !o.started {
		if err == nil {
			err = errors.New("the container did not start")
		}
		code := 125
		var ee *exitError
		if errors.As(err, &ee) && ee.err != nil {
			err, code = ee.err, ee.code
		}
		// Nothing is left of a container that did not start, by the time
		// gun run -d says so.
		o.remove()
		o.report(err, code)
		return
	}
	o.c.Status, o.c.ExitCode, o.c.Finished = container.Exited, 0, time.Now().UTC()
	var ee *exitError
	if errors.As(err, &ee) {
		o.c.ExitCode = ee.code
		if ee.err != nil {
			o.c.Error = ee.err.Error()
		}
	} else if err != nil {
		o.c.ExitCode, o.c.Error = 125, err.Error()
	}
	if serr := o.dir.Save(o.c); serr != nil {
		fmt.Fprintf(os.Stderr, "gun: warning: %v\n", serr)
	}
}

// release gives the container up: removed with --rm, in the foreground or
// when it never started, else left exited, its lock freed.
func (o *owned) release() {
	if o.c.AutoRemove || !o.c.Detached || !o.started {
		o.remove()
		return
	}
	o.lock.Close()
}

func (o *owned) remove() {
	if o.removed {
		return
	}
	o.removed = true
	if err := o.dir.RemoveOwned(o.c, o.lock); err != nil {
		fmt.Fprintf(os.Stderr, "gun: warning: %v\n", err)
	}
}

// openContainers opens the user's containers' state.
func openContainers(g *globalFlags) (*container.Dir, string, error) {
	root, err := storeRoot(g)
	if err != nil {
		return nil, "", err
	}
	d, err := container.Open(container.DefaultPath(root))
	return d, root, err
}

// claimForeground records a foreground gun run --name while it runs.
func claimForeground(g *globalFlags, f *runFlags, args []string) (*owned, error) {
	d, root, err := openContainers(g)
	if err != nil {
		return nil, err
	}
	c := &container.Container{Name: f.name, Image: args[0], Command: args[1:], Ports: f.publish, Store: root}
	lock, err := d.Create(c)
	if err != nil {
		return nil, err
	}
	return &owned{dir: d, c: c, lock: lock}, nil
}

// startDetached records the container, starts its monitor and returns once
// the command runs, having printed the container's id.
func startDetached(g *globalFlags, f *runFlags, args []string) error {
	d, root, err := openContainers(g)
	if err != nil {
		return &exitError{125, err}
	}
	c := &container.Container{
		Name: f.name, Image: args[0], Command: args[1:], Ports: f.publish, Store: root,
		Detached: true, AutoRemove: f.rm && f.rmSet,
	}
	lock, err := d.Create(c)
	if err != nil {
		return &exitError{125, err}
	}
	var opened []*os.File
	defer func() {
		for _, f := range opened {
			f.Close()
		}
	}()
	pipe := func() (r, w *os.File) {
		if err == nil {
			r, w, err = os.Pipe()
			opened = append(opened, r, w)
		}
		return r, w
	}
	outR, outW := pipe()
	errR, errW := pipe()
	statusR, statusW := pipe()
	var stdinR, stdinW *os.File
	if f.interactive {
		stdinR, stdinW = pipe()
	}
	if err != nil {
		_ = d.RemoveOwned(c, lock)
		return &exitError{125, err}
	}
	mon := &exec.Cmd{
		Path:   "/proc/self/exe",
		Args:   append([]string{runtime.EntryMonitor, "run"}, f.monitorArgs...),
		Env:    append(os.Environ(), monitorEnv+"="+c.Dir()),
		Stdout: outW, Stderr: errW,
		ExtraFiles:  []*os.File{outR, errR, statusW, lock, stdinW},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if stdinR != nil {
		// With -i, the command's stdin stays open (attach passes nothing).
		mon.Stdin = stdinR
	} else {
		mon.ExtraFiles = mon.ExtraFiles[:4] // (a nil *os.File would close the descriptor)
	}
	if err := mon.Start(); err != nil {
		_ = d.RemoveOwned(c, lock)
		return &exitError{125, fmt.Errorf("start the container's monitor: %w", err)}
	}
	_ = mon.Process.Release()
	lock.Close() // the monitor's now
	statusW.Close()
	var r monitorReport
	if err := json.NewDecoder(bufio.NewReader(statusR)).Decode(&r); err != nil {
		// It died before it said anything: what it wrote is in the log.
		if c, lerr := d.Get(c.ID); lerr == nil {
			_ = c.ReadLog(context.Background(), container.LogOptions{}, func(e container.LogEntry) error {
				os.Stderr.Write(logText(e))
				return nil
			})
		}
		_ = d.Remove(c) // unless a child of the monitor holds it still: prune's then
		return &exitError{125, errors.New("the container's monitor exited before the container started")}
	}
	if r.Error != "" {
		return &exitError{cmp.Or(r.Code, 125), errors.New(r.Error)}
	}
	fmt.Println(c.ID)
	return nil
}

// logText is an entry's text as the command wrote it.
func logText(e container.LogEntry) []byte {
	if e.Partial {
		return e.Text
	}
	return append(e.Text, '\n')
}

// monitorArgs returns gun run's command line for the monitor: the options
// given but --detach, --name and --rm, then IMAGE and the command, so that
// a detached `gun run -d IMAGE CMD` shares the plan of `gun run IMAGE CMD`.
func monitorArgs(fl *pflag.FlagSet, args []string) []string {
	var out []string
	fl.Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "detach", "name", "rm":
			return
		}
		if s, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range s.GetSlice() {
				out = append(out, "--"+f.Name+"="+v)
			}
			return
		}
		out = append(out, "--"+f.Name+"="+f.Value.String())
	})
	return append(out, args...)
}

// monitorMain is the monitor of a detached container: gun re-executed as
// runtime.EntryMonitor with gun run's command line in args.
func monitorMain(args []string) int {
	for fd := monOutFD; fd <= monStdinFD; fd++ {
		syscall.CloseOnExec(fd) // the init's own os/exec start must not pass them on
	}
	status := os.NewFile(monStatusFD, "status")
	dir := os.Getenv(monitorEnv)
	os.Unsetenv(monitorEnv)
	fail := func(err error) int {
		_ = json.NewEncoder(status).Encode(monitorReport{Error: err.Error(), Code: 125})
		return 125
	}
	d, err := container.Open(filepath.Dir(dir))
	if err != nil {
		return fail(err)
	}
	c, err := d.Get(filepath.Base(dir))
	if err != nil {
		return fail(err)
	}
	log, err := c.OpenLog(0)
	if err != nil {
		return fail(err)
	}
	var copied sync.WaitGroup
	for i, stream := range []string{"stdout", "stderr"} {
		r := os.NewFile(uintptr(monOutFD+i), stream)
		copied.Go(func() { _, _ = io.Copy(log.Stream(stream), r) })
	}
	own := &owned{dir: d, c: c, lock: os.NewFile(monLockFD, "lock"), status: status}
	code := run(&globalFlags{monitor: own}, args)
	// The container is gone; its output ends with the monitor's own copies
	// of the pipes' write ends.
	if null, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0); err == nil {
		_ = unix.Dup2(null, 1)
		_ = unix.Dup2(null, 2)
		unix.Close(null)
	}
	copied.Wait()
	log.Close()
	own.release()
	return code
}

// detachFlags adds gun run's options for detached containers.
func detachFlags(cmd *cobra.Command, f *runFlags) {
	fl := cmd.Flags()
	fl.BoolVarP(&f.detach, "detach", "d", false, "run the container in the background and print its id")
}
