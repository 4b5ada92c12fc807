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
// entry.c's names must match entryInit, entryUnpack, entryRemove,
// entryCommit, entryCopy, entryHolder, mapsSuffix, joinEnv, syncFD, nsFD and the prefork's
// (TestCConstants checks).

/*
#cgo CFLAGS: -Wall -Wextra -Werror

// gun_take_prefork (entry.c) hands Go the prefork's socket and pid, once:
// -1 when there is none.
int gun_take_prefork(int *pid);
*/
import "C"

import "os"

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
