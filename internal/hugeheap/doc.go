// Package hugeheap backs the start of the Go heap with a transparent huge
// page. A `gun run` is short: its heap stays within a few megabytes, but it
// touches some 300 pages of it while the runtime and the package
// initialisers start, and on a virtual machine each first touch of a 4 KiB
// page can cost tens of microseconds (the host backs the page then), where
// a 2 MiB page costs about as much as one of them (docs/run.md, "Where the
// time goes"). Its initialiser asks the kernel for huge pages in the heap's
// arena (MADV_HUGEPAGE) and collapses the 2 MiB block that the heap starts
// in (MADV_COLLAPSE, Linux 6.1 and later), so that the pages touched after
// it take no fault. Either step fails quietly: a kernel without them, or
// with transparent huge pages off, runs gun as before.
//
// The heap that Go maps later, as it grows, does not carry that advice: a
// command about to allocate tens of megabytes (gun check of a large file,
// gun lsp before its first analysis of a large document, which touches some
// 2,000 new pages) calls Grow first, which maps that much heap at once on
// huge pages.
//
// Grow does the same for a command that knows how much heap it will keep
// (gun check), whose heap would otherwise grow in mappings without the
// advice.
//
// cmd/gun imports it for its initialiser, which Go runs among the first: it
// imports only runtime, syscall and unsafe, and packages are initialised in the
// order of their import paths as their own imports allow.
package hugeheap
