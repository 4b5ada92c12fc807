package proc

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestID(t *testing.T) {
	self, err := Of(os.Getpid())
	if err != nil || self.Start == 0 {
		t.Fatalf("Of(self): %+v, %v", self, err)
	}
	if !self.Running() {
		t.Error("the test process is not running")
	}
	if err := self.Signal(0); err != nil {
		t.Errorf("Signal(0) to self: %v", err)
	}
	// A later process with the pid is another start time.
	other := ID{self.Pid, self.Start + 1}
	if other.Running() {
		t.Error("an ID with another start time runs")
	}
	if _, err := other.Open(); !errors.Is(err, ErrGone) {
		t.Errorf("Open of another start time: %v, want ErrGone", err)
	}

	c := exec.Command("sleep", "1000")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	child, err := Of(c.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Signal(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// A zombie is gone.
	for deadline := time.Now().Add(10 * time.Second); child.Running() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if child.Running() {
		t.Error("a killed child still runs")
	}
	if err := child.Signal(unix.SIGKILL); !errors.Is(err, ErrGone) {
		t.Errorf("Signal to a zombie: %v, want ErrGone", err)
	}
	c.Wait()
	if _, err := child.Open(); !errors.Is(err, ErrGone) {
		t.Errorf("Open of a reaped process: %v, want ErrGone", err)
	}
	if err := child.KillWait(); err != nil {
		t.Errorf("KillWait of a reaped process: %v", err)
	}
	if _, _, err := Stat(0); err == nil {
		t.Error("Stat(0) did not fail")
	}
}

// TestKillWait: KillWait returns once the process has exited, a zombie
// not yet reaped.
func TestKillWait(t *testing.T) {
	c := exec.Command("sleep", "1000")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Wait()
	id, err := Of(c.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := id.KillWait(); err != nil {
		t.Fatal(err)
	}
	if state, _, err := Stat(id.Pid); err != nil || state != 'Z' {
		t.Errorf("after KillWait: state %c, %v; want a zombie", state, err)
	}
	if err := id.KillWait(); err != nil {
		t.Errorf("KillWait of a zombie: %v", err)
	}
}
