// Command tracerun says where the time of one `gun run` goes: it traces N
// runs with the kernel's tracing (uprobes on points of gun's start and of
// the init, the exec and exit of each process, every user page fault) and
// prints, for each step of the critical path, the median and minimum time
// and the median page faults taken in it.
//
//	tracerun [-runs N] [-user NAME] -gun BIN [-env K=V]... ARGS...
//
// It runs `BIN ARGS...` as the user (a warm-up run first, so that the user
// namespace holder is up and the plan written), needs root and tracefs at
// /sys/kernel/tracing, and leaves the tracing as it found it (off).
package main

import (
	"bufio"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const tracefs = "/sys/kernel/tracing"

// probe is a uprobe on a symbol of gun's binary.
type probe struct {
	sym  string
	name string // the step's name from it on
	ret  bool   // on the symbol's return
}

// The points of a planned `gun run`, in the order they are reached.
var probes = []probe{
	{"gun_entry", "C constructor", false},
	{"runtime.schedinit", "Go runtime start", false},
	{"runtime.main", "package initialisers", false},
	{"main.main", "main", false},
	{"github.com/gun-tools/gun/runtime.sendPacket", "gun's word sent", false},
	{"gun_parse_verdict", "init has the word", false},
	{"os.Exit", "os.Exit", false},
	{"gun_plan_open", "init: plan open", false},
	{"gun_recv_fd", "init: holder's namespace", true},
	{"gun_plan_open", "init: plan opened", true},
	{"gun_cinit_planned", "init: setup", false},
	{"fork_command", "init: set up", false},
}

type flagList []string

func (l *flagList) String() string     { return strings.Join(*l, " ") }
func (l *flagList) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tracerun:", err)
		os.Exit(1)
	}
}

func run() error {
	runs := flag.Int("runs", 20, "traced runs")
	userName := flag.String("user", "guntest", "the user that runs gun")
	bin := flag.String("gun", "", "gun's binary (an absolute path)")
	var env flagList
	flag.Var(&env, "env", "`K=V` in gun's environment (repeatable)")
	flag.Parse()
	if *bin == "" || flag.NArg() == 0 {
		return errors.New("usage: tracerun [-runs N] [-user NAME] -gun BIN [-env K=V]... ARGS...")
	}
	u, err := user.Lookup(*userName)
	if err != nil {
		return err
	}
	events, err := setUp(*bin)
	defer tearDown()
	if err != nil {
		return err
	}
	setpriv := append([]string{"setpriv", "--reuid=" + u.Uid, "--regid=" + u.Gid, "--init-groups", "env"}, env...)
	cmd := append(append(setpriv, *bin), flag.Args()...)
	var results []map[string]step
	for i := 0; i < *runs; i++ {
		if err := exec.Command(cmd[0], cmd[1:]...).Run(); err != nil { // warm: the holder lives
			return fmt.Errorf("warm-up run: %w", err)
		}
		if err := write("trace", ""); err != nil {
			return err
		}
		// Only this shell and what it starts are traced.
		sh := fmt.Sprintf("echo $$ > %s/set_event_pid && echo 1 > %s/tracing_on && exec \"$@\"", tracefs, tracefs)
		c := exec.Command("sh", append([]string{"-c", sh, "sh"}, cmd...)...)
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
		err := c.Run()
		if werr := write("tracing_on", "0"); werr != nil {
			return werr
		}
		if err != nil {
			return fmt.Errorf("traced run: %w", err)
		}
		r, err := readTrace(events, *bin)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		results = append(results, r)
		if err := write("set_event_pid", ""); err != nil {
			return err
		}
	}
	report(results)
	return nil
}

// setUp adds the uprobes and enables the events; it returns the probes by
// event name.
func setUp(bin string) (map[string]probe, error) {
	if err := write("tracing_on", "0"); err != nil {
		return nil, fmt.Errorf("tracefs at %s: %w", tracefs, err)
	}
	syms, err := fileOffsets(bin)
	if err != nil {
		return nil, err
	}
	var defs []string
	events := map[string]probe{}
	for i, p := range probes {
		off, ok := syms[p.sym]
		if !ok {
			return nil, fmt.Errorf("%s: no symbol %s", bin, p.sym)
		}
		kind := "p"
		if p.ret {
			kind = "r"
		}
		name := fmt.Sprintf("gun_tracerun_%d", i)
		defs = append(defs, fmt.Sprintf("%s:%s %s:%#x", kind, name, bin, off))
		events[name] = p
	}
	for _, kv := range [][2]string{
		{"uprobe_events", strings.Join(defs, "\n") + "\n"},
		{"events/uprobes/enable", "1"},
		{"events/sched/sched_process_exec/enable", "1"},
		{"events/sched/sched_process_exit/enable", "1"},
		{"events/exceptions/page_fault_user/enable", "1"},
		{"options/event-fork", "1"},
		{"options/record-tgid", "1"},
		{"buffer_size_kb", "16384"},
	} {
		if err := write(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	return events, nil
}

func tearDown() {
	for _, kv := range [][2]string{
		{"tracing_on", "0"}, {"set_event_pid", ""}, {"events/enable", "0"},
		{"options/event-fork", "0"}, {"options/record-tgid", "0"}, {"uprobe_events", ""},
	} {
		_ = write(kv[0], kv[1])
	}
}

func write(file, s string) error {
	return os.WriteFile(tracefs+"/"+file, []byte(s), 0)
}

// fileOffsets returns the file offset of each function symbol of bin, as
// uprobes take them.
func fileOffsets(bin string) (map[string]uint64, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC {
			continue
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && s.Value >= p.Vaddr && s.Value < p.Vaddr+p.Filesz {
				out[s.Name] = s.Value - p.Vaddr + p.Off
			}
		}
	}
	return out, nil
}

// step is one step of a run: its time and the page faults of its process
// in it.
type step struct {
	ms     float64
	faults int
}

// A line with the thread group: comm-tid (tgid) [cpu] flags time: event: fields.
var line = regexp.MustCompile(`^\s*.+-(\d+)\s+\(\s*(\d+|-+)\)\s+\[\d+\]\s+\S+\s+(\d+\.\d+): (\w+): (.*)$`)

// readTrace reads one run's trace into its steps: the critical path from
// gun's exec (gun's start, its work up to its word to the init, the
// command, the end) and the init's setup, which runs meanwhile.
func readTrace(events map[string]probe, bin string) (map[string]step, error) {
	f, err := os.Open(tracefs + "/trace")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	marks := map[string]float64{}
	var gunFaults []float64 // the times of the faults of gun's process
	var gunPid, cmdPid string
	set := func(name string, t float64) {
		if _, ok := marks[name]; !ok {
			marks[name] = t
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		pid, tgid, ev, rest := m[1], m[2], m[4], m[5]
		t, _ := strconv.ParseFloat(m[3], 64)
		t *= 1000
		switch {
		case ev == "page_fault_user":
			if tgid == gunPid {
				gunFaults = append(gunFaults, t)
			}
		case ev == "sched_process_exec":
			switch {
			case gunPid == "" && strings.HasPrefix(rest, "filename="+bin+" "):
				gunPid = pid
				set("exec", t)
			case gunPid != "" && cmdPid == "":
				cmdPid = pid
				set("command exec", t)
			}
		case ev == "sched_process_exit":
			if pid == cmdPid {
				set("command exit", t)
			}
			if pid == gunPid {
				marks["gun exit"] = t
			}
		default:
			if p, ok := events[ev]; ok {
				set(p.name, t)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	path := []string{"exec", "C constructor", "Go runtime start", "package initialisers", "main", "gun's word sent",
		"init has the word", "command exec", "command exit", "gun exit"}
	faultsIn := func(a, b float64) int {
		n := 0
		for _, t := range gunFaults {
			if t >= a && t < b {
				n++
			}
		}
		return n
	}
	steps := map[string]step{}
	for i := 1; i < len(path); i++ {
		a, okA := marks[path[i-1]]
		b, okB := marks[path[i]]
		if !okA || !okB {
			return nil, fmt.Errorf("no %q or %q in the trace (not a planned run?)", path[i-1], path[i])
		}
		steps[path[i-1]+" -> "+path[i]] = step{b - a, faultsIn(a, b)}
	}
	a, b := marks["exec"], marks["gun exit"]
	steps["total"] = step{b - a, faultsIn(a, b+1)}
	// The init's steps, meanwhile, from gun's exec.
	initPath := []string{"exec", "init: plan open", "init: holder's namespace", "init: plan opened", "init: setup", "init: set up"}
	for i := 1; i < len(initPath); i++ {
		a, okA := marks[initPath[i-1]]
		b, okB := marks[initPath[i]]
		if okA && okB {
			steps["("+initPath[i-1]+" -> "+initPath[i]+")"] = step{ms: b - a}
		}
	}
	return steps, nil
}

func report(results []map[string]step) {
	var names []string
	for n := range results[0] {
		names = append(names, n)
	}
	order := func(n string) int {
		for i, p := range []string{"exec ->", "C constructor ->", "Go runtime start ->", "package initialisers ->", "main ->",
			"gun's word sent ->", "init has the word ->", "command exec ->", "command exit ->", "total",
			"(exec ->", "(init: plan open ->", "(init: holder's", "(init: plan opened ->", "(init: setup ->"} {
			if strings.HasPrefix(n, p) {
				return i
			}
		}
		return 99
	}
	slices.SortFunc(names, func(a, b string) int { return order(a) - order(b) })
	fmt.Printf("%-44s %9s %9s %7s  (%d runs; faults: gun's process)\n", "step", "median ms", "min ms", "faults", len(results))
	for _, n := range names {
		var ms []float64
		var fs []int
		for _, r := range results {
			ms = append(ms, r[n].ms)
			fs = append(fs, r[n].faults)
		}
		slices.Sort(ms)
		slices.Sort(fs)
		fmt.Printf("%-44s %9.3f %9.3f %7d\n", n, ms[len(ms)/2], ms[0], fs[len(fs)/2])
	}
}
