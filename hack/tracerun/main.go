// Command tracerun says where the time of one `gun run` goes: it traces N
// runs with the kernel's tracing (uprobes on points of gun's start and of
// the init, the exec and exit of each process, every user page fault) and
// prints, for each step of the critical path, the median and minimum time
// and the median page faults taken in it. A run that starts Go and one
// that runs its plan without Go (entry.c's gun_fast) have steps of their
// own; with -peer, a peer's command (bwrap) is traced in the same rounds,
// interleaved, from its exec to its command's and its own exit.
//
//	tracerun [-runs N] [-user NAME] [-peer CMD] -gun BIN [-env K=V]... ARGS...
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
	// hits, when set, names the probe's successive hits in gun's own
	// process instead of name.
	hits []string
}

// The points of a planned `gun run`, in the order they are reached: with
// Go, or without (the constructor's gun_fast, "C: ").
var probes = []probe{
	{sym: "gun_entry", name: "C constructor"},
	{sym: "runtime.schedinit", name: "Go runtime start"},
	{sym: "runtime.main", name: "package initialisers"},
	{sym: "main.main", name: "main"},
	{sym: "github.com/gun-tools/gun/runtime.sendPacket", name: "gun's word sent"},
	{sym: "gun_parse_verdict", name: "init has the word"},
	{sym: "os.Exit", name: "os.Exit"},
	{sym: "gun_plan_open", name: "init: plan open"},
	{sym: "gun_recv_fd", name: "init: holder's namespace", ret: true},
	{sym: "gun_plan_open", name: "init: plan opened", ret: true},
	{sym: "gun_cinit_planned", name: "init: setup"},
	{sym: "fork_command", name: "init: set up"},
	{sym: "gun_plan_read", name: "C: plan read", ret: true},
	{sym: "gun_plan_current", name: "C: plan checked", ret: true},
	{sym: "gun_fast_recv", ret: true, hits: []string{"C: prefork's report", "C: relay's pid", "C: command started", "C: exit report"}},
	{sym: "__libc_send", hits: []string{"C: gun's word sent"}},
}

// The critical paths, from gun's exec: a run that starts Go, one that runs
// without it, and the peer's.
var (
	goPath = []string{"exec", "C constructor", "Go runtime start", "package initialisers", "main", "gun's word sent",
		"init has the word", "command exec", "command exit", "gun exit"}
	cPath = []string{"exec", "C constructor", "C: plan read", "C: plan checked", "C: prefork's report", "C: relay's pid",
		"C: gun's word sent", "init has the word", "command exec", "command exit", "C: exit report", "gun exit"}
	peerPath = []string{"exec", "command exec", "command exit", "gun exit"}
)

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
	peer := flag.String("peer", "", "a peer's `command` (words split at spaces), traced in the same rounds")
	var env flagList
	flag.Var(&env, "env", "`K=V` in gun's environment (repeatable)")
	flag.Parse()
	if *bin == "" || flag.NArg() == 0 {
		return errors.New("usage: tracerun [-runs N] [-user NAME] [-peer CMD] -gun BIN [-env K=V]... ARGS...")
	}
	var peerCmd []string
	var peerBin string
	if *peer != "" {
		peerCmd = strings.Fields(*peer)
		p, err := exec.LookPath(peerCmd[0])
		if err != nil {
			return err
		}
		peerBin = p
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
	var results, peerResults []map[string]step
	for i := 0; i < *runs; i++ {
		if err := exec.Command(cmd[0], cmd[1:]...).Run(); err != nil { // warm: the holder lives
			return fmt.Errorf("warm-up run: %w", err)
		}
		r, err := traced(events, cmd, *bin)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		results = append(results, r)
		if peerCmd == nil {
			continue
		}
		if r, err = traced(events, append(slices.Clone(setpriv), peerCmd...), peerBin); err != nil {
			return fmt.Errorf("peer's run %d: %w", i+1, err)
		}
		peerResults = append(peerResults, r)
	}
	report(results, "gun")
	if peerResults != nil {
		report(peerResults, peerCmd[0])
	}
	return nil
}

// traced runs cmd traced, whose first exec is of bin, and returns its steps.
func traced(events map[string]probe, cmd []string, bin string) (map[string]step, error) {
	if err := write("trace", ""); err != nil {
		return nil, err
	}
	// Only this shell and what it starts are traced.
	sh := fmt.Sprintf("echo $$ > %s/set_event_pid && echo 1 > %s/tracing_on && exec \"$@\"", tracefs, tracefs)
	c := exec.Command("sh", append([]string{"-c", sh, "sh"}, cmd...)...)
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	err := c.Run()
	if werr := write("tracing_on", "0"); werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, fmt.Errorf("traced run: %w", err)
	}
	r, err := readTrace(events, bin)
	if err != nil {
		return nil, err
	}
	return r, write("set_event_pid", "")
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
		if !ok && p.hits != nil {
			continue // a C path of a gun before it had one
		}
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
	hits := map[string]int{} // of each probe with hits, in gun's process
	var gunFaults []float64  // the times of the faults of gun's process
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
			p, ok := events[ev]
			switch {
			case !ok:
			case p.hits == nil:
				set(p.name, t)
			case tgid == gunPid && hits[ev] < len(p.hits):
				set(p.hits[hits[ev]], t)
				hits[ev]++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	path := goPath
	switch _, goStarted := marks["main"]; {
	case marks["C constructor"] == 0:
		path = peerPath
	case !goStarted:
		path = cPath
	}
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

// report prints the steps of results, the runs of what, in the order of
// the critical path; a step some runs lack (a run that went another way)
// counts the runs it has.
func report(results []map[string]step, what string) {
	var names []string
	for _, r := range results {
		for n := range r {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	// The path of the runs that went without Go first, if any did.
	paths := [][]string{goPath, cPath}
	for _, n := range names {
		if strings.HasPrefix(n, "C: ") {
			paths[0], paths[1] = cPath, goPath
		}
	}
	var order []string
	for _, p := range paths {
		for _, m := range p {
			order = append(order, m+" ->")
		}
	}
	order = append(order, "total", "(exec ->", "(init: plan open ->", "(init: holder's", "(init: plan opened ->", "(init: setup ->")
	rank := func(n string) int {
		for i, p := range order {
			if strings.HasPrefix(n, p) {
				return i
			}
		}
		return len(order)
	}
	slices.SortStableFunc(names, func(a, b string) int { return rank(a) - rank(b) })
	fmt.Printf("%-48s %9s %9s %7s  (%s: %d runs; faults: its first process's)\n", "step", "median ms", "min ms", "faults", what, len(results))
	for _, n := range names {
		var ms []float64
		var fs []int
		for _, r := range results {
			if st, ok := r[n]; ok {
				ms = append(ms, st.ms)
				fs = append(fs, st.faults)
			}
		}
		if len(ms) < len(results) {
			n += fmt.Sprintf(" [%d runs]", len(ms))
		}
		slices.Sort(ms)
		slices.Sort(fs)
		fmt.Printf("%-48s %9.3f %9.3f %7d\n", n, ms[len(ms)/2], ms[0], fs[len(fs)/2])
	}
}
