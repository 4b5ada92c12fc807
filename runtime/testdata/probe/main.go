// Command probe is copied into test containers to try what a hostile or
// privilege-dropping process would do. Each mode prints one result line.
//
//	probe escape MARKER   try to reach the host file MARKER (an absolute host path)
//	probe drop UID GID FILE   drop to UID:GID as apt does for _apt, then create FILE
//	probe forks N   start N sleeping children, print how many could be started
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
