package runtime_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gun-tools/gun/runtime"
)

// The plan of a plain `gun run IMAGE [CMD...]` runs without gun's Go once
// the constructor can prove it current (fastplan.go); GUN_PLAN_TRACE=1 has
// the constructor say on stderr which way each run went.

const traced = "gun: plan trace: "

// traceOf splits the trace line off a result's stderr. The command may
// write to stderr while the line is written (a run without Go says so once
// the command started): the line is taken wherever it starts.
func traceOf(t *testing.T, r result) (result, string) {
	t.Helper()
	var trace []string
	rest := r.stderr
	for {
		i := strings.Index(rest, traced)
		if i < 0 {
			break
		}
		line, after, _ := strings.Cut(rest[i+len(traced):], "\n")
		trace = append(trace, line)
		rest = rest[:i] + after
	}
	if len(trace) != 1 {
		t.Fatalf("trace %q, want one line: %+v", trace, r)
	}
	r.stderr = rest
	return r, trace[0]
}

// runTraced runs c (a gun run of s) with GUN_PLAN_TRACE=1 and returns its
// result and the way it went.
func runTraced(t *testing.T, c *exec.Cmd) (result, string) {
	t.Helper()
	c.Env = append(c.Env, "GUN_PLAN_TRACE=1")
	return traceOf(t, runResult(t, c))
}

const withoutGo = "run without Go"

// untilFast runs mk's command until it runs without Go, as it does once
// its plan's files are older than the racy second (fastplan.go), and
// returns that run's result.
func untilFast(t *testing.T, mk func() *exec.Cmd) result {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); ; {
		r, way := runTraced(t, mk())
		if way == withoutGo {
			return r
		}
		if time.Now().After(end) {
			t.Fatalf("the run never went without Go: %q, %+v", way, r)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fastStore returns a store with the image "img" imported from an archive
// of dir, and the command line of a plain run of it.
func fastStore(t *testing.T, dir string) (*gstore, []string) {
	t.Helper()
	s := newStore(t)
	importDir(t, s, dir, "img")
	return s, []string{"run", "img", "sh", "-c", "cat /etc/resolv.conf /marker 2>&1; echo $PATH; id -u; exit 5"}
}

// importDir imports the root file system dir as the image name of s.
func importDir(t *testing.T, s *gstore, dir, name string) {
	t.Helper()
	archive := filepath.Join(userDir(t, "archive"), "img.tar")
	if out, err := asUser(exec.Command("tar", "-C", dir, "-cf", archive, ".")).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	if r := s.run(t, nil, "import", archive, name); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
}

func TestPlanRunsWithoutGo(t *testing.T) {
	requireEnv(t)
	s, args := fastStore(t, imageCopy(t, "echo one >marker"))
	want := s.runNoPrefork(t, args...)
	if want.code != 5 || !strings.Contains(want.stdout, "one\n") {
		t.Fatalf("run: %+v", want)
	}
	got := untilFast(t, func() *exec.Cmd { return s.cmd(args...) })
	if d := cmp.Diff(want, got, cmp.AllowUnexported(result{})); d != "" {
		t.Errorf("run without Go differs (-Go +C):\n%s", d)
	}
	s.noScratchLeft(t)
	// The plan's one for the image: another command runs without Go too,
	// and as with Go.
	for _, cmdline := range [][]string{{"echo", "two words"}, {"/no/such/command"}, {"sh", "-c", "kill -TERM $$"}} {
		all := append([]string{"run", "img"}, cmdline...)
		r, way := runTraced(t, s.cmd(all...))
		if way != withoutGo {
			t.Errorf("%q went %q", cmdline, way)
		}
		if d := cmp.Diff(s.runNoPrefork(t, all...), r, cmp.AllowUnexported(result{})); d != "" {
			t.Errorf("%q without Go differs (-Go +C):\n%s", cmdline, d)
		}
	}
	s.noScratchLeft(t)
	// A damaged plan is not run: gun's Go runs it as without a plan, and
	// writes it again.
	plan, _ := s.planFile(t)
	good, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(good, []byte("/bin"), []byte("/BIN"), 1)
	if bytes.Equal(bad, good) {
		t.Fatal("the plan holds no /bin")
	}
	if err := os.WriteFile(plan, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	r, way := runTraced(t, s.cmd(args...))
	if way == withoutGo || !cmp.Equal(want, r, cmp.AllowUnexported(result{})) {
		t.Errorf("a damaged plan went %q: %+v", way, r)
	}
	if now, err := os.ReadFile(plan); err != nil || !bytes.Equal(now, good) {
		t.Errorf("the damaged plan was not written again (%v)", err)
	}
}

// Each input of a plan's fast section, changed, sends the run to Go, which
// runs what it finds now.
func TestPlanFastSectionInputs(t *testing.T) {
	requireEnv(t)
	for _, tc := range []struct {
		name string
		// change changes an input; it returns a command line of the run
		// and the environment it runs in, and what must differ (a
		// string of its stdout, "" for nothing).
		change func(t *testing.T, s *gstore, args []string) (*exec.Cmd, string)
	}{
		{"the image retagged", func(t *testing.T, s *gstore, args []string) (*exec.Cmd, string) {
			importDir(t, s, imageCopy(t, "echo two >marker"), "img")
			return s.cmd(args...), "two\n"
		}},
		{"PATH", func(t *testing.T, s *gstore, args []string) (*exec.Cmd, string) {
			c := s.cmd(args...)
			c.Env = append(c.Env, "PATH=/bin:/usr/bin:/sbin:/usr/sbin")
			return c, ""
		}},
		{"a file of the image's name", func(t *testing.T, s *gstore, args []string) (*exec.Cmd, string) {
			dir := userDir(t, "cwd")
			if out, err := asUser(exec.Command("cp", "-a", imageCopy(t, "echo three >marker"), filepath.Join(dir, "img"))).CombinedOutput(); err != nil {
				t.Fatalf("cp: %v\n%s", err, out)
			}
			c := s.cmd(args...)
			c.Dir = dir
			return c, "three\n"
		}},
		{"the binary replaced", func(t *testing.T, s *gstore, args []string) (*exec.Cmd, string) {
			// gun from a copy of its own (fast), then another copy there.
			bin := filepath.Join(userDir(t, "bin"), "gun")
			cp := func() {
				if out, err := asUser(exec.Command("sh", "-c", `cp "$1" "$2.new" && mv "$2.new" "$2"`, "sh", env.gun, bin)).CombinedOutput(); err != nil {
					t.Fatalf("cp: %v\n%s", err, out)
				}
			}
			cp()
			untilFast(t, func() *exec.Cmd { c := s.cmd(args...); c.Path, c.Args[0] = bin, bin; return c })
			cp()
			c := s.cmd(args...)
			c.Path, c.Args[0] = bin, bin
			return c, ""
		}},
		{"a stale scratch directory", func(t *testing.T, s *gstore, args []string) (*exec.Cmd, string) {
			if out, err := asUser(exec.Command("mkdir", "-p", filepath.Join(s.root, "run", "0123456789abcdef", "upper"))).CombinedOutput(); err != nil {
				t.Fatalf("mkdir: %v\n%s", err, out)
			}
			return s.cmd(args...), ""
		}},
		{"/etc/resolv.conf", func(t *testing.T, s *gstore, args []string) (*exec.Cmd, string) {
			return inMountNS(t, s, "/etc/resolv.conf", "nameserver 192.0.2.53\n", args), "nameserver 192.0.2.53\n"
		}},
		{"/etc/subuid", func(t *testing.T, s *gstore, args []string) (*exec.Cmd, string) {
			b, err := os.ReadFile("/etc/subuid")
			if err != nil {
				t.Fatal(err)
			}
			return inMountNS(t, s, "/etc/subuid", string(b), args), ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, args := fastStore(t, imageCopy(t, "echo one >marker"))
			before := untilFast(t, func() *exec.Cmd { return s.cmd(args...) })
			c, differs := tc.change(t, s, args)
			r, way := runTraced(t, c)
			if way == withoutGo {
				t.Fatalf("ran without Go: %+v", r)
			}
			if differs == "" && !cmp.Equal(before, r, cmp.AllowUnexported(result{})) {
				t.Errorf("the run differs: %+v, before %+v", r, before)
			}
			if differs != "" && !strings.Contains(r.stdout, differs) {
				t.Errorf("the run does not show the change (%q): %+v", differs, r)
			}
			s.noScratchLeft(t)
		})
	}
}

// inMountNS returns s's gun with args as the test user, in a mount
// namespace of its own where file (bound over the host's) holds data.
func inMountNS(t *testing.T, s *gstore, file, data string, args []string) *exec.Cmd {
	t.Helper()
	var err error
	if env.cred == nil {
		err = errors.New("not root: no mount namespace of the test's")
	}
	need(t, "root", err)
	for _, tool := range []string{"unshare", "setpriv"} {
		_, err := exec.LookPath(tool)
		need(t, tool, err)
	}
	src := filepath.Join(userDir(t, "etc"), filepath.Base(file))
	if err := os.WriteFile(src, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	sh := `mount --bind "$1" "$2" && u=$3 g=$4 && shift 4 && exec setpriv --reuid="$u" --regid="$g" --clear-groups "$@"`
	all := append([]string{"--mount", "--propagation", "private", "sh", "-c", sh, "sh", src, file,
		strconv.Itoa(int(env.cred.Uid)), strconv.Itoa(int(env.cred.Gid)), env.gun}, args...)
	c := exec.Command("unshare", all...)
	c.Env = s.cmd().Env
	return c
}

// A container run without Go has the record gun's Go writes (gun exec and
// gun ps read it), with its own init, and takes signals as with Go.
func TestPlanWithoutGoRecord(t *testing.T) {
	requireEnv(t)
	s, _ := fastStore(t, imageCopy(t, "true"))
	args := []string{"run", "img", "sh", "-c", "echo ready; exec sleep 60"}
	untilFast(t, func() *exec.Cmd { return s.cmd("run", "img", "true") })
	record := func(c *exec.Cmd) *runtime.Container {
		var got *runtime.Container
		code := runUntilReady(t, c, func(p *os.Process) {
			runs, _ := filepath.Glob(filepath.Join(s.root, "run", "[0-9a-f]*"))
			if len(runs) != 1 {
				t.Fatalf("containers running: %v", runs)
			}
			var err error
			if got, err = runtime.LoadContainer(runs[0]); err != nil {
				t.Fatal(err)
			}
			if !got.Init.Running() {
				t.Errorf("the record's init %+v is not running", got.Init)
			}
			if err := p.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		})
		if code != 128+15 {
			t.Errorf("exit code %d, want %d", code, 128+15)
		}
		return got
	}
	c := s.cmd(args...)
	c.Env = append(c.Env, "GUN_PREFORK=0")
	want := record(c)
	// (startReady takes the run's stderr: the run before says which way
	// it goes.)
	if _, way := runTraced(t, s.cmd("run", "img", "true")); way != withoutGo {
		t.Fatalf("went %q", way)
	}
	got := record(s.cmd(args...))
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(runtime.Container{}, "Init")); d != "" {
		t.Errorf("record (-Go +C):\n%s", d)
	}
	s.noScratchLeft(t)
}

// runResult runs c and returns its result.
func runResult(t *testing.T, c *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%v: %v", c.Args, err)
	}
	return result{out.String(), errb.String(), c.ProcessState.ExitCode()}
}

// optionsScript shows what the options change in a container.
const optionsScript = `echo "$A|$B|$C|$(pwd)|$(id -u):$(id -g)|$(id -G)|$(hostname)"; grep -E '^Cap(Eff|Bnd)' /proc/self/status; ` +
	`grep -h . /mnt/f /rel/f 2>&1; touch /x 2>/dev/null && echo writable; cat; exit 3`

// A command line with the options people use most runs from its plan
// without gun's Go, as it runs with Go: the same output, exit code, env,
// working directory, user, capabilities, mounts and stdin; each input the
// options read on the host, changed, sends it to Go, which runs what it
// finds now, and another value of an option has a plan of its own.
func TestPlanOptionsWithoutGo(t *testing.T) {
	requireEnv(t)
	s, _ := fastStore(t, imageCopy(t, "true"))
	host := userDir(t, "host")
	for _, f := range []string{"vol/f", "cwd/rel/f", "other/rel/f"} {
		if out, err := asUser(exec.Command("sh", "-c", `mkdir -p "$(dirname "$1")" && echo "$2" >"$1"`, "sh", filepath.Join(host, f), f)).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", f, err, out)
		}
	}
	envFile := filepath.Join(host, "env")
	writeUser := func(path, data string) {
		t.Helper()
		if out, err := asUser(exec.Command("sh", "-c", `printf %s "$2" >"$1.new" && mv "$1.new" "$1"`, "sh", path, data)).CombinedOutput(); err != nil {
			t.Fatalf("write %s: %v\n%s", path, err, out)
		}
	}
	writeUser(envFile, "C=from file\nB\n")
	// cmd is the run of flags, with B=hostB on the host, in cwd.
	cmd := func(hostB string, flags ...string) *exec.Cmd {
		c := s.cmd(slices.Concat([]string{"run"}, flags, []string{"img", "sh", "-c", optionsScript})...)
		c.Env = append(c.Env, "B="+hostB)
		c.Dir = filepath.Join(host, "cwd")
		c.Stdin = strings.NewReader("input\n")
		return c
	}
	withGo := func(c *exec.Cmd) result {
		c.Env = append(c.Env, "GUN_PREFORK=0")
		return runResult(t, c)
	}
	for _, tc := range []struct {
		name  string
		flags []string
		shows string // in stdout
	}{
		{"env, workdir, user", []string{"-e", "A=1", "-e", "B", "--env", "C=3", "-w", "/new/dir", "-u", "1:2", "--rm", "--hostname", "h"}, "1|hostB|3|/new/dir|1:2|2|h\n"},
		{"stdin, read-only root", []string{"-i", "--read-only"}, "input\n"},
		{"volumes", []string{"-v", filepath.Join(host, "vol") + ":/mnt:ro", "-v", "rel:/rel"}, "vol/f\ncwd/rel/f\nwritable\n"},
		{"env file", []string{"--env-file", envFile}, "|hostB|from file|"},
		{"capabilities", []string{"--cap-drop", "ALL", "--cap-add", "CHOWN", "--security-opt", "seccomp=unconfined", "--entrypoint="}, "CapEff:\t0000000000000001\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := withGo(cmd("hostB", tc.flags...))
			if want.code != 3 || !strings.Contains(want.stdout, tc.shows) {
				t.Fatalf("run with Go: %+v, want %q shown", want, tc.shows)
			}
			got := untilFast(t, func() *exec.Cmd { return cmd("hostB", tc.flags...) })
			if d := cmp.Diff(want, got, cmp.AllowUnexported(result{})); d != "" {
				t.Errorf("run without Go differs (-Go +C):\n%s", d)
			}
			s.noScratchLeft(t)
		})
	}
	// Signals and exit codes as with Go.
	for _, script := range []string{"kill -TERM $$", "exit 9", "exec /no/such/command"} {
		args := []string{"run", "-e", "A=1", "-w", "/tmp", "img", "sh", "-c", script}
		want := withGo(s.cmd(args...))
		if got := untilFast(t, func() *exec.Cmd { return s.cmd(args...) }); !cmp.Equal(want, got, cmp.AllowUnexported(result{})) {
			t.Errorf("%q without Go: %+v, with Go %+v", script, got, want)
		}
	}
	// What the options read, changed: Go runs what it finds now.
	for _, tc := range []struct {
		name  string
		flags []string
		// change changes an input and returns a maker of the run, and what
		// its stdout must hold ("" for an error of Go's).
		change func(flags []string) (func() *exec.Cmd, string)
	}{
		{"-e KEY's host value", []string{"-e", "B"}, func(flags []string) (func() *exec.Cmd, string) {
			return func() *exec.Cmd { return cmd("otherB", flags...) }, "|otherB|"
		}},
		{"another value of an option", []string{"-e", "A=1"}, func(flags []string) (func() *exec.Cmd, string) {
			return func() *exec.Cmd { return cmd("hostB", "-e", "A=2") }, "2||"
		}},
		{"the env file", []string{"--env-file", envFile}, func(flags []string) (func() *exec.Cmd, string) {
			writeUser(envFile, "C=changed\n")
			return func() *exec.Cmd { return cmd("hostB", flags...) }, "||changed|"
		}},
		{"a volume's source gone", []string{"-v", filepath.Join(host, "gone") + ":/mnt"}, func(flags []string) (func() *exec.Cmd, string) {
			if out, err := asUser(exec.Command("rmdir", filepath.Join(host, "gone"))).CombinedOutput(); err != nil {
				t.Fatalf("rmdir: %v\n%s", err, out)
			}
			return func() *exec.Cmd { return cmd("hostB", flags...) }, ""
		}},
		{"a relative volume in another directory", []string{"-v", "rel:/rel"}, func(flags []string) (func() *exec.Cmd, string) {
			return func() *exec.Cmd {
				c := cmd("hostB", flags...)
				c.Dir = filepath.Join(host, "other")
				return c
			}, "other/rel/f\n"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out, err := asUser(exec.Command("mkdir", "-p", filepath.Join(host, "gone"))).CombinedOutput(); err != nil {
				t.Fatalf("mkdir: %v\n%s", err, out)
			}
			untilFast(t, func() *exec.Cmd { return cmd("hostB", tc.flags...) })
			mk, shows := tc.change(tc.flags)
			r, way := runTraced(t, mk())
			if way == withoutGo {
				t.Fatalf("ran without Go: %+v", r)
			}
			want := withGo(mk())
			if d := cmp.Diff(want, r, cmp.AllowUnexported(result{})); d != "" {
				t.Errorf("the run differs from Go's (-Go +prefork):\n%s", d)
			}
			if shows == "" && want.code != 125 || !strings.Contains(want.stdout, shows) {
				t.Errorf("the run does not show the change (%q): %+v", shows, want)
			}
			// Go's error leaves the planned init to empty its scratch
			// directory after gun exits.
			for end := time.Now().Add(10 * time.Second); len(s.scratchLeft(t)) > 0 && time.Now().Before(end); {
				time.Sleep(20 * time.Millisecond)
			}
			s.noScratchLeft(t)
		})
	}
}
