// Package exepages releases the pages of the running program's own binary
// from its resident set.
//
// Go runs the initialiser of every package a program links at every start,
// whatever the command, and the kernel maps file pages a whole page-cache
// folio at a time (64 KiB to 2 MiB on Linux 6.18), so the start of a gun
// command maps most of gun's 8 MB of code and 8 MB of read-only data
// (docs/gunfile.md, "The fixed cost of a start"). A command whose peak
// resident memory matters (gun check) calls Release once its command line is
// read: the pages stay in the page cache, and those the command still
// touches are mapped again by the faults that touch them.
//
// Only the segments the binary maps without write permission are released:
// their pages always hold the file's bytes. Pages written since the start
// (the data, and the read-only part of it that a loader relocates before
// protecting it) are anonymous copies that must stay.
package exepages

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// segment is a range of file offsets that the binary maps read-only.
type segment struct{ lo, hi uint64 }

// Release drops the process's mappings of its binary's read-only segments:
// code and constants. What it cannot read (no /proc, a binary that is not
// ELF64) it reports, having released nothing.
func Release() error {
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return fmt.Errorf("release the binary's pages: %w", err)
	}
	defer exe.Close()
	segs, err := readOnlySegments(exe)
	if err != nil {
		return fmt.Errorf("release the binary's pages: %s: %w", exe.Name(), err)
	}
	fi, err := exe.Stat()
	if err != nil {
		return fmt.Errorf("release the binary's pages: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return errors.New("release the binary's pages: no inode for /proc/self/exe")
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return fmt.Errorf("release the binary's pages: %w", err)
	}
	// The ranges are gathered first, so that what reads them is not mapped
	// again once released.
	var drop [][2]uint64
	page := uint64(os.Getpagesize())
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		var lo, hi, off, ino uint64
		var perms string
		var major, minor uint32
		if n, _ := fmt.Sscanf(sc.Text(), "%x-%x %s %x %x:%x %d", &lo, &hi, &perms, &off, &major, &minor, &ino); n != 7 {
			continue
		}
		if ino != st.Ino || major != unix.Major(st.Dev) || minor != unix.Minor(st.Dev) || perms[1] == 'w' {
			continue
		}
		if within(segs, off, off+hi-lo, page) { // else a relocated part of a writable segment, protected after
			drop = append(drop, [2]uint64{lo, hi})
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("release the binary's pages: /proc/self/maps: %w", err)
	}
	for _, r := range drop {
		// Raw: a blocking syscall's handoff would start a thread, whose
		// start maps C library code again.
		if _, _, errno := syscall.RawSyscall(syscall.SYS_MADVISE, uintptr(r[0]), uintptr(r[1]-r[0]), unix.MADV_DONTNEED); errno != 0 {
			return fmt.Errorf("release the binary's pages: madvise %#x-%#x: %w", r[0], r[1], errno)
		}
	}
	return nil
}

// within reports whether the file range [lo, hi) lies in one of segs, each
// widened to the pages that map it.
func within(segs []segment, lo, hi, page uint64) bool {
	for _, s := range segs {
		if s.lo&^(page-1) <= lo && hi <= (s.hi+page-1)&^(page-1) {
			return true
		}
	}
	return false
}

// readOnlySegments returns the file ranges of the loadable segments of the
// ELF64 binary r that are mapped without write permission.
func readOnlySegments(r io.ReaderAt) ([]segment, error) {
	const (
		ptLoad = 1
		pfW    = 2
		phSize = 56
	)
	var hdr [64]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, err
	}
	if string(hdr[:4]) != "\x7fELF" || hdr[4] != 2 || hdr[5] != 1 {
		return nil, errors.New("not a little-endian ELF64 file")
	}
	le := binary.LittleEndian
	phoff, phentsize, phnum := le.Uint64(hdr[0x20:]), le.Uint16(hdr[0x36:]), le.Uint16(hdr[0x38:])
	if phentsize != phSize {
		return nil, fmt.Errorf("program headers of %d bytes, not %d", phentsize, phSize)
	}
	phs := make([]byte, int(phnum)*phSize)
	if _, err := r.ReadAt(phs, int64(phoff)); err != nil {
		return nil, fmt.Errorf("program headers: %w", err)
	}
	var segs []segment
	for ph := range slices.Chunk(phs, phSize) {
		typ, flags := le.Uint32(ph[0:]), le.Uint32(ph[4:])
		off, filesz := le.Uint64(ph[8:]), le.Uint64(ph[32:])
		if typ == ptLoad && flags&pfW == 0 {
			segs = append(segs, segment{off, off + filesz})
		}
	}
	return segs, nil
}
