//go:build !(linux && cgo)

package runtime

// The container's init is C (cinit.c, run by the constructor of entry.c
// before the Go runtime starts), as runc's nsenter is: gun cannot be built
// without cgo or for another system than Linux. The constant below stops
// such a build with this sentence.
const _ = "gun needs cgo on Linux: build it with CGO_ENABLED=1 and a C compiler" / 0
