//go:build !amd64 && !arm64

package seccomp

const (
	nativeArch = 0 // Compile refuses: no syscall table
	x32Bit     = 0
)

var syscalls [0]sysnum
