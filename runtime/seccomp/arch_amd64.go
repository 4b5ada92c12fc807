package seccomp

import "golang.org/x/sys/unix"

const (
	nativeArch = unix.AUDIT_ARCH_X86_64
	// x32Bit marks the syscalls of the x32 ABI, which share x86-64's
	// architecture value; they are refused.
	x32Bit = 0x40000000
)
