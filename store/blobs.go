package store

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/go-digest"
)

// ErrDigestMismatch is the error of content that does not match the digest
// it was given as.
var ErrDigestMismatch = errors.New("content does not match its digest")

func (s *Store) blobDir() string { return s.path("blobs", "sha256") }

// blobPath returns where the blob d lives, refusing a digest that is not a
// valid sha256 digest (it would name a path outside blobs/sha256).
func (s *Store) blobPath(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("blob %q: %w", d, err)
	}
	if d.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("blob %s: only sha256 digests are supported", d)
	}
	return s.path("blobs", "sha256", d.Encoded()), nil
}

// HasBlob reports whether the blob d is in the store.
func (s *Store) HasBlob(d digest.Digest) bool {
	p, err := s.blobPath(d)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// putBlob copies r into the store as a blob. If want is set, the content
// must have that digest. It reports whether the blob is new. The caller
// holds gc.lock (shared).
func (s *Store) putBlob(r io.Reader, want digest.Digest) (d digest.Digest, size int64, created bool, err error) {
	if want != "" {
		p, err := s.blobPath(want)
		if err != nil {
			return "", 0, false, err
		}
		if fi, err := os.Stat(p); err == nil {
			// Already stored (and verified when it was): skip the content.
			if _, err := io.Copy(io.Discard, r); err != nil {
				return "", 0, false, err
			}
			return want, fi.Size(), false, nil
		}
	}
	return s.writeBlob(want, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
}

// writeBlob stores what write writes as a blob: into a temporary file of
// the blob directory, hashed on the way, then synced and renamed to its
// digest, so that a blob is never seen incomplete. If want is set, the
// content must have that digest. It reports whether the blob is new. The
// caller holds gc.lock (shared).
func (s *Store) writeBlob(want digest.Digest, write func(io.Writer) error) (d digest.Digest, size int64, created bool, err error) {
	return s.storeBlob(want, false, write)
}

// writeKnownBlob is writeBlob for content the caller hashed before as d,
// and whose write fails if it may have changed since: it is not hashed
// again.
func (s *Store) writeKnownBlob(d digest.Digest, write func(io.Writer) error) (digest.Digest, int64, bool, error) {
	if _, err := s.blobPath(d); err != nil {
		return "", 0, false, err
	}
	return s.storeBlob(d, true, write)
}

func (s *Store) storeBlob(want digest.Digest, known bool, write func(io.Writer) error) (d digest.Digest, size int64, created bool, err error) {
	f, err := os.CreateTemp(s.blobDir(), tmpPrefix)
	if err != nil {
		return "", 0, false, err
	}
	fail := func(err error) (digest.Digest, int64, bool, error) {
		f.Close()
		os.Remove(f.Name())
		return "", 0, false, err
	}
	var h digest.Digester
	cw := &countingWriter{w: f}
	if !known {
		h = digest.SHA256.Digester()
		cw.w = io.MultiWriter(f, h.Hash())
	}
	bw := bufio.NewWriterSize(cw, 1<<20)
	if err := write(bw); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	d = want
	if h != nil {
		d = h.Digest()
	}
	if want != "" && d != want {
		return fail(fmt.Errorf("blob %s: %w (got %s)", want, ErrDigestMismatch, d))
	}
	p, _ := s.blobPath(d)
	if _, err := os.Stat(p); err == nil {
		f.Close()
		os.Remove(f.Name())
		return d, cw.n, false, nil
	}
	if err := finishTemp(f, p); err != nil {
		return "", 0, false, err
	}
	return d, cw.n, true, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// openBlob opens the blob d for reading. The reader fails at EOF if the
// content does not match d, so corruption is never passed on silently.
func (s *Store) openBlob(d digest.Digest) (io.ReadCloser, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("blob %s is missing from the store", d)
	}
	if err != nil {
		return nil, err
	}
	return &verifier{f: f, want: d, v: d.Verifier()}, nil
}

type verifier struct {
	f    *os.File
	want digest.Digest
	v    digest.Verifier
}

func (r *verifier) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.v.Write(p[:n])
	if err == io.EOF && !r.v.Verified() {
		return n, fmt.Errorf("blob %s is corrupt: its content does not match its digest", r.want)
	}
	return n, err
}

func (r *verifier) Close() error { return r.f.Close() }

// maxJSON bounds the JSON documents (manifests, configs, indexes) read.
const maxJSON = 16 << 20

// readBlobJSON decodes the blob d, verified, into v.
func (s *Store) readBlobJSON(d digest.Digest, v any) error {
	rc, err := s.openBlob(d)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxJSON))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("blob %s: %w", d, err)
	}
	return nil
}
