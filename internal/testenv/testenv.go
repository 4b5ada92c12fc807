// Package testenv is what gun's end-to-end tests share: the rule for missing
// prerequisites, the gun binary built for a test run, and the unprivileged
// user the tests run it as.
package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Need fails t in CI (CI set) and skips it elsewhere when err, a missing
// prerequisite named by what, is not nil.
func Need(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: %v (required in CI)", what, err)
		return
	}
	t.Skipf("%s: %v (not in CI: skipping)", what, err)
}

// NeedProgram returns the path of prog, as Need does when it is not
// installed.
func NeedProgram(t testing.TB, prog string) string {
	t.Helper()
	p, err := exec.LookPath(prog)
	Need(t, prog+" is not installed (.ci/run installs it)", err)
	return p
}

// BuildGun builds the gun command into dir, as it is installed
// (hack/build.sh): gun and beside it gun-lang, which gun executes for its
// language commands, so that tests of check, fmt and lsp run that path. It
// returns gun's path.
func BuildGun(dir string) (string, error) {
	bin := filepath.Join(dir, "gun")
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("build gun: %w", err)
	}
	out, err := exec.Command(filepath.Join(root, "hack", "build.sh"), bin).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build gun: %v\n%s", err, out)
	}
	return bin, nil
}

// repoRoot returns the repository's directory: the module's.
func repoRoot() (string, error) {
	mod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(mod)) == 0 {
		return "", fmt.Errorf("find the module: %v", err)
	}
	return filepath.Dir(string(bytes.TrimSpace(mod))), nil
}

// DebianArchive returns a Debian minbase root file system archive: the one
// named by GUN_TEST_DEBIAN, or, with GUN_TEST_DEBIAN=build, the one
// testdata/rootfs/debian.sh makes once with debootstrap (as root; it needs
// the Debian mirror) and caches in /var/tmp/gun-test-debian. Tests that
// need it are opt-in (CI sets it) to keep a developer's suite fast and
// offline: without it t is skipped, saying what it would have done.
func DebianArchive(t testing.TB, what string) string {
	t.Helper()
	v := os.Getenv("GUN_TEST_DEBIAN")
	switch v {
	case "":
		t.Skipf("set GUN_TEST_DEBIAN=build (or to a minbase .tar.gz) to %s", what)
	case "build":
	default:
		return v
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(root, "testdata", "rootfs", "debian.sh")).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v\n%s", err, ee.Stderr)
		}
		t.Fatalf("testdata/rootfs/debian.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// RunWithGun runs m's tests with *bin set to a gun built for them in a
// temporary directory, removed afterwards, and returns the exit code for
// os.Exit. A failed build fails the run.
func RunWithGun(m *testing.M, bin *string) int {
	dir, err := os.MkdirTemp("", "gun-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if *bin, err = BuildGun(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// User is the user the end-to-end tests run gun as. As root (CI) that is
// the unprivileged user GUN_TEST_USER, guntest by default, that
// hack/testuser.sh creates with a subordinate id range, so that the rootless
// path is what is tested; otherwise it is the current user.
type User struct {
	Name     string
	UID, GID int
	// Cred is set when the tests run as root: commands are started with it.
	Cred *syscall.Credential
}

// TestUser looks up the user the tests run gun as.
func TestUser() (*User, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("current user: %w", err)
		}
		return &User{Name: u.Username, UID: os.Getuid(), GID: os.Getgid()}, nil
	}
	name := os.Getenv("GUN_TEST_USER")
	if name == "" {
		name = "guntest"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("test user %s: %w (as root, run hack/testuser.sh first)", name, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("test user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("test user %s: gid %q: %w", name, u.Gid, err)
	}
	return &User{Name: name, UID: uid, GID: gid, Cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}, nil
}

// Command sets c to run as u and returns it.
func (u *User) Command(c *exec.Cmd) *exec.Cmd {
	if u.Cred != nil {
		if c.SysProcAttr == nil {
			c.SysProcAttr = &syscall.SysProcAttr{}
		}
		c.SysProcAttr.Credential = u.Cred
	}
	return c
}

// MkdirTemp makes a new directory in dir (the system's temporary directory
// when dir is ""), readable by all and owned by u.
func (u *User) MkdirTemp(dir, pattern string) (string, error) {
	d, err := os.MkdirTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(d, 0o755); err != nil {
		return "", err
	}
	if u.Cred != nil {
		if err := os.Chown(d, u.UID, u.GID); err != nil {
			return "", err
		}
	}
	return d, nil
}

// Chown gives u every file under dir.
func (u *User) Chown(dir string) error {
	if u.Cred == nil {
		return nil
	}
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, u.UID, u.GID)
	})
}

// OpenPTY opens a pseudo terminal pair, its slave owned by u (for gun's
// side), closed when t ends.
func (u *User) OpenPTY(t testing.TB) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	name := "/dev/pts/" + strconv.Itoa(n)
	if u.Cred != nil {
		if err := os.Chown(name, u.UID, -1); err != nil {
			t.Fatal(err)
		}
	}
	s, err := os.OpenFile(name, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}
