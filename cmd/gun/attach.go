package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/container"
)

// gun attach and its other end, the monitor's attach server: over the
// container's attach socket (container.ListenAttach), the monitor streams
// the command's output to each attached client from then on, and passes
// their input on to the command's stdin (-i) and their window size to its
// pty (-t).

// attachServer is a detached container's monitor's side of gun attach.
type attachServer struct {
	ln      *net.UnixListener
	stdin   *os.File // the command's stdin's write end; nil without -i
	inMu    sync.Mutex
	mu      sync.Mutex
	clients map[*attachClient]bool
	pty     *os.File // the command's pty's master, with -t, once it runs
	closed  bool
}

type attachClient struct {
	conn *net.UnixConn
	out  chan []byte // packets to send; closed when the client is dropped
}

// serveAttach serves gun attach for c, passing input on to stdin (nil
// without -i).
func serveAttach(c *container.Container, stdin *os.File) (*attachServer, error) {
	ln, err := c.ListenAttach()
	if err != nil {
		return nil, err
	}
	s := &attachServer{ln: ln, stdin: stdin, clients: map[*attachClient]bool{}}
	go func() {
		for {
			conn, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			s.add(conn)
		}
	}()
	return s, nil
}

func (s *attachServer) add(conn *net.UnixConn) {
	cl := &attachClient{conn: conn, out: make(chan []byte, 256)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.clients[cl] = true
	s.mu.Unlock()
	go func() {
		ok := true
		for b := range cl.out {
			if _, err := conn.Write(b); ok && err != nil {
				ok = false
				s.drop(cl)
			}
		}
		conn.Close()
	}()
	go s.input(cl)
}

// drop forgets a client: its packets end.
func (s *attachServer) drop(cl *attachClient) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients[cl] {
		delete(s.clients, cl)
		close(cl.out)
	}
}

// input passes a client's packets on until it goes.
func (s *attachServer) input(cl *attachClient) {
	buf := make([]byte, container.AttachMax)
	for {
		n, err := cl.conn.Read(buf)
		if n == 0 || err != nil {
			s.drop(cl)
			return
		}
		switch b := buf[1:n]; buf[0] {
		case container.AttachStdin:
			if s.stdin != nil {
				s.inMu.Lock()
				_, _ = s.stdin.Write(b)
				s.inMu.Unlock()
			}
		case container.AttachResize:
			if len(b) == 4 {
				s.resize(binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:]))
			}
		}
	}
}

// setPTY is runtime.Spec.Console: the command's pty.
func (s *attachServer) setPTY(master *os.File) {
	s.mu.Lock()
	s.pty = master
	s.mu.Unlock()
}

func (s *attachServer) resize(rows, cols uint16) {
	s.mu.Lock()
	pty := s.pty
	s.mu.Unlock()
	if pty == nil {
		return
	}
	// Through the file, which the runtime closes when the command exits.
	if rc, err := pty.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			_ = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
		})
	}
}

// broadcast sends output of the kind given to every client; a client that
// does not keep up is dropped (the log has it all).
func (s *attachServer) broadcast(kind byte, b []byte) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(b) > 0 {
		n := min(len(b), container.AttachMax-1)
		pkt := append([]byte{kind}, b[:n]...)
		b = b[n:]
		for cl := range s.clients {
			select {
			case cl.out <- pkt:
			default:
				delete(s.clients, cl)
				close(cl.out)
			}
		}
	}
}

// close ends every client's stream, once the output is all sent, and
// stops serving.
func (s *attachServer) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.closed = true
	for cl := range s.clients {
		delete(s.clients, cl)
		close(cl.out)
	}
	s.mu.Unlock()
	s.ln.Close()
}

func newAttachCmd(g *globalFlags) *cobra.Command {
	var keys string
	var noStdin, sigProxy bool
	cmd := &cobra.Command{
		Use:   "attach [--detach-keys KEYS] [--no-stdin] [--sig-proxy=false] CONTAINER",
		Short: "Attach to a detached container: its output, and input with -i",
		Long: `Attach prints what the container writes from now on and exits with its
exit code when it ends. To a container run with -i it passes its stdin,
until the detach keys (ctrl-p ctrl-q) detach it, leaving the container
running; with -t the local terminal is in raw mode and its window size is
the container's. Without a terminal, SIGINT and SIGTERM are forwarded to
the container.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			esc, err := parseDetachKeys(keys)
			if err != nil {
				return &langcmd.UsageError{Err: err}
			}
			d, c, err := getContainer(g, args[0])
			if err != nil {
				return err
			}
			if !c.Detached || c.Status != container.Running {
				return fmt.Errorf("container %s is not a running detached container", c.Name)
			}
			conn, err := c.DialAttach()
			if err != nil {
				return err
			}
			defer conn.Close()
			detached, err := attach(conn, c, c.Interactive && !noStdin, sigProxy, esc)
			if err != nil || detached {
				return err
			}
			end, err := d.Wait(c)
			if err != nil {
				return err
			}
			return exitOf(end)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&keys, "detach-keys", "ctrl-p,ctrl-q", "the `keys` that detach: ctrl-LETTER (or @, [, \\, ], ^, _) or characters, with commas")
	fl.BoolVar(&noStdin, "no-stdin", false, "pass no input")
	fl.BoolVar(&sigProxy, "sig-proxy", true, "forward SIGINT and SIGTERM to the container (not in raw mode)")
	return cmd
}

// attach relays between this process's stdio and the monitor at conn
// until the container's output ends, or the detach keys come (detached).
func attach(conn *net.UnixConn, c *container.Container, input, sigProxy bool, esc *escaper) (detached bool, err error) {
	raw := false
	if c.TTY && input && term.IsTerminal(0) {
		state, err := term.MakeRaw(0)
		if err != nil {
			return false, fmt.Errorf("attach: raw mode: %w", err)
		}
		raw = true
		defer term.Restore(0, state)
	}
	sigs := make(chan os.Signal, 4)
	if c.TTY {
		signal.Notify(sigs, unix.SIGWINCH)
		sigs <- unix.SIGWINCH // the size now
	}
	if sigProxy && !raw {
		signal.Notify(sigs, unix.SIGINT, unix.SIGTERM)
	}
	defer signal.Stop(sigs)
	go func() {
		for sig := range sigs {
			if sig != unix.SIGWINCH {
				_ = signalContainer(c, sig.(unix.Signal))
				continue
			}
			for _, fd := range []int{0, 1} {
				if ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ); err == nil {
					pkt := []byte{container.AttachResize, 0, 0, 0, 0}
					binary.BigEndian.PutUint16(pkt[1:], ws.Row)
					binary.BigEndian.PutUint16(pkt[3:], ws.Col)
					_, _ = conn.Write(pkt)
					break
				}
			}
		}
	}()
	detach := make(chan struct{})
	if input {
		go func() {
			if sendInput(conn, os.Stdin, esc) {
				close(detach)
			}
		}()
	}
	output := make(chan error, 1)
	go func() { output <- receiveOutput(conn) }()
	select {
	case <-detach:
		return true, nil
	case err := <-output:
		return false, err
	}
}

// sendInput sends what r gives to the monitor until r ends (false) or the
// detach keys come (true).
func sendInput(conn *net.UnixConn, r io.Reader, esc *escaper) bool {
	buf := make([]byte, container.AttachMax-1)
	for {
		n, err := r.Read(buf)
		out, detach := esc.scan(buf[:n])
		for len(out) > 0 {
			k := min(len(out), container.AttachMax-1)
			if _, err := conn.Write(append([]byte{container.AttachStdin}, out[:k]...)); err != nil {
				return false
			}
			out = out[k:]
		}
		if detach {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// receiveOutput writes the monitor's output packets to stdout and stderr
// until the monitor ends the stream.
func receiveOutput(conn *net.UnixConn) error {
	buf := make([]byte, container.AttachMax)
	for {
		n, err := conn.Read(buf)
		if n == 0 || errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("attach: %w", err)
		}
		w := os.Stdout
		if buf[0] == container.AttachStderr {
			w = os.Stderr
		}
		if _, err := w.Write(buf[1:n]); err != nil {
			return err
		}
	}
}

// escaper finds the detach keys in input, as docker's escape proxy does:
// bytes that may begin them are held until they do or do not.
type escaper struct {
	keys    []byte
	matched int // how many of keys the input ended with
}

// parseDetachKeys reads docker's --detach-keys: comma-separated ctrl-X
// (a letter, @, [, \, ], ^ or _) or single characters.
func parseDetachKeys(s string) (*escaper, error) {
	var keys []byte
	for _, k := range strings.Split(s, ",") {
		switch {
		case len(k) == 1:
			keys = append(keys, k[0])
		case len(k) == 6 && strings.HasPrefix(strings.ToLower(k), "ctrl-"):
			c := k[5]
			switch {
			case c >= 'a' && c <= 'z':
				keys = append(keys, c-'a'+1)
			case c >= 'A' && c <= 'Z':
				keys = append(keys, c-'A'+1)
			case strings.IndexByte("@[\\]^_", c) >= 0:
				keys = append(keys, c-'@')
			default:
				return nil, fmt.Errorf("--detach-keys %q: unknown key %q", s, k)
			}
		default:
			return nil, fmt.Errorf("--detach-keys %q: unknown key %q (want ctrl-X or one character)", s, k)
		}
	}
	return &escaper{keys: keys}, nil
}

// scan returns what of in is to be sent, and whether the keys came.
func (e *escaper) scan(in []byte) (out []byte, detach bool) {
	for _, b := range in {
		if b == e.keys[e.matched] {
			if e.matched++; e.matched == len(e.keys) {
				return out, true
			}
			continue
		}
		out = append(out, e.keys[:e.matched]...)
		e.matched = 0
		if b == e.keys[0] {
			e.matched = 1
			if len(e.keys) == 1 {
				return out, true
			}
			continue
		}
		out = append(out, b)
	}
	return out, false
}
