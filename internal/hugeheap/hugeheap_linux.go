package hugeheap

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"github.com/gun-tools/gun/internal/cmdline"
)

const (
	arenaBytes   = 64 << 20 // the Go heap's arenas on 64-bit Linux
	hugePage     = 2 << 20  // a transparent huge page where pages are 4 KiB
	heapStep     = 4 << 20  // the runtime maps the heap in steps of 4 MiB
	madvHugepage = 14
	madvCollapse = 25
)

var (
	small bool      // pages are 4 KiB: a 2 MiB block can be a huge page
	first *[64]byte // an object on the heap, where it starts
	block uintptr   // the 2 MiB block that holds it, collapsed
)

func init() {
	small = syscall.Getpagesize() == 4<<10
	if !small {
		return
	}
	first = new([64]byte)
	if cmd, _ := cmdline.Command(os.Args[1:]); cmd == "check" {
		return
	}
	addr := uintptr(unsafe.Pointer(first))
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, addr&^(arenaBytes-1), arenaBytes, madvHugepage)
	block = addr &^ (hugePage - 1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, block, hugePage, madvCollapse)
}

// Grow readies n more bytes of heap on huge pages, for a command that will
// allocate about that much and keep it (gun lsp). The runtime maps the
// heap 4 MiB at a time as it grows, each mapping without the arena's
// MADV_HUGEPAGE, so such a command would fault its heap in page by page.
// Grow allocates one object of n bytes, so that the runtime maps room for it
// at once (untouched, it takes no memory), asks for huge pages there, and
// collects the object, whose pages the allocations that follow reuse. The
// advice reaches past the object to the end of the runtime's mapping (4
// MiB steps): what the runtime allocates meanwhile (a P's cache of up to 64
// free pages) comes from there, and the allocations that follow take those
// first (TestGrow: 61 to 126 of its 1,024 objects there in about one run of
// 15).
func Grow(n int) {
	if block == 0 || n <= 0 {
		return
	}
	b := make([]byte, n)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := addr &^ (hugePage - 1)
	hi := (addr + uintptr(n) + hugePage - 1) &^ (hugePage - 1)
	end := (addr + uintptr(n) + heapStep - 1) &^ (heapStep - 1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, end-lo, madvHugepage)
	// The blocks at either end may hold pages the runtime touched before
	// the advice, which leaves the rest of such a block to fault in 4 KiB
	// at a time (300 to 400 faults in gun lsp's first analysis): collapse
	// them now.
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, hugePage, madvCollapse)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, hi-hugePage, hugePage, madvCollapse)
	runtime.KeepAlive(b)
	runtime.GC()
}

// Fill readies n more bytes of heap for a command that will fill at least
// that much and whose resident memory is counted (gun check), on huge pages
// only where it fills them whole: a huge page it used in part would hold up
// to 2 MiB it does not use. As Grow, it allocates and collects one object of
// n bytes, whose pages the allocations that follow take from the lowest
// address up, and it advises huge pages in the 2 MiB blocks from the one
// after the block the heap starts in (which may hold the runtime's random
// padding below the heap's start, never used) up to the object's end. Where
// the command fills less, the blocks past its last allocation stay
// untouched: at most one huge page is resident in part.
//
// Blocks of that range that already hold pages (the heap below the object)
// are not made huge by a fault: Collapse does that.
func Fill(n int) {
	if !small || n <= 0 {
		return
	}
	b := make([]byte, n)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := uintptr(unsafe.Pointer(first))&^(hugePage-1) + hugePage
	if hi := (addr + uintptr(n)) &^ (hugePage - 1); lo < hi {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, madvHugepage)
	}
	if hi := (addr + hugePage - 1) &^ (hugePage - 1); lo < hi {
		collapse = [2]uintptr{lo, hi}
	}
	runtime.KeepAlive(b)
	runtime.GC()
}

// collapse is the range of heap blocks below Fill's object.
var collapse [2]uintptr

// Collapse turns the heap blocks below the object of the last Fill, which
// the command will fill, into huge pages. A collapse holds a block twice
// while it copies it: a command whose peak memory is counted calls it as
// late as it can, just before it fills them.
func Collapse() {
	if lo, hi := collapse[0], collapse[1]; lo < hi {
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, madvCollapse)
	}
	collapse = [2]uintptr{}
}
