package hugeheap

import (
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
