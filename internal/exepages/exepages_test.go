package exepages

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestReadOnlySegments checks the program headers read by hand against
// debug/elf's reading of the same binary.
func TestReadOnlySegments(t *testing.T) {
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := readOnlySegments(f)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var want []segment
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W == 0 {
			want = append(want, segment{p.Off, p.Off + p.Filesz})
		}
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("read-only segments %v, debug/elf says %v", got, want)
	}
}

var written = []int{1, 2, 3} // on the heap, and its header in the data

// TestRelease checks that Release unmaps the binary's read-only pages, and
// leaves the data and the program working: the pages of the code and
// constants present before are absent after, but for those the few
// instructions between the release and the count map again.
func TestRelease(t *testing.T) {
	written = append(written, 4)
	pagemap, err := os.Open("/proc/self/pagemap")
	if err != nil {
		t.Fatal(err)
	}
	defer pagemap.Close()
	ranges := readOnlyMappings(t)
	var entries []byte
	for _, r := range ranges {
		entries = slices.Grow(entries, int(r[1]-r[0])/os.Getpagesize()*8)
	}
	entries = entries[:cap(entries)]
	before := present(t, pagemap, ranges, entries)
	runtime.GC() // nothing in flight in the runtime during the count after
	if err := Release(); err != nil {
		t.Fatal(err)
	}
	after := present(t, pagemap, ranges, entries)
	t.Logf("the binary's read-only pages present: %d before, %d after", before, after)
	if before == 0 || after >= before {
		t.Errorf("present pages of the read-only segments: %d before Release, %d after; want fewer", before, after)
	}
	if !slices.Equal(written, []int{1, 2, 3, 4}) {
		t.Errorf("data after Release: %v", written)
	}
	runtime.GC()
	if s := string(append([]byte("still "), "working"...)); s != "still working" {
		t.Error(s)
	}
}

// readOnlyMappings returns the address ranges of the binary's read-only
// mappings, from /proc/self/maps.
func readOnlyMappings(t *testing.T) [][2]uintptr {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	var ranges [][2]uintptr
	for line := range strings.Lines(string(maps)) {
		f := strings.Fields(line)
		if len(f) != 6 || f[5] != exe || f[1][1] == 'w' {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		l, err1 := strconv.ParseUint(lo, 16, 64)
		h, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("/proc/self/maps: %q", line)
		}
		ranges = append(ranges, [2]uintptr{uintptr(l), uintptr(h)})
	}
	if len(ranges) == 0 {
		t.Fatalf("no read-only mapping of %s in /proc/self/maps", exe)
	}
	return ranges
}

// present counts the pages of ranges that /proc/self/pagemap says are
// present, reading it with raw system calls into entries, allocated before,
// so that counting maps next to nothing of the binary.
func present(t *testing.T, pagemap *os.File, ranges [][2]uintptr, entries []byte) int {
	page := uintptr(os.Getpagesize())
	fd := pagemap.Fd()
	n := 0
	for _, r := range ranges {
		b := entries[:(r[1]-r[0])/page*8]
		off := r[0] / page * 8
		for len(b) > 0 {
			got, _, errno := syscall.RawSyscall6(syscall.SYS_PREAD64, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), off, 0, 0)
			if errno != 0 || got == 0 {
				t.Fatalf("read /proc/self/pagemap: %v", errno)
			}
			for i := uintptr(0); i+8 <= got; i += 8 {
				if binary.LittleEndian.Uint64(b[i:])&(1<<63) != 0 {
					n++
				}
			}
			b, off = b[got:], off+got
		}
	}
	return n
}
