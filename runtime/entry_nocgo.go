//go:build !(linux && cgo)

package runtime

import "os"

// joinSupported: without the C constructor (entry.c) nothing can
// join a holder's user namespace (a multi-threaded Go process cannot), so
// every container makes its own.
const joinSupported = false

// takePrefork: only the C constructor forks an init ahead.
func takePrefork() (pid int, sock *os.File, ok bool) { return 0, nil, false }
