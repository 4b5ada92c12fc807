//go:build linux && cgo

package runtime

// A C constructor (entry.c) runs before the Go runtime starts,
// single-threaded, for gun run's prefork (prefork.go, plan.go) and for the
// hidden entries that need it:
//
//   - entry+mapsSuffix (see mapsSuffix): wait on the sync socket until the
//     parent has written the id maps, then execute itself again as entry.
//     The waiting process costs no Go start-up.
//   - entryInit without joinEnv: the init of a container in a user
//     namespace of its own, pid 1 of its pid namespace: run the C init.
//   - entry with joinEnv in its environment: join the user namespace whose
//     descriptor is nsFD (setns into a user namespace must be done by a
//     single-threaded process, so only here; it grants every capability in
//     it, so no re-exec is needed) and go on as entry. For entryInit, also make the
//     container's namespaces: a new pid namespace needs a fork, so the
//     process becomes a relay that stays outside it, reports the init's
//     pid, forwards signals to it and exits with its status, while the
//     child, pid 1 of the new namespace, unshares the others and runs
//     the C init of cinit.c, the container's init. joinEnv=net adds a network
//     namespace. (The environment, not argv, says so: the init's command
//     line stays its entry's name.)
//   - entryHolder: hold a user namespace for later containers (holder.go)
//     and never start Go at all.
//
// Before all that, a command line naming a language command (check, fmt,
// lsp) executes the lean gun-lang beside gun's executable when it is the
// one built with this gun (lang.c).
//
// entry.c's names must match entryInit, entryUnpack, entryRemove,
// entryCommit, entryCopy, entryHolder, mapsSuffix, joinEnv, syncFD, nsFD and the prefork's
// (TestCConstants checks).

/*
#cgo CFLAGS: -Wall -Wextra -Werror

// gun_take_prefork (entry.c) hands Go the prefork's socket and pid, once:
// -1 when there is none.
int gun_take_prefork(int *pid);

// gun_given_fds (entry.c): how many descriptors from 3 on were open when
// gun started.
int gun_given_fds(void);

#include <stdlib.h>
#include "detach.h"
#include "lang.h"
*/
import "C"

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// takePrefork returns the init the constructor forked for gun run (its pid
// and the parent's end of its sync socket), once; ok is false when there
// is none.
func takePrefork() (pid int, sock *os.File, ok bool) {
	var p C.int
	fd := C.gun_take_prefork(&p)
	if fd < 0 {
		return 0, nil, false
	}
	return int(p), os.NewFile(uintptr(fd), "sync-parent"), true
}

// TakeMonitor returns, once, what the constructor made for a detached gun
// run when this process is its monitor (detach.c): ok is false otherwise.
func TakeMonitor() (m *Monitor, ok bool) {
	var fds [4]C.int
	var ws [2]C.ushort
	if C.gun_take_monitor(&fds[0], &ws[0]) < 0 {
		return nil, false
	}
	m = &Monitor{
		Report: os.NewFile(uintptr(fds[0]), "report"),
		Stdout: os.NewFile(uintptr(fds[1]), "stdout"),
		Stderr: os.NewFile(uintptr(fds[2]), "stderr"),
	}
	if fds[3] >= 0 {
		m.Stdin = os.NewFile(uintptr(fds[3]), "stdin")
	}
	if ws[0] != 0 || ws[1] != 0 {
		m.Winsize = &unix.Winsize{Row: uint16(ws[0]), Col: uint16(ws[1])}
	}
	return m, true
}

// TakeStarted returns, once, the container that the constructor started
// from its plan without Go for this detached run's monitor (entry.c's
// gun_fast): ok is false when there is none.
func TakeStarted() (s *Started, ok bool) {
	var c C.struct_gun_started
	if C.gun_take_started(&c) < 0 {
		return nil, false
	}
	s = &Started{
		ID: C.GoString(c.id), Containers: C.GoString(c.containers), Store: C.GoString(c.store),
		Lock:    os.NewFile(uintptr(c.ctr_lock), "container-lock"),
		scratch: C.GoString(c.scratch), scratchLock: os.NewFile(uintptr(c.scratch_lock), "scratch-lock"),
		sock: os.NewFile(uintptr(c.sock), "sync-parent"), pid: int(c.pid),
	}
	if c.failed != nil {
		msg := C.GoString(c.failed)
		s.failed = &msg
	}
	return s, true
}

// commandLine is the command line this process's plan is keyed by: a
// monitor's is its gun run -d's without -d, --name and --rm.
func commandLine() []string {
	var n C.int
	argv := C.gun_plan_args(&n)
	if argv == nil {
		return os.Args
	}
	args := make([]string, n)
	for i, p := range unsafe.Slice(argv, n) {
		args[i] = C.GoString(p)
	}
	return args
}

// GivenFDs returns how many descriptors from 3 on were open, one after the
// other, when gun started (counted by the constructor, before Go or gun
// opened anything): the caller's, which runc's --preserve-fds may pass on.
func GivenFDs() int { return int(C.gun_given_fds()) }

// RunFlag says how the constructor reads an option of gun run (name is a
// long name, or the letter of a short one): 2 when it takes a value, 1 for
// a boolean, 0 for one it does not know. cmd/gun's tests check its options
// against it.
func RunFlag(name string, short bool) int {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	s := C.int(0)
	if short {
		s = 1
	}
	return int(C.gun_run_flag(cs, s))
}

// langCommand returns the index in args (a command line without the
// program's name) of the command lang.c reads there, or -1, and whether
// gun-lang has it (TestLangCommand compares it with internal/cmdline's).
func langCommand(args []string) (int, bool) {
	argv := make([]*C.char, len(args)+1)
	argv[0] = C.CString("gun")
	for i, a := range args {
		argv[i+1] = C.CString(a)
	}
	defer func() {
		for _, p := range argv {
			C.free(unsafe.Pointer(p))
		}
	}()
	i := int(C.gun_lang_command(C.int(len(argv)), &argv[0]))
	if i < 0 {
		return -1, false
	}
	return i - 1, C.gun_lang_lean(argv[i]) != 0
}
