package guntar

import (
	"io"
	"sync"
)

// readAhead decompresses in its own goroutine, a few chunks ahead of the
// reader, so that decompression and unpacking use two cores as GNU tar
// does with a gzip child process.
type readAhead struct {
	src       io.ReadCloser
	full      chan chunk
	free      chan []byte
	done      chan struct{}
	cur       chunk
	off       int
	closeOnce sync.Once
	wg        sync.WaitGroup
}

type chunk struct {
	buf []byte
	err error
}

const (
	aheadChunk = 256 << 10
	aheadCount = 4
)

func newReadAhead(src io.ReadCloser) *readAhead {
	r := &readAhead{
		src:  src,
		full: make(chan chunk, aheadCount),
		free: make(chan []byte, aheadCount),
		done: make(chan struct{}),
	}
	for range aheadCount {
		r.free <- make([]byte, aheadChunk)
	}
	r.wg.Add(1)
	go r.fill()
	return r
}

func (r *readAhead) fill() {
	defer r.wg.Done()
	for {
		var buf []byte
		select {
		case buf = <-r.free:
		case <-r.done:
			return
		}
		n, err := fillBuf(r.src, buf)
		select {
		case r.full <- chunk{buf[:n], err}:
		case <-r.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (r *readAhead) Read(p []byte) (int, error) {
	for r.off == len(r.cur.buf) {
		if r.cur.err != nil {
			return 0, r.cur.err
		}
		if r.cur.buf != nil {
			r.free <- r.cur.buf[:cap(r.cur.buf)]
		}
		r.cur, r.off = <-r.full, 0
	}
	n := copy(p, r.cur.buf[r.off:])
	r.off += n
	return n, nil
}

// Close stops the goroutine and closes the source.
func (r *readAhead) Close() error {
	r.closeOnce.Do(func() { close(r.done) })
	r.wg.Wait()
	return r.src.Close()
}

// fillBuf reads into buf until it is full or src fails, passing src's
// error on unchanged (io.ReadFull would disguise a clean EOF).
func fillBuf(src io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := src.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
