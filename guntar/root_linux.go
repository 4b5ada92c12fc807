package guntar

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// A root is a directory that every path given to it stays inside. Paths come
// from archives and are hostile: they are resolved by the kernel (openat2
// with RESOLVE_IN_ROOT), never joined as strings, so ".." and symlinks,
// absolute or relative, cannot lead outside, even while the tree changes.
// Only a path's parent is resolved; its last component is never followed.
type root struct {
	fd int // O_PATH descriptor of the root directory

	// One cached parent directory: archives are mostly sorted, so
	// consecutive entries usually share it. Marked stale by every removal
	// or symlink creation, which could change what a path resolves to; a
	// stale descriptor stays open until the next lookup replaces it.
	cachedDir string
	cachedFd  int
	stale     bool
}

func openRoot(dir string) (*root, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &root{fd: fd, cachedFd: -1}, nil
}

func (r *root) close() {
	if r.cachedFd >= 0 {
		unix.Close(r.cachedFd)
	}
	unix.Close(r.fd)
}

// invalidate marks the cached parent directory as stale.
func (r *root) invalidate() { r.stale = true }

// cleanPath turns an archive's path into a relative path inside the root:
// "/a/../../b/" becomes "b", and the root itself is "".
func cleanPath(unsafePath string) string {
	return strings.TrimPrefix(path.Clean("/"+unsafePath), "/")
}

// resolve opens unsafeDir (a path relative to the root) with openat2 and
// RESOLVE_IN_ROOT: symlinks along it are followed as if the root were "/".
func (r *root) resolve(unsafeDir string, flags uint64) (int, error) {
	how := unix.OpenHow{
		Flags:   flags | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	if unsafeDir == "" {
		unsafeDir = "."
	}
	for range 16 {
		fd, err := unix.Openat2(r.fd, unsafeDir, &how)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue // a rename raced with the lookup; the kernel asks to retry
		}
		if err == unix.ENOSYS {
			return -1, fmt.Errorf("openat2 is not available (Linux 5.6 or later is needed): %w", err)
		}
		return fd, err
	}
	return -1, unix.EAGAIN
}

// parent returns a descriptor of the directory that holds rel (creating the
// missing directories on the way, mode 0755) and rel's last component. The
// descriptor belongs to the root's cache: do not close it.
func (r *root) parent(rel string) (int, string, error) {
	dir, base := path.Split(rel)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		return r.fd, base, nil
	}
	if r.cachedFd >= 0 && r.cachedDir == dir && !r.stale {
		return r.cachedFd, base, nil
	}
	fd, err := r.mkdirAll(dir)
	if err != nil {
		return -1, "", err
	}
	if r.cachedFd >= 0 {
		unix.Close(r.cachedFd)
	}
	r.cachedDir, r.cachedFd, r.stale = dir, fd, false
	return fd, base, nil
}

// mkdirAll opens dir, creating what is missing of it inside the root.
func (r *root) mkdirAll(dir string) (int, error) {
	const flags = unix.O_PATH | unix.O_DIRECTORY
	fd, err := r.resolve(dir, flags)
	if err != unix.ENOENT {
		return fd, err
	}
	// Walk down from the root, creating each missing component. Each step
	// is resolved afresh inside the root, so a component that is a symlink
	// (even a dangling one) is followed there, never outside.
	parts := strings.Split(dir, "/")
	pfd := r.fd
	defer func() {
		if pfd != r.fd {
			unix.Close(pfd)
		}
	}()
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		fd, err := r.resolve(sub, flags)
		if err == unix.ENOENT {
			if err := unix.Mkdirat(pfd, parts[i], 0o755); err != nil && err != unix.EEXIST {
				return -1, &os.PathError{Op: "mkdir", Path: sub, Err: err}
			}
			fd, err = r.resolve(sub, flags)
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: sub, Err: err}
		}
		if pfd != r.fd {
			unix.Close(pfd)
		}
		pfd = fd
	}
	fd, pfd = pfd, r.fd
	return fd, nil
}

// removeAt removes name in dirfd, a whole tree if it is a directory.
// A missing name is not an error.
func removeAt(dirfd int, name string) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := removeChildren(fd, nil); err != nil {
		unix.Close(fd)
		return err
	}
	unix.Close(fd)
	return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
}

// removeChildren removes the entries of the directory fd for which keep
// (if not nil) returns false.
func removeChildren(fd int, keep func(name string) bool) error {
	names, err := readDirNames(fd)
	if err != nil {
		return err
	}
	for _, name := range names {
		if keep != nil && keep(name) {
			continue
		}
		if err := removeAt(fd, name); err != nil {
			return fmt.Errorf("remove %s: %w", name, err)
		}
	}
	return nil
}

// readDirNames lists the directory fd (opened for reading) without
// consuming or closing fd.
func readDirNames(fd int) ([]string, error) {
	dup, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), ".")
	defer f.Close()
	return f.Readdirnames(-1)
}

// isNotPermitted reports whether err means the process lacks the privilege
// for an operation (as opposed to the operation being wrong).
func isNotPermitted(err error) bool {
	return errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) ||
		errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP)
}
