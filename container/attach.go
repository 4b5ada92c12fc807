package container

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// The attach socket: the monitor of a detached container serves gun attach
// on attach.sock in the container's directory, a SOCK_SEQPACKET socket.
// Each packet is a kind byte and its data, at most AttachMax bytes in all.
const (
	AttachStdout = 'o' // monitor to attach: the command's output
	AttachStderr = 'e' // ... its stderr
	AttachStdin  = 'i' // attach to monitor: input for the command's stdin
	// AttachResize, attach to monitor: the window size for the command's
	// pty, rows and columns, each two bytes big-endian.
	AttachResize = 'w'
	AttachMax    = 32 << 10
)

const attachSock = "attach.sock"

// ListenAttach makes c's attach socket and listens on it.
func (c *Container) ListenAttach() (*net.UnixListener, error) {
	var l *net.UnixListener
	err := c.atSocket(func(path string) (err error) {
		l, err = net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("container %s: attach socket: %w", c.Name, err)
	}
	// The path it was made by is gone with the directory's descriptor; the
	// socket's file goes with the container's directory.
	l.SetUnlinkOnClose(false)
	return l, nil
}

// DialAttach connects to c's monitor's attach socket.
func (c *Container) DialAttach() (*net.UnixConn, error) {
	var conn *net.UnixConn
	err := c.atSocket(func(path string) (err error) {
		conn, err = net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("container %s: attach: %w", c.Name, err)
	}
	return conn, nil
}

// atSocket calls fn with a path of c's attach socket that fits a socket
// address (108 bytes), through a descriptor of c's directory.
func (c *Container) atSocket(fn func(path string) error) error {
	dir, err := unix.Open(c.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: c.dir, Err: err}
	}
	defer unix.Close(dir)
	return fn(filepath.Join(fmt.Sprintf("/proc/self/fd/%d", dir), attachSock))
}
