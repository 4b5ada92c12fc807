package runtime_test

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo terminal pair for gun's side, the slave owned by
// the test user.
func openPTY(t *testing.T) (master, slave *os.File) { return env.user.OpenPTY(t) }

func TestTTY(t *testing.T) {
	requireEnv(t)
	st := newStore(t)
	master, slave := openPTY(t)
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 33, Col: 77}); err != nil {
		t.Fatal(err)
	}
	c := st.cmd("run", "-i", "-t", env.rootfs, "sh", "-c", `tty; stty size; echo $TERM; echo ready; read x; stty size; echo got $x`)
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	// gun's terminal is its controlling terminal, so a resize signals it.
	c.SysProcAttr.Setsid, c.SysProcAttr.Setctty, c.SysProcAttr.Ctty = true, true, 0
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 32)
	go func() {
		sc := bufio.NewScanner(master)
		for sc.Scan() {
			lines <- strings.TrimRight(sc.Text(), "\r")
		}
		close(lines)
	}()
	var got []string
	timeout := time.After(20 * time.Second)
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				done = true
				break
			}
			got = append(got, l)
			if l == "ready" {
				// Resize the outer terminal: gun must follow. Then answer.
				if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 20, Col: 50}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond)
				if _, err := master.Write([]byte("hello\r")); err != nil {
					t.Fatal(err)
				}
			}
			if strings.HasPrefix(l, "got ") {
				done = true
			}
		case <-timeout:
			_ = c.Process.Kill()
			t.Fatalf("no end of output; got %q", got)
		}
	}
	if err := c.Wait(); err != nil {
		t.Errorf("gun: %v", err)
	}
	want := []string{"/dev/pts/0", "33 77", "xterm", "ready", "20 50", "got hello"}
	// The terminal echoes the answer; drop echo lines.
	var clean []string
	for _, l := range got {
		if l != "hello" && l != "" {
			clean = append(clean, l)
		}
	}
	if strings.Join(clean, "|") != strings.Join(want, "|") {
		t.Errorf("output %q, want %q", clean, want)
	}
}
