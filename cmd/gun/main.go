// Command gun is a rootless container toolchain driven by the Gunfile language.
package main

import (
	"context"
	"fmt"
	"os"
	"syscall"

	// For its initialiser: the heap on a huge page (a run's start takes
	// 40% fewer page faults).
	"github.com/gun-tools/gun/cmd/internal/langcmd"
	_ "github.com/gun-tools/gun/internal/hugeheap"
	"github.com/gun-tools/gun/runtime"
)

func main() {
	// A re-executed gun (a container's init, a layer unpacker) is dispatched
	// before anything else, to keep container start fast.
	if code, ok := runtime.Reexec(); ok {
		os.Exit(code)
	}
	if m, ok := runtime.TakeMonitor(); ok {
		os.Exit(monitorMain(m, os.Args[1:]))
	}
	os.Exit(run(&globalFlags{}, ociArgs(os.Args[0], os.Args[1:])))
}

// run executes the gun command line and returns the process exit code.
func run(g *globalFlags, args []string) int {
	code, msg := langcmd.Outcome(execute(g, args))
	if msg != "" {
		fmt.Fprintf(os.Stderr, "gun: %s\n", msg)
	}
	return code
}

// execute executes the gun command line.
func execute(g *globalFlags, args []string) error {
	ctx, stop := langcmd.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if runtime.PlainRun(args) {
		// Without options: no command tree to build (gun run's start is
		// benchmarked).
		langcmd.SetLogging(false)
		f := defaultRunFlags()
		f.plain = true
		return runRun(ctx, g, f, args[1:])
	}
	cmd := newRootCmd(g, args)
	cmd.SetArgs(args)
	return cmd.ExecuteContext(ctx)
}
