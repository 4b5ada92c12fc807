// Package flock takes flock(2) locks on lock files, as the store, the
// builder's memo and the runtime's user namespace holders do.
package flock

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Flock is flock(2) on fd, retried when a signal interrupts it.
func Flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}

// Lock opens path, creating it with perm if it is missing, and locks it
// with how (unix.LOCK_SH or unix.LOCK_EX, with unix.LOCK_NB not to wait).
// It returns the function that releases the lock. Errors are returned as
// they are (unix.EWOULDBLOCK when LOCK_NB finds it taken): the caller adds
// its context.
func Lock(path string, perm fs.FileMode, how int) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, perm)
	if err != nil {
		return nil, err
	}
	if err := Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
