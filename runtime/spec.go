// Package runtime runs a command in a rootless container: new user, mount,
// pid, uts, ipc and cgroup namespaces (and a network namespace on request),
// an overlay root built from read-only layer directories, a minimal /dev, a
// fresh /proc and a tiny init as pid 1.
//
// The container is started by re-executing the current binary
// (/proc/self/exe) with a hidden entry point, which the program's main must
// dispatch to before doing anything else:
//
//	func main() {
//		if code, ok := runtime.Reexec(); ok {
//			os.Exit(code)
//		}
//		...
//	}
//
// A program started with "run" as its first argument, as `gun run` is, also
// gets its first container's init forked before the Go runtime starts, by
// a C constructor (entry.c), and a container set up from a plan where one
// matches its command line (plan.go). The program's first Prestart takes
// them; the forked process exits when the program does without one.
// GUN_PREFORK=0 in the environment turns this off.
package runtime

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Spec describes one container run.
type Spec struct {
	// Layers are read-only layer directories, bottom layer first. Files in
	// them must be owned by ids of the container's id map (see NSUnpacker).
	Layers []string
	// Scratch is a per-container directory that holds the overlay's upper
	// and work directories (or the flattened root when overlay cannot be
	// mounted). Run creates it if needed and removes it on exit.
	Scratch string

	Args     []string // the command and its arguments; required
	Env      []string // KEY=VALUE entries, added to (and overriding) the defaults
	Cwd      string   // working directory inside the container; default "/"
	User     string   // USER[:GROUP], names or numbers; default root
	Hostname string   // default "guntainer"
	Mounts   []Mount  // bind mounts from the host
	Network  Network  // HostNetwork (the zero value), NoNetwork or PrivateNetwork
	Ports    []Port   // published ports, for PrivateNetwork
	DNS      []string // the nameservers of the container's resolv.conf
	Hosts    []Host   // added to the container's /etc/hosts

	// Stubs, for RunCommit, are the container paths the mounts' targets
	// need that the layers lack, which the init creates as mount points.
	// Those the step leaves an empty directory or an empty file are not
	// part of its changes.
	Stubs []string

	ReadOnly bool // mount the root file system read-only
	TTY      bool // give the command a pseudo terminal

	// CapAdd and CapDrop change the command's capabilities from Docker's
	// default set (names with or without CAP_, or ALL).
	CapAdd, CapDrop []string
	// SeccompProfile is a file holding the profile, in Docker's JSON
	// format, that filters the command's system calls; "" means Docker's
	// default profile for the container's capabilities.
	SeccompProfile string
	// Unconfined: no seccomp filter.
	Unconfined bool
	// Privileged: all the capabilities of the container's user namespace,
	// no seccomp filter, nothing under /proc and /sys masked or read-only.
	Privileged bool

	Stdin          io.Reader // nil means /dev/null
	Stdout, Stderr io.Writer // nil means discard

	Resources Resources

	// Started, when not nil, is called once the command has started (its
	// init is then in the scratch directory's record: LoadContainer).
	Started func()
	// Winsize is the first window size of the command's pty (with TTY)
	// when gun's own standard streams are no terminal (a detached run's
	// monitor: its caller's); nil leaves it 0 by 0.
	Winsize *unix.Winsize
	// Console, when not nil, is called before Started with the master of
	// the command's pty (with TTY), which Run copies through until the
	// command exits and then closes: for a caller to follow another
	// terminal's window size.
	Console func(master *os.File)

	// Fast is set for `gun run [OPTIONS] IMAGE [CMD...]` whose options
	// change only the container's configuration: its plan may then be run
	// without gun's Go (fastplan.go).
	Fast *FastRun
}

// Mount is a bind mount of a host path into the container, or a tmpfs.
type Mount struct {
	Source   string // host path
	Target   string // absolute path in the container
	ReadOnly bool
	// Tmpfs mounts an empty tmpfs (nosuid, nodev) instead of Source,
	// capped at Size bytes (0: the kernel's default, half of the memory),
	// its root directory with the permission bits Mode (0: 1777).
	Tmpfs bool
	Size  int64
	Mode  uint32
}

// Resources are limits applied through cgroups. Zero means unlimited.
type Resources struct {
	Memory    int64   // bytes
	PidsLimit int64   // number of tasks
	CPUs      float64 // number of CPUs worth of time, e.g. 1.5
}

// Any reports whether r limits anything.
func (r Resources) Any() bool { return r.Memory > 0 || r.PidsLimit > 0 || r.CPUs > 0 }

// DefaultHostname is the container's host name unless Spec.Hostname is set.
const DefaultHostname = "guntainer"

// DefaultPath is the PATH a container gets unless its environment sets one.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
