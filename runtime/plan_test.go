package runtime_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// planFile returns the store's one plan and its modification time (which
// the init sets when it runs the plan).
func (s *gstore) planFile(t *testing.T) (string, time.Time) {
	t.Helper()
	plans, err := filepath.Glob(filepath.Join(s.root, "plans", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 {
		t.Fatalf("plans: %v, want one", plans)
	}
	fi, err := os.Stat(plans[0])
	if err != nil {
		t.Fatal(err)
	}
	return plans[0], fi.ModTime()
}

// imageCopy copies the busybox root file system to a directory of the
// test's, as the test user, and runs script in it ($1 the copy).
func imageCopy(t *testing.T, script string) string {
	t.Helper()
	image := filepath.Join(userDir(t, "image"), "rootfs")
	if out, err := asUser(exec.Command("sh", "-c", `cp -a "$1" "$2" && cd "$2" && `+script, "sh", env.rootfs, image)).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v\n%s", err, out)
	}
	return image
}

// noScratchLeft fails t when a scratch directory is left in the store.
func (s *gstore) noScratchLeft(t *testing.T) {
	t.Helper()
	if left := s.scratchLeft(t); len(left) != 0 {
		t.Errorf("scratch left behind: %v", left)
	}
}

// runNoPrefork is s.run with GUN_PREFORK=0: no prefork, no plan.
func (s *gstore) runNoPrefork(t *testing.T, args ...string) result {
	t.Helper()
	c := s.cmd(args...)
	c.Env = append(c.Env, "GUN_PREFORK=0")
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil && c.ProcessState == nil {
		t.Fatalf("gun %v: %v", args, err)
	}
	return result{out.String(), errb.String(), c.ProcessState.ExitCode()}
}

// planScript shows what a container is made of; the same in every run.
const planScript = `echo "$(hostname) $(cat /etc/hostname) $(id -u):$(id -g) $(pwd)"; env | sort; ls /proc/self/fd | wc -l; cat /etc/hosts; ls /; exit 7`

func TestPlanRunsTheSameContainer(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	args := []string{"run", env.rootfs, "sh", "-c", planScript}
	first := s.run(t, nil, args...)
	if first.code != 7 || !strings.HasPrefix(first.stdout, "guntainer guntainer 0:0 /\n") {
		t.Fatalf("first run: %+v", first)
	}
	plan, written := s.planFile(t)
	saved, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		time.Sleep(10 * time.Millisecond)
		r := s.run(t, nil, args...)
		if d := cmp.Diff(first, r, cmp.AllowUnexported(result{})); d != "" {
			t.Fatalf("run %d from the plan differs (-first +planned):\n%s", i+2, d)
		}
		_, used := s.planFile(t)
		if !used.After(written) {
			t.Fatalf("run %d: the plan was not run (its time %v, written %v)", i+2, used, written)
		}
		written = used
		s.noScratchLeft(t)
	}
	if now, err := os.ReadFile(plan); err != nil || !bytes.Equal(now, saved) {
		t.Errorf("the plan changed across identical runs (%v)", err)
	}
	// GUN_PREFORK=0: no prefork, no plan; the same container.
	if r := s.runNoPrefork(t, args...); !cmp.Equal(first, r, cmp.AllowUnexported(result{})) {
		t.Errorf("run with GUN_PREFORK=0: %+v, want %+v", r, first)
	}
	if _, t2 := s.planFile(t); !t2.Equal(written) {
		t.Errorf("the plan ran with GUN_PREFORK=0")
	}
}

// A plan that is not what gun would run is not run, whatever it holds;
// gun runs its own container and writes the right plan.
func TestPlanCheckedByGun(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	args := []string{"run", "-e", "PLAN=1", env.rootfs, "sh", "-c", planScript}
	first := s.run(t, nil, args...)
	plan, _ := s.planFile(t)
	good, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		tamper func([]byte) []byte
	}{
		{"another environment", func(b []byte) []byte { return bytes.Replace(b, []byte("PLAN=1"), []byte("PLAN=2"), 1) }},
		{"another hostname", func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("guntainer"), []byte("otherhost")) }},
		{"another layer", func(b []byte) []byte {
			return bytes.Replace(b, []byte(env.rootfs), []byte(filepath.Dir(env.rootfs)), 1)
		}},
		{"gun's stdin", func(b []byte) []byte {
			// The standard streams' flags are the head's seventh string.
			f := bytes.SplitN(b, []byte{0}, 8)
			if string(f[6]) != "2" {
				return b
			}
			f[6] = []byte("0")
			return bytes.Join(f, []byte{0})
		}},
		{"another run directory in the store", func(b []byte) []byte {
			return bytes.Replace(b, []byte("\x00"+s.root+"/run\x00"), []byte("\x00"+s.root+"/plans\x00"), 1)
		}},
		{"a run directory outside the store", func(b []byte) []byte {
			return bytes.Replace(b, []byte("\x00"+s.root+"/run\x00"), []byte("\x00"+s.home+"\x00"), 1)
		}},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"not a plan", func([]byte) []byte { return []byte("gun-plan-1\x00\x00\x00") }},
		{"garbage", func([]byte) []byte { return bytes.Repeat([]byte{1, 0, 0xff}, 100) }},
		{"empty", func([]byte) []byte { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.tamper(bytes.Clone(good))
			if bytes.Equal(bad, good) {
				t.Fatal("the plan is as it was")
			}
			if err := os.WriteFile(plan, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			r := s.run(t, nil, args...)
			if d := cmp.Diff(first, r, cmp.AllowUnexported(result{})); d != "" {
				t.Fatalf("run with a wrong plan differs (-want +got):\n%s", d)
			}
			if now, err := os.ReadFile(plan); err != nil || !bytes.Equal(now, good) {
				t.Errorf("the plan was not rewritten (%v)", err)
			}
			s.noScratchLeft(t)
			for _, dir := range []string{filepath.Dir(plan), s.home} {
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					if e.IsDir() {
						t.Errorf("a directory left in %s: %s", dir, e.Name())
					}
				}
			}
		})
	}
}

// gun that fails after its init set a planned container up leaves nothing.
func TestPlanAbandoned(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	image := imageCopy(t, "true")
	if r := s.run(t, nil, "run", image, "true"); r.code != 0 {
		t.Fatalf("first run: %+v", r)
	}
	s.planFile(t)
	if err := os.Rename(image, image+".gone"); err != nil {
		t.Fatal(err)
	}
	r := s.run(t, nil, "run", image, "true")
	if r.code != 125 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("run of a missing image: %+v", r)
	}
	s.noScratchLeft(t)
}

func TestPlanSignalsAndConcurrentRuns(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	for i := range 2 { // without a plan, then from it
		c := s.cmd("run", env.rootfs, "sh", "-c", `echo ready; exec sleep 60`)
		code := runUntilReady(t, c, func(p *os.Process) {
			if err := p.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		})
		if code != 128+15 {
			t.Errorf("run %d: exit code %d, want %d", i+1, code, 128+15)
		}
		if left := s.scratchLeft(t); len(left) != 0 {
			t.Errorf("run %d: scratch left behind: %v", i+1, left)
		}
	}
	// Containers from one plan at once, each in its own scratch directory.
	args := []string{"run", env.rootfs, "sh", "-c", `t=$(cat /proc/sys/kernel/random/uuid); echo $t >/mine; sleep 0.2; [ "$(cat /mine)" = $t ] && echo ok`}
	if r := s.run(t, nil, args...); r.code != 0 || r.stdout != "ok\n" {
		t.Fatalf("first run: %+v", r)
	}
	var wg sync.WaitGroup
	results := make([]result, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.run(t, nil, args...)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 || r.stdout != "ok\n" || r.stderr != "" {
			t.Errorf("concurrent run %d: %+v", i, r)
		}
	}
	s.noScratchLeft(t)
}

// A command that cannot be executed fails alike with and without a plan.
func TestPlanCommandGone(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	image := imageCopy(t, `printf '#!/bin/sh\necho hello\n' >bin/hello && chmod 755 bin/hello`)
	args := []string{"run", image, "/bin/hello"}
	if r := s.run(t, nil, args...); r.code != 0 || r.stdout != "hello\n" {
		t.Fatalf("first run: %+v", r)
	}
	_, written := s.planFile(t)
	if err := os.Remove(filepath.Join(image, "bin", "hello")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	r := s.run(t, nil, args...)
	if _, used := s.planFile(t); !used.After(written) {
		t.Error("the plan was not run")
	}
	want := s.runNoPrefork(t, args...)
	if want.code != 127 || !strings.Contains(want.stderr, "/bin/hello") {
		t.Fatalf("run without a plan: %+v", want)
	}
	if d := cmp.Diff(want, r, cmp.AllowUnexported(result{})); d != "" {
		t.Errorf("run from the plan differs (-without +with):\n%s", d)
	}
	s.noScratchLeft(t)
}

// Without its holder (killed, or gone when idle), a plan is not run: gun
// starts a holder and its container, and the next run has the plan again.
func TestPlanWithoutHolder(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	args := []string{"run", env.rootfs, "sh", "-c", planScript}
	first := s.run(t, nil, args...)
	_, written := s.planFile(t)
	killHolder(t, s)
	time.Sleep(10 * time.Millisecond)
	for i, wantRun := range []bool{false, true} {
		r := s.run(t, nil, args...)
		if d := cmp.Diff(first, r, cmp.AllowUnexported(result{})); d != "" {
			t.Fatalf("run %d differs (-first +got):\n%s", i+2, d)
		}
		_, used := s.planFile(t)
		if ran := used.After(written); ran != wantRun {
			t.Errorf("run %d: the plan ran: %v, want %v", i+2, ran, wantRun)
		}
		written = used
		s.noScratchLeft(t)
		time.Sleep(10 * time.Millisecond)
	}
}

// Options the C init takes have plans too (stdin passed or not); the others
// have none.
func TestPlanWithOptions(t *testing.T) {
	requireEnv(t)
	script := `echo "$A $(pwd) $(id -u):$(id -g) $(hostname)"; touch /x 2>/dev/null && echo writable; cat`
	for _, tc := range []struct {
		name  string
		flags []string
		plan  bool
	}{
		{"C init options", []string{"-e", "A=1", "-w", "/tmp", "-u", "1:2", "--hostname", "h", "--read-only", "--rm", "--name", "n"}, true},
		{"stdin", []string{"-i", "-e", "A=1"}, true},
		{"volume", []string{"-v", env.work + ":/mnt:ro"}, true},
		{"network none", []string{"--network", "none"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			args := append(append([]string{"run"}, tc.flags...), env.rootfs, "sh", "-c", script)
			first := s.run(t, strings.NewReader("input\n"), args...)
			if wantIn := slices.Contains(tc.flags, "-i"); first.code != 0 || strings.HasSuffix(first.stdout, "input\n") != wantIn {
				t.Fatalf("first run (stdin passed: %v): %+v", wantIn, first)
			}
			plans, _ := filepath.Glob(filepath.Join(s.root, "plans", "*"))
			if (len(plans) == 1) != tc.plan || len(plans) > 1 {
				t.Fatalf("plans %v; want one: %v", plans, tc.plan)
			}
			var written time.Time
			if tc.plan {
				_, written = s.planFile(t)
			}
			time.Sleep(10 * time.Millisecond)
			r := s.run(t, strings.NewReader("input\n"), args...)
			if d := cmp.Diff(first, r, cmp.AllowUnexported(result{})); d != "" {
				t.Errorf("second run differs (-first +second):\n%s", d)
			}
			if tc.plan {
				if _, used := s.planFile(t); !used.After(written) {
					t.Error("the plan was not run")
				}
			}
			s.noScratchLeft(t)
		})
	}
}

// `gun run IMAGE CMD` without options has one plan for the image, whatever
// the command: the command comes with gun's word. Each run is as it is
// without a plan.
func TestPlanOtherCommands(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	if r := s.run(t, nil, "run", env.rootfs, "echo", "first"); r.code != 0 || r.stdout != "first\n" {
		t.Fatalf("first run: %+v", r)
	}
	_, written := s.planFile(t)
	for i, args := range [][]string{
		{"echo", "second", "run"},
		{"sh", "-c", "echo $0 $1; exit 3", "a", "b"},
		{"/bin/sh", "-c", "ls /proc/self/fd | wc -l"},
		{"no-such-command"},
		{"/no/such/path"},
		nil, // the default command: /bin/sh, its stdin /dev/null
	} {
		time.Sleep(10 * time.Millisecond)
		all := append([]string{"run", env.rootfs}, args...)
		r := s.run(t, nil, all...)
		_, used := s.planFile(t)
		if !used.After(written) {
			t.Errorf("run %d (%q): the plan was not run", i+2, args)
		}
		written = used
		if d := cmp.Diff(s.runNoPrefork(t, all...), r, cmp.AllowUnexported(result{})); d != "" {
			t.Errorf("run %q (-without a plan +with):\n%s", args, d)
		}
	}
	s.noScratchLeft(t)
}
