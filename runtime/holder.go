package runtime

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/gun-tools/gun/internal/flock"
	"golang.org/x/sys/unix"
)

// A user namespace holder is a small process (C only: the constructor in
// entry.c; it never starts Go) that lives in a user namespace with the
// containers' id maps and hands a descriptor of that namespace to gun
// processes of its user over a unix socket in the store. A container then
// joins the namespace instead of making its own, so that neither the setuid
// helpers newuidmap and newgidmap nor the re-exec that follows them run on
// every start. One holder serves a store and an id mapping (the socket is
// named after it, so a changed /etc/subuid gets a new holder); it exits after
// HolderIdle without a client. Files made in the namespace belong to the same
// host ids as in a namespace of its own.

// HolderIdle is how long a user namespace holder waits for a client before
// it exits. The environment variable GUN_USERNS_IDLE (a Go duration)
// overrides it.
var HolderIdle = 10 * time.Second

const (
	entryHolder = "gun:holder" // the user namespace holder (C only)
	// joinEnv in a child's environment has it join the user namespace of
	// descriptor nsFD before Go starts; the init then makes the others,
	// and the network namespace too when the value is "net".
	joinEnv = "_GUN_JOIN"
	// nsFD is the user namespace's descriptor in a joining child (the second
	// of exec.Cmd.ExtraFiles).
	nsFD = 4
	// holderVersion is part of the socket's name: holders of a gun that
	// speaks differently are not asked.
	holderVersion = "2"
)

// relayMsg is the first message from a child that joined a holder's
// namespace as entryInit: the host pid of the container's init, or why the
// joining failed.
type relayMsg struct {
	Pid   int
	Error string `json:",omitempty"`
}

// holderPaths returns the socket and the lock of the holder for maps in
// the store dir.
func holderPaths(dir string, m *idMaps) (sock, lock string) {
	h := fnv.New64a()
	h.Write([]byte(holderVersion + "/" + m.key()))
	base := filepath.Join(dir, "userns", fmt.Sprintf("%016x", h.Sum64()))
	return base + ".sock", base + ".lock"
}

// errNoHolder says that containers make their own user namespace.
var errNoHolder = errors.New("no user namespace holder")

// userNS returns a descriptor of a holder's user namespace for the maps,
// starting a holder when none runs, which the caller closes. errNoHolder
// means there cannot be one (no store, no cgo); other errors are failures
// to use one. Either way, the caller makes a namespace of its own. The
// runtime keeps the namespace it got, so that the helpers of a long build
// step (its commit, after minutes of apt) join the namespace its container
// ran in even when the holder has idled out meanwhile, without starting
// another.
func (rt *Runtime) userNS(m *idMaps) (*os.File, error) {
	if rt.dir == "" {
		return nil, errNoHolder
	}
	rt.held.Lock()
	defer rt.held.Unlock()
	if rt.held.ns == nil || rt.held.key != m.key() {
		ns, err := rt.holderNS(m)
		if err != nil {
			return nil, err
		}
		if rt.held.ns != nil {
			rt.held.ns.Close()
		}
		rt.held.ns, rt.held.key = ns, m.key()
	}
	fd, err := unix.FcntlInt(rt.held.ns.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("user namespace: %w", err)
	}
	return os.NewFile(uintptr(fd), "userns"), nil
}

// Prepare makes the user namespace that the next container or helper
// joins ready in the background (starting a holder when none runs), so that
// a holder's start (newuidmap, newgidmap: 60 to 140 ms on a loaded machine)
// overlaps what the caller does meanwhile, such as hashing a base archive.
func (rt *Runtime) Prepare() {
	if rt.dir == "" {
		return
	}
	go func() {
		m, err := rt.maps()
		if err != nil {
			return
		}
		if ns, err := rt.userNS(m); err == nil {
			ns.Close()
		}
	}()
}

// holderNS asks the holder for maps for its namespace, starting one when
// none runs.
func (rt *Runtime) holderNS(m *idMaps) (*os.File, error) {
	sock, lock := holderPaths(rt.dir, m)
	if len(sock) >= len(unix.RawSockaddrUnix{}.Path) {
		return nil, fmt.Errorf("holder socket %s: path too long", sock)
	}
	if f, err := askHolder(sock); err == nil {
		return f, nil
	}
	// None runs (or it is exiting): start one, one process at a time.
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		return nil, err
	}
	unlock, err := flock.Lock(lock, 0o600, unix.LOCK_EX)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", lock, err)
	}
	defer unlock()
	if f, err := askHolder(sock); err == nil {
		return f, nil // another gun started it meanwhile
	}
	// A dead holder's socket (a holder removes its own as it exits).
	if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	start := time.Now()
	if err := startHolder(sock, lock, m); err != nil {
		return nil, err
	}
	f, err := askHolder(sock)
	if err == nil && debugEnabled() {
		slog.Debug("user namespace holder started", "socket", sock, "took", time.Since(start))
	}
	return f, err
}

// askHolder connects to the holder at sock and receives its namespace.
func askHolder(sock string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if err := connectEINTR(fd, &unix.SockaddrUnix{Name: sock}); err != nil {
		return nil, err
	}
	// The socket is in the user's store, but check that the holder is the
	// user's own before trusting what it sends.
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return nil, err
	}
	if int(cred.Uid) != os.Getuid() {
		return nil, fmt.Errorf("holder %s: pid %d of uid %d, not ours", sock, cred.Pid, cred.Uid)
	}
	_, fds, err := recvPacket(fd)
	if err != nil {
		return nil, fmt.Errorf("holder %s: %w", sock, err)
	}
	if len(fds) != 1 {
		for _, f := range fds {
			unix.Close(f)
		}
		return nil, fmt.Errorf("holder %s: want one namespace, got %d descriptors", sock, len(fds))
	}
	ns := os.NewFile(uintptr(fds[0]), "userns")
	if err := checkUserNS(int(ns.Fd())); err != nil {
		ns.Close()
		return nil, fmt.Errorf("holder %s: %w", sock, err)
	}
	return ns, nil
}

func connectEINTR(fd int, sa unix.Sockaddr) error {
	for {
		err := unix.Connect(fd, sa)
		if err != unix.EINTR {
			return err
		}
	}
}

// checkUserNS checks that fd is a user namespace that the user owns.
func checkUserNS(fd int) error {
	t, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		return fmt.Errorf("namespace type: %w", err)
	}
	if t != unix.CLONE_NEWUSER {
		return errors.New("not a user namespace")
	}
	uid, err := unix.IoctlGetUint32(fd, unix.NS_GET_OWNER_UID)
	if err != nil {
		return fmt.Errorf("namespace owner: %w", err)
	}
	if int(uid) != os.Getuid() {
		return fmt.Errorf("user namespace of uid %d, not ours", uid)
	}
	return nil
}

// startHolder starts a holder at sock in a new user namespace with the id
// maps m and waits until it listens.
func startHolder(sock, lock string, m *idMaps) error {
	idle := HolderIdle
	if v := os.Getenv("GUN_USERNS_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("GUN_USERNS_IDLE=%q: want a positive duration such as 30s", v)
		}
		idle = d
	}
	parent, child, err := socketPair()
	if err != nil {
		return err
	}
	defer parent.Close()
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{entryHolder, sock, lock, strconv.FormatInt(max(idle.Milliseconds(), 1), 10)},
		Env:        []string{},
		ExtraFiles: []*os.File{child},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWUSER,
			Pdeathsig:  unix.SIGKILL, // until it detaches
		},
	}
	if !m.helper {
		cmd.SysProcAttr.UidMappings = m.sysUIDs()
		cmd.SysProcAttr.GidMappings = m.sysGIDs()
		cmd.SysProcAttr.GidMappingsEnableSetgroups = !m.single
	}
	err = cmd.Start()
	child.Close()
	if err != nil {
		return fmt.Errorf("start user namespace holder: %w", err)
	}
	if m.helper {
		err = writeMapsWithHelper(cmd.Process.Pid, m)
	}
	if err == nil {
		err = sendMsg(int(parent.Fd()), mapsMsg{})
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return err
	}
	// It forks the holder and exits; the holder reports.
	werr := cmd.Wait()
	var ready readyMsg
	_, err = recvMsg(int(parent.Fd()), &ready)
	switch {
	case err == nil && ready.Error != "":
		return fmt.Errorf("user namespace holder: %s", ready.Error)
	case werr != nil:
		return fmt.Errorf("user namespace holder: %w", werr)
	case err != nil:
		return fmt.Errorf("user namespace holder: %w", err)
	}
	return nil
}
