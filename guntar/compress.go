package guntar

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	"github.com/ulikunitz/xz"
)

// Compression names a stream compression format.
type Compression int

// The compression formats Decompress recognises by their magic bytes.
const (
	None Compression = iota
	Gzip
	Zstd
	Xz
	Bzip2
)

// String names the format as gun prints it ("gzip").
func (c Compression) String() string {
	switch c {
	case None:
		return "none"
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	case Xz:
		return "xz"
	case Bzip2:
		return "bzip2"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

var magics = []struct {
	c     Compression
	magic []byte
}{
	{Gzip, []byte{0x1f, 0x8b}},
	{Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd}},
	{Xz, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}},
	{Bzip2, []byte{'B', 'Z', 'h'}},
}

// DetectCompression reports the compression of a stream that starts with b.
// Anything without a known magic number is None.
func DetectCompression(b []byte) Compression {
	for _, m := range magics {
		if bytes.HasPrefix(b, m.magic) {
			return m.c
		}
	}
	return None
}

// Decompress detects the compression of r by its magic bytes and returns a
// reader of the decompressed stream. The caller must close it; closing does
// not close r.
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(6)
	if err != nil && err != io.EOF {
		return nil, None, err
	}
	c := DetectCompression(head)
	var rc io.ReadCloser
	switch c {
	case None:
		rc = io.NopCloser(br)
	case Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, c, fmt.Errorf("gzip: %w", err)
		}
		rc = zr
	case Zstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(2))
		if err != nil {
			return nil, c, fmt.Errorf("zstd: %w", err)
		}
		rc = zr.IOReadCloser()
	case Xz:
		zr, err := xz.NewReader(br)
		if err != nil {
			return nil, c, fmt.Errorf("xz: %w", err)
		}
		rc = io.NopCloser(zr)
	case Bzip2:
		rc = io.NopCloser(bzip2.NewReader(br))
	}
	if c == Gzip || c == Xz || c == Bzip2 {
		rc = newReadAhead(rc)
	}
	return &namedReader{rc, c}, c, nil
}

// namedReader prefixes decompression errors with the format's name, so that
// "corrupt gzip" reads as such rather than as a bare checksum error.
type namedReader struct {
	io.ReadCloser
	c Compression
}

func (n *namedReader) Read(p []byte) (int, error) {
	k, err := n.ReadCloser.Read(p)
	if err != nil && err != io.EOF && n.c != None {
		err = fmt.Errorf("%s: %w", n.c, err)
	}
	return k, err
}

// Compress returns a writer that compresses into w with c (None, Gzip or
// Zstd), on as many cores as GOMAXPROCS allows: layers are compressed on
// every build, and compression is most of a cold build's own work. Gzip is
// at its fastest level. The same input always gives the same bytes,
// whatever the number of cores or the sizes of the writes. Closing it
// flushes the compressor but does not close w.
func Compress(w io.Writer, c Compression) (io.WriteCloser, error) {
	return compress(w, c, runtime.GOMAXPROCS(0))
}

// gzipBlock is the size of the blocks pgzip compresses in parallel, each
// with the end of the one before as its dictionary: the output depends on
// it, so it is fixed, and not on how many blocks are compressed at once.
const gzipBlock = 1 << 20

// compress is Compress with at most procs blocks compressed at once.
func compress(w io.Writer, c Compression, procs int) (io.WriteCloser, error) {
	switch c {
	case None:
		return nopWriteCloser{w}, nil
	case Gzip:
		zw, err := pgzip.NewWriterLevel(w, pgzip.BestSpeed)
		if err != nil {
			return nil, err
		}
		if err := zw.SetConcurrency(gzipBlock, procs); err != nil {
			return nil, err
		}
		return zw, nil
	case Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(procs))
	}
	return nil, fmt.Errorf("compress: %s is not supported for writing", c)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
