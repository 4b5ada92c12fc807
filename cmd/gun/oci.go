package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/runtime"
	"github.com/gun-tools/gun/runtime/oci"
)

// ociName is the name under which gun's binary is the OCI runtime itself
// (`gun-oci create ...` is `gun oci create ...`).
const ociName = "gun-oci"

// ociFlags are the OCI runtime's global flags, runc's.
type ociFlags struct {
	root, log, logFormat string
	systemdCgroup, debug bool
	logFile              *os.File
}

func newOCICmd() *cobra.Command {
	f := &ociFlags{}
	rt := &oci.Runtime{}
	c := &cobra.Command{
		Use:   "oci",
		Short: "Run OCI bundles as a runc-compatible runtime (for podman's --runtime)",
		Long: `gun oci is an OCI runtime with runc's command line: podman --runtime, or any
tool that drives runc, can run containers with it. The same binary named gun-oci
is that runtime itself.`,
		Version: langcmd.Version(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			rt.Root = f.root
			if rt.Root == "" {
				rt.Root = oci.DefaultRoot()
			}
			return f.setLogging()
		},
		PersistentPostRun: func(cmd *cobra.Command, args []string) {
			if f.logFile != nil {
				f.logFile.Close()
			}
		},
	}
	c.SetVersionTemplate(fmt.Sprintf("gun-oci version {{.Version}}\nspec: %s\n", specs.Version))
	pf := c.PersistentFlags()
	pf.StringVar(&f.root, "root", "", "directory of the containers' states (default $XDG_RUNTIME_DIR/gun-oci)")
	pf.StringVar(&f.log, "log", "", "also write errors (and with --debug, debug logs) to this file")
	pf.StringVar(&f.logFormat, "log-format", "text", "format of --log: text or json")
	pf.BoolVar(&f.systemdCgroup, "systemd-cgroup", false, "place containers in cgroups through systemd (not supported: an error when a container asks for cgroups)")
	pf.BoolVar(&f.debug, "debug", false, "debug logs")
	// Errors go to stderr, and with --log to its file too, as runc's.
	run := func(fn func(args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			err := fn(args)
			if err != nil && f.logFile != nil {
				slog.Error(err.Error())
			}
			return err
		}
	}
	var create oci.CreateOptions
	createCmd := &cobra.Command{
		Use:   "create [flags] ID",
		Short: "Create a container from a bundle, its process held until start",
		Args:  cobra.ExactArgs(1),
		RunE: run(func(args []string) error {
			if f.systemdCgroup {
				if err := systemdCgroupUnsupported(create.Bundle); err != nil {
					return err
				}
			}
			return rt.Create(args[0], create)
		}),
	}
	createCmd.Flags().StringVarP(&create.Bundle, "bundle", "b", ".", "the bundle's directory")
	createCmd.Flags().StringVar(&create.PidFile, "pid-file", "", "write the container process's pid to this file")
	createCmd.Flags().StringVar(&create.ConsoleSocket, "console-socket", "", "unix socket to send the pty's master to (process.terminal)")
	createCmd.Flags().IntVar(&create.PreserveFDs, "preserve-fds", 0, "pass descriptors 3 to 3+`N`-1 on to the container's process")
	var all, force bool
	killCmd := &cobra.Command{
		Use:   "kill [flags] ID [SIGNAL]",
		Short: "Send a signal (default SIGTERM) to the container's process",
		Args:  cobra.RangeArgs(1, 2),
		RunE: run(func(args []string) error {
			sig := unix.SIGTERM
			if len(args) == 2 {
				var err error
				if sig, err = oci.ParseSignal(args[1]); err != nil {
					return err
				}
			}
			return rt.Kill(args[0], sig, all)
		}),
	}
	killCmd.Flags().BoolVarP(&all, "all", "a", false, "signal every process of the container")
	deleteCmd := &cobra.Command{
		Use:   "delete [flags] ID",
		Short: "Delete a stopped container (--force: a running one, killed)",
		Args:  cobra.ExactArgs(1),
		RunE:  run(func(args []string) error { return rt.Delete(args[0], force) }),
	}
	deleteCmd.Flags().BoolVarP(&force, "force", "f", false, "kill a running container first")
	var exec oci.ExecOptions
	var processFile string
	var tty bool
	execCmd := &cobra.Command{
		Use:   "exec [flags] ID [COMMAND [ARG...]]",
		Short: "Run a process in a running container (--process FILE: as process.json describes it)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code := 125
			err := run(func(args []string) error {
				p, err := execProcess(processFile, args[1:])
				if err != nil {
					return err
				}
				if cmd.Flags().Changed("tty") {
					p.Terminal = tty
				}
				exec.Process = p
				code, err = rt.Exec(args[0], exec)
				return err
			})(cmd, args)
			if err != nil {
				return err
			}
			if code != 0 {
				return &langcmd.ExitError{Code: code}
			}
			return nil
		},
	}
	execCmd.Flags().SetInterspersed(false) // the command's flags are its own
	execCmd.Flags().StringVarP(&processFile, "process", "p", "", "the process to run, a JSON file of the runtime spec's process")
	execCmd.Flags().StringVar(&exec.PidFile, "pid-file", "", "write the process's pid to this file")
	execCmd.Flags().StringVar(&exec.ConsoleSocket, "console-socket", "", "unix socket to send the pty's master to")
	execCmd.Flags().BoolVarP(&exec.Detach, "detach", "d", false, "return once the process runs")
	execCmd.Flags().BoolVarP(&tty, "tty", "t", false, "give the process a pty (its master goes to --console-socket)")
	execCmd.Flags().IntVar(&exec.PreserveFDs, "preserve-fds", 0, "pass descriptors 3 to 3+`N`-1 on to the process")
	c.AddCommand(createCmd, killCmd, deleteCmd, execCmd, newOCIListCmd(rt, run), newOCIPsCmd(rt, run),
		&cobra.Command{
			Use:   "start ID",
			Short: "Start a created container's process",
			Args:  cobra.ExactArgs(1),
			RunE:  run(func(args []string) error { return rt.Start(args[0]) }),
		},
		&cobra.Command{
			Use:   "state ID",
			Short: "Print the container's state (the runtime spec's JSON)",
			Args:  cobra.ExactArgs(1),
			RunE: run(func(args []string) error {
				s, err := rt.State(args[0])
				if err != nil {
					return err
				}
				return printJSON(s)
			}),
		},
		&cobra.Command{
			Use:   "features",
			Short: "Print what the runtime supports (the runtime spec's features JSON)",
			Args:  cobra.NoArgs,
			RunE:  run(func(args []string) error { return printJSON(runtime.OCIFeatures()) }),
		},
	)
	return c
}

// newOCIListCmd is runc's list: the containers, as a table, their ids
// (-q) or JSON.
func newOCIListCmd(rt *oci.Runtime, run func(func([]string) error) func(*cobra.Command, []string) error) *cobra.Command {
	var format string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "list [--format table|json] [-q]",
		Short: "List the containers",
		Args:  cobra.NoArgs,
		RunE: run(func([]string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			l, err := rt.List()
			if err != nil {
				return err
			}
			switch {
			case quiet:
				for _, c := range l {
					fmt.Println(c.ID)
				}
			case format == "json":
				return json.NewEncoder(os.Stdout).Encode(l)
			default:
				w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
				fmt.Fprintln(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER")
				for _, c := range l {
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", c.ID, c.Pid, c.Status, c.Bundle, c.Created.Format(time.RFC3339Nano), c.Owner)
				}
				return w.Flush()
			}
			return nil
		}),
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "`table` or json")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "only the ids")
	return cmd
}

// newOCIPsCmd is runc's ps: the container's processes, as ps(1) shows
// them (its lines of them; ps's options after the id, -ef by default), or
// their pids as JSON.
func newOCIPsCmd(rt *oci.Runtime, run func(func([]string) error) func(*cobra.Command, []string) error) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "ps [--format table|json] ID [PS_OPTION...]",
		Short: "List the container's processes",
		Args:  cobra.MinimumNArgs(1),
		RunE: run(func(args []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			pids, err := rt.Pids(args[0])
			if err != nil {
				return err
			}
			if format == "json" {
				return json.NewEncoder(os.Stdout).Encode(pids)
			}
			psArgs := args[1:]
			if len(psArgs) == 0 {
				psArgs = []string{"-ef"}
			}
			out, err := exec.Command("ps", psArgs...).Output()
			if err != nil {
				return fmt.Errorf("ps %s: %w", strings.Join(psArgs, " "), err)
			}
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			col := slices.Index(strings.Fields(lines[0]), "PID")
			if col < 0 {
				return fmt.Errorf("ps %s: no PID column", strings.Join(psArgs, " "))
			}
			fmt.Println(lines[0])
			for _, l := range lines[1:] {
				f := strings.Fields(l)
				if col < len(f) {
					if pid, err := strconv.Atoi(f[col]); err == nil && slices.Contains(pids, pid) {
						fmt.Println(l)
					}
				}
			}
			return nil
		}),
	}
	cmd.Flags().SetInterspersed(false) // ps's options follow the id
	cmd.Flags().StringVarP(&format, "format", "f", "table", "`table` or json")
	return cmd
}

// execProcess is exec's process: the file's, or a command line's with
// root's defaults.
func execProcess(file string, args []string) (*specs.Process, error) {
	if file == "" {
		if len(args) == 0 {
			return nil, errors.New("exec: no --process and no command")
		}
		return &specs.Process{Args: args, Cwd: "/", Env: []string{"PATH=" + runtime.DefaultPath}}, nil
	}
	if len(args) > 0 {
		return nil, errors.New("exec: --process and a command")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var p specs.Process
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &p, nil
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// setLogging sends the logs to stderr and, with --log, to its file too.
func (f *ociFlags) setLogging() error {
	level := slog.LevelWarn
	if f.debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	var w io.Writer = os.Stderr
	if f.log != "" {
		lf, err := os.OpenFile(f.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return fmt.Errorf("--log: %w", err)
		}
		f.logFile, w = lf, lf
	}
	switch f.logFormat {
	case "json":
		slog.SetDefault(slog.New(slog.NewJSONHandler(w, opts)))
	case "text":
		slog.SetDefault(slog.New(slog.NewTextHandler(w, opts)))
	default:
		return fmt.Errorf("--log-format %q: want text or json", f.logFormat)
	}
	return nil
}

// systemdCgroupUnsupported says why --systemd-cgroup cannot be honoured
// for the bundle: gun places no container in a cgroup of systemd's; a
// bundle that asks for no cgroup is run.
func systemdCgroupUnsupported(bundle string) error {
	b, err := os.ReadFile(bundle + "/config.json")
	if err != nil {
		return nil // create says so
	}
	var s specs.Spec
	if json.Unmarshal(b, &s) != nil || s.Linux == nil {
		return nil
	}
	if s.Linux.CgroupsPath != "" || s.Linux.Resources != nil && (s.Linux.Resources.Memory != nil || s.Linux.Resources.CPU != nil || s.Linux.Resources.Pids != nil) {
		return errors.New("--systemd-cgroup: gun cannot place containers in systemd's cgroups (use the cgroupfs manager, podman's --cgroup-manager=cgroupfs)")
	}
	return nil
}

// ociArgs turns the command line of gun run as gun-oci into gun's.
func ociArgs(argv0 string, args []string) []string {
	if len(argv0) >= len(ociName) && argv0[len(argv0)-len(ociName):] == ociName &&
		(len(argv0) == len(ociName) || argv0[len(argv0)-len(ociName)-1] == '/') {
		return append([]string{"oci"}, args...)
	}
	return args
}
