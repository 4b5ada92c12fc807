//go:build ignore

// mkdefault writes default_GOARCH.go, the program of Docker's default
// profile for a container with seccomp.DefaultCaps, so that no run
// compiles it. The profile's kernel conditions are decided by this
// machine's kernel (the one of them, ptrace from 4.8, holds on every
// kernel gun runs on).
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/gun-tools/gun/runtime/seccomp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mkdefault:", err)
		os.Exit(1)
	}
}

func run() error {
	b, err := seccomp.GenerateDefault()
	if err != nil {
		return err
	}
	return os.WriteFile("default_"+runtime.GOARCH+".go", b, 0o644)
}
