// Command gun is a rootless container toolchain driven by the Gunfile language.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gun-tools/gun/runtime"
)

func main() {
	// A re-executed gun (a container's init, a layer unpacker) is dispatched
	// before anything else, to keep container start fast.
	if code, ok := runtime.Reexec(); ok {
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:]))
}

// run executes the gun command line and returns the process exit code.
func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if plainRun(args) {
		setLogging(false)
		err = runRun(ctx, &globalFlags{}, defaultRunFlags(), args[1:])
	} else {
		cmd := newRootCmd(args)
		cmd.SetArgs(args)
		err = cmd.ExecuteContext(ctx)
	}
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(os.Stderr, "gun: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(os.Stderr, "gun: %v\n", err)
	if isUsageError(err) || strings.HasPrefix(err.Error(), "unknown command") {
		return 2
	}
	return 1
}
