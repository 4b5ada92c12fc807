// Command gun is a rootless container toolchain driven by the Gunfile language.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	goruntime "runtime"
	"strings"
	"syscall"

	// For its initialiser: the heap on a huge page (a run's start takes
	// 40% fewer page faults).
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
	code, msg := outcome(execute(g, args))
	if msg != "" {
		fmt.Fprintf(os.Stderr, "gun: %s\n", msg)
	}
	return code
}

// execute executes the gun command line.
func execute(g *globalFlags, args []string) error {
	ctx, stop := notifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if runtime.PlainRun(args) {
		// Without options: no command tree to build (gun run's start is
		// benchmarked).
		setLogging(false)
		f := defaultRunFlags()
		f.plain = true
		return runRun(ctx, g, f, args[1:])
	}
	cmd := newRootCmd(g, args)
	cmd.SetArgs(args)
	return cmd.ExecuteContext(ctx)
}

// outcome returns the exit code for execute's error, and what to say of
// it (nothing when it was said).
func outcome(err error) (code int, msg string) {
	if err == nil {
		return 0, ""
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			msg = ee.err.Error()
		}
		return ee.code, msg
	}
	if isUsageError(err) || strings.HasPrefix(err.Error(), "unknown command") {
		return 2, err.Error()
	}
	return 1, err.Error()
}

// notifyContext is signal.NotifyContext, but the signals are registered in
// a goroutine of their own: signal.Notify waits for the Go runtime's signal
// thread (0.1 to 0.3 ms at gun's start), which gun's work need not. A signal
// in the meantime has its default effect. After the first signal, the next
// has it too.
func notifyContext(parent context.Context, sigs ...os.Signal) (context.Context, context.CancelFunc) {
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
