package hugeheap

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/gun-tools/gun/internal/testenv"
)

// TestHeapStartsOnAHugePage checks that the heap's first block is one
// transparent huge page once the package is initialised: the mapping that
// holds it has 2 MiB of anonymous huge pages.
func TestHeapStartsOnAHugePage(t *testing.T) {
	needTHP(t)
	if block == 0 {
		t.Fatal("the initialiser did not run")
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var in bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			in = lo <= block && block < hi
			continue
		}
		if in && strings.HasPrefix(line, "AnonHugePages:") {
			var kb int
			fmt.Sscanf(strings.TrimPrefix(line, "AnonHugePages:"), "%d", &kb)
			if kb < hugePage>>10 {
				t.Fatalf("the heap's first block %#x: %s, want at least %d kB", block, line, hugePage>>10)
			}
			return
		}
	}
	t.Fatalf("no mapping holds the heap's first block %#x", block)
}

// needTHP fails (in CI) or skips the test where transparent huge pages are
// off.
func needTHP(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err == nil && bytes.Contains(mode, []byte("[never]")) {
		err = fmt.Errorf("transparent huge pages are off: %s", bytes.TrimSpace(mode))
	}
	testenv.Need(t, "transparent huge pages (madvise or always)", err)
}

// TestGrow checks that the heap does not grow into memory without the
// advice for huge pages after Grow: what is allocated after it lands in
// mappings advised for them (VmFlags "hg"), or in memory the heap had
// mapped before Grow (the runtime reuses free pages there first, such as
// those of a mapping below the arena the initialiser advised: 2 to 4 of
// these objects in about one run of 100). Without Grow, 4 MiB allocated
// grows the heap by a new mapping without that advice. The collector is
// off, as in gun check: on, it would release free pages of the heap's huge
// pages meanwhile (and the first block's, which TestHeapStartsOnAHugePage
// checks).
func TestGrow(t *testing.T) {
	needTHP(t)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	_, before := mappings(t)
	Grow(8 << 20)
	keep := make([][]byte, 0, 1024)
	for range 1024 {
		keep = append(keep, make([]byte, 4<<10))
	}
	advised, _ := mappings(t)
	var not, old int
	for _, b := range keep {
		addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		in := func(m [2]uintptr) bool { return m[0] <= addr && addr+4<<10 <= m[1] }
		switch {
		case slices.ContainsFunc(advised, in):
		case slices.ContainsFunc(before, in):
			old++
		default:
			not++
		}
	}
	if not > 0 {
		t.Errorf("%d of %d objects allocated after Grow are in memory mapped since, without MADV_HUGEPAGE", not, len(keep))
	}
	if old > 0 {
		t.Logf("%d of %d objects in memory the heap had before Grow", old, len(keep))
	}
}

// TestFill checks that Fill asks for huge pages only where the heap that
// follows fills them: every mapping advised for them that holds what is
// allocated after Fill (and Collapse) ends below the top of it, at least
// half of what lies above the heap's first 4 MiB (the runtime's first
// mapping, which the initialiser advised) is on huge pages, and those hold
// at least 4 MiB of them. It runs in a process of its own,
// whose heap no other test has grown.
func TestFill(t *testing.T) {
	needTHP(t)
	if os.Getenv("HUGEHEAP_FILL") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFill$", "-test.v")
		cmd.Env = append(os.Environ(), "HUGEHEAP_FILL=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestFill")) {
			t.Fatalf("TestFill in a process of its own: %v\n%s", err, out)
		}
		return
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	const n = 8 << 20
	Fill(n)
	Collapse()
	objects := make([][]byte, 0, (n+1<<20)/(4<<10)) // more than n: the heap below Fill's object takes some
	keep := make([]uintptr, 0, cap(objects))
	var top uintptr
	for range cap(objects) {
		b := make([]byte, 4<<10)
		objects = append(objects, b)
		addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		keep = append(keep, addr)
		top = max(top, addr+4<<10)
	}
	above := uintptr(unsafe.Pointer(first))&^(4<<20-1) + 4<<20
	advised := hugeAdvised(t)
	for _, m := range advised {
		if m[1] > top && slices.ContainsFunc(keep, func(a uintptr) bool { return m[0] <= a && a < m[1] }) {
			t.Errorf("mapping %#x-%#x advised for huge pages ends above the heap filled after Fill (%#x)", m[0], m[1], top)
		}
	}
	var high, in int
	for _, a := range keep {
		if a < above {
			continue
		}
		high++
		if slices.ContainsFunc(advised, func(m [2]uintptr) bool { return m[0] <= a && a < m[1] }) {
			in++
		}
	}
	runtime.KeepAlive(objects)
	if kb := anonHugeKB(t, keep); kb < 4<<10 {
		t.Errorf("the mappings that hold what is allocated after Fill have %d kB of huge pages, want at least 4 MiB", kb)
	}
	if high == 0 || in < high/2 {
		t.Errorf("%d of the %d objects allocated after Fill above the heap's first 4 MiB are on huge pages, want at least half", in, high)
	}
}

// anonHugeKB sums AnonHugePages of the mappings that hold an address of
// addrs.
func anonHugeKB(t *testing.T, addrs []uintptr) int {
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	var holds bool
	for line := range strings.Lines(string(smaps)) {
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 {
			holds = slices.ContainsFunc(addrs, func(a uintptr) bool { return lo <= a && a < hi })
			continue
		}
		if kb, ok := strings.CutPrefix(line, "AnonHugePages:"); ok && holds {
			var n int
			fmt.Sscanf(kb, "%d", &n)
			total += n
		}
	}
	return total
}

// hugeAdvised returns the mappings of the process advised for huge pages.
func hugeAdvised(t *testing.T) [][2]uintptr {
	advised, _ := mappings(t)
	return advised
}

// mappings returns the process's mappings of memory (readable ones, not
// reserved address space): those advised for huge pages, and all.
func mappings(t *testing.T) (advised, all [][2]uintptr) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lo, hi uintptr
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var l, h uintptr
		var perms string
		if n, _ := fmt.Sscanf(line, "%x-%x %s", &l, &h, &perms); n == 3 {
			lo, hi = l, h // a mapping's first line
			if perms[0] != 'r' {
				lo, hi = 0, 0 // reserved address space, not memory
			} else {
				all = append(all, [2]uintptr{lo, hi})
			}
			continue
		}
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok && hi > 0 && slices.Contains(strings.Fields(flags), "hg") {
			advised = append(advised, [2]uintptr{lo, hi})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return advised, all
}

// TestGrowFaults checks that the heap Grow readies takes a page fault per
// 2 MiB block, not per 4 KiB page, when it is first written. Grow's range
// starts and ends in blocks the runtime may have touched before Grow
// advised them, and it collapses those: without that, gun lsp took 300 to
// 400 faults in its first analysis in about half of its starts. Grow is
// called at the start of a process, so the test runs in one of its own.
func TestGrowFaults(t *testing.T) {
	needTHP(t)
	if os.Getenv("HUGEHEAP_TEST_FRESH") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGrowFaults$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "HUGEHEAP_TEST_FRESH=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("in a new process: %v\n%s", err, out)
		}
		return
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	const n = 16 << 20
	Grow(n)
	before := minorFaults(t)
	keep := make([][]byte, 0, n/(64<<10))
	for range cap(keep) {
		b := make([]byte, 64<<10)
		for i := 0; i < len(b); i += 4 << 10 {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	// 8 for the blocks and a few for the runtime's own memory: 18 or 19
	// here, and 250 to 430 when an end block was left in 4 KiB pages.
	if faults := minorFaults(t) - before; faults > 64 {
		t.Errorf("writing %d MiB allocated after Grow took %d page faults, want at most 64", n>>20, faults)
	}
	runtime.KeepAlive(keep)
}

// minorFaults returns the process's minor page faults so far.
func minorFaults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Minflt
}

// initEnv makes the test binary print whether the initialiser set the heap's
// start on a huge page for its command line, and exit (TestMain).
const initEnv = "HUGEHEAP_TEST_INIT"

func TestMain(m *testing.M) {
	if os.Getenv(initEnv) == "1" {
		fmt.Println(block != 0)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestInitSkipsCheck runs the initialiser on gun's command lines: gun
// check's, global flags before it or not, leaves the heap's start alone.
func TestInitSkipsCheck(t *testing.T) {
	if !small {
		t.Skip("pages are not 4 KiB")
	}
	for _, tc := range []struct {
		args string
		huge bool
	}{
		{"check Gunfile", false},
		{"--verbose check Gunfile", false},
		{"-v --root /s check", false},
		{"--root=/s check", false},
		{"lsp", true},
		{"-v fmt", true},
		{"run alpine check", true},
		{"--root check", true}, // check is the store's directory: no command
	} {
		cmd := exec.Command(os.Args[0], strings.Fields(tc.args)...)
		cmd.Env = append(os.Environ(), initEnv+"=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", tc.args, err)
		}
		if got := strings.TrimSpace(string(out)); got != fmt.Sprint(tc.huge) {
			t.Errorf("gun %s: the heap's start on a huge page: %s, want %v", tc.args, got, tc.huge)
		}
	}
}
