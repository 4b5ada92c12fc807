package main

import (
	"testing"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
)

// BenchmarkRootCmd builds the command tree and finds the command for
// gun run's command line (a flag error stops it before runRun), as every
// start does.
func BenchmarkRootCmd(b *testing.B) {
	args := []string{"run", "--no-such-flag"}
	for _, bc := range []struct {
		name  string
		build []string // the command line newRootCmd sees
	}{
		{"whole", nil},
		{"run", args},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				cmd := newRootCmd(&globalFlags{}, bc.build)
				cmd.SetArgs(args)
				if err := cmd.Execute(); !langcmd.IsUsageError(err) {
					b.Fatalf("gun %q: %v, want a usage error", args, err)
				}
			}
		})
	}
}
