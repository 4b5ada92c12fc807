package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

// PruneReport says what Prune removed.
type PruneReport struct {
	Images     int   // images without a name
	Blobs      int   // unreferenced blobs
	BlobBytes  int64 // their size
	Layers     int   // unpacked layers no image uses
	Leftovers  int   // temporary files and directories of killed processes
	Runs       int   // scratch directories of containers that are gone
	LiveRuns   int   // containers still running (their run/ dirs are kept)
	KeptLayers bool  // unused unpacked layers kept because containers run
	Plans      int   // run plans (a cache of gun run, which writes them again)
}

// Prune removes the images that have no name (those a build or a run
// pulled or imported without one, and those a name left) but those in
// inUse (manifest digests: the images containers run, which docker's
// image prune keeps too), then what no image references: blobs, unpacked
// layers, the leftovers of killed processes (what stopped pulls received
// of blobs too), the run/<id> scratch directories whose lock no living
// container holds, and gun run's plans. It waits for running builds,
// imports and unpacks to finish. While any container runs, unpacked layers
// are kept, since a container may use those of an image removed since it
// started.
func (s *Store) Prune(inUse ...digest.Digest) (PruneReport, error) {
	var rep PruneReport
	unlock, err := s.lock(gcLock, true)
	if err != nil {
		return rep, err
	}
	defer unlock()
	var errs []error
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	runs, live, err := s.RemoveStaleRuns()
	rep.Runs, rep.LiveRuns = runs, live
	note(err)

	unlockIndex, err := s.lock(indexLock, true)
	if err != nil {
		return rep, err
	}
	defer unlockIndex()
	idx, err := s.readIndex()
	if err != nil {
		return rep, err
	}
	unused := func(d v1.Descriptor) bool { return refName(d) == "" && !slices.Contains(inUse, d.Digest) }
	kept := slices.DeleteFunc(slices.Clone(idx.Manifests), unused)
	if len(kept) < len(idx.Manifests) {
		gone := map[digest.Digest]bool{}
		for _, d := range idx.Manifests {
			if unused(d) && !named(idx, d.Digest) && !gone[d.Digest] {
				gone[d.Digest] = true
				rep.Images++
			}
		}
		idx.Manifests = kept
		if err := s.writeIndex(idx); err != nil {
			return rep, err
		}
	}
	used := s.reachable(idx)
	usedDiffs := map[string]bool{}
	for _, d := range idx.Manifests {
		var m v1.Manifest
		var c v1.Image
		if s.readBlobJSON(d.Digest, &m) != nil || s.readBlobJSON(m.Config.Digest, &c) != nil {
			continue
		}
		for _, id := range c.RootFS.DiffIDs {
			usedDiffs[id.Encoded()] = true
		}
	}

	blobs, err := os.ReadDir(s.blobDir())
	note(err)
	for _, e := range blobs {
		p := filepath.Join(s.blobDir(), e.Name())
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			note(os.Remove(p))
			rep.Leftovers++
			continue
		}
		if used[digest.NewDigestFromEncoded(digest.SHA256, e.Name())] {
			continue
		}
		if fi, err := e.Info(); err == nil {
			rep.BlobBytes += fi.Size()
		}
		note(os.Remove(p))
		rep.Blobs++
	}

	keys, _ := os.ReadDir(s.path(layersDir))
	for _, k := range keys {
		kd := s.path(layersDir, k.Name())
		entries, _ := os.ReadDir(kd)
		for _, e := range entries {
			p := filepath.Join(kd, e.Name())
			switch name := e.Name(); {
			case strings.HasPrefix(name, tmpPrefix):
				note(s.RemoveAll(p))
				rep.Leftovers++
			case strings.HasSuffix(name, ".lock"), strings.HasSuffix(name, unsyncedSuffix):
				if _, err := os.Stat(strings.TrimSuffix(strings.TrimSuffix(p, ".lock"), unsyncedSuffix)); err != nil {
					if err := os.Remove(p); !errors.Is(err, os.ErrNotExist) {
						note(err)
					}
				}
			case !usedDiffs[name]:
				if rep.LiveRuns > 0 {
					rep.KeptLayers = true
					continue
				}
				if err := s.RemoveAll(p); err != nil {
					note(err)
					continue
				}
				os.Remove(p + ".lock")
				os.Remove(p + unsyncedSuffix)
				rep.Layers++
			}
		}
	}

	// Records of archives imported as images no longer stored go, and
	// what killed writers of them left.
	records, _ := os.ReadDir(s.path(archivesDir))
	for _, e := range records {
		p := s.path(archivesDir, e.Name())
		switch name := e.Name(); {
		case strings.HasPrefix(name, "."):
			note(os.Remove(p))
			rep.Leftovers++
		case len(name) == 64:
			if desc, _, err := s.imported(digest.NewDigestFromEncoded(digest.SHA256, name)); err != nil || !used[desc.Digest] {
				note(os.Remove(p))
			}
		}
	}

	// What stopped pulls received of blobs (no pull runs meanwhile).
	partials, _ := os.ReadDir(s.path(partialDir))
	for _, e := range partials {
		note(os.Remove(s.path(partialDir, e.Name())))
		rep.Leftovers++
	}

	// gun run's plans name unpacked layers; they are a cache.
	plans, _ := os.ReadDir(s.path(plansDir))
	for _, e := range plans {
		if err := os.Remove(s.path(plansDir, e.Name())); err == nil {
			rep.Plans++
		} else if !errors.Is(err, os.ErrNotExist) {
			note(err)
		}
	}

	roots, _ := os.ReadDir(s.root)
	for _, e := range roots {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			note(os.Remove(s.path(e.Name())))
			rep.Leftovers++
		}
	}
	return rep, errors.Join(errs...)
}

// NewRunDir creates the scratch directory run/<id>/ for a container and
// takes the exclusive flock on run/<id>/lock that marks it alive. Call
// release when the container is gone, after removing the directory.
func (s *Store) NewRunDir(id string) (dir string, release func(), err error) {
	if id == "" || strings.ContainsAny(id, "/\x00") || id == "." || id == ".." {
		return "", nil, fmt.Errorf("invalid container id %q", id)
	}
	unlock, err := s.lock(runLock, false)
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	dir = s.path(runDir, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("container scratch dir: %w", err)
	}
	release, err = flock(filepath.Join(dir, "lock"), true, true)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, release, nil
}

// RemoveStaleRuns removes the run/<id> directories whose lock no process
// holds: those of containers that were killed. Hidden ones (run/.new-<id>,
// which the runtime locks before renaming them into place) are left alone
// for a minute. It returns how many it
// removed and how many containers still run.
func (s *Store) RemoveStaleRuns() (removed, live int, err error) {
	// The common case, nothing running, costs no lock.
	if f, err := os.Open(s.path(runDir)); err == nil {
		names, _ := f.Readdirnames(1)
		f.Close()
		if len(names) == 0 {
			return 0, 0, nil
		}
	}
	unlock, err := s.lock(runLock, true)
	if err != nil {
		return 0, 0, err
	}
	defer unlock()
	var errs []error
	runs, _ := os.ReadDir(s.path(runDir))
	for _, e := range runs {
		dir := s.path(runDir, e.Name())
		if strings.HasPrefix(e.Name(), ".") {
			// Being made: the runtime locks run/.new-<id>/lock, then
			// renames it. Only one that a killed process left is removed.
			if fi, err := e.Info(); err != nil || time.Since(fi.ModTime()) < time.Minute {
				continue
			}
		}
		release, err := flock(filepath.Join(dir, "lock"), true, true)
		if errors.Is(err, unix.EWOULDBLOCK) {
			live++
			continue
		}
		rerr := s.RemoveAll(dir)
		if release != nil {
			release()
		}
		if rerr != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, rerr))
			continue
		}
		removed++
	}
	return removed, live, errors.Join(errs...)
}

// Exclusive runs fn holding gc.lock exclusively, as Prune does: meanwhile
// no batch is open, so no build or import is writing to the store.
func (s *Store) Exclusive(fn func() error) error {
	unlock, err := s.lock(gcLock, true)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}
