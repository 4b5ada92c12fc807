// Command gun-lang is gun's language commands, check, fmt and lsp, alone: a
// small program that gun executes for them before its own Go runtime
// starts (runtime/lang.c), so that they start without the initialisers of
// gun's containers, registries and BuildKit. Its command line, messages and
// exit codes are gun's: run as "gun" it is gun for those commands. It is
// pure Go and imports none of the rest of gun (TestLeanImports).
package main

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line args and returns the exit code.
func run(args []string) int {
	ctx, stop := langcmd.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := newRootCmd()
	cmd.SetArgs(args)
	code, msg := langcmd.Outcome(cmd.ExecuteContext(ctx))
	if msg != "" {
		fmt.Fprintf(os.Stderr, "gun: %s\n", msg)
	}
	return code
}

// newRootCmd returns gun's command tree with the language commands only.
func newRootCmd() *cobra.Command {
	var verbose bool
	var root string // accepted, as gun does, and unused
	cmd := langcmd.NewRoot(&verbose, &root)
	// As gun builds its tree for a command line that names a command.
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.AddCommand(langcmd.NewCheckCmd(), langcmd.NewFmtCmd(), langcmd.NewLspCmd())
	langcmd.Finish(cmd, &verbose)
	return cmd
}
