package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/container"
	"github.com/gun-tools/gun/runtime"
)

// A detached `gun run -d` forks in its constructor, before Go starts
// (runtime.Monitor): the parent waits for the monitor's report and exits,
// the child is the monitor. It records the container, runs it as a
// foreground gun run does, with its stdout and stderr going through pipes
// into the container's log, reports to gun run -d once the command runs
// (or why it could not start), records its exit and removes it with --rm.

// owned is a container record that this gun owns: a detached one's
// monitor, or a foreground gun run --name.
type owned struct {
	dir     *container.Dir
	c       *container.Container
	lock    *os.File
	mon     *runtime.Monitor // a detached container's; nil in the foreground
	log     *container.LogWriter
	copied  sync.WaitGroup // the output's copies into the log
	attach  *attachServer
	started bool
	removed bool
}

// create records the detached container of gun run f args, for its
// monitor, and starts copying the monitor's output into its log.
func (o *owned) create(g *globalFlags, f *runFlags, args []string) error {
	d, root, err := openContainers(g)
	if err != nil {
		return err
	}
	c := newRecord(f, args, root, true)
	lock, err := d.Create(c)
	if err != nil {
		return err
	}
	o.dir, o.c, o.lock = d, c, lock
	return o.follow()
}

// follow starts keeping the container's output in its log and serving
// gun attach.
func (o *owned) follow() (err error) {
	if o.log, err = o.c.OpenLog(0); err != nil {
		return err
	}
	if o.attach, err = serveAttach(o.c, o.mon.Stdin); err != nil {
		return err
	}
	o.copied.Go(func() { o.copyOut(o.mon.Stdout, "stdout", container.AttachStdout) })
	o.copied.Go(func() { o.copyOut(o.mon.Stderr, "stderr", container.AttachStderr) })
	return nil
}

// copyOut copies the command's output from r into the log as stream, and
// to those attached, as packets of the kind given.
func (o *owned) copyOut(r *os.File, stream string, kind byte) {
	w := o.log.Stream(stream)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			_, _ = w.Write(buf[:n])
			o.attach.broadcast(kind, buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// begin is runtime.Spec.Started: the command runs.
func (o *owned) begin() {
	o.started = true
	o.c.Status, o.c.Started, o.c.MonitorPid = container.Running, time.Now().UTC(), os.Getpid()
	if err := o.dir.Save(o.c); err != nil {
		fmt.Fprintf(os.Stderr, "gun: warning: %v\n", err)
	}
	o.report(0, o.c.ID)
}

// report tells gun run -d, once, that the container runs (code 0 and its
// id) or gun run's exit code and what to say.
func (o *owned) report(code int, text string) {
	if o.mon == nil || o.mon.Report == nil {
		return
	}
	// gun run -d may be gone: the monitor goes on.
	_, _ = fmt.Fprintf(o.mon.Report, "%d %s", code, text)
	o.mon.Report.Close()
	o.mon.Report = nil
}

// finish records how runRun ended (err as runRun returns it): the exit
// code of a command that started; one that did not start is removed.
func (o *owned) finish(err error) {
	if !o.started {
		// Nothing is left of a container that did not start, by the time
		// gun run -d says so.
		o.remove()
		return
	}
	o.c.Status, o.c.ExitCode, o.c.Finished = container.Exited, 0, time.Now().UTC()
	var ee *langcmd.ExitError
	if errors.As(err, &ee) {
		o.c.ExitCode = ee.Code
		if ee.Err != nil {
			o.c.Error = ee.Err.Error()
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
	if o.c == nil {
		return
	}
	if o.c.AutoRemove || !o.c.Detached || !o.started {
		o.remove()
		return
	}
	o.lock.Close()
}

func (o *owned) remove() {
	if o.removed || o.c == nil {
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
	c := newRecord(f, args, root, false)
	lock, err := d.Create(c)
	if err != nil {
		return nil, err
	}
	return &owned{dir: d, c: c, lock: lock}, nil
}

// newRecord is the record of the container of gun run f args (detached or
// in the foreground) as its command line has it, for Create; ranRecord and
// begin add the rest.
func newRecord(f *runFlags, args []string, root string, detached bool) *container.Container {
	return &container.Container{
		Name: f.name, Image: args[0], Command: args[1:], Ports: f.publish, Store: root, Detached: detached,
		AutoRemove: detached && f.rm && f.rmSet, Interactive: detached && f.interactive, TTY: detached && f.tty,
	}
}

// ranRecord records in c what gun run makes of its command line and image
// (spec, img): the command, the image's id and stop signal, the ports.
func ranRecord(c *container.Container, spec *runtime.Spec, img *runImage) {
	c.Command, c.ImageID, c.StopSignal, c.Ports = spec.Args, img.id, img.stopSignal, nil
	for _, p := range spec.Ports {
		// As docker ps shows them: [IP:]HOST->CTR/PROTO.
		ctr := fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto)
		c.Ports = append(c.Ports, strings.TrimSuffix(p.String(), ":"+ctr)+"->"+ctr)
	}
}

// claim is what the constructor takes to record, without Go, the
// container of gun run -d f args that it starts from this run's plan
// (runtime.Claim): the templates of the record that the monitor's Go would
// write (newRecord, ranRecord, begin), with and without --rm, which the
// plan's command line has not. Without them, the monitor's Go records it.
func claim(f *runFlags, args []string, root string, spec *runtime.Spec, img *runImage) runtime.Claim {
	cl := runtime.Claim{Dir: container.DefaultPath(root)}
	cl.Adjectives, cl.Nouns = container.NameWords()
	for i := range cl.Records {
		c := newRecord(f, args, root, true)
		ranRecord(c, spec, img)
		c.Status, c.AutoRemove = container.Created, i%2 == 1
		if i >= 2 {
			c.Status = container.Running
		}
		t, err := container.Template(*c)
		if err != nil {
			return runtime.Claim{}
		}
		cl.Records[i] = t
	}
	return cl
}

// detachReexecEnv marks a gun run -d that gun executed again, its
// command line rewritten for the constructor.
const detachReexecEnv = "_GUN_DETACH"

// reexecDetached executes gun run -d again with the command line fl and
// args, rewritten in the form that the constructor reads (detach.c): gun
// run's options, the global ones too, after "run", as --NAME=VALUE. It
// comes here when the constructor did not fork a monitor (a global option
// came before "run").
func reexecDetached(fl *pflag.FlagSet, args []string) error {
	if os.Getenv(detachReexecEnv) != "" {
		return errors.New("gun run -d: the command line was not read as detached")
	}
	argv := []string{os.Args[0], "run"}
	fl.Visit(func(f *pflag.Flag) {
		if s, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range s.GetSlice() {
				argv = append(argv, "--"+f.Name+"="+v)
			}
			return
		}
		argv = append(argv, "--"+f.Name+"="+f.Value.String())
	})
	argv = append(argv, args...)
	err := syscall.Exec("/proc/self/exe", argv, append(os.Environ(), detachReexecEnv+"=1"))
	return fmt.Errorf("gun run -d: execute gun again: %w", err)
}

// logText is an entry's text as the command wrote it.
func logText(e container.LogEntry) []byte {
	if e.Partial {
		return e.Text
	}
	return append(e.Text, '\n')
}

// adopt sees to the end of the container that the constructor started
// (and recorded) without Go, as runRun does for a detached one once its
// command runs.
func (o *owned) adopt(st *runtime.Started) (err error) {
	ctx := context.Background() // signals are forwarded to the container
	d, err := container.Open(st.Containers)
	var c *container.Container
	if err == nil {
		c, err = d.Get(st.ID)
	}
	if err != nil {
		st.Lock.Close()
		st.Kill()
		_, _ = st.Wait(ctx)
		return &langcmd.ExitError{Code: 125, Err: err}
	}
	o.dir, o.c, o.lock = d, c, st.Lock
	defer func() { o.finish(err) }()
	if st.Failed() {
		code, werr := st.Wait(ctx)
		return &langcmd.ExitError{Code: code, Err: werr}
	}
	o.started = true
	if err := o.follow(); err != nil {
		st.Kill()
		_, _ = st.Wait(ctx)
		return &langcmd.ExitError{Code: 125, Err: err}
	}
	if o.mon.Report != nil {
		o.begin() // the constructor could not record it running
	}
	if code, werr := st.Wait(ctx); werr != nil || code != 0 {
		return &langcmd.ExitError{Code: code, Err: werr}
	}
	return nil
}

// monitorMain is the monitor of a detached container, with gun's command
// line args (gun run -d ...).
func monitorMain(m *runtime.Monitor, args []string) int {
	os.Unsetenv(detachReexecEnv)
	own := &owned{mon: m}
	var err error
	if st, ok := runtime.TakeStarted(); ok {
		err = own.adopt(st)
	} else {
		err = execute(&globalFlags{monitor: own}, args)
	}
	code, msg := langcmd.Outcome(err)
	if !own.started && code == 0 {
		code, msg = 125, "the container did not start"
	}
	own.report(code, msg)
	if own.started && msg != "" {
		fmt.Fprintf(os.Stderr, "gun: %s\n", msg)
	}
	// The container is gone; its output ends with the monitor's own copies
	// of the pipes' write ends.
	if null, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0); err == nil {
		_ = unix.Dup2(null, 1)
		_ = unix.Dup2(null, 2)
		unix.Close(null)
	}
	own.copied.Wait()
	own.attach.close()
	if own.log != nil {
		own.log.Close()
	}
	own.release()
	return code
}

// detachFlags adds gun run's options for detached containers.
func detachFlags(cmd *cobra.Command, f *runFlags) {
	fl := cmd.Flags()
	fl.BoolVarP(&f.detach, "detach", "d", false, "run the container in the background and print its id")
}
