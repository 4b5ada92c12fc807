//go:build !(linux && cgo)

package runtime

// joinSupported: without the C constructor of entry_cgo.go nothing can
// join a holder's user namespace (a multi-threaded Go process cannot), so
// every container makes its own.
const joinSupported = false
