package hugeheap

import (
	"runtime"
	"syscall"
	"unsafe"
)

const (
	arenaBytes   = 64 << 20 // the Go heap's arenas on 64-bit Linux
	hugePage     = 2 << 20  // a transparent huge page where pages are 4 KiB
	madvHugepage = 14
	madvCollapse = 25
)

var (
	first *[64]byte // an object on the heap, where it starts
	block uintptr   // the 2 MiB block that holds it, collapsed
)

func init() {
	if syscall.Getpagesize() != 4<<10 {
		return
	}
	first = new([64]byte)
	addr := uintptr(unsafe.Pointer(first))
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, addr&^(arenaBytes-1), arenaBytes, madvHugepage)
	block = addr &^ (hugePage - 1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, block, hugePage, madvCollapse)
}

// Grow readies n more bytes of heap on huge pages, for a command that will
// allocate about that much and keep it (gun check). The runtime maps the
// heap 4 MiB at a time as it grows, each mapping without the arena's
// MADV_HUGEPAGE, so such a command would fault its heap in page by page.
// Grow allocates one object of n bytes, so that the runtime maps room for it
// at once (untouched, it takes no memory), asks for huge pages there, and
// collects the object, whose pages the allocations that follow reuse.
func Grow(n int) {
	if block == 0 || n <= 0 {
		return
	}
	b := make([]byte, n)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := addr &^ (hugePage - 1)
	hi := (addr + uintptr(n) + hugePage - 1) &^ (hugePage - 1)
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, madvHugepage)
	runtime.KeepAlive(b)
	runtime.GC()
}
