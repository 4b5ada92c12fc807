// Package registry pulls images from OCI registries into gun's store and
// pushes them back, with oras-go as the distribution client. Names are
// normalized as Docker does (github.com/distribution/reference):
// "alpine:3.20" is docker.io/library/alpine:3.20.
package registry

import (
	"fmt"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// Ref is a normalized registry reference.
type Ref struct {
	Named  reference.Named
	Tag    string        // "" when only a digest was given
	Digest digest.Digest // "" when none was given; it wins over the tag
}

// ParseRef normalizes s: a missing registry is docker.io (library/ for a
// one-component path), a missing tag and digest is the tag latest.
func ParseRef(s string) (Ref, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return Ref{}, fmt.Errorf("invalid image reference %q: %w", s, err)
	}
	r := Ref{Named: reference.TrimNamed(named)}
	if t, ok := named.(reference.Tagged); ok {
		r.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		r.Digest = d.Digest()
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// Host is the registry's host[:port].
func (r Ref) Host() string { return reference.Domain(r.Named) }

// Path is the repository inside the registry, e.g. library/debian.
func (r Ref) Path() string { return reference.Path(r.Named) }

// Target is what to ask the registry for: the digest if there is one,
// else the tag.
func (r Ref) Target() string {
	if r.Digest != "" {
		return r.Digest.String()
	}
	return r.Tag
}

// String is the fully qualified reference, e.g.
// docker.io/library/debian:bookworm or host/repo@sha256:....
func (r Ref) String() string {
	s := r.Named.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// StoreName is the name a pulled image gets in the store, short as Docker
// shows it (debian:bookworm, localhost:5000/app:1), or "" for a reference
// by digest alone.
func (r Ref) StoreName() string {
	if r.Tag == "" {
		return ""
	}
	return reference.FamiliarName(r.Named) + ":" + r.Tag
}

// WithDigest is r pinned to d.
func (r Ref) WithDigest(d digest.Digest) Ref { r.Digest = d; return r }
