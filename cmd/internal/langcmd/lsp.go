package langcmd

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/internal/hugeheap"
	"github.com/gun-tools/gun/lsp"
)

func NewLspCmd() *cobra.Command {
	var stdio bool
	cmd := &cobra.Command{
		Use:   "lsp",
		Short: "Serve Gunfiles to editors over the Language Server Protocol (stdio)",
		Long: "gun lsp is a language server for Gunfiles. It speaks the Language Server Protocol on\n" +
			"standard input and output: diagnostics, completion, hover, go to definition, references,\n" +
			"rename, formatting, symbols, folding, semantic tokens, links and quick fixes.\n" +
			"See docs/editors.md for editor setup. Logs (with --verbose) go to standard error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if os.Getenv("GOGC") == "" {
				// The server's live heap is a few megabytes, and analysing a
				// large document allocates about as much again: with the
				// default, collections take a quarter of an open's time.
				debug.SetGCPercent(400)
			}
			// The first analysis of a 5,000-line document touches some 8 MiB
			// of new heap: 2,000 page faults, which on a virtual machine
			// were most of its time (docs/editors.md, "Speed").
			hugeheap.Grow(64 << 20)
			growPipe(os.Stdin)
			growPipe(os.Stdout)
			err := lsp.Serve(cmd.Context(), &stdioConn{ReadCloser: os.Stdin, w: os.Stdout}, lsp.Options{
				Logger:  slog.Default(),
				Version: Version(),
			})
			if errors.Is(err, lsp.ErrNoShutdown) {
				return &ExitError{Code: 1} // the protocol's exit status; nothing to print
			}
			return err
		},
	}
	// Editors' generic clients often pass --stdio; it is the only transport.
	cmd.Flags().BoolVar(&stdio, "stdio", true, "talk over standard input and output (the default and only transport)")
	return cmd
}

// stdioConn is the server's end of standard input and output. Closing it
// twice (the server, and jsonrpc2 when a read fails) is harmless.
type stdioConn struct {
	io.ReadCloser
	w    io.WriteCloser
	once sync.Once
	err  error
}

func (c *stdioConn) Write(p []byte) (int, error) { return c.w.Write(p) }

func (c *stdioConn) Close() error {
	c.once.Do(func() { c.err = errors.Join(c.ReadCloser.Close(), c.w.Close()) })
	return c.err
}

// PipeSize is what growPipe asks for: the most an unprivileged process may
// (/proc/sys/fs/pipe-max-size), where the kernel's default is 64 KiB.
const PipeSize = 1 << 20

// growPipe makes f, if it is a pipe, hold PipeSize bytes. A 5,000-line
// document's didOpen (300 KB), its diagnostics (1 MB) and its symbols (1.2
// MB) then cross in a write or two, not 64 KiB at a time with a wakeup of
// the process at the other end for each: moving 1 MiB each way between two
// processes, each woken for it, took 0.6 of the time (cmd/gun's BenchmarkPipeSize).
// The pipe takes memory only for what it holds. Where the kernel refuses (a user over
// pipe-user-pages-soft), or f is not a pipe, it stays as it is.
func growPipe(f *os.File) {
	// Through SyscallConn, not Fd, which would put the file in blocking mode.
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, PipeSize) })
	}
}
