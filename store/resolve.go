package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/internal/ctxio"
	"github.com/gun-tools/gun/internal/memo"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// archivesDir holds what Resolve remembers of archives: digests.json, the
// digests of archive files by their identity (internal/memo), and one
// file per archive digest holding the descriptor of the manifest it was
// imported as.
const archivesDir = "archives"

// ResolveOptions configure Resolve.
type ResolveOptions struct {
	// Dir is the directory a relative file reference is found in ("" for
	// the current one).
	Dir string
	// Digest, if set, is the archive's sha256 as the caller knows it (a
	// pinned download): the archive is then read only to be imported, and
	// must match.
	Digest digest.Digest
	// Unpacker, if set, unpacks the layer of a root file system archive
	// as its import reads it (ImportOptions.Unpacker).
	Unpacker Unpacker
	// Defer leaves a root file system archive that the store has not
	// imported as it is: Resolve only learns its digest (reading it once,
	// unless Digest gives it), and Resolved.Pending imports it when its
	// files or its layer's diff ID are needed. A build whose steps all
	// come from a cache never unpacks it.
	Defer bool
	// Hashing, if set, is called before Resolve reads a whole archive
	// the store does not know to learn its digest: the archive is then
	// likely to be imported, and the caller can make ready for that (the
	// runtime's user namespace) while it is read.
	Hashing func()
	// Remote, if set, is the registry's one place in resolving: it decides
	// what a reference that names no file or directory names, given the
	// store's image by that name (local) or the store's error (notFound),
	// and returns local, or the manifest of an image it pulled into the
	// store. A reference that is not a registry's stays the store's.
	Remote func(ctx context.Context, ref string, local v1.Descriptor, notFound error) (v1.Descriptor, error)
}

// Resolved is what an image reference names.
type Resolved struct {
	// RootDir is set when the reference is a directory: a root file
	// system to use as it is. The rest is then zero.
	RootDir string
	// Manifest is the image's manifest descriptor: its digest names the
	// image.
	Manifest v1.Descriptor
	// Archive is the digest of the archive file the image was imported
	// from, when the reference is one.
	Archive digest.Digest
	// Pending is the import of an archive that Resolve left as it is
	// (ResolveOptions.Defer): Manifest is then zero.
	Pending *PendingImport
	// Sources are the store's files the resolution read, whose change
	// could change it (a plan of gun run is current only while they are
	// unchanged): the index, or what is remembered of an archive and the
	// blobs its image was checked to have.
	Sources []string
}

// PendingImport is a root file system archive not imported yet: what its
// image will be, and its import.
type PendingImport struct {
	// Config is the image's configuration but for its RootFS, which only
	// the import learns.
	Config Config
	// Layer is its layer's blob: the archive itself, which the store
	// keeps as it is (a gzip, zstd or plain tar).
	Layer v1.Descriptor

	s    *Store
	path string
}

// PutBlob stores the archive, verified, as its layer's blob in b, without
// reading what it holds: for a caller that knows its diff ID.
func (p *PendingImport) PutBlob(ctx context.Context, b *Batch) error {
	f, err := os.Open(p.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, _, err := b.put(ctxio.Reader(ctx, f), p.Layer.Digest); err != nil {
		return fmt.Errorf("%s: %w", p.path, err)
	}
	return nil
}

// Import imports the archive (its layer unpacked as it is read when u is
// set) and returns the image's manifest. An archive whose content changed
// since Resolve is an error.
func (p *PendingImport) Import(ctx context.Context, u Unpacker) (v1.Descriptor, error) {
	fi, err := os.Stat(p.path)
	if err != nil {
		return v1.Descriptor{}, err
	}
	r, err := p.s.resolveArchive(ctx, p.path, fi, ResolveOptions{Digest: p.Layer.Digest, Unpacker: u})
	if err != nil {
		return v1.Descriptor{}, err
	}
	return r.Manifest, nil
}

// Resolve finds the image ref names, for gun run and gun build alike: a
// directory (a root file system, returned as RootDir), an archive file
// (a root file system tarball, an OCI or docker archive holding one
// image, imported without a name: a run or a build never takes or moves a
// name of the user's), an image in the store by name or ID, and last, through
// opts.Remote, a registry reference. An archive is imported once: its digest
// is remembered by the file's path, size, times and inode, and the image
// it was imported as by that digest, so that using it again reads nothing
// of it.
func (s *Store) Resolve(ctx context.Context, ref string, opts ResolveOptions) (*Resolved, error) {
	p := ref
	if opts.Dir != "" && !filepath.IsAbs(p) {
		p = filepath.Join(opts.Dir, p)
	}
	fi, err := os.Stat(p)
	switch {
	case err == nil && fi.IsDir():
		return &Resolved{RootDir: p}, nil
	case err == nil && fi.Mode().IsRegular():
		return s.resolveArchive(ctx, p, fi, opts)
	case err == nil:
		return nil, fmt.Errorf("%s: not a regular file or directory", p)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	desc, err := s.lookup(ref)
	if err != nil {
		err = fmt.Errorf("%s: no such file, and %w", ref, err)
	}
	if opts.Remote != nil {
		desc, err = opts.Remote(ctx, ref, desc, err)
	}
	if err != nil {
		return nil, err
	}
	return &Resolved{Manifest: desc, Sources: []string{s.path(v1.ImageIndexFile)}}, nil
}

// lookup finds an image of the store by name or ID prefix.
func (s *Store) lookup(ref string) (v1.Descriptor, error) {
	idx, err := s.readIndexNames()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return s.find(idx, ref)
}

// resolveArchive finds the image the archive p (stat'ed as fi) was
// imported as, importing it if it was not.
func (s *Store) resolveArchive(ctx context.Context, p string, fi fs.FileInfo, opts ResolveOptions) (*Resolved, error) {
	m := memo.Open(s.path(archivesDir, "digests.json"))
	sum := opts.Digest
	if sum == "" {
		if d, ok := m.Lookup(p, fi); ok {
			sum = digest.Digest(d)
		}
	}
	if sum != "" {
		if desc, blobs, err := s.imported(sum); err == nil {
			if debugEnabled() {
				slog.Debug("archive found by its digest", "file", p, "digest", sum, "manifest", desc.Digest)
			}
			src := append([]string{s.path(archivesDir, "digests.json"), s.path(archivesDir, sum.Encoded())}, blobs...)
			return &Resolved{Manifest: desc, Archive: sum, Sources: src}, nil
		}
	}
	if opts.Defer {
		if sum == "" && opts.Hashing != nil {
			opts.Hashing()
		}
		pi, err := s.deferImport(ctx, p, fi, sum, m)
		if err != nil {
			return nil, err
		}
		if pi != nil {
			// Its digest may be new here, and the store's.
			if desc, _, err := s.imported(pi.Layer.Digest); err == nil {
				return &Resolved{Manifest: desc, Archive: pi.Layer.Digest}, nil
			}
			return &Resolved{Archive: pi.Layer.Digest, Pending: pi}, nil
		}
	}
	var got digest.Digest
	iopts := ImportOptions{Digest: &got, Unpacker: opts.Unpacker, Anonymous: true}
	if d, ok := m.Lookup(p, fi); ok && sum != "" && digest.Digest(d) == sum {
		// Hashed before as it is (a build's Using hashed it): the import
		// reads it, but does not hash it again.
		iopts.known, iopts.knownFi = sum, fi
	}
	imgs, err := s.Import(ctx, p, iopts)
	if err != nil {
		return nil, err
	}
	if len(imgs) != 1 {
		return nil, fmt.Errorf("%s holds %d images: import it with gun import and use one by name", p, len(imgs))
	}
	if debugEnabled() {
		slog.Debug("archive imported", "file", p, "digest", got, "manifest", imgs[0].Descriptor.Digest)
	}
	if opts.Digest != "" && got != opts.Digest {
		return nil, fmt.Errorf("%s: its content changed while it was imported (sha256 %s, want %s)", p, got, opts.Digest)
	}
	desc := imgs[0].Descriptor // with its name, for messages
	if err := s.recordImported(got, desc); err != nil {
		return nil, err
	}
	m.Record(p, fi, got.String())
	if err := m.Save(); err != nil {
		return nil, err
	}
	return &Resolved{Manifest: desc, Archive: got}, nil
}

// imported returns the manifest an archive of digest sum was imported as,
// if the store still has it whole.
func (s *Store) imported(sum digest.Digest) (desc v1.Descriptor, blobs []string, err error) {
	if err := sum.Validate(); err != nil {
		return desc, nil, err
	}
	b, err := os.ReadFile(s.path(archivesDir, sum.Encoded()))
	if err != nil {
		return desc, nil, err
	}
	if err := json.Unmarshal(b, &desc); err != nil {
		return desc, nil, err
	}
	blobs, err = s.checkComplete(sum.String(), desc.Digest)
	return desc, blobs, err
}

func (s *Store) recordImported(sum digest.Digest, desc v1.Descriptor) error {
	data, err := json.Marshal(desc)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.path(archivesDir), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(s.path(archivesDir, sum.Encoded()), data)
}

// deferImport returns the import of p, a root file system archive of
// digest sum ("": not known yet, then learnt and remembered in m) whose
// compression the store keeps, or nil for another archive.
func (s *Store) deferImport(ctx context.Context, p string, fi fs.FileInfo, sum digest.Digest, m *memo.Memo) (*PendingImport, error) {
	if archive, err := isImageArchive(p); err != nil || archive {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	mediaType, ok := layerMediaTypes[guntar.DetectCompression(head[:n])]
	if !ok {
		return nil, nil
	}
	if sum == "" {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		h := digest.SHA256.Digester()
		if _, err := io.CopyBuffer(h.Hash(), ctxio.Reader(ctx, f), make([]byte, 1<<20)); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		sum = h.Digest()
		m.Record(p, fi, sum.String())
		if err := m.Save(); err != nil {
			return nil, err
		}
	}
	config, history := rootfsConfig(p, fi)
	config, _ = commitConfig(config, []Layer{{History: history}})
	config.RootFS.DiffIDs = nil
	if debugEnabled() {
		slog.Debug("archive import deferred", "file", p, "digest", sum)
	}
	return &PendingImport{
		Config: Config{Image: config},
		Layer:  v1.Descriptor{MediaType: mediaType, Digest: sum, Size: fi.Size()},
		s:      s,
		path:   p,
	}, nil
}
