package runtime_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestExitCodes(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"success", []string{"true"}, 0},
		{"failure", []string{"false"}, 1},
		{"exit 42", []string{"sh", "-c", "exit 42"}, 42},
		{"killed by SIGTERM", []string{"sh", "-c", "kill -TERM $$"}, 128 + 15},
		{"killed by SIGKILL", []string{"sh", "-c", "kill -KILL $$"}, 128 + 9},
		{"not found", []string{"no-such-command"}, 127},
		{"not executable", []string{"/etc/passwd"}, 126},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.run(t, nil, append([]string{"run", env.rootfs}, tc.args...)...)
			if r.code != tc.want {
				t.Errorf("exit code %d, want %d (stderr: %s)", r.code, tc.want, r.stderr)
			}
		})
	}
	if left := s.scratchLeft(t); len(left) != 0 {
		t.Errorf("scratch left behind: %v", left)
	}
}

func TestStdioPassThrough(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	r := s.run(t, strings.NewReader("from stdin\n"), "run", "-i", env.rootfs, "sh", "-c", "cat; echo to stderr >&2")
	if r.code != 0 || r.stdout != "from stdin\n" || r.stderr != "to stderr\n" {
		t.Errorf("got %+v", r)
	}
	// Without -i the command's stdin is empty.
	r = s.run(t, strings.NewReader("ignored\n"), "run", env.rootfs, "cat")
	if r.code != 0 || r.stdout != "" {
		t.Errorf("without -i: got %+v", r)
	}
}

// startReady starts c and waits for the line "ready" on its stdout; the
// rest of its output is discarded.
func startReady(t *testing.T, c *exec.Cmd) {
	t.Helper()
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stderr = os.Stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		_ = c.Process.Kill()
		_ = c.Wait()
		t.Fatalf("container did not get ready: %q, %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
}

// runUntilReady starts c, waits for the line "ready" on its stdout, calls
// then and returns c's exit code.
func runUntilReady(t *testing.T, c *exec.Cmd, then func(*os.Process)) int {
	t.Helper()
	startReady(t, c)
	then(c.Process)
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = c.Process.Kill()
		<-done
		t.Fatal("gun did not exit")
	}
	return c.ProcessState.ExitCode()
}

func TestSignalsForwardedAndScratchRemoved(t *testing.T) {
	requireEnv(t)
	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		script string
		want   int
	}{
		{"SIGTERM trapped", syscall.SIGTERM, `trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done`, 42},
		{"SIGINT kills", syscall.SIGINT, `echo ready; exec sleep 60`, 128 + 2},
		{"SIGTERM kills", syscall.SIGTERM, `echo ready; exec sleep 60`, 128 + 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			// Files of another mapped user in the scratch space, which the
			// user outside cannot remove by itself.
			script := `mkdir /d && touch /d/f && chown -R 1000:1000 /d && chmod 700 /d; ` + tc.script
			if env.subuid < 0 {
				script = tc.script
			}
			c := s.cmd("run", env.rootfs, "sh", "-c", script)
			code := runUntilReady(t, c, func(p *os.Process) {
				if err := p.Signal(tc.sig); err != nil {
					t.Fatal(err)
				}
			})
			if code != tc.want {
				t.Errorf("exit code %d, want %d", code, tc.want)
			}
			if left := s.scratchLeft(t); len(left) != 0 {
				t.Errorf("scratch left behind after %v: %v", tc.sig, left)
			}
		})
	}
}

func TestScratchRemovedAfterSIGKILL(t *testing.T) {
	requireSubIDs(t)
	for _, cleaner := range [][]string{{"run", "IMAGE", "true"}, {"prune"}} {
		t.Run(cleaner[0], func(t *testing.T) {
			s := newStore(t)
			c := s.cmd("run", env.rootfs, "sh", "-c", `mkdir /d && touch /d/f && chown -R 1000:1000 /d && chmod 700 /d; echo ready; exec sleep 61`)
			runUntilReady(t, c, func(p *os.Process) {
				if err := p.Kill(); err != nil {
					t.Fatal(err)
				}
			})
			// The container dies with gun.
			waitNoProcess(t, "sleep\x0061\x00")
			if left := s.scratchLeft(t); len(left) != 1 {
				t.Fatalf("after SIGKILL, scratch directories: %v, want one left", left)
			}
			args := append([]string{}, cleaner...)
			if args[0] == "run" {
				args[1] = env.rootfs
			}
			if r := s.run(t, nil, args...); r.code != 0 {
				t.Fatalf("gun %v: %+v", args, r)
			}
			if left := s.scratchLeft(t); len(left) != 0 {
				t.Errorf("gun %s did not remove the stale scratch: %v", cleaner[0], left)
			}
		})
	}
}

func TestEnvironmentWorkdirUser(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	envFile := filepath.Join(userDir(t, "env"), "vars")
	if err := os.WriteFile(envFile, []byte("# comment\nFROM_FILE=yes\n\nPATH=/usr/bin:/bin\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		flags []string
		cmd   []string
		want  string
	}{
		{"default env without a shell", nil, []string{"env"},
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=guntainer\nHOME=/root\n"},
		{"-e and --env-file", []string{"--env-file", envFile, "-e", "A=1", "-e", "HOME=/x"}, []string{"env"},
			"PATH=/usr/bin:/bin\nHOSTNAME=guntainer\nHOME=/x\nFROM_FILE=yes\nA=1\n"},
		{"default workdir", nil, []string{"pwd"}, "/\n"},
		{"-w", []string{"-w", "/tmp"}, []string{"pwd"}, "/tmp\n"},
		{"-w creates the directory", []string{"-w", "/new/dir"}, []string{"pwd"}, "/new/dir\n"},
		{"root", nil, []string{"id"}, "uid=0(root) gid=0(root)\n"},
		{"-u name", []string{"-u", "app"}, []string{"sh", "-c", "id; echo $HOME"}, "uid=1000(app) gid=1000(app)\n/home/app\n"},
		{"-u uid:gid", []string{"-u", "1000:0"}, []string{"id"}, "uid=1000(app) gid=0(root)\n"},
		{"-u name:group", []string{"-u", "nobody:app"}, []string{"id", "-u"}, "65534\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if env.subuid < 0 && strings.HasPrefix(tc.name, "-u") {
				requireSubIDs(t)
			}
			r := s.run(t, nil, append(append(append([]string{"run"}, tc.flags...), env.rootfs), tc.cmd...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if d := cmp.Diff(tc.want, r.stdout); d != "" {
				t.Errorf("output (-want +got):\n%s", d)
			}
		})
	}
	r := s.run(t, nil, "run", "-u", "nosuchuser", env.rootfs, "true")
	if r.code != 125 || !strings.Contains(r.stderr, `user "nosuchuser": no user "nosuchuser" in /etc/passwd`) {
		t.Errorf("unknown user: %+v", r)
	}
	// An empty PATH has no directories, not the working directory.
	r = s.run(t, nil, "run", "-e", "PATH=", "-w", "/bin", env.rootfs, "true")
	if r.code != 127 || !strings.Contains(r.stderr, "true: executable file not found in $PATH") {
		t.Errorf("empty PATH: %+v", r)
	}
}

func TestHostname(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	got := s.sh(t, nil, "hostname; cat /etc/hostname; grep -c guntainer /etc/hosts")
	if got != "guntainer\nguntainer\n1\n" {
		t.Errorf("default hostname: %q", got)
	}
	got = s.sh(t, []string{"--hostname", "box1"}, "hostname; echo $HOSTNAME")
	if got != "box1\nbox1\n" {
		t.Errorf("--hostname: %q", got)
	}
	host, _ := os.Hostname()
	if host == "box1" || host == "guntainer" {
		t.Errorf("the host's name changed to %q", host)
	}
}

func TestPIDNamespace(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	got := s.sh(t, nil, `echo $$; ls -d /proc/[0-9]* | wc -l; cat /proc/1/cmdline | tr '\0' ' '`)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 3 {
		t.Fatalf("output %q", got)
	}
	// Only init, the shell and its children: nothing from the host.
	if n := strings.TrimSpace(lines[1]); n > "4" || len(n) > 1 {
		t.Errorf("%s processes visible, want only the container's (%q)", n, got)
	}
	if lines[2] != "gun:init" {
		t.Errorf("pid 1 is %q, want gun's init", lines[2])
	}
}

func TestZombiesReaped(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	// The subshell exits at once, so sleep is orphaned, reparented to init,
	// and must be reaped by it when it exits.
	got := s.sh(t, nil, `(sleep 0.1 &); sleep 0.6; ps -o stat,comm`)
	if strings.Contains(got, "Z") || strings.Contains(got, "sleep") {
		t.Errorf("zombie or orphan left:\n%s", got)
	}
}

func TestBindMounts(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	host := userDir(t, "vol")
	if err := os.WriteFile(filepath.Join(host, "in"), []byte("host data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := s.sh(t, []string{"-v", host + ":/rw", "-v", host + ":/ro:ro"},
		`cat /rw/in; echo written >/rw/out; if echo x >/ro/fail 2>/dev/null; then echo ro-writable; fi; cat /ro/out`)
	if got != "host data\nwritten\n" {
		t.Errorf("output %q", got)
	}
	b, err := os.ReadFile(filepath.Join(host, "out"))
	if err != nil || string(b) != "written\n" {
		t.Errorf("host file: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(host, "fail")); err == nil {
		t.Error("a write through the read-only mount reached the host")
	}
	r := s.run(t, nil, "run", "-v", "/no/such/dir:/x", env.rootfs, "true")
	if r.code != 125 || !strings.Contains(r.stderr, "/no/such/dir") {
		t.Errorf("missing source: %+v", r)
	}
}

// TestBindMountTargetsStayInside mounts volumes on targets that the image
// makes symlinks out of the root: they are resolved inside the root
// (RESOLVE_IN_ROOT), where they do not exist, and the init creates nothing
// through a symlink, so it refuses and the host directory the symlinks
// name stays untouched. A file goes on a path the image does not have; the
// second run of that command line runs from its plan.
func TestBindMountTargetsStayInside(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	marker := userDir(t, "marker")
	img := userDir(t, "img")
	if out, err := asUser(exec.Command("cp", "-a", env.rootfs+"/.", img)).CombinedOutput(); err != nil {
		t.Fatalf("copy image: %v: %s", err, out)
	}
	if err := os.Symlink(marker, filepath.Join(img, "abs")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../.."+marker, filepath.Join(img, "rel")); err != nil {
		t.Fatal(err)
	}
	vol := userDir(t, "vol")
	file := filepath.Join(vol, "f")
	if err := os.WriteFile(file, []byte("file data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{vol + ":/abs/in", vol + ":/rel/in:ro", file + ":/abs"} {
		r := s.run(t, nil, "run", "-v", v, img, "true")
		if r.code != 125 || !strings.Contains(r.stderr, "in container") {
			t.Errorf("-v %s: exit %d, want 125 and a refusal: %s", v, r.code, r.stderr)
		}
	}
	for range 2 {
		r := s.run(t, nil, "run", "-v", file+":/new/dir/file", "-v", vol+":/mnt/v:ro", img,
			"sh", "-c", "cat /new/dir/file /mnt/v/f; (echo x >/mnt/v/g) 2>/dev/null || echo read-only")
		if want := "file data\nfile data\nread-only\n"; r.code != 0 || r.stdout != want {
			t.Errorf("exit %d, output %q, want %q: %s", r.code, r.stdout, want, r.stderr)
		}
	}
	if entries, err := os.ReadDir(marker); err != nil || len(entries) != 0 {
		t.Errorf("the host directory the symlinks name changed: %v, %v", entries, err)
	}
	if left := s.scratchLeft(t); len(left) != 0 {
		t.Errorf("scratch left behind: %v", left)
	}
}

func TestNetwork(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	got := s.sh(t, []string{"--network", "none"}, `tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; ip link show lo | grep -c UP`)
	if got != "lo\n1\n" {
		t.Errorf("--network none: interfaces %q, want only lo, up", got)
	}
	hostDev, err := os.ReadFile("/proc/net/dev")
	if err != nil {
		t.Fatal(err)
	}
	got = s.sh(t, []string{"--network", "host"}, `cat /proc/net/dev | wc -l`)
	if want := fmt.Sprintln(strings.Count(string(hostDev), "\n")); got != want {
		t.Errorf("--network host: %q lines of /proc/net/dev, want the host's %q", got, want)
	}
	if got := s.sh(t, nil, `cat /etc/resolv.conf`); got == "" && fileNonEmpty("/etc/resolv.conf") {
		t.Error("the container has no resolv.conf")
	}
}

func fileNonEmpty(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Size() > 0
}

func TestUIDMapping(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	host := userDir(t, "vol")
	s.sh(t, []string{"-v", host + ":/data"}, `touch /data/root-file`)
	if uid := ownerOf(t, filepath.Join(host, "root-file")); uid != env.uid {
		t.Errorf("a file made by root inside belongs to uid %d on the host, want %d (the user)", uid, env.uid)
	}
	t.Run("chown with the subordinate range", func(t *testing.T) {
		requireSubIDs(t)
		got := s.sh(t, []string{"-v", host + ":/data"}, `touch /data/app-file && chown 1000:1000 /data/app-file && stat -c %u:%g /data/app-file; cat /proc/self/uid_map | tr -s ' '`)
		want := fmt.Sprintf("1000:1000\n 0 %d 1\n 1 %d 65536\n", env.uid, env.subuid)
		if got != want {
			t.Errorf("inside: %q, want %q", got, want)
		}
		if uid := ownerOf(t, filepath.Join(host, "app-file")); uid != env.subuid+999 {
			t.Errorf("container uid 1000 is %d on the host, want %d", uid, env.subuid+999)
		}
	})
	t.Run("privilege drop as apt does", func(t *testing.T) {
		requireSubIDs(t)
		got := s.sh(t, nil, `chmod 1777 /tmp && probe drop 1000 1000 /tmp/apt-file && stat -c %u /tmp/apt-file`)
		if got != "uid=1000 gid=1000 wrote apt-file\n1000\n" {
			t.Errorf("got %q", got)
		}
	})
}

func ownerOf(t *testing.T, path string) int {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

func TestNoEscape(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	markerDir := userDir(t, "marker")
	marker := filepath.Join(markerDir, "host-only")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := s.sh(t, nil, "probe escape "+marker); got != "contained\n" {
		t.Errorf("escape attempts: %s", got)
	}
	// A mount target through a symlink in the image stays inside it.
	img := userDir(t, "img")
	if out, err := asUser(exec.Command("cp", "-a", env.rootfs+"/.", img)).CombinedOutput(); err != nil {
		t.Fatalf("copy image: %v: %s", err, out)
	}
	if err := os.Symlink("../../../../../../.."+markerDir, filepath.Join(img, "evil")); err != nil {
		t.Fatal(err)
	}
	src := userDir(t, "src")
	// Refusing the dangling target and mounting inside are both safe.
	r := s.run(t, nil, "run", "-v", src+":/evil/planted", img, "true")
	if r.code != 0 && !strings.Contains(r.stderr, "resolve /evil in container") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(markerDir, "planted")); err == nil {
		t.Error("a mount target through a symlink created a directory on the host")
	}
	// /sys and /proc/sys are read-only; what docker masks is empty.
	got := s.sh(t, nil, `for f in /sys/kernel/profiling /proc/sys/kernel/domainname; do if echo x >$f 2>/dev/null; then echo writable $f; fi; done; cat /proc/timer_list /proc/keys | wc -c; ls /sys/firmware | wc -l`)
	if got != "0\n0\n" {
		t.Errorf("masked and read-only paths: %q", got)
	}
}

func TestRootUnchangedAndReadOnly(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	before := treeDigest(t, env.rootfs)
	s.sh(t, nil, `rm -rf /bin/ls /etc /home; echo new >/newfile; chmod 700 /tmp; ln -s /x /usr/link`)
	if d := cmp.Diff(before, treeDigest(t, env.rootfs)); d != "" {
		t.Errorf("the image changed (-before +after):\n%s", d)
	}
	if got := s.sh(t, nil, `ls /newfile 2>&1; test -e /etc/passwd && echo fresh`); got != "ls: /newfile: No such file or directory\nfresh\n" {
		t.Errorf("a new container saw the last one's changes: %q", got)
	}
	got := s.sh(t, []string{"--read-only"}, `if touch /x 2>/dev/null; then echo root-writable; fi; touch /dev/shm/ok && echo shm-ok`)
	if got != "shm-ok\n" {
		t.Errorf("--read-only: %q", got)
	}
}

// treeDigest describes every file of a tree: type, mode, owner, size and
// content hash.
func treeDigest(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v %d:%d %d", fi.Mode(), st.Uid, st.Gid, fi.Size())
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			desc += " " + hex.EncodeToString(h[:8])
		}
		rel, _ := filepath.Rel(root, p)
		m[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNoDescriptorsLeakIntoTheContainer(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	// A descriptor gun inherits without close-on-exec.
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := s.cmd("run", env.rootfs, "sh", "-c", "ls /proc/$$/fd; true")
	c.ExtraFiles = []*os.File{f}
	out, err := c.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(out)); !cmp.Equal(got, []string{"0", "1", "2"}) {
		t.Errorf("the container's shell has descriptors %v, want only 0 1 2", got)
	}
}

func TestPrivilegesOfTheCommand(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	got := s.sh(t, nil, `grep -E '^(NoNewPrivs|CapBnd|CapEff|CapAmb)' /proc/self/status | tr -s '\t ' ' '`)
	// docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
	// SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
	want := "CapEff: 00000000a80425fb\nCapBnd: 00000000a80425fb\nCapAmb: 0000000000000000\nNoNewPrivs: 1\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// A user other than root has no capabilities at all.
	if env.subuid >= 0 {
		got = s.sh(t, []string{"-u", "app"}, `grep CapEff /proc/self/status | tr -s '\t ' ' '`)
		if got != "CapEff: 0000000000000000\n" {
			t.Errorf("as app: %q", got)
		}
	}
}

// waitNoProcess waits up to 2 seconds until no process has the command
// line, and fails t otherwise: the container's processes die with gun.
func waitNoProcess(t *testing.T, cmdline string) {
	t.Helper()
	for i := 0; processRunning(cmdline); i++ {
		if i == 100 {
			t.Fatal("the container's process outlived gun")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processRunning reports whether some process has the command line.
func processRunning(cmdline string) bool {
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range dirs {
		if b, err := os.ReadFile(p); err == nil && string(b) == cmdline {
			return true
		}
	}
	return false
}

func TestConcurrentRuns(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	const n = 6
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			c := s.cmd("run", "--hostname", fmt.Sprintf("c%d", i), env.rootfs, "sh", "-c", "echo $(hostname) >/id; sleep 0.2; cat /id")
			out, err := c.Output()
			if want := fmt.Sprintf("c%d\n", i); err != nil || string(out) != want {
				errs <- fmt.Sprintf("container %d: %q, %v", i, out, err)
				return
			}
			errs <- ""
		}()
	}
	for i := 0; i < n; i++ {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
	if left := s.scratchLeft(t); len(left) != 0 {
		t.Errorf("scratch left behind: %v", left)
	}
}
