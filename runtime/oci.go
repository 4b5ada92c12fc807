package runtime

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/gun-tools/gun/internal/proc"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// entryOCI is the init of an OCI bundle's container (cinit.c's
// gun_cinit_oci), run by the constructor before Go starts.
const entryOCI = "gun:oci"

// ociHoldFD is OCICreate.Hold's descriptor in the init (the second of
// exec.Cmd.ExtraFiles, after syncFD).
const ociHoldFD = 4

// OCICreate is a container of an OCI bundle to create (`gun oci create`).
type OCICreate struct {
	Bundle string      // the bundle's directory
	Spec   *specs.Spec // its config.json
	// Hold is a listening SOCK_SEQPACKET socket: the container's process
	// waits for a connection to it (`gun oci start`) before its execve.
	// The init's reports go to that connection: nothing when the execve
	// succeeds, a JSON object with an Error when not.
	Hold *os.File
	// The process's standard streams, passed on as they are (with
	// process.terminal, the pty's slave takes their place).
	Stdin, Stdout, Stderr *os.File
	// Preserve are more descriptors for the process, at 3... (runc's
	// --preserve-fds).
	Preserve []*os.File
	// State is the container's state (id, bundle, annotations) for
	// config.json's hooks of create.
	State specs.State
}

// OCIProcess is a created container's process, held before its execve.
type OCIProcess struct {
	proc.ID          // in the caller's pid namespace
	Master  *os.File // the pty's master, with process.terminal
	// Cgroups are the cgroups of linux.cgroupsPath gun made and placed the
	// process in (RemoveOCICgroups removes them).
	Cgroups []string
}

// ociMsg is a message of the init of an OCI container: its relay asks for
// id maps (Maps) and tells the process's pid (Pid); the process reports
// that it is held (an empty message, with the pty's master attached), or a
// failure.
type ociMsg struct {
	Pid   int
	Maps  bool
	Hooks bool // the process waits before pivot_root for the runtime's hooks
	Error string
	Hook  bool // Error is a hook's failure
	// AfterHooks: Error came at or after the place of the hooks of create.
	AfterHooks bool
	Code       int
	Log        []string
}

// StoppedError is a failure of CreateOCI from the place of the hooks of
// create on (the runtime spec's lifecycle, step 3; the hooks need not have
// been any): the container is stopped, its process gone, and the
// lifecycle goes on at delete's steps, the poststop hooks.
type StoppedError struct {
	Err error
	Pid int // the container's process, 0 if it had not told its pid
}

func (e *StoppedError) Error() string { return e.Err.Error() }
func (e *StoppedError) Unwrap() error { return e.Err }

// CheckOCI checks that gun can run the container config.json describes,
// as CreateOCI would, without starting anything.
func CheckOCI(bundle string, spec *specs.Spec) error {
	_, err := ociConfig(spec, bundle)
	return err
}

// CreateOCI starts the container of an OCI bundle and leaves its process
// held before its execve, pid 1 of its pid namespace, with no process of
// gun's left between the caller and it: the caller (conmon, as a
// subreaper) reaps it. The init joins and makes the namespaces config.json
// names; gun writes a new user namespace's id maps (itself, or with
// newuidmap and newgidmap).
func CreateOCI(c OCICreate) (*OCIProcess, error) {
	s, err := ociConfig(c.Spec, c.Bundle)
	if err != nil {
		return nil, err
	}
	if len(s.cfg.OCI.Hooks) > 0 {
		if s.cfg.OCI.HookState, err = hookState(c.State); err != nil {
			return nil, err
		}
	}
	s.hooks, s.state, s.bundle = c.Spec.Hooks, c.State, c.Bundle
	cg, err := s.cgroups()
	if err != nil {
		return nil, err
	}
	p, err := startOCI(s, cg, c.Hold, stdio{c.Stdin, c.Stdout, c.Stderr, c.Preserve})
	if err != nil && cg != nil {
		_ = cg.remove()
	}
	return p, err
}

// OCIExec is a process to start in a running OCI container (`gun oci
// exec`).
type OCIExec struct {
	Pid int // the container's process, checked by the caller
	// Spec is the container's config.json with Process the process to
	// start: its capabilities, rlimits, user and environment; the
	// container's seccomp filter is loaded too.
	Spec                  *specs.Spec
	Stdin, Stdout, Stderr *os.File
	Preserve              []*os.File // as OCICreate's
}

// nsFiles are the names of the namespaces' files in /proc/PID/ns.
var nsFiles = map[specs.LinuxNamespaceType]string{
	specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.MountNamespace: "mnt", specs.IPCNamespace: "ipc",
	specs.UTSNamespace: "uts", specs.UserNamespace: "user", specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
}

// ExecOCI starts a process in the container whose process is c.Pid: the
// init joins its namespaces (those that are not already the caller's)
// and forks the process, which it then becomes, with no process of gun's
// left between the caller and it. It returns once the process executed
// its command.
func ExecOCI(c OCIExec) (*OCIProcess, error) {
	s, err := ociConfig(c.Spec, "/")
	if err != nil {
		return nil, err
	}
	o := s.cfg.OCI
	o.Exec, o.Root, o.CgroupNS, o.Domainname = true, "/", false, ""
	o.Mounts, o.Devices, o.Sysctls, o.Masked, o.Readonly, o.Namespaces = nil, nil, nil, nil, nil, nil
	o.RuntimeHooks, o.Hooks = false, nil
	s.cfg.Hostname, s.cfg.ReadOnly, s.cfg.NetNS, s.newUserNS, s.uids, s.gids = "", false, false, false, nil, nil
	for _, n := range c.Spec.Linux.Namespaces {
		theirs := "/proc/" + strconv.Itoa(c.Pid) + "/ns/" + nsFiles[n.Type]
		var a, b unix.Stat_t
		if err := unix.Stat(theirs, &a); err != nil {
			return nil, fmt.Errorf("container's %s namespace: %w", n.Type, err)
		}
		if unix.Stat("/proc/self/ns/"+nsFiles[n.Type], &b) == nil && a.Ino == b.Ino && a.Dev == b.Dev {
			continue // the caller's own: setns would refuse it
		}
		o.Namespaces = append(o.Namespaces, specs.LinuxNamespace{Type: n.Type, Path: theirs})
	}
	return startOCI(s, nil, nil, stdio{c.Stdin, c.Stdout, c.Stderr, c.Preserve})
}

// stdio are the descriptors an OCI process gets.
type stdio struct {
	in, out, err *os.File
	preserve     []*os.File
}

// startOCI starts the init of s: a container's, held at hold, its process
// placed in cg (nil: none), or an exec's.
func startOCI(s *ociSpec, cg *cgroup, hold *os.File, fds stdio) (*OCIProcess, error) {
	s.cfg.Debug = debugEnabled()
	s.cfg.OCI.Preserve = len(fds.preserve)
	b, err := fastConfig(s.cfg)
	if err != nil {
		return nil, err
	}
	parent, child, err := socketPair()
	if err != nil {
		return nil, err
	}
	defer parent.Close()
	cmd := &exec.Cmd{
		Path: "/proc/self/exe", Args: []string{entryOCI}, Env: []string{},
		Stdin: fds.in, Stdout: fds.out, Stderr: fds.err,
		// (ociHoldFD, then the preserved ones: cinit.c's OCI_FIRST_FD.)
		ExtraFiles: append([]*os.File{child, hold}, fds.preserve...),
	}
	err = cmd.Start()
	child.Close()
	if err != nil {
		return nil, fmt.Errorf("start container init: %w", err)
	}
	p := &OCIProcess{}
	fd := int(parent.Fd())
	// afterHooks: the container's setup reached the place of the hooks of
	// create.
	afterHooks := false
	fail := func(err error) (*OCIProcess, error) {
		if p.Pid > 0 {
			// Gone before the caller runs the poststop hooks.
			_ = p.KillWait()
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if afterHooks {
			return nil, &StoppedError{err, p.Pid}
		}
		return nil, err
	}
	if err := sendPacket(fd, b); err != nil {
		return fail(fmt.Errorf("send container config: %w", err))
	}
	for {
		var m ociMsg
		fds, err := recvMsg(fd, &m)
		afterHooks = afterHooks || m.AfterHooks || m.Hooks
		for _, l := range m.Log {
			slog.Debug("container setup", "step", l)
		}
		if len(fds) > 0 {
			p.Master = os.NewFile(uintptr(fds[0]), "pty")
			for _, f := range fds[1:] {
				unix.Close(f)
			}
		}
		switch {
		case errors.Is(err, errPeerClosed):
			werr := cmd.Wait()
			return fail(fmt.Errorf("container setup: the init ended (%v) before the container was created", cmp.Or[error](werr, errors.New("exit 0"))))
		case err != nil:
			return fail(fmt.Errorf("container setup: %w", err))
		case m.Error != "" && m.Hook:
			return fail(&HookError{m.Error})
		case m.Error != "":
			return fail(errors.New(m.Error))
		case m.Hooks:
			// The runtime environment is made, the root not yet
			// pivoted: the runtime's hooks of create, with the state
			// the runtime spec's hooks_stdin test reads (status
			// created, as crun; runc's says creating).
			st, h := s.state, cmp.Or(s.hooks, &specs.Hooks{})
			st.Pid, st.Status = p.Pid, specs.StateCreated
			err := RunHooks("prestart", h.Prestart, &st, s.bundle, nil)
			if err == nil {
				err = RunHooks("createRuntime", h.CreateRuntime, &st, s.bundle, nil)
			}
			if err != nil {
				return fail(err)
			}
			if err := sendMsg(fd, goMsg{}); err != nil {
				return fail(fmt.Errorf("start container: %w", err))
			}
		case m.Maps:
			if err := writeOCIMaps(cmd.Process.Pid, s.uids, s.gids); err != nil {
				return fail(err)
			}
			if err := sendMsg(fd, goMsg{}); err != nil {
				return fail(fmt.Errorf("start container: %w", err))
			}
		case m.Pid > 0:
			err := p.place(m.Pid, cg, s.oomScore)
			if err == nil {
				if err = sendMsg(fd, goMsg{}); err != nil {
					err = fmt.Errorf("start container: %w", err)
				}
			}
			// A process that failed meanwhile (it mounts its root
			// before it reads goMsg) says why: read on.
			if err != nil && !reported(fd) {
				return fail(err)
			}
		default:
			// The process is held: its relay exited once it told the pid.
			afterHooks = !s.cfg.OCI.Exec
			if p.Pid == 0 {
				return fail(errors.New("container setup: no pid"))
			}
			if s.cfg.TTY && p.Master == nil {
				return fail(errors.New("container setup: no pty received"))
			}
			if err := cmd.Wait(); err != nil {
				return fail(fmt.Errorf("container init: %w", err))
			}
			if s.cfg.OCI.Exec {
				// The socket's end: the execve; a report: its failure.
				var m ociMsg
				if _, err := recvMsg(fd, &m); !errors.Is(err, errPeerClosed) {
					if m.Error == "" {
						m.Error = fmt.Sprintf("exec: %v", err)
					}
					return fail(errors.New(m.Error))
				}
			}
			return p, nil
		}
	}
}

// place makes pid, the container's process, p's process, in cg (nil:
// none) and with oomScore (nil: as it is).
func (p *OCIProcess) place(pid int, cg *cgroup, oomScore *int) error {
	// Held: its pid cannot be another's yet.
	id, err := proc.Of(pid)
	if err != nil {
		return fmt.Errorf("container process: %w", err)
	}
	p.ID = id
	// Before its cgroup namespace is made (rooted where it is).
	if cg != nil {
		if err := cg.add(p.Pid); err != nil {
			return fmt.Errorf("linux.cgroupsPath: %w", err)
		}
		p.Cgroups = cg.dirs
	}
	if oomScore != nil {
		if err := os.WriteFile("/proc/"+strconv.Itoa(p.Pid)+"/oom_score_adj", []byte(strconv.Itoa(*oomScore)), 0); err != nil {
			return fmt.Errorf("process.oomScoreAdj: %w", err)
		}
	}
	return nil
}

// writeOCIMaps writes the id maps of the user namespace of process pid:
// itself where it may (privileged in its own user namespace, or mapping
// only its own ids, with setgroups denied then for the gid map), else with
// newuidmap and newgidmap.
func writeOCIMaps(pid int, uids, gids []IDMap) error {
	proc := "/proc/" + strconv.Itoa(pid) + "/"
	write := func(name string, l []IDMap) error {
		var b strings.Builder
		for _, e := range l {
			fmt.Fprintf(&b, "%d %d %d\n", e.ContainerID, e.HostID, e.Size)
		}
		return os.WriteFile(proc+name, []byte(b.String()), 0)
	}
	err := write("uid_map", uids)
	if err == nil {
		if err = write("gid_map", gids); errors.Is(err, unix.EPERM) {
			if err = os.WriteFile(proc+"setgroups", []byte("deny"), 0); err == nil {
				err = write("gid_map", gids)
			}
		}
		if err != nil {
			return fmt.Errorf("linux.gidMappings: %w", err)
		}
		return nil
	}
	if !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("linux.uidMappings: %w", err)
	}
	m := &idMaps{uids: uids, gids: gids, helper: true}
	if m.newuidmap, err = exec.LookPath("newuidmap"); err == nil {
		m.newgidmap, err = exec.LookPath("newgidmap")
	}
	if err != nil {
		return fmt.Errorf("linux.uidMappings: gun may not write them itself, and %w", err)
	}
	return writeMapsWithHelper(pid, m)
}
