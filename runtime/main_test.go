package runtime_test

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gun-tools/gun/internal/testenv"
	"github.com/gun-tools/gun/runtime"
)

// The end-to-end tests run the real gun binary as the test user
// (testenv.TestUser: the unprivileged guntest as root, so that the rootless
// path is what is tested).
var env struct {
	work   string // a directory the test user owns
	gun    string // the gun binary
	rootfs string // a busybox root file system owned by the test user
	user   *testenv.User
	cred   *syscall.Credential // the test user, nil when not running as root
	uid    int                 // the test user's uid on the host
	subuid int                 // the first subordinate uid, or -1
	err    error               // a missing prerequisite
}

func TestMain(m *testing.M) {
	// Runtime.RemoveAll below may re-execute this binary.
	if code, ok := runtime.Reexec(); ok {
		os.Exit(code)
	}
	code := 1
	defer func() { os.Exit(code) }()
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		// A fuzzing worker runs fuzz targets only: no containers.
		code = m.Run()
		return
	}
	if err := setup(); err != nil {
		env.err = err
	}
	code = m.Run()
	if env.work != "" {
		// Holders exit when idle: none may be left once they had the time.
		left := leftProcesses(env.work)
		for end := time.Now().Add(testIdle + 3*time.Second); len(left) > 0 && time.Now().Before(end); left = leftProcesses(env.work) {
			time.Sleep(100 * time.Millisecond)
		}
		if len(left) > 0 {
			fmt.Fprintf(os.Stderr, "processes left behind by the tests:\n%s\n", strings.Join(left, "\n"))
			code = 1
		}
	}
	if env.work != "" {
		// Containers' files of subordinate ids need a user namespace to go.
		if err := runtime.New("").RemoveAll(env.work); err != nil {
			fmt.Fprintln(os.Stderr, "cleanup:", err)
		}
	}
}

func setup() error {
	var err error
	if env.user, err = testenv.TestUser(); err != nil {
		return err
	}
	env.cred, env.uid, env.subuid = env.user.Cred, env.user.UID, -1
	if r, err := runtime.SubIDRange("/etc/subuid", env.user.Name, env.user.UID); err == nil {
		env.subuid = r.HostID
	}
	if env.work, err = env.user.MkdirTemp("/tmp", "gun-runtime-test-"); err != nil {
		return err
	}
	if env.gun, err = testenv.BuildGun(env.work); err != nil {
		return err
	}
	probe := filepath.Join(env.work, "probe")
	build := exec.Command("go", "build", "-o", probe, "./testdata/probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build probe: %v\n%s", err, out)
	}
	// A copy the test user can reach: the repository may be in a directory
	// only root can enter.
	b, err := os.ReadFile("../testdata/rootfs/busybox.sh")
	if err != nil {
		return err
	}
	script := filepath.Join(env.work, "busybox.sh")
	if err := os.WriteFile(script, b, 0o755); err != nil {
		return err
	}
	env.rootfs = filepath.Join(env.work, "rootfs")
	// As the test user, so that the files belong to container root, and
	// with the probe copied in.
	mk := asUser(exec.Command("sh", "-c", `"$1" "$2" && cp "$3" "$2/bin/probe"`, "sh", script, env.rootfs, probe))
	if out, err := mk.CombinedOutput(); err != nil {
		return fmt.Errorf("make busybox root: %v\n%s", err, out)
	}
	return nil
}

// need fails (in CI) or skips the test when a prerequisite is missing.
func need(t *testing.T, what string, err error) {
	t.Helper()
	testenv.Need(t, what, err)
}

func requireEnv(t *testing.T) {
	t.Helper()
	need(t, "test environment", env.err)
}

func requireSubIDs(t *testing.T) {
	t.Helper()
	requireEnv(t)
	var err error
	if env.subuid < 0 {
		err = errors.New("the test user has no /etc/subuid range")
	} else if _, lerr := exec.LookPath("newuidmap"); lerr != nil {
		err = lerr
	}
	need(t, "subordinate ids", err)
}

func asUser(c *exec.Cmd) *exec.Cmd { return env.user.Command(c) }

// userDir makes a directory owned by the test user.
func userDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := env.user.MkdirTemp(env.work, name+"-")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// gstore is a test's own store root, owned by the test user.
type gstore struct {
	root, home string
	// idle is GUN_USERNS_IDLE for its gun commands; testIdle when zero.
	idle time.Duration
}

func newStore(t *testing.T) *gstore {
	return &gstore{root: userDir(t, "store"), home: userDir(t, "home")}
}

// cmd is gun with args, as the test user, with HOME and GUN_ROOT set.
func (s *gstore) cmd(args ...string) *exec.Cmd {
	c := asUser(exec.Command(env.gun, args...))
	c.Env = []string{"HOME=" + s.home, "GUN_ROOT=" + s.root, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "GUN_USERNS_IDLE=" + cmp.Or(s.idle, testIdle).String()}
	return c
}

type result struct {
	stdout, stderr string
	code           int
}

func (s *gstore) run(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	c := s.cmd(args...)
	var out, errb bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = stdin, &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("gun %v: %v", args, err)
	}
	return result{out.String(), errb.String(), c.ProcessState.ExitCode()}
}

// sh runs a shell script in the busybox image and fails the test unless it
// exits 0.
func (s *gstore) sh(t *testing.T, flags []string, script string) string {
	t.Helper()
	args := append(append([]string{"run"}, flags...), env.rootfs, "/bin/sh", "-c", script)
	r := s.run(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("gun %v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// scratchLeft lists the store's container scratch directories.
func (s *gstore) scratchLeft(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(s.root, "run"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
