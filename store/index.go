package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

func emptyIndex() v1.Index {
	return v1.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageIndex, Manifests: []v1.Descriptor{}}
}

func (s *Store) readIndex() (v1.Index, error) {
	data, err := os.ReadFile(s.path(v1.ImageIndexFile))
	if err != nil {
		return v1.Index{}, fmt.Errorf("read the store's index: %w", err)
	}
	var idx v1.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return v1.Index{}, fmt.Errorf("%s: %w", s.path(v1.ImageIndexFile), err)
	}
	return idx, nil
}

// readIndexNames reads what finding an image takes of the index: its
// manifests' digests and annotations (a third of the work of readIndex, in
// the start of every gun run).
func (s *Store) readIndexNames() (v1.Index, error) {
	data, err := os.ReadFile(s.path(v1.ImageIndexFile))
	if err != nil {
		return v1.Index{}, fmt.Errorf("read the store's index: %w", err)
	}
	var names struct {
		Manifests []struct {
			Digest      digest.Digest
			Annotations map[string]string
		}
	}
	if err := json.Unmarshal(data, &names); err != nil {
		return v1.Index{}, fmt.Errorf("%s: %w", s.path(v1.ImageIndexFile), err)
	}
	idx := v1.Index{Manifests: make([]v1.Descriptor, len(names.Manifests))}
	for i, m := range names.Manifests {
		idx.Manifests[i] = v1.Descriptor{Digest: m.Digest, Annotations: m.Annotations}
	}
	return idx, nil
}

func (s *Store) writeIndex(idx v1.Index) error {
	data, err := json.MarshalIndent(idx, "", "\t")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path(v1.ImageIndexFile), append(data, '\n'))
}

// updateIndex rewrites index.json with fn's changes under index.lock; an
// index fn did not change is not written (a pull of an image the store
// has, named as it was, writes nothing).
func (s *Store) updateIndex(fn func(idx *v1.Index) error) error {
	unlock, err := s.lock(indexLock, true)
	if err != nil {
		return err
	}
	defer unlock()
	idx, err := s.readIndex()
	if err != nil {
		return err
	}
	before, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	if err := fn(&idx); err != nil {
		return err
	}
	if after, err := json.Marshal(idx); err == nil && bytes.Equal(after, before) {
		return nil
	}
	return s.writeIndex(idx)
}

// validName reports whether name is a repository of slash-separated
// components, each of lowercase letters and digits with runs of '.', '_'
// and '-' inside, the first of which may end in a registry's ":port" when
// more follow, then an optional ":tag" of at most 128 letters, digits, '.',
// '_' and '-', not starting with '.' or '-'. It is the regular expression
// of the fuzz test FuzzValidName, by hand: compiling that costs every gun
// run half a millisecond.
func validName(name string) bool {
	repo, tag, hasTag := name, "", false
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		repo, tag, hasTag = name[:i], name[i+1:], true
	}
	comps := strings.Split(repo, "/")
	if host, port, ok := strings.Cut(comps[0], ":"); ok {
		if len(comps) == 1 || port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return false
		}
		comps[0] = host
	}
	for _, c := range comps {
		if c == "" || !lowerAlnum(c[0]) || !lowerAlnum(c[len(c)-1]) {
			return false
		}
		for i := 0; i < len(c); i++ {
			if !lowerAlnum(c[i]) && c[i] != '.' && c[i] != '_' && c[i] != '-' {
				return false
			}
		}
	}
	return !hasTag || validKey(tag, 128)
}

func lowerAlnum(b byte) bool { return 'a' <= b && b <= 'z' || '0' <= b && b <= '9' }

// validKey reports whether s is 1 to max letters, digits, '.', '_' and '-',
// not starting with '.' or '-'.
func validKey(s string, max int) bool {
	if s == "" || len(s) > max || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !lowerAlnum(b) && !('A' <= b && b <= 'Z') && b != '.' && b != '_' && b != '-' {
			return false
		}
	}
	return true
}

// NormalizeName checks an image name ("alpine", "example.com/app:1.0") and
// adds the tag "latest" if it has none.
func NormalizeName(name string) (string, error) {
	if !validName(name) {
		return "", fmt.Errorf("invalid image name %q: use lowercase letters, digits, '.', '_', '-' and '/' (a registry's host:port first), then an optional :tag", name)
	}
	if i := strings.LastIndexByte(name, '/'); !strings.Contains(name[i+1:], ":") {
		name += ":latest"
	}
	return name, nil
}

// refName is the name an index entry gives its image.
func refName(d v1.Descriptor) string { return d.Annotations[v1.AnnotationRefName] }

// setRef points name at the manifest desc in idx, replacing what it named.
func setRef(idx *v1.Index, name string, desc v1.Descriptor) {
	idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d v1.Descriptor) bool { return refName(d) == name })
	desc.Annotations = map[string]string{v1.AnnotationRefName: name}
	idx.Manifests = append(idx.Manifests, desc)
	slices.SortFunc(idx.Manifests, func(a, b v1.Descriptor) int { return strings.Compare(refName(a), refName(b)) })
}

// Image is an image in the store.
type Image struct {
	Name string // "" for an image kept without a name
	// Imported says that the image is an archive a build or a run
	// imported, kept without a name.
	Imported bool
	Manifest v1.Manifest
	// Descriptor is the manifest's descriptor; its digest names the image.
	Descriptor v1.Descriptor
	Config     Config
	// Source is the registry the image was pulled from, if it was.
	Source Source
}

// ID is the image's config digest, as docker and podman show it.
func (img *Image) ID() digest.Digest { return img.Manifest.Config.Digest }

// Image looks up an image by name (a missing tag means "latest") or by a
// unique prefix of its ID.
func (s *Store) Image(name string) (*Image, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	desc, err := s.find(idx, name)
	if err != nil {
		return nil, err
	}
	return s.loadImage(desc)
}

func (s *Store) find(idx v1.Index, name string) (v1.Descriptor, error) {
	if n, err := NormalizeName(name); err == nil {
		for _, d := range idx.Manifests {
			if refName(d) == n {
				return d, nil
			}
		}
	}
	// A manifest digest, named or not.
	if strings.HasPrefix(name, "sha256:") && len(name) == len("sha256:")+64 {
		for _, d := range idx.Manifests {
			if d.Digest.String() == name {
				return d, nil
			}
		}
	}
	// An ID prefix, as `gun images` shows it.
	id := strings.TrimPrefix(name, "sha256:")
	if len(id) >= 4 && strings.Trim(id, "0123456789abcdef") == "" {
		var found []v1.Descriptor
		for _, d := range idx.Manifests {
			var m v1.Manifest
			if s.readBlobJSON(d.Digest, &m) == nil && strings.HasPrefix(m.Config.Digest.Encoded(), id) {
				found = append(found, d)
			}
		}
		if len(found) > 0 && allSame(found) {
			return found[0], nil
		}
		if len(found) > 1 {
			return v1.Descriptor{}, fmt.Errorf("image ID %s is ambiguous", name)
		}
	}
	return v1.Descriptor{}, fmt.Errorf("image %s not found", name)
}

func allSame(ds []v1.Descriptor) bool {
	for _, d := range ds {
		if d.Digest != ds[0].Digest {
			return false
		}
	}
	return true
}

func (s *Store) loadImage(desc v1.Descriptor) (*Image, error) {
	img := &Image{Name: refName(desc), Imported: desc.Annotations[annImported] != "", Descriptor: desc, Source: sourceOf(desc)}
	if err := s.readBlobJSON(desc.Digest, &img.Manifest); err != nil {
		return nil, fmt.Errorf("image %s: manifest: %w", img.Name, err)
	}
	if err := s.readBlobJSON(img.Manifest.Config.Digest, &img.Config); err != nil {
		return nil, fmt.Errorf("image %s: config: %w", img.Name, err)
	}
	if len(img.Config.RootFS.DiffIDs) != len(img.Manifest.Layers) {
		return nil, fmt.Errorf("image %s: the config lists %d layers, the manifest %d", img.Name, len(img.Config.RootFS.DiffIDs), len(img.Manifest.Layers))
	}
	return img, nil
}

// Images lists the images in the store, in the index's order: the named
// ones, and those kept without a name (pulled by a build or a run, or
// imported archives) that no name holds as well.
func (s *Store) Images() ([]*Image, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var imgs []*Image
	for _, d := range idx.Manifests {
		if refName(d) == "" && named(idx, d.Digest) {
			continue
		}
		img, err := s.loadImage(d)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}

// named reports whether an image of idx with the manifest d has a name.
func named(idx v1.Index, d digest.Digest) bool {
	return slices.ContainsFunc(idx.Manifests, func(e v1.Descriptor) bool { return e.Digest == d && refName(e) != "" })
}

// Remove deletes the name of an image. Its content stays until Prune.
func (s *Store) Remove(name string) error {
	return s.updateIndex(func(idx *v1.Index) error {
		desc, err := s.find(*idx, name)
		if err != nil {
			return err
		}
		// By name, that name goes; by ID, every name of the image.
		byName := false
		if n, err := NormalizeName(name); err == nil && n == refName(desc) {
			byName = true
		}
		idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d v1.Descriptor) bool {
			if byName {
				return refName(d) == refName(desc)
			}
			return d.Digest == desc.Digest
		})
		return nil
	})
}
