package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// rootfs is the container's root directory before pivot_root. Every path
// inside it comes from the image and is hostile: it is resolved with
// openat2(RESOLVE_IN_ROOT), so that symlinks and ".." stay inside, and
// mounts are made on the resolved file descriptor, never on a joined string.
type rootfs struct {
	dir  string
	fd   int                  // O_PATH
	logf func(string, ...any) // records each mount for the debug log, or nil
}

func (r *rootfs) debugf(format string, args ...any) {
	if r.logf != nil {
		r.logf(format, args...)
	}
}

type createKind int

const (
	noCreate createKind = iota
	createDir
	createFile
)

func openRoot(dir string) (*rootfs, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", dir, err)
	}
	return &rootfs{dir: dir, fd: fd}, nil
}

func (r *rootfs) resolve(unsafePath string, flags uint64) (int, error) {
	for {
		fd, err := unix.Openat2(r.fd, unsafePath, &unix.OpenHow{
			Flags:   flags | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
		})
		if err != unix.EAGAIN && err != unix.EINTR {
			return fd, err
		}
	}
}

// open resolves unsafePath inside the root and returns an O_PATH descriptor,
// creating missing parents as directories and the last component as kind
// says.
func (r *rootfs) open(unsafePath string, kind createKind) (int, error) {
	p := filepath.Clean("/" + unsafePath)
	fd, err := r.resolve(p, unix.O_PATH)
	if err == nil || kind == noCreate || !errors.Is(err, unix.ENOENT) {
		if err != nil {
			return -1, fmt.Errorf("resolve %s in container: %w", p, err)
		}
		return fd, nil
	}
	parent, name := filepath.Split(p)
	pfd, err := r.open(parent, createDir)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	switch kind {
	case createDir:
		err = unix.Mkdirat(pfd, name, 0o755)
	case createFile:
		var f int
		f, err = unix.Openat(pfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err == nil {
			unix.Close(f)
		}
	}
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return -1, fmt.Errorf("create %s in container: %w", p, err)
	}
	fd, err = r.resolve(p, unix.O_PATH)
	if err != nil {
		return -1, fmt.Errorf("resolve %s in container: %w", p, err)
	}
	return fd, nil
}

func fdPath(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }

// mount mounts a file system on unsafePath inside the root.
func (r *rootfs) mount(source, unsafePath, fstype string, flags uintptr, data string) error {
	fd, err := r.open(unsafePath, createDir)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Mount(source, fdPath(fd), fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s (%s) on %s with %q: %w", source, fstype, unsafePath, data, err)
	}
	r.debugf("mount %s on %s (%s %s)", source, unsafePath, fstype, data)
	return nil
}

// bind bind-mounts the host path source (recursively) on unsafePath inside
// the root, read-only when ro.
func (r *rootfs) bind(source, unsafePath string, ro bool) error {
	fi, err := os.Stat(source)
	if err != nil {
		return fmt.Errorf("bind mount source: %w", err)
	}
	kind := createFile
	if fi.IsDir() {
		kind = createDir
	}
	fd, err := r.open(unsafePath, kind)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := bindFD(source, fd, unsafePath, ro); err != nil {
		return err
	}
	r.debugf("bind %s on %s (read-only %t)", source, unsafePath, ro)
	return nil
}

func bindFD(source string, target int, name string, ro bool) error {
	tree, err := unix.OpenTree(unix.AT_FDCWD, source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return fmt.Errorf("bind mount %s on %s: open_tree: %w", source, name, err)
	}
	defer unix.Close(tree)
	if ro {
		if err := setReadOnly(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE); err != nil {
			return fmt.Errorf("bind mount %s on %s: %w", source, name, err)
		}
	}
	if err := unix.MoveMount(tree, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("bind mount %s on %s: move_mount: %w", source, name, err)
	}
	return nil
}

func setReadOnly(dirfd int, path string, flags int) error {
	err := unix.MountSetattr(dirfd, path, uint(flags), &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY})
	if err != nil {
		return fmt.Errorf("make read-only: mount_setattr: %w", err)
	}
	return nil
}

// The paths docker masks and makes read-only under /proc and /sys.
var (
	maskedPaths = []string{
		"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
		"/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
	}
	readonlyPaths = []string{
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	}
)

// mask hides a path: /dev/null over a file, an empty read-only tmpfs over a
// directory. A path that does not exist is left alone.
func (r *rootfs) mask(unsafePath string) error {
	fd, err := r.resolve(unsafePath, unix.O_PATH)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mask %s: %w", unsafePath, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("mask %s: %w", unsafePath, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if err := unix.Mount("tmpfs", fdPath(fd), "tmpfs", unix.MS_RDONLY, "size=0"); err != nil {
			return fmt.Errorf("mask %s: mount tmpfs: %w", unsafePath, err)
		}
		r.debugf("mask %s (empty tmpfs)", unsafePath)
		return nil
	}
	if err := bindFD("/dev/null", fd, unsafePath, false); err != nil {
		return err
	}
	r.debugf("mask %s (/dev/null)", unsafePath)
	return nil
}

// readOnly bind-mounts a path on itself, read-only.
func (r *rootfs) readOnly(unsafePath string) error {
	fd, err := r.resolve(unsafePath, unix.O_PATH)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read-only %s: %w", unsafePath, err)
	}
	defer unix.Close(fd)
	tree, err := unix.OpenTree(fd, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE|unix.AT_EMPTY_PATH)
	if err != nil {
		return fmt.Errorf("read-only %s: open_tree: %w", unsafePath, err)
	}
	defer unix.Close(tree)
	if err := setReadOnly(tree, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE); err != nil {
		return fmt.Errorf("read-only %s: %w", unsafePath, err)
	}
	if err := unix.MoveMount(tree, "", fd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("read-only %s: move_mount: %w", unsafePath, err)
	}
	r.debugf("read-only %s", unsafePath)
	return nil
}

// setupDev fills /dev with a tmpfs holding the host's harmless devices
// (bind-mounted: a user namespace cannot mknod), a private devpts instance
// and /dev/shm.
func (r *rootfs) setupDev(gid5 bool) error {
	if err := r.mount("tmpfs", "/dev", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return err
	}
	for _, d := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		if err := r.bind("/dev/"+d, "/dev/"+d, false); err != nil {
			return err
		}
	}
	opts := "newinstance,ptmxmode=0666,mode=0620"
	if gid5 {
		opts += ",gid=5" // the tty group, as docker
	}
	if err := r.mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, opts); err != nil {
		return err
	}
	if err := r.mount("shm", "/dev/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
		return err
	}
	dev, err := r.open("/dev", noCreate)
	if err != nil {
		return err
	}
	defer unix.Close(dev)
	for name, target := range map[string]string{
		"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2", "core": "/proc/kcore",
	} {
		if err := unix.Symlinkat(target, dev, name); err != nil {
			return fmt.Errorf("symlink /dev/%s: %w", name, err)
		}
	}
	return nil
}

// overlayOptions returns the overlay mount data for the layers (bottom
// first), or "" when it does not fit the page that mount(2) takes.
func overlayOptions(layers []string, upper, work string) string {
	lower := make([]string, len(layers))
	for i, l := range layers {
		lower[len(layers)-1-i] = escapeOverlay(l)
	}
	data := "lowerdir=" + strings.Join(lower, ":") + ",upperdir=" + escapeOverlay(upper) + ",workdir=" + escapeOverlay(work) + ",userxattr"
	if len(data) >= unix.Getpagesize() {
		return ""
	}
	return data
}

// mountOverlay mounts the overlay of layers (bottom first) on target.
func mountOverlay(layers []string, upper, work, target string) error {
	if data := overlayOptions(layers, upper, work); data != "" {
		if err := unix.Mount("overlay", target, "overlay", 0, data); err != nil {
			return fmt.Errorf("mount overlay on %s: %w", target, err)
		}
		return nil
	}
	// Too many layers for one page of options: the mount API takes them
	// one at a time ("lowerdir+", top first, Linux 6.8 and later).
	fs, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return fmt.Errorf("mount overlay: fsopen: %w", err)
	}
	defer unix.Close(fs)
	for i := len(layers) - 1; i >= 0; i-- {
		if err := unix.FsconfigSetString(fs, "lowerdir+", layers[i]); err != nil {
			return fmt.Errorf("mount overlay: lower layer %s: %w", layers[i], err)
		}
	}
	for _, kv := range [][2]string{{"upperdir", upper}, {"workdir", work}} {
		if err := unix.FsconfigSetString(fs, kv[0], kv[1]); err != nil {
			return fmt.Errorf("mount overlay: %s %s: %w", kv[0], kv[1], err)
		}
	}
	if err := unix.FsconfigSetFlag(fs, "userxattr"); err != nil {
		return fmt.Errorf("mount overlay: userxattr: %w", err)
	}
	if err := unix.FsconfigCreate(fs); err != nil {
		return fmt.Errorf("mount overlay: create: %w", err)
	}
	mnt, err := unix.Fsmount(fs, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("mount overlay: fsmount: %w", err)
	}
	defer unix.Close(mnt)
	if err := unix.MoveMount(mnt, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("mount overlay on %s: move_mount: %w", target, err)
	}
	return nil
}

// escapeOverlay escapes the characters overlayfs treats specially in paths.
func escapeOverlay(p string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`, `,`, `\,`).Replace(p)
}
