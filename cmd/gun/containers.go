package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/container"
	"github.com/gun-tools/gun/internal/proc"
	"github.com/gun-tools/gun/runtime"
)

// The commands of containers that gun run -d (or a foreground gun run
// --name) recorded: ps, logs, attach, stop, kill, rm, wait.

func newPsCmd(g *globalFlags) *cobra.Command {
	var all bool
	var format string
	cmd := &cobra.Command{
		Use:   "ps [-a] [--format json]",
		Short: "List containers",
		Long: `List the running containers, or with -a all of them. A container whose
monitor was killed shows as exited, its exit code unknown.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "" && format != "json" && format != "table" {
				return &langcmd.UsageError{Err: fmt.Errorf("--format %q: want json or table", format)}
			}
			d, _, err := openContainers(g)
			if err != nil {
				return err
			}
			cs, err := d.List()
			if err != nil {
				return err
			}
			shown := []containerView{}
			for _, c := range cs {
				if all || c.Status != container.Exited {
					shown = append(shown, viewOf(c))
				}
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(shown)
			}
			w := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
			fmt.Fprintln(w, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES")
			now := time.Now()
			for _, c := range shown {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ShortID(), c.Image, quoteCommand(c.Command),
					ago(now, c.Created)+" ago", statusText(now, c.Container), strings.Join(c.Ports, ", "), c.Name)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "show exited containers too")
	cmd.Flags().StringVar(&format, "format", "", "`json` (the records) or table")
	return cmd
}

// quoteCommand shows a command as ps does: shortened, in quotes.
func quoteCommand(args []string) string {
	s := strings.Join(args, " ")
	if len(s) > 20 {
		s = s[:19] + "…"
	}
	return strconv.Quote(s)
}

// statusText is docker's: Up 3 minutes, Exited (0) 2 seconds ago, Created.
func statusText(now time.Time, c *container.Container) string {
	switch {
	case c.Unknown:
		return "Exited (unknown)"
	case c.Status == container.Running:
		return "Up " + ago(now, c.Started)
	case c.Status == container.Exited && !c.Finished.IsZero():
		return fmt.Sprintf("Exited (%d) %s ago", c.ExitCode, ago(now, c.Finished))
	case c.Status == container.Exited:
		return fmt.Sprintf("Exited (%d)", c.ExitCode)
	}
	return "Created"
}

// ago says how long ago t was, roughly.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	unit := func(n int, what string) string {
		if n == 1 {
			return "1 " + what
		}
		return strconv.Itoa(n) + " " + what + "s"
	}
	switch {
	case d < time.Second:
		return "Less than a second"
	case d < time.Minute:
		return unit(int(d/time.Second), "second")
	case d < time.Hour:
		return unit(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return unit(int(d/time.Hour), "hour")
	}
	return unit(int(d/(24*time.Hour)), "day")
}

// getContainer finds the container ref names.
func getContainer(g *globalFlags, ref string) (*container.Dir, *container.Container, error) {
	d, _, err := openContainers(g)
	if err != nil {
		return nil, nil, err
	}
	c, err := d.Get(ref)
	return d, c, err
}

func newLogsCmd(g *globalFlags) *cobra.Command {
	var opts container.LogOptions
	var stamps bool
	cmd := &cobra.Command{
		Use:   "logs [-f] [--tail N] [--timestamps] CONTAINER",
		Short: "Print a detached container's output",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, c, err := getContainer(g, args[0])
			if err != nil {
				return err
			}
			if !c.Detached {
				return fmt.Errorf("container %s runs in the foreground: its output is gun's, not kept", c.Name)
			}
			if opts.Tail < 0 {
				return &langcmd.UsageError{Err: errors.New("--tail must not be negative")}
			}
			return printLog(cmd.Context(), c, opts, stamps)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&opts.Follow, "follow", "f", false, "go on with what the container writes, until it exits")
	fl.IntVarP(&opts.Tail, "tail", "n", 0, "print only the last `N` lines")
	fl.BoolVarP(&stamps, "timestamps", "t", false, "start each line with the time it was written")
	return cmd
}

// printLog prints c's log: its stdout records to stdout, its stderr
// records to stderr.
func printLog(ctx context.Context, c *container.Container, opts container.LogOptions, stamps bool) error {
	midLine := map[string]bool{}
	return c.ReadLog(ctx, opts, func(e container.LogEntry) error {
		w := io.Writer(os.Stdout)
		if e.Stream == "stderr" {
			w = os.Stderr
		}
		text := logText(e)
		if stamps && !midLine[e.Stream] {
			text = append([]byte(e.Time.Format(time.RFC3339Nano)+" "), text...)
		}
		midLine[e.Stream] = e.Partial
		_, err := w.Write(text)
		return err
	})
}

// exitOf is the exit error that passes a container's exit code on.
func exitOf(c *container.Container) error {
	switch {
	case c.Unknown:
		return &langcmd.ExitError{Code: 125, Err: fmt.Errorf("container %s: its monitor was killed: exit code unknown", c.Name)}
	case c.ExitCode != 0:
		return &langcmd.ExitError{Code: c.ExitCode, Err: nil}
	}
	return nil
}

// signalContainer sends sig to c's init (which forwards it to the
// command, or dies of it: SIGKILL), the process of its scratch directory's
// record while that still runs.
func signalContainer(c *container.Container, sig unix.Signal) error {
	init := containerInit(c)
	if init == nil {
		return fmt.Errorf("container %s is not running", c.Name)
	}
	err := init.Signal(sig)
	if errors.Is(err, proc.ErrGone) {
		return fmt.Errorf("container %s is not running", c.Name)
	}
	if err != nil {
		return fmt.Errorf("signal container %s: %w", c.Name, err)
	}
	return nil
}

// containerView is a container as gun ps --format json and gun inspect
// show it: its record, and the host's pid of its init while it runs.
type containerView struct {
	*container.Container
	InitPid int `json:"init_pid,omitempty"`
}

func viewOf(c *container.Container) containerView {
	v := containerView{Container: c}
	if init := containerInit(c); init != nil {
		v.InitPid = init.Pid
	}
	return v
}

// containerInit returns the init of c, nil unless it runs.
func containerInit(c *container.Container) *proc.ID {
	if c.Status != container.Running || c.Scratch == "" {
		return nil
	}
	r, err := runtime.LoadContainer(c.Scratch)
	if err != nil || !r.Init.Running() {
		return nil
	}
	return &r.Init
}

// parseSignal reads SIGTERM, TERM or 15.
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// waitFor waits for c to end, for timeout at most; it reports whether it
// ended.
func waitFor(d *container.Dir, c *container.Container, timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		_, _ = d.Wait(c)
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// eachContainer does op for each container reference, printing those it
// succeeded for, as docker does, and returns the errors of the others.
func eachContainer(cmd *cobra.Command, refs []string, op func(ref string) error) error {
	var errs []error
	for _, ref := range refs {
		if err := op(ref); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(cmd.OutOrStdout(), ref)
	}
	return errors.Join(errs...)
}

func newStopCmd(g *globalFlags) *cobra.Command {
	var seconds int
	cmd := &cobra.Command{
		Use:   "stop [-t SECONDS] CONTAINER...",
		Short: "Stop containers: their stop signal, then SIGKILL",
		Long: `Stop sends each container the image's stop signal (SIGTERM when it names
none), waits up to SECONDS (10) for it to exit, then kills it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(cmd, args, func(ref string) error {
				return stopContainer(g, ref, time.Duration(seconds)*time.Second)
			})
		},
	}
	cmd.Flags().IntVarP(&seconds, "time", "t", 10, "`seconds` to wait before killing the container")
	return cmd
}

func stopContainer(g *globalFlags, ref string, timeout time.Duration) error {
	d, c, err := getContainer(g, ref)
	if err != nil {
		return err
	}
	if c.Status != container.Running {
		return nil
	}
	sig := unix.SIGTERM
	if c.StopSignal != "" {
		if sig, err = parseSignal(c.StopSignal); err != nil {
			return fmt.Errorf("container %s: stop signal: %w", c.Name, err)
		}
	}
	if err := signalContainer(c, sig); err != nil {
		return err
	}
	if waitFor(d, c, timeout) {
		return nil
	}
	if err := signalContainer(c, unix.SIGKILL); err != nil {
		return err
	}
	if !waitFor(d, c, 30*time.Second) {
		return fmt.Errorf("container %s: still running after SIGKILL", c.Name)
	}
	return nil
}

func newKillCmd(g *globalFlags) *cobra.Command {
	var sig string
	cmd := &cobra.Command{
		Use:   "kill [-s SIGNAL] CONTAINER...",
		Short: "Send a signal to containers (SIGKILL by default)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := parseSignal(sig)
			if err != nil {
				return &langcmd.UsageError{Err: err}
			}
			return eachContainer(cmd, args, func(ref string) error {
				_, c, err := getContainer(g, ref)
				if err != nil {
					return err
				}
				return signalContainer(c, s)
			})
		},
	}
	cmd.Flags().StringVarP(&sig, "signal", "s", "KILL", "the `signal`: a name (TERM, SIGTERM) or number")
	return cmd
}

func newRmCmd(g *globalFlags) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [-f] CONTAINER...",
		Short: "Remove containers",
		Long:  "Remove exited containers: their records and logs. With -f, running ones are killed first.",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eachContainer(cmd, args, func(ref string) error {
				return removeContainer(g, ref, force)
			})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill a running container first")
	return cmd
}

func removeContainer(g *globalFlags, ref string, force bool) error {
	d, c, err := getContainer(g, ref)
	if err != nil {
		return err
	}
	if c.Status != container.Exited {
		if !force {
			return fmt.Errorf("container %s is %s: stop it first, or use rm -f", c.Name, c.Status)
		}
		if err := signalContainer(c, unix.SIGKILL); err != nil && c.Live() {
			return err
		}
		if !waitFor(d, c, 30*time.Second) {
			return fmt.Errorf("container %s: still running after SIGKILL", c.Name)
		}
	}
	err = d.Remove(c)
	if force && errors.Is(err, container.ErrNotFound) {
		return nil // it was run with --rm
	}
	return err
}

func newWaitCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER...",
		Short: "Wait for containers to exit and print their exit codes",
		Long:  "Wait prints each container's exit code once it exits (-1 when its monitor was killed).",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, ref := range args {
				d, c, err := getContainer(g, ref)
				if err != nil {
					return err
				}
				end, err := d.Wait(c)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), end.ExitCode)
			}
			return nil
		},
	}
}
