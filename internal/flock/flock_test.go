package flock

import (
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := Lock(p, 0o600, unix.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to open files: a second open one conflicts.
	if _, err := Lock(p, 0o600, unix.LOCK_SH|unix.LOCK_NB); !errors.Is(err, unix.EWOULDBLOCK) {
		t.Fatalf("shared lock while held exclusively: %v, want EWOULDBLOCK", err)
	}
	unlock()
	unlock2, err := Lock(p, 0o600, unix.LOCK_SH|unix.LOCK_NB)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	unlock2()
	if _, err := Lock(filepath.Join(t.TempDir(), "missing", "x.lock"), 0o600, unix.LOCK_EX); err == nil {
		t.Fatal("lock in a missing directory succeeded")
	}
}
