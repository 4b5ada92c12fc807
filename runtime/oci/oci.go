// Package oci is gun's OCI runtime: the commands of the runtime spec
// (create, start, state, kill, delete) as runc has them, over containers
// whose state lives in a directory of their own under a root directory.
//
// A container's directory holds state.json (the spec's state and the
// process's start time, which tells it from a later process of the same
// pid) and, while the container is created but not started, start.sock,
// the socket its held process waits on (runc's exec.fifo); config.json is
// the bundle's as it was created, for exec.
package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/internal/atomicfile"
	"github.com/gun-tools/gun/internal/proc"
	"github.com/gun-tools/gun/runtime"
)

const (
	stateFile  = "state.json"
	startSock  = "start.sock"
	configFile = "config.json" // the bundle's, as created: exec's
)

// Runtime is the OCI runtime over the containers under Root.
type Runtime struct {
	Root string
}

// DefaultRoot is where containers' states live without --root: under
// $XDG_RUNTIME_DIR as rootless runc's, /run/gun-oci for root of the
// initial user namespace, else under /tmp per user.
func DefaultRoot() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "gun-oci")
	}
	if b, err := os.ReadFile("/proc/self/uid_map"); os.Geteuid() == 0 && err == nil && strings.Join(strings.Fields(string(b)), " ") == "0 0 4294967295" {
		return "/run/gun-oci"
	}
	return filepath.Join(os.TempDir(), "gun-oci-"+strconv.Itoa(os.Geteuid()))
}

// record is a container's state.json.
type record struct {
	State specs.State `json:"state"`
	// Start is the process's start time (/proc/PID/stat, field 22).
	Start   uint64    `json:"start"`
	Created time.Time `json:"created"`
	// Cgroups are those of linux.cgroupsPath that create made, for delete.
	Cgroups []string `json:"cgroups,omitempty"`
}

// checkID refuses an id that is no name of a directory of its own: runc's
// rule, letters, digits and _ + - .
func checkID(id string) error {
	if id == "" {
		return errors.New("no container id")
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+-.", c)) {
			return fmt.Errorf("container id %q: only letters, digits and _ + - . are allowed", id)
		}
	}
	if id == "." || id == ".." {
		return fmt.Errorf("container id %q: not a name", id)
	}
	return nil
}

var errNotExist = errors.New("does not exist")

func (r *Runtime) dir(id string) string { return filepath.Join(r.Root, id) }

// load reads the container's record, its status brought up to date.
func (r *Runtime) load(id string) (*record, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(r.dir(id), stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("container %s: %w", id, errNotExist)
	}
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("container %s: %s: %w", id, stateFile, err)
	}
	if rec.State.Status != specs.StateCreating {
		rec.State.Status = r.status(&rec)
	}
	// A stopped container keeps the pid its process had: the runtime
	// spec asks for one only while it is created or running (runc and
	// crun say 0), and tools that read the state after the process
	// ended (runtime-tools' hooks_stdin) compare it with the hooks'.
	return &rec, nil
}

// process is the container's process.
func (rec *record) process() proc.ID { return proc.ID{Pid: rec.State.Pid, Start: rec.Start} }

// status is created while the process is held, running once it executed
// its command, stopped once it is gone or a zombie.
func (r *Runtime) status(rec *record) specs.ContainerState {
	if !rec.process().Running() {
		return specs.StateStopped
	}
	if _, err := os.Lstat(filepath.Join(r.dir(rec.State.ID), startSock)); err == nil {
		return specs.StateCreated
	}
	return specs.StateRunning
}

func (r *Runtime) save(rec *record) error {
	return atomicfile.Write(filepath.Join(r.dir(rec.State.ID), stateFile), 0o600, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(rec)
	})
}

// CreateOptions are `create`'s.
type CreateOptions struct {
	Bundle        string
	PidFile       string // "" for none
	ConsoleSocket string // "" for none
	// PreserveFDs passes this process's descriptors 3 to 3+PreserveFDs-1
	// on to the container's process, at the same numbers.
	PreserveFDs int
}

// preserved returns the descriptors 3 to 3+n-1, checked to have been open
// when gun started.
func preserved(n int) ([]*os.File, error) {
	if n < 0 {
		return nil, fmt.Errorf("--preserve-fds %d: not a number of descriptors", n)
	}
	var fs []*os.File
	for fd := 3; fd < 3+n; fd++ {
		// One that gun opened itself (its --log in a free number) is not
		// the caller's.
		if fd >= 3+runtime.GivenFDs() {
			return nil, fmt.Errorf("--preserve-fds %d: descriptor %d was not open when gun started", n, fd)
		}
		fs = append(fs, os.NewFile(uintptr(fd), "preserved"))
	}
	return fs, nil
}

// Create creates container id from the bundle: its process is held until
// Start. The caller's standard streams are the process's.
func (r *Runtime) Create(id string, o CreateOptions) (err error) {
	if err := checkID(id); err != nil {
		return err
	}
	keep, err := preserved(o.PreserveFDs)
	if err != nil {
		return err
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(bundle, "config.json"), err)
	}
	if err := runtime.CheckOCI(bundle, &spec); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(bundle, "config.json"), err)
	}
	if spec.Process != nil && spec.Process.Terminal && o.ConsoleSocket == "" {
		return errors.New("process.terminal needs --console-socket")
	}
	if err := os.MkdirAll(r.Root, 0o700); err != nil {
		return err
	}
	dir := r.dir(id)
	if err := os.Mkdir(dir, 0o700); errors.Is(err, os.ErrExist) {
		return fmt.Errorf("container %s exists", id)
	} else if err != nil {
		return err
	}
	rec := &record{State: specs.State{Version: specs.Version, ID: id, Status: specs.StateCreating, Bundle: bundle, Annotations: spec.Annotations},
		Created: time.Now().UTC()}
	defer func() {
		if err == nil {
			return
		}
		os.RemoveAll(dir)
		// From the hooks of create on, the runtime spec's lifecycle goes
		// on at delete's steps: the container is gone, the poststop hooks
		// run.
		if stopped := (*runtime.StoppedError)(nil); errors.As(err, &stopped) {
			st := rec.State
			st.Pid = stopped.Pid
			poststop(spec.Hooks, st)
		}
	}()
	if err := r.save(rec); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, configFile), b, 0o600); err != nil {
		return err
	}
	hold, err := listen(filepath.Join(dir, startSock))
	if err != nil {
		return err
	}
	defer hold.Close()
	p, err := runtime.CreateOCI(runtime.OCICreate{Bundle: bundle, Spec: &spec, Hold: hold, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Preserve: keep, State: rec.State})
	if err != nil {
		return err
	}
	kill := func(err error) error {
		_ = p.KillWait()
		_ = runtime.RemoveOCICgroups(p.Cgroups)
		return &runtime.StoppedError{Err: err, Pid: p.Pid}
	}
	if p.Master != nil {
		defer p.Master.Close()
		if err := sendConsole(o.ConsoleSocket, p.Master); err != nil {
			return kill(err)
		}
	}
	rec.State.Pid, rec.Start, rec.State.Status, rec.Cgroups = p.Pid, p.Start, specs.StateCreated, p.Cgroups
	if err := r.save(rec); err != nil {
		return kill(err)
	}
	if err := writePidFile(o.PidFile, p.Pid); err != nil {
		return kill(err)
	}
	return nil
}

// listen makes the listening socket a created container's process waits
// on.
func listen(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("start socket: %w", err)
	}
	err = inDir(path, func(short string) error { return unix.Bind(fd, &unix.SockaddrUnix{Name: short}) })
	if err == nil {
		err = unix.Listen(fd, 1)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("start socket %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// inDir calls fn with a short name of path, which a socket's address can
// hold (108 bytes): through a descriptor of its directory.
func inDir(path string, fn func(short string) error) error {
	dir, err := unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	return fn("/proc/self/fd/" + strconv.Itoa(dir) + "/" + filepath.Base(path))
}

// sendConsole sends the pty's master over the console socket, as runc: its
// name as the message, the descriptor attached.
func sendConsole(path string, master *os.File) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("console socket: %w", err)
	}
	defer unix.Close(fd)
	if err := inDir(path, func(short string) error { return unix.Connect(fd, &unix.SockaddrUnix{Name: short}) }); err != nil {
		return fmt.Errorf("console socket %s: %w", path, err)
	}
	if err := unix.Sendmsg(fd, []byte(master.Name()), unix.UnixRights(int(master.Fd())), nil, 0); err != nil {
		return fmt.Errorf("console socket %s: %w", path, err)
	}
	return nil
}

// Start lets a created container's process execute its command, and runs
// the poststart hooks: one that fails fails start, and the container is
// killed (the runtime spec's lifecycle of v1.3.0: v1.0.2 to v1.2 made it a
// warning; runc and crun fail start too).
func (r *Runtime) Start(id string) error {
	rec, err := r.load(id)
	if err != nil {
		return err
	}
	if rec.State.Status != specs.StateCreated {
		return fmt.Errorf("container %s is %s, not created", id, rec.State.Status)
	}
	spec, err := r.spec(id)
	if err != nil {
		return err
	}
	if err := r.start(id); err != nil || spec.Hooks == nil {
		return err
	}
	// Running: the process executed its command (it may have ended
	// since, the state says so all the same).
	st := rec.State
	st.Status = specs.StateRunning
	if err := runtime.RunHooks("poststart", spec.Hooks.Poststart, &st, st.Bundle, nil); err != nil {
		if kerr := rec.process().KillWait(); kerr != nil {
			return fmt.Errorf("%w (and killing the container: %v)", err, kerr)
		}
		return err
	}
	return nil
}

// spec reads the container's config.json, as created.
func (r *Runtime) spec(id string) (*specs.Spec, error) {
	b, err := os.ReadFile(filepath.Join(r.dir(id), configFile))
	if err != nil {
		return nil, err
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return nil, fmt.Errorf("container %s: %s: %w", id, configFile, err)
	}
	return &spec, nil
}

// poststop runs the poststop hooks of a container that is gone: a failure
// is a warning (the runtime spec's rule), in the log.
func poststop(h *specs.Hooks, st specs.State) {
	if h == nil {
		return
	}
	st.Status = specs.StateStopped
	_ = runtime.RunHooks("poststop", h.Poststop, &st, st.Bundle, func(err error) { slog.Warn(err.Error(), "container", st.ID) })
}

// start connects to the created container's start socket: its process
// runs the startContainer hooks and executes its command.
func (r *Runtime) start(id string) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	sock := filepath.Join(r.dir(id), startSock)
	if err := inDir(sock, func(short string) error { return unix.Connect(fd, &unix.SockaddrUnix{Name: short}) }); err != nil {
		return fmt.Errorf("container %s is not created: %w", id, err)
	}
	// Running from here on (or stopped, if the execve fails).
	_ = os.Remove(sock)
	// Nothing comes when the execve succeeds: the connection closes.
	buf := make([]byte, 8192)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return nil
		}
		var m struct{ Error string }
		if json.Unmarshal(buf[:n], &m) == nil && m.Error != "" {
			return fmt.Errorf("container %s: %s", id, m.Error)
		}
	}
}

// State returns the container's state as the runtime spec has it.
func (r *Runtime) State(id string) (*specs.State, error) {
	rec, err := r.load(id)
	if err != nil {
		return nil, err
	}
	return &rec.State, nil
}

// ParseSignal reads a signal as runc's kill takes it: a number, or a name
// with or without SIG.
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("signal %d: out of range", n)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig := unix.SignalNum(name)
	if sig == 0 {
		return 0, fmt.Errorf("signal %q: no such signal", s)
	}
	return sig, nil
}

// Kill sends sig to the container's process or, with all, to every
// process of its pid namespace.
func (r *Runtime) Kill(id string, sig unix.Signal, all bool) error {
	rec, err := r.load(id)
	if err != nil {
		return err
	}
	if rec.State.Status != specs.StateCreated && rec.State.Status != specs.StateRunning {
		return fmt.Errorf("container %s is %s: not running", id, rec.State.Status)
	}
	var others []int
	if all {
		if others, err = namespacePids(rec.State.Pid); err != nil {
			return err
		}
	}
	if err := rec.process().Signal(sig); err != nil {
		return fmt.Errorf("signal container %s: %w", id, err)
	}
	for _, pid := range others {
		_ = unix.Kill(pid, sig)
	}
	return nil
}

// namespacePids returns the other processes of pid's pid namespace.
func namespacePids(pid int) ([]int, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/pid", &st); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		var s unix.Stat_t
		if err != nil || p == pid || unix.Stat("/proc/"+e.Name()+"/ns/pid", &s) != nil {
			continue
		}
		if s.Ino == st.Ino && s.Dev == st.Dev {
			pids = append(pids, p)
		}
	}
	return pids, nil
}

// Delete removes a stopped container; force kills a created or running
// one first. Without force, deleting one that is not stopped is an error
// and changes nothing (the runtime spec's rule; runc deletes a created
// container).
func (r *Runtime) Delete(id string, force bool) error {
	rec, err := r.load(id)
	if errors.Is(err, errNotExist) && force {
		// A create that failed early leaves none, or a directory without
		// a state (as runc, --force takes that as done).
		return os.RemoveAll(r.dir(id))
	}
	if err != nil {
		return err
	}
	switch rec.State.Status {
	case specs.StateCreated, specs.StateRunning, specs.StateCreating:
		if !force {
			return fmt.Errorf("container %s is %s: stop it first, or delete --force", id, rec.State.Status)
		}
		if err := rec.process().KillWait(); err != nil {
			return fmt.Errorf("delete container %s: %w", id, err)
		}
	}
	if err := runtime.RemoveOCICgroups(rec.Cgroups); err != nil {
		return fmt.Errorf("delete container %s: %w", id, err)
	}
	// (A create cut short may have left no config.json: no hooks then.)
	spec, err := r.spec(id)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete container %s: %w", id, err)
	}
	if err := os.RemoveAll(r.dir(id)); err != nil {
		return err
	}
	if spec != nil {
		poststop(spec.Hooks, rec.State)
	}
	return nil
}

// ExecOptions are `exec`'s.
type ExecOptions struct {
	Process       *specs.Process // the process to start
	PidFile       string         // "" for none
	ConsoleSocket string         // "" for none
	// Detach returns once the process executed its command; otherwise
	// Exec waits for it (as its subreaper) and returns its exit code.
	Detach      bool
	PreserveFDs int // as CreateOptions'
}

// Exec starts a process in the running container id.
func (r *Runtime) Exec(id string, o ExecOptions) (int, error) {
	rec, err := r.load(id)
	if err != nil {
		return 125, err
	}
	if rec.State.Status != specs.StateRunning {
		return 125, fmt.Errorf("container %s is %s, not running", id, rec.State.Status)
	}
	spec, err := r.spec(id)
	if err != nil {
		return 125, err
	}
	spec.Process = o.Process
	if o.Process.Terminal && o.ConsoleSocket == "" {
		return 125, errors.New("process.terminal needs --console-socket")
	}
	keep, err := preserved(o.PreserveFDs)
	if err != nil {
		return 125, err
	}
	if !o.Detach {
		// The process's relay exits: the process is ours to reap.
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return 125, err
		}
	}
	p, err := runtime.ExecOCI(runtime.OCIExec{Pid: rec.State.Pid, Spec: spec, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Preserve: keep})
	if err != nil {
		return 125, err
	}
	if p.Master != nil {
		defer p.Master.Close()
		if err := sendConsole(o.ConsoleSocket, p.Master); err != nil {
			_ = unix.Kill(p.Pid, unix.SIGKILL)
			return 125, err
		}
	}
	if err := writePidFile(o.PidFile, p.Pid); err != nil {
		_ = unix.Kill(p.Pid, unix.SIGKILL)
		return 125, err
	}
	if o.Detach {
		return 0, nil
	}
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(p.Pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 125, fmt.Errorf("wait for process %d: %w", p.Pid, err)
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ws.ExitStatus(), nil
	}
}

// writePidFile writes pid to the file path (none when "").
func writePidFile(path string, pid int) error {
	if path == "" {
		return nil
	}
	pf, err := filepath.Abs(path)
	if err == nil {
		err = atomicfile.Write(pf, 0o644, func(w io.Writer) error {
			_, err := io.WriteString(w, strconv.Itoa(pid))
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}

// Listed is a container as `list` shows it (runc's fields).
type Listed struct {
	specs.State
	Rootfs  string    `json:"rootfs"`
	Created time.Time `json:"created"`
	Owner   string    `json:"owner"`
}

// List returns every container under Root, by id.
func (r *Runtime) List() ([]Listed, error) {
	entries, err := os.ReadDir(r.Root)
	if errors.Is(err, os.ErrNotExist) {
		return []Listed{}, nil
	}
	if err != nil {
		return nil, err
	}
	l := []Listed{}
	for _, e := range entries {
		if !e.IsDir() || checkID(e.Name()) != nil {
			continue
		}
		rec, err := r.load(e.Name())
		if errors.Is(err, errNotExist) {
			continue // being created, or deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		c := Listed{State: rec.State, Created: rec.Created, Owner: "#" + strconv.Itoa(os.Geteuid())}
		var st unix.Stat_t
		if unix.Stat(r.dir(e.Name()), &st) == nil {
			c.Owner = "#" + strconv.Itoa(int(st.Uid))
			if u, err := user.LookupId(strconv.Itoa(int(st.Uid))); err == nil {
				c.Owner = u.Username
			}
		}
		if b, err := os.ReadFile(filepath.Join(r.dir(e.Name()), configFile)); err == nil {
			var s specs.Spec
			if json.Unmarshal(b, &s) == nil && s.Root != nil {
				c.Rootfs = s.Root.Path
				if !filepath.IsAbs(c.Rootfs) {
					c.Rootfs = filepath.Join(rec.State.Bundle, c.Rootfs)
				}
			}
		}
		l = append(l, c)
	}
	return l, nil
}

// Pids returns the container's processes: its process and every other
// process of its pid namespace, as the caller's pid namespace numbers
// them.
func (r *Runtime) Pids(id string) ([]int, error) {
	rec, err := r.load(id)
	if err != nil {
		return nil, err
	}
	if rec.State.Status != specs.StateCreated && rec.State.Status != specs.StateRunning {
		return []int{}, nil
	}
	others, err := namespacePids(rec.State.Pid)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", id, err)
	}
	return append([]int{rec.State.Pid}, others...), nil
}
