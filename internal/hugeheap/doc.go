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
// command about to allocate tens of megabytes (gun lsp before its first
// analysis of a large document, which touches some 2,000 new pages) calls
// Grow first, which maps that much heap at once on huge pages.
//
// gun check, whose peak resident memory has a target (at most 4 times its
// input, docs/gunfile.md), goes without the initialiser's huge pages: a huge
// page is resident whole, used or not, and the heap starts after a random
// padding of up to 4 MiB that it never uses (Go 1.26), which the first
// block's collapse and the arena's huge pages made resident. An empty check
// kept 4 MiB of heap on them, against 1.4 MiB in 4 KiB pages. It calls Fill
// instead, which asks for huge pages only in the blocks its heap will fill
// whole. The initialiser reads the command from os.Args, past the global
// flags before it ("gun --verbose check"), as internal/cmdline reads it.
//
// cmd/gun and cmd/gun-lang (through cmd/internal/langcmd) import it for its
// initialiser, which Go runs among the first: it imports only os (for the
// command line), runtime, syscall, unsafe and internal/cmdline (which
// imports nothing), and packages are initialised in the order of their
// import paths as their own imports allow.
package hugeheap
