// Package langcmd is gun's language commands, check, fmt and lsp, and what
// they share with the rest of gun's command line: the root command and its
// global flags, exit codes, logging, the version. Both gun (cmd/gun) and the
// lean gun-lang (cmd/gun-lang) build their command lines from it, so that a
// language command says and exits the same from either.
package langcmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at link time with -ldflags
// "-X github.com/gun-tools/gun/cmd/internal/langcmd.version=...".
var version = ""

// Version returns gun's version.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// ExitError carries a specific exit code out of a command. A nil Err means
// the command already reported what went wrong.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError marks a bad command line (exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// IsUsageError says whether err is, or wraps, a UsageError.
func IsUsageError(err error) bool {
	var ue *UsageError
	return errors.As(err, &ue)
}

// Outcome returns the exit code for a command's error, and what to say of
// it (nothing when it was said).
func Outcome(err error) (code int, msg string) {
	if err == nil {
		return 0, ""
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			msg = ee.Err.Error()
		}
		return ee.Code, msg
	}
	if IsUsageError(err) || strings.HasPrefix(err.Error(), "unknown command") {
		return 2, err.Error()
	}
	return 1, err.Error()
}

// NewRoot returns the root of gun's command tree, without its commands:
// "gun" with the global flags --verbose and --root, bad flags as usage
// errors, and logging set up before a command runs.
func NewRoot(verbose *bool, root *string) *cobra.Command {
	cmd := &cobra.Command{
		Use:              "gun",
		Short:            "Build and run containers without root, from Gunfiles",
		Long:             "gun builds OCI images from Gunfiles and runs them as rootless containers.\nIt also formats, lints and serves Gunfiles to editors.",
		SilenceUsage:     true,
		SilenceErrors:    true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) { SetLogging(*verbose) },
	}
	cmd.PersistentFlags().BoolVar(verbose, "verbose", false, "print debug logs to stderr")
	cmd.PersistentFlags().StringVar(root, "root", "", "image store directory (default $GUN_ROOT or $XDG_DATA_HOME/gun)")
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &UsageError{Err: fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())}
	})
	return cmd
}

// Finish completes a command tree built on NewRoot, once its commands are
// added: a wrong number of arguments to any command is a usage error (exit 2)
// naming the command and its usage, and every command has -v for --verbose
// (but those that use -v for something else: `gun run -v` is --volume, as
// in docker).
func Finish(root *cobra.Command, verbose *bool) {
	// Cobra adds its completion command at Execute; added now, its commands'
	// arguments are checked as the others' are.
	root.InitDefaultCompletionCmd()
	finish(root, verbose)
}

func finish(cmd *cobra.Command, verbose *bool) {
	for _, c := range cmd.Commands() {
		finish(c, verbose)
	}
	if cmd.HasParent() && cmd.HasSubCommands() && !cmd.Runnable() {
		// A group (gun oci, gun completion): cobra refuses an unknown
		// command only at the root and prints a group's help for one, so a
		// group runs, refusing any argument, and prints its help without.
		cmd.Args = unknownCommand
		cmd.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	}
	if args := cmd.Args; args != nil {
		cmd.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return argsError(cmd, err)
			}
			return nil
		}
	}
	// Only cmd.Flags(): the methods that list inherited flags would merge
	// --verbose in and make the local one a redefinition. (A persistent -v
	// could not coexist with run's own -v.)
	if cmd.Flags().ShorthandLookup("v") != nil {
		return
	}
	cmd.Flags().BoolVarP(verbose, "verbose", "v", false, "print debug logs to stderr")
}

// unknownCommand refuses any argument to a group, as cobra refuses one to
// the root: the first named as an unknown command, and the group's commands
// it may be a misspelling of suggested.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default
	}
	var suggest string
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		suggest = "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"
	}
	return fmt.Errorf("unknown command %q for %q%s", args[0], cmd.CommandPath(), suggest)
}

// argsError is the usage error for cmd's arguments, which its Args
// validator refused with err.
func argsError(cmd *cobra.Command, err error) error {
	name := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
	usage := cmd.UseLine()
	if cmd.HasAvailableSubCommands() {
		usage = cmd.CommandPath() + " [command]" // a group's, as its help says
	}
	return &UsageError{Err: fmt.Errorf("%s: %w\nUsage: %s\nRun '%s --help' for more.", name, err, usage, cmd.CommandPath())}
}

// SetLogging has log/slog write warnings, or with verbose debug logs too,
// to stderr.
func SetLogging(verbose bool) {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
}

// NotifyContext is signal.NotifyContext, but the signals are registered in
// a goroutine of their own: signal.Notify waits for the Go runtime's signal
// thread (0.1 to 0.3 ms at gun's start), which gun's work need not. A signal
// in the meantime has its default effect. After the first signal, the next
// has it too.
func NotifyContext(parent context.Context, sigs ...os.Signal) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	go func() {
		signal.Notify(ch, sigs...)
		select {
		case <-ch:
			cancel()
		case <-ctx.Done():
		}
		signal.Stop(ch)
	}()
	goruntime.Gosched() // the goroutine runs up to its first wait now
	return ctx, cancel
}
