package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at link time with -ldflags "-X main.version=...".
var version = ""

// exitError carries a specific exit code out of a command. A nil err means
// the command already reported what went wrong.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks a bad command line (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func isUsageError(err error) bool {
	var ue *usageError
	return errors.As(err, &ue)
}

// globalFlags are the flags every subcommand shares.
type globalFlags struct {
	verbose bool
	root    string
	// monitor: this gun is a detached container's monitor (detach.go).
	monitor *owned
}

// newRootCmd returns gun's command tree for the command line args. When
// args start with a subcommand's name only that subcommand is built: the
// others' flag sets cost every start, and gun run's start is benchmarked.
// Any other command line (help, completion, a flag first, an unknown
// command) gets the whole tree.
func newRootCmd(g *globalFlags, args []string) *cobra.Command {
	root := &cobra.Command{
		Use:              "gun",
		Short:            "Build and run containers without root, from Gunfiles",
		Long:             "gun builds OCI images from Gunfiles and runs them as rootless containers.\nIt also formats, lints and serves Gunfiles to editors.",
		SilenceUsage:     true,
		SilenceErrors:    true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) { setLogging(g.verbose) },
	}
	root.PersistentFlags().BoolVar(&g.verbose, "verbose", false, "print debug logs to stderr")
	root.PersistentFlags().StringVar(&g.root, "root", "", "image store directory (default $GUN_ROOT or $XDG_DATA_HOME/gun)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())}
	})
	subs := subcommands(g)
	for _, s := range subs {
		if len(args) > 0 && args[0] == s.name {
			subs = []subcommand{s}
			// Nor is cobra's completion command needed.
			root.CompletionOptions.DisableDefaultCmd = true
			break
		}
	}
	for _, s := range subs {
		root.AddCommand(s.new())
	}
	addVerboseShorthand(root, &g.verbose)
	return root
}

// setLogging has log/slog write warnings, or with verbose debug logs too,
// to stderr.
func setLogging(verbose bool) {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
}

// subcommand is one of gun's commands, by name, with its constructor.
type subcommand struct {
	name string
	new  func() *cobra.Command
}

// subcommands lists gun's commands, one line each. The name must be the
// command's Name() (TestSubcommandNames checks).
func subcommands(g *globalFlags) []subcommand {
	return []subcommand{
		{"version", newVersionCmd},
		{"fmt", newFmtCmd},
		{"check", newCheckCmd},
		{"convert", newConvertCmd},
		{"lsp", newLspCmd},
		{"import", func() *cobra.Command { return newImportCmd(g) }},
		{"save", func() *cobra.Command { return newSaveCmd(g) }},
		{"images", func() *cobra.Command { return newImagesCmd(g) }},
		{"rmi", func() *cobra.Command { return newRmiCmd(g) }},
		{"inspect", func() *cobra.Command { return newInspectCmd(g) }},
		{"prune", func() *cobra.Command { return newPruneCmd(g) }},
		{"run", func() *cobra.Command { return newRunCmd(g) }},
		{"exec", func() *cobra.Command { return newExecCmd(g) }},
		{"ps", func() *cobra.Command { return newPsCmd(g) }},
		{"logs", func() *cobra.Command { return newLogsCmd(g) }},
		{"attach", func() *cobra.Command { return newAttachCmd(g) }},
		{"stop", func() *cobra.Command { return newStopCmd(g) }},
		{"kill", func() *cobra.Command { return newKillCmd(g) }},
		{"rm", func() *cobra.Command { return newRmCmd(g) }},
		{"wait", func() *cobra.Command { return newWaitCmd(g) }},
		{"build", newBuildCmd},
		{"pull", func() *cobra.Command { return newPullCmd(g) }},
		{"push", func() *cobra.Command { return newPushCmd(g) }},
		{"login", newLoginCmd},
		{"logout", newLogoutCmd},
		{"oci", newOCICmd},
	}
}

// addVerboseShorthand gives every command a -v for --verbose, except those
// that use -v for something else: `gun run -v` is --volume, as in docker.
// (A persistent -v could not coexist with run's own -v.)
func addVerboseShorthand(cmd *cobra.Command, verbose *bool) {
	for _, c := range cmd.Commands() {
		addVerboseShorthand(c, verbose)
	}
	// Only cmd.Flags(): the methods that list inherited flags would merge
	// --verbose in and make the local one a redefinition.
	if cmd.Flags().ShorthandLookup("v") != nil {
		return
	}
	cmd.Flags().BoolVarP(verbose, "verbose", "v", false, "print debug logs to stderr")
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print gun's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "gun %s\n", buildVersion())
			return err
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
