package oci_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gun-tools/gun/internal/proc"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// hookScript is a hook, run by sh with the hook's kind as $1: it keeps
// its standard input (the container's state) in $d/KIND.state, what it
// sees (its args, exact environment, ids, namespaces, working directory)
// in $d/KIND.info, and appends KIND to $d/order. $d is the directory of
// the hooks' records, where the hook sees it. (The environment is tr's,
// the variables sh exports: those it started with. /proc/$$ would not
// do: $$ is the pid in the container's pid namespace, which
// createContainer's /proc, the runtime's, does not number so.)
const hookScript = `k=$1
cat > "$d/$k.state"
{
	echo "args $0 $*"
	printf 'env '; tr '\0' ' ' < /proc/self/environ; echo
	echo "uid $(id -u)"
	echo "cwd $(pwd)"
	for n in mnt pid uts user; do echo "$n $(readlink /proc/self/ns/$n)"; done
} > "$d/$k.info"
echo "$k" >> "$d/order"`

// hook is a hook of kind that runs hookScript with sh at shPath, with its
// records in dir (as the hook sees it).
func hook(kind, shPath, dir string) specs.Hook {
	return specs.Hook{Path: shPath, Args: []string{"sh", "-c", "d=" + dir + "\n" + hookScript, "hook-" + kind, kind, "two words"},
		Env: []string{"HOOK=" + kind, "PATH=/usr/bin:/bin"}}
}

// hookInfo reads a hook's records: its lines by their first word, and
// the state it read.
func hookInfo(t *testing.T, dir, kind string) (map[string]string, specs.State) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, kind+".info"))
	if err != nil {
		t.Fatalf("hook %s: %v", kind, err)
	}
	info := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(l, " ")
		info[k] = v
	}
	sb, err := os.ReadFile(filepath.Join(dir, kind+".state"))
	if err != nil {
		t.Fatalf("hook %s: %v", kind, err)
	}
	checkStateSchema(t, sb)
	var st specs.State
	if err := json.Unmarshal(sb, &st); err != nil {
		t.Fatalf("hook %s: state %q: %v", kind, sb, err)
	}
	return info, st
}

// nsOf is a process's namespace name's link (mnt:[4026531840]).
func nsOf(t *testing.T, pid int, name string) string {
	t.Helper()
	l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestHooks runs a container with a hook of each kind through create,
// start, kill and delete, and checks where each ran (the runtime's
// namespaces or the container's), when (their order, around the
// container's process and the commands), the state it read, its args,
// exact environment and working directory.
func TestHooks(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	rec := userDir(t, "hooks") // the records, bound at /hooks in the container
	spec := rootlessSpec("sh", "-c", "echo process >> /hooks/order; exec sleep 100")
	spec.Root.Readonly = false
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/hooks", Type: "bind", Source: rec, Options: []string{"rbind", "rw"}})
	spec.Annotations = map[string]string{"org.example.hooks": "yes"}
	// startContainer's path is the container's (busybox's sh), every
	// other the runtime's (createContainer runs before pivot_root).
	spec.Hooks = &specs.Hooks{
		Prestart: []specs.Hook{hook("prestart", "/bin/sh", rec)}, CreateRuntime: []specs.Hook{hook("createRuntime", "/bin/sh", rec)},
		CreateContainer: []specs.Hook{hook("createContainer", "/bin/sh", rec)},
		StartContainer:  []specs.Hook{hook("startContainer", "/bin/sh", "/hooks")},
		Poststart:       []specs.Hook{hook("poststart", "/bin/sh", rec)}, Poststop: []specs.Hook{hook("poststop", "/bin/sh", rec)},
	}
	b := bundle(t, spec)
	order := filepath.Join(rec, "order")
	r.create(t, b, "h")
	s := r.state(t, "h")
	// The container's namespaces: its process's.
	cns := map[string]string{}
	for _, n := range []string{"mnt", "pid", "uts", "user"} {
		cns[n] = nsOf(t, s.Pid, n)
	}
	if got, _ := os.ReadFile(order); string(got) != "prestart\ncreateRuntime\ncreateContainer\n" {
		t.Errorf("hooks after create: %q", got)
	}
	r.run(t, "start", "h")
	// poststart ran before start returned; the process runs meanwhile.
	got, _ := os.ReadFile(order)
	if l := strings.Fields(string(got)); len(l) < 5 || strings.Join(l[:4], " ") != "prestart createRuntime createContainer startContainer" ||
		!strings.Contains(string(got), "poststart") {
		t.Errorf("hooks after start: %q", got)
	}
	for end := time.Now().Add(10 * time.Second); !strings.Contains(string(got), "process"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the container's process did not run: %q", got)
		}
		got, _ = os.ReadFile(order)
	}
	r.run(t, "kill", "h", "KILL")
	reap(t, s.Pid)
	r.waitStatus(t, "h", specs.StateStopped)
	if got, _ := os.ReadFile(order); strings.Contains(string(got), "poststop") {
		t.Errorf("poststop before delete: %q", got)
	}
	r.run(t, "delete", "h")
	got, _ = os.ReadFile(order)
	l := strings.Fields(string(got))
	if len(l) != 7 || l[6] != "poststop" || strings.Join(l[:4], " ") != "prestart createRuntime createContainer startContainer" ||
		!(l[4] == "process" && l[5] == "poststart" || l[4] == "poststart" && l[5] == "process") {
		t.Errorf("hooks' order: %q", got)
	}

	// Where each ran: the container's namespaces are its process's (read
	// while it ran: the state's pid), the runtime's the test's own.
	self := os.Getpid()
	for _, c := range []struct {
		kind      string
		container bool
		pid       int // as the hook sees the container's process
		status    specs.ContainerState
		uid, cwd  string
	}{
		{"prestart", false, s.Pid, specs.StateCreated, strconv.Itoa(env.user.UID), b},
		{"createRuntime", false, s.Pid, specs.StateCreated, strconv.Itoa(env.user.UID), b},
		{"createContainer", true, 1, specs.StateCreated, "0", env.rootfs},
		{"startContainer", true, 1, specs.StateCreated, "0", "/"},
		{"poststart", false, s.Pid, specs.StateRunning, strconv.Itoa(env.user.UID), b},
		{"poststop", false, s.Pid, specs.StateStopped, strconv.Itoa(env.user.UID), b},
	} {
		info, st := hookInfo(t, rec, c.kind)
		if st.ID != "h" || st.Bundle != b || st.Pid != c.pid || st.Status != c.status || st.Annotations["org.example.hooks"] != "yes" || st.Version != specs.Version {
			t.Errorf("%s: state %+v, want pid %d, status %s", c.kind, st, c.pid, c.status)
		}
		if want := "hook-" + c.kind + " " + c.kind + " two words"; info["args"] != want {
			t.Errorf("%s: args %q, want %q", c.kind, info["args"], want)
		}
		if want := "HOOK=" + c.kind + " PATH=/usr/bin:/bin "; info["env"] != want {
			t.Errorf("%s: environment %q, want exactly %q", c.kind, info["env"], want)
		}
		if info["uid"] != c.uid || info["cwd"] != c.cwd {
			t.Errorf("%s: uid %s, cwd %s; want %s, %s", c.kind, info["uid"], info["cwd"], c.uid, c.cwd)
		}
		for _, n := range []string{"mnt", "pid", "uts", "user"} {
			want := nsOf(t, self, n)
			if c.container {
				want = cns[n]
			}
			if info[n] != want {
				t.Errorf("%s: %s namespace %s, want the %s's %s", c.kind, n, info[n], map[bool]string{true: "container", false: "runtime"}[c.container], want)
			}
		}
	}
}

// TestHookFailures: a hook of create that fails, or runs past its
// timeout (killed), fails create and leaves no container, its process
// killed, the poststop hooks run; a startContainer hook that fails fails
// start before the command runs, a poststart hook start, the container
// killed; a poststop hook that fails is a warning in the log, the next
// poststop hook runs and delete succeeds.
func TestHookFailures(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	rec := userDir(t, "hookfail")
	sh := func(script string, timeout int) specs.Hook {
		h := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "d=" + rec + "\n" + script}}
		if timeout > 0 {
			h.Timeout = &timeout
		}
		return h
	}
	// The first hook keeps the state (the container's pid), poststop
	// says it ran.
	keep := sh(`cat > "$d/state"`, 0)
	ran := sh(`echo poststop >> "$d/poststop"`, 0)
	for i, c := range []struct {
		hooks specs.Hooks
		want  string
	}{
		{specs.Hooks{Prestart: []specs.Hook{keep, sh("echo bad; exit 3", 0)}}, "hooks.prestart[1] (/bin/sh): exit status 3: bad"},
		{specs.Hooks{CreateRuntime: []specs.Hook{keep, sh(`echo $$ > "$d/hung"; exec sleep 100`, 1)}}, "hooks.createRuntime[1] (/bin/sh): killed after its timeout of 1 s"},
		{specs.Hooks{Prestart: []specs.Hook{keep}, CreateContainer: []specs.Hook{sh("echo bad >&2; exit 4", 0)}}, "hooks.createContainer[0] (/bin/sh): exit status 4: bad"},
		{specs.Hooks{Prestart: []specs.Hook{keep}, CreateContainer: []specs.Hook{sh("exec sleep 100", 1)}}, "hooks.createContainer[0] (/bin/sh): killed after its timeout of 1 s"},
		{specs.Hooks{Prestart: []specs.Hook{keep}, CreateContainer: []specs.Hook{{Path: "/no/such/hook"}}}, "hooks.createContainer[0] (/no/such/hook): exit status 127: exec: no such file or directory"},
	} {
		for _, f := range []string{"state", "poststop", "hung"} {
			os.Remove(filepath.Join(rec, f))
		}
		spec := rootlessSpec("true")
		c.hooks.Poststop = []specs.Hook{ran}
		spec.Hooks = &c.hooks
		id := "f" + strconv.Itoa(i)
		start := time.Now()
		out, err := r.cmd("create", "--bundle", bundle(t, spec), id).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("create: %v, %q; want an error with %q", err, out, c.want)
		}
		if d := time.Since(start); strings.Contains(c.want, "timeout") && d > 10*time.Second {
			t.Errorf("create with a hook that timed out after 1 s took %v", d)
		}
		if out, err := r.cmd("state", id).CombinedOutput(); err == nil {
			t.Errorf("a failed create left container %s: %s", id, out)
		}
		var st specs.State
		if b, err := os.ReadFile(filepath.Join(rec, "state")); err != nil || json.Unmarshal(b, &st) != nil || st.Pid <= 0 {
			t.Fatalf("the first hook's state: %q, %v", b, err)
		}
		// Killed: reaped by the test, the subreaper.
		reap(t, st.Pid)
		if b, err := os.ReadFile(filepath.Join(rec, "poststop")); err != nil || string(b) != "poststop\n" {
			t.Errorf("poststop after a failed create: %q, %v", b, err)
		}
		if b, err := os.ReadFile(filepath.Join(rec, "hung")); err == nil {
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); unix.Kill(pid, 0) == nil {
				t.Errorf("the hook that timed out (pid %d) still runs", pid)
			}
		}
	}

	// startContainer fails start; the command never runs.
	spec := rootlessSpec("sh", "-c", "echo ran > /hookfail/ran")
	spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/hookfail", Type: "bind", Source: rec, Options: []string{"rbind", "rw"}})
	spec.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo no; exit 5"}}}}
	r.create(t, bundle(t, spec), "s")
	s := r.state(t, "s")
	if out, err := r.cmd("start", "s").CombinedOutput(); err == nil || !strings.Contains(string(out), "hooks.startContainer[0] (/bin/sh): exit status 5: no") {
		t.Errorf("start with a failing startContainer hook: %v, %q", err, out)
	}
	reap(t, s.Pid)
	r.waitStatus(t, "s", specs.StateStopped)
	if _, err := os.Stat(filepath.Join(rec, "ran")); err == nil {
		t.Error("the command ran after its startContainer hook failed")
	}
	r.run(t, "delete", "s")

	// poststart fails start, and the container is killed.
	spec = rootlessSpec("sleep", "100")
	spec.Hooks = &specs.Hooks{Poststart: []specs.Hook{sh("exit 6", 0)}, Poststop: []specs.Hook{sh("exit 7", 0), ran}}
	os.Remove(filepath.Join(rec, "poststop"))
	r.create(t, bundle(t, spec), "p")
	s = r.state(t, "p")
	if out, err := r.cmd("start", "p").CombinedOutput(); err == nil || !strings.Contains(string(out), "hooks.poststart[0] (/bin/sh): exit status 6") {
		t.Errorf("start with a failing poststart hook: %v, %q", err, out)
	}
	if ws := reap(t, s.Pid); !ws.Signaled() || ws.Signal() != unix.SIGKILL {
		t.Errorf("after a failed poststart hook the process ended with %v, want SIGKILL", ws)
	}
	r.waitStatus(t, "p", specs.StateStopped)
	// poststop: the first fails, a warning; the second runs.
	log := filepath.Join(userDir(t, "log"), "log")
	r.run(t, "--log", log, "--log-format", "json", "delete", "p")
	if b, err := os.ReadFile(filepath.Join(rec, "poststop")); err != nil || string(b) != "poststop\n" {
		t.Errorf("the second poststop hook after the first failed: %q, %v", b, err)
	}
	var w struct{ Level, Msg, Container string }
	if b, err := os.ReadFile(log); err != nil || json.Unmarshal(b, &w) != nil || w.Level != "WARN" || w.Container != "p" ||
		!strings.Contains(w.Msg, "hooks.poststop[0] (/bin/sh): exit status 7") {
		t.Errorf("log of a failed poststop hook: %q, %v", b, err)
	}
}

// TestCreateWithoutProcess: a config.json without process is created (its
// root set up, its process held, as crun; runc refuses it), and start
// fails, the runtime spec's rule.
func TestCreateWithoutProcess(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	spec := rootlessSpec()
	spec.Process = nil
	r.create(t, bundle(t, spec), "n")
	s := r.state(t, "n")
	if s.Status != specs.StateCreated || s.Pid <= 0 {
		t.Fatalf("state: %+v", s)
	}
	// Its root is the bundle's.
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(s.Pid), "root/bin/busybox")); err != nil {
		t.Errorf("the held process's root: %v", err)
	}
	if out, err := r.cmd("start", "n").CombinedOutput(); err == nil || !strings.Contains(string(out), "process: not in config.json") {
		t.Errorf("start without a process: %v, %q", err, out)
	}
	reap(t, s.Pid)
	r.waitStatus(t, "n", specs.StateStopped)
	r.run(t, "delete", "n")
}

// TestFailureAfterHooks: a create that fails from the place of the hooks
// of create on, for a reason that is not a hook's (the setup in the C
// init, or gun after it), stops the container and runs the poststop hooks
// once, after its process has exited, with the container's state; it
// leaves no container and no process. One that fails before them (step 2
// of the runtime spec's lifecycle) runs none of them.
func TestFailureAfterHooks(t *testing.T) {
	requireEnv(t)
	r := newRuntime(t)
	rec := userDir(t, "afterhooks")
	sh := func(script string) specs.Hook {
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "d=" + rec + "\n" + script}, Env: []string{"PATH=/usr/bin:/bin"}}
	}
	// poststop keeps the state it read, and whether the container's
	// process had exited (Z: not reaped yet; gone) or not when it ran.
	poststopHook := sh(`s=$(cat)
printf '%s' "$s" > "$d/state"
pid=${s#*\"pid\":}; pid=${pid%%[,\}]*}
st=gone; [ -r "/proc/$pid/stat" ] && st=$(sed 's/.*) \(.\).*/\1/' "/proc/$pid/stat")
echo "poststop $st" >> "$d/poststop"`)
	ran := func(kind string) specs.Hook { return sh(`echo ` + kind + ` >> "$d/order"`) }
	noFile := filepath.Join(rec, "no", "such", "dir")
	for _, c := range []struct {
		name  string
		edit  func(*specs.Spec)
		hooks specs.Hooks
		flags []string
		want  string
		after bool // the failure is after the hooks: poststop runs
	}{
		{"command", func(s *specs.Spec) { s.Process.Args = []string{"/no/such/command"} },
			specs.Hooks{Prestart: []specs.Hook{ran("prestart")}, CreateRuntime: []specs.Hook{ran("createRuntime")}},
			nil, "exec /no/such/command: no such file or directory", true},
		// Only the container's hooks: the init says where it failed.
		{"rlimit", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1 << 40, Soft: 1 << 40}}
		}, specs.Hooks{CreateContainer: []specs.Hook{ran("createContainer")}}, nil, "set rlimit 7: operation not permitted", true},
		// No hooks of create: their place all the same.
		{"rlimit-nohooks", func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1 << 40, Soft: 1 << 40}}
		}, specs.Hooks{}, nil, "set rlimit 7: operation not permitted", true},
		// gun's own step after the init's.
		{"pidfile", func(*specs.Spec) {}, specs.Hooks{Prestart: []specs.Hook{ran("prestart")}},
			[]string{"--pid-file", filepath.Join(noFile, "pid")}, "pid file: ", true},
		// A mount before the hooks' place: step 2, no hook runs.
		{"mount", func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt", Type: "bind", Source: noFile, Options: []string{"rbind"}})
		}, specs.Hooks{Prestart: []specs.Hook{ran("prestart")}}, nil, noFile, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range []string{"state", "poststop", "order"} {
				os.Remove(filepath.Join(rec, f))
			}
			spec := rootlessSpec("true")
			c.edit(spec)
			c.hooks.Poststop = []specs.Hook{poststopHook}
			spec.Hooks = &c.hooks
			before := children(t)
			out, err := r.cmd(append(append([]string{"create", "--bundle", bundle(t, spec)}, c.flags...), c.name)...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), c.want) {
				t.Errorf("create: %v, %q; want an error with %q", err, out, c.want)
			}
			if out, err := r.cmd("state", c.name).CombinedOutput(); err == nil {
				t.Errorf("a failed create left container %s: %s", c.name, out)
			}
			if _, err := os.Lstat(filepath.Join(r.root, c.name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed create left its state directory: %v", err)
			}
			order, _ := os.ReadFile(filepath.Join(rec, "order"))
			var wantOrder []string
			for _, l := range []struct {
				kind string
				n    int
			}{{"prestart", len(c.hooks.Prestart)}, {"createRuntime", len(c.hooks.CreateRuntime)}, {"createContainer", len(c.hooks.CreateContainer)}} {
				if c.after && l.n > 0 {
					wantOrder = append(wantOrder, l.kind)
				}
			}
			if got := strings.Fields(string(order)); strings.Join(got, " ") != strings.Join(wantOrder, " ") {
				t.Errorf("hooks of create ran: %q, want %q", got, wantOrder)
			}
			post, err := os.ReadFile(filepath.Join(rec, "poststop"))
			if !c.after {
				if err == nil {
					t.Errorf("poststop ran after a create that failed before the hooks: %q", post)
				}
				// Its process exited: a zombie for its subreaper.
				if left := running(t, before); len(left) > 0 {
					t.Errorf("a failed create left processes running: %v", left)
				}
				return
			}
			// Once, after the process exited (a zombie: the test, its
			// subreaper, reaps it below).
			if err != nil || (string(post) != "poststop Z\n" && string(post) != "poststop gone\n") {
				t.Errorf("poststop after a create failed after the hooks: %q, %v; want it run once, the process exited", post, err)
			}
			sb, err := os.ReadFile(filepath.Join(rec, "state"))
			if err != nil {
				t.Fatal(err)
			}
			checkStateSchema(t, sb)
			var st specs.State
			if err := json.Unmarshal(sb, &st); err != nil || st.ID != c.name || st.Status != specs.StateStopped || st.Pid <= 0 {
				t.Fatalf("poststop's state %q, %v", sb, err)
			}
			reap(t, st.Pid)
			if left := running(t, before); len(left) > 0 {
				t.Errorf("a failed create left processes running: %v", left)
			}
		})
	}
}

// children are the test's child processes (the containers' processes,
// whose subreaper it is), zombies among them.
func children(t *testing.T) map[int]bool {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	self := strconv.Itoa(os.Getpid())
	m := map[int]bool{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...
		if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); len(f) > 1 && f[1] == self {
			m[pid] = true
		}
	}
	return m
}

// running are the test's children that were not among before and have
// not exited; they are killed. Those new children are reaped.
func running(t *testing.T, before map[int]bool) []int {
	t.Helper()
	var l []int
	for pid := range children(t) {
		if before[pid] {
			continue
		}
		if st, _, err := proc.Stat(pid); err == nil && st != 'Z' {
			l = append(l, pid)
			unix.Kill(pid, unix.SIGKILL)
		}
		reap(t, pid)
	}
	return l
}
