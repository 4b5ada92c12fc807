// Command probe is copied into test containers to try what a hostile or
// privilege-dropping process would do. Each mode prints one result line.
//
//	probe escape MARKER   try to reach the host file MARKER (an absolute host path)
//	probe drop UID GID FILE   drop to UID:GID as apt does for _apt, then create FILE
//	probe forks N   start N sleeping children, print how many could be started
//	probe rawsocket   open a raw socket: "ok" or the errno
//	probe syscalls   try calls a container should not make: "NAME: ok" or "NAME: ERRNO" each
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe escape MARKER | drop UID GID FILE")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "escape":
		escape(os.Args[2])
	case "drop":
		uid, _ := strconv.Atoi(os.Args[2])
		gid, _ := strconv.Atoi(os.Args[3])
		drop(uid, gid, os.Args[4])
	case "forks":
		n, _ := strconv.Atoi(os.Args[2])
		forks(n)
	case "syscalls":
		syscalls()
	case "rawsocket":
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP)
		if err != nil {
			fmt.Println(unix.ErrnoName(err.(syscall.Errno)))
			return
		}
		unix.Close(fd)
		fmt.Println("ok")
	}
}

// escape prints "reached VIA" for every way the marker could be read, and
// "contained" when none worked.
func escape(marker string) {
	var reached []string
	try := func(via, path string) {
		if _, err := os.Stat(path); err == nil {
			reached = append(reached, via)
		}
	}
	try("direct", marker)
	try("dotdot", "/../../../../../../.."+marker)
	try("proc1root", "/proc/1/root"+marker)
	try("procselfroot", "/proc/self/root"+marker)
	// A symlink whose target climbs out.
	_ = os.Symlink("../../../../../../../.."+marker, "/tmp/escape-link")
	try("symlink", "/tmp/escape-link")
	// The classic chroot escape: chroot into a subdirectory without entering
	// it, then climb from the working directory that is now outside.
	_ = os.MkdirAll("/tmp/jail", 0o755)
	if err := syscall.Chroot("/tmp/jail"); err == nil {
		for i := 0; i < 64; i++ {
			_ = os.Chdir("..")
		}
		if err := syscall.Chroot("."); err == nil {
			try("chroot", marker)
		}
	}
	if len(reached) == 0 {
		fmt.Println("contained")
		return
	}
	fmt.Println("reached " + strings.Join(reached, " "))
}

// drop does what apt does before downloading: setgroups, setresgid and
// setresuid to an unprivileged id, then works as that user.
func drop(uid, gid int, file string) {
	if err := syscall.Setgroups([]int{gid}); err != nil {
		fmt.Println("setgroups:", err)
		os.Exit(1)
	}
	if err := syscall.Setresgid(gid, gid, gid); err != nil {
		fmt.Println("setresgid:", err)
		os.Exit(1)
	}
	if err := syscall.Setresuid(uid, uid, uid); err != nil {
		fmt.Println("setresuid:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		fmt.Println("write:", err)
		os.Exit(1)
	}
	// Back to root must be impossible now.
	if err := syscall.Setresuid(0, 0, 0); err == nil {
		fmt.Println("regained root")
		os.Exit(1)
	}
	fmt.Printf("uid=%d gid=%d wrote %s\n", os.Getuid(), os.Getgid(), filepath.Base(file))
}

// forks is a bounded fork bomb: it starts n children that sleep and counts
// the ones the kernel allowed.
func forks(n int) {
	started := 0
	for i := 0; i < n; i++ {
		_, err := syscall.ForkExec("/bin/sleep", []string{"sleep", "5"}, &syscall.ProcAttr{})
		if err == nil {
			started++
		}
	}
	fmt.Println(started)
}

// syscalls tries the calls Docker's default seccomp profile refuses, and a
// few it allows, and prints each result.
func syscalls() {
	str := func(s string) uintptr { p, _ := unix.BytePtrFromString(s); return uintptr(unsafe.Pointer(p)) }
	const addrNoRandomize = 0x0040000
	const afVsock = 40
	type try struct {
		name string
		nr   uintptr
		args []uintptr
	}
	for _, c := range []try{
		{"keyctl", unix.SYS_KEYCTL, []uintptr{unix.KEYCTL_GET_KEYRING_ID, ^uintptr(2), 0}}, // KEY_SPEC_SESSION_KEYRING
		{"add_key", unix.SYS_ADD_KEY, []uintptr{str("user"), str("gun-probe"), str("x"), 1, ^uintptr(1)}},
		{"unshare(CLONE_NEWUSER)", unix.SYS_UNSHARE, []uintptr{unix.CLONE_NEWUSER}},
		{"personality(ADDR_NO_RANDOMIZE)", unix.SYS_PERSONALITY, []uintptr{addrNoRandomize}},
		{"personality(56<<32|ADDR_NO_RANDOMIZE)", unix.SYS_PERSONALITY, []uintptr{56<<32 | addrNoRandomize}},
		{"personality(0)", unix.SYS_PERSONALITY, []uintptr{0}},
		{"socket(AF_VSOCK)", unix.SYS_SOCKET, []uintptr{afVsock, unix.SOCK_STREAM | unix.SOCK_CLOEXEC, 0}},
		{"socket(AF_INET6)", unix.SYS_SOCKET, []uintptr{unix.AF_INET6, unix.SOCK_STREAM | unix.SOCK_CLOEXEC, 0}},
		{"socket(AF_INET)", unix.SYS_SOCKET, []uintptr{unix.AF_INET, unix.SOCK_STREAM | unix.SOCK_CLOEXEC, 0}},
		{"io_uring_setup", unix.SYS_IO_URING_SETUP, []uintptr{1, uintptr(unsafe.Pointer(new([120]byte)))}},
		{"perf_event_open", unix.SYS_PERF_EVENT_OPEN, []uintptr{uintptr(unsafe.Pointer(&unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CPU_CLOCK, Size: uint32(unsafe.Sizeof(unix.PerfEventAttr{})), Bits: unix.PerfBitDisabled | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv})), 0, ^uintptr(0), ^uintptr(0), 0}},
		{"userfaultfd", unix.SYS_USERFAULTFD, []uintptr{unix.O_CLOEXEC | 1}},                    // UFFD_USER_MODE_ONLY
		{"kcmp", unix.SYS_KCMP, []uintptr{uintptr(os.Getpid()), uintptr(os.Getpid()), 0, 0, 0}}, // KCMP_FILE
		{"clone3", unix.SYS_CLONE3, []uintptr{0, 0}},
		{"ptrace(PTRACE_ATTACH, 1)", unix.SYS_PTRACE, []uintptr{unix.PTRACE_ATTACH, 1}},
		{"getpid", unix.SYS_GETPID, nil},
	} {
		var a [6]uintptr
		copy(a[:], c.args)
		r, _, errno := unix.Syscall6(c.nr, a[0], a[1], a[2], a[3], a[4], a[5])
		if errno != 0 {
			fmt.Printf("%s: %s\n", c.name, unix.ErrnoName(errno))
			continue
		}
		if c.nr == unix.SYS_PTRACE {
			unix.Syscall(unix.SYS_PTRACE, unix.PTRACE_DETACH, 1, 0)
		}
		if c.nr == unix.SYS_SOCKET || c.nr == unix.SYS_IO_URING_SETUP || c.nr == unix.SYS_PERF_EVENT_OPEN || c.nr == unix.SYS_USERFAULTFD {
			unix.Close(int(r))
		}
		fmt.Printf("%s: ok\n", c.name)
	}
	// A child in a new user namespace, as clone makes it.
	pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{Sys: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER}})
	if err == nil {
		var ws syscall.WaitStatus
		_, err = syscall.Wait4(pid, &ws, 0, nil)
	}
	if errno, ok := err.(syscall.Errno); ok {
		fmt.Printf("clone(CLONE_NEWUSER): %s\n", unix.ErrnoName(errno))
	} else if err != nil {
		fmt.Printf("clone(CLONE_NEWUSER): %v\n", err)
	} else {
		fmt.Println("clone(CLONE_NEWUSER): ok")
	}
}
