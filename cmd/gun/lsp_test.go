package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/lsp/lsptest"
)

// pipes is a client's ends of a server's standard input and output.
type pipes struct {
	*os.File // read: the server's output
	w        *os.File
}

func (p pipes) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p pipes) Close() error                { p.w.Close(); return p.File.Close() }

// startPiped starts prog with new pipes as its standard input and output,
// each of size bytes if size is not 0.
func startPiped(t testing.TB, size int, prog string, args ...string) (*exec.Cmd, pipes) {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if size != 0 {
		for _, f := range []*os.File{inW, outR} {
			if _, err := unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, size); err != nil {
				t.Fatalf("F_SETPIPE_SZ %d: %v", size, err)
			}
		}
	}
	cmd := exec.Command(prog, args...)
	cmd.Stdin, cmd.Stdout = inR, outW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	p := pipes{outR, inW}
	t.Cleanup(func() {
		p.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, p
}

// TestLspGrowsPipes checks that gun lsp makes the pipes of its standard
// input and output hold langcmd.PipeSize bytes, or the most the kernel allows.
func TestLspGrowsPipes(t *testing.T) {
	want := langcmd.PipeSize
	if b, err := os.ReadFile("/proc/sys/fs/pipe-max-size"); err == nil {
		if max, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && max < want {
			want = max
		}
	}
	_, p := startPiped(t, 0, gunBin, "lsp")
	c := lsptest.New(p)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Initialize(ctx); err != nil { // the pipes are grown before it is answered
		t.Fatal(err)
	}
	for name, f := range map[string]*os.File{"input": p.w, "output": p.File} {
		size, err := unix.FcntlInt(f.Fd(), unix.F_GETPIPE_SZ, 0)
		if err != nil {
			t.Fatal(err)
		}
		if size < want {
			t.Errorf("gun lsp's standard %s: a pipe of %d bytes, want %d", name, size, want)
		}
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPipeSize moves 1 MiB to another process and back, as a
// client's didOpen and a server's diagnostics or symbols do, through pipes
// of the kernel's default size and of the size gun lsp asks for. The other
// process, dd, reads the whole message before it writes it back, as the
// server does, and goes idle before the next, as an editor's client and
// server do between a user's actions: each message wakes it.
func BenchmarkPipeSize(b *testing.B) {
	for _, size := range []int{0, langcmd.PipeSize} {
		name := "default"
		if size != 0 {
			name = strconv.Itoa(size>>10) + "KiB"
		}
		b.Run(name, func(b *testing.B) {
			_, p := startPiped(b, size, "dd", "bs=1M", "iflag=fullblock", "status=none")
			msg := make([]byte, 1<<20)
			back := make([]byte, len(msg))
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				written := make(chan error, 1)
				go func() { _, err := p.Write(msg); written <- err }()
				if _, err := io.ReadFull(p, back); err != nil {
					b.Fatal(err)
				}
				if err := <-written; err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				time.Sleep(time.Millisecond)
				b.StartTimer()
			}
		})
	}
}
