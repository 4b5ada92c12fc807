//go:build !amd64

package seccomp

import "golang.org/x/net/bpf"

// defaultProgram is compiled at run time on this architecture.
var defaultProgram []bpf.RawInstruction
