package main

import (
	"fmt"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/internal/cmdline"
	"github.com/spf13/cobra"
)

// globalFlags are the flags every subcommand shares.
type globalFlags struct {
	verbose bool
	root    string
	// monitor: this gun is a detached container's monitor (detach.go).
	monitor *owned
}

// newRootCmd returns gun's command tree for the command line args. When
// args name a subcommand (after global flags) only that one is built: the
// others' flag sets cost every start, and gun run's start is benchmarked.
// Any other command line (help, completion, another flag first, an unknown
// command) gets the whole tree.
func newRootCmd(g *globalFlags, args []string) *cobra.Command {
	root := langcmd.NewRoot(&g.verbose, &g.root)
	subs := subcommands(g)
	name, _ := cmdline.Command(args)
	for _, s := range subs {
		if name == s.name {
			subs = []subcommand{s}
			// Nor is cobra's completion command needed.
			root.CompletionOptions.DisableDefaultCmd = true
			break
		}
	}
	for _, s := range subs {
		root.AddCommand(s.new())
	}
	langcmd.Finish(root, &g.verbose)
	return root
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
		{"fmt", langcmd.NewFmtCmd},
		{"check", langcmd.NewCheckCmd},
		{"convert", newConvertCmd},
		{"lsp", langcmd.NewLspCmd},
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

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print gun's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "gun %s\n", langcmd.Version())
			return err
		},
	}
}
