// Package registry pulls images from OCI registries into gun's store and
// pushes them back, with oras-go as the distribution client. Names are
// normalized as Docker does: "alpine:3.20" is docker.io/library/alpine:3.20.
package registry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Docker Hub's names.
const (
	hubDomain       = "docker.io"
	hubLegacyDomain = "index.docker.io"
	hubOfficial     = "library/"
)

// Ref is a normalized registry reference.
type Ref struct {
	domain, path string        // docker.io, library/debian
	Tag          string        // "" when only a digest was given
	Digest       digest.Digest // "" when none was given; it wins over the tag
}

// ParseRef normalizes s: a missing registry is docker.io (library/ for a
// one-component path), a missing tag and digest is the tag latest.
//
// It reads the grammar of github.com/distribution/reference, Docker's own
// (a fuzz test compares the two), by hand: that package compiles its
// regular expressions when gun starts, which cost every gun run 2 ms.
func ParseRef(s string) (Ref, error) {
	r, err := parseRef(s)
	if err != nil {
		return Ref{}, fmt.Errorf("invalid image reference %q: %w", s, err)
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

func parseRef(s string) (Ref, error) {
	var r Ref
	if s == "" {
		return r, errors.New("repository name must have at least one component")
	}
	name := s
	if at := strings.IndexByte(name, '@'); at >= 0 {
		d, err := digest.Parse(name[at+1:])
		if err != nil {
			return r, fmt.Errorf("invalid digest: %w", err)
		}
		r.Digest, name = d, name[:at]
	}
	// A tag follows the last colon after the last slash.
	if c := strings.LastIndexByte(name, ':'); c > strings.LastIndexByte(name, '/') {
		if !validTag(name[c+1:]) {
			return r, errors.New("invalid tag")
		}
		r.Tag, name = name[c+1:], name[:c]
	}
	if isHex64(name) {
		return r, errors.New("a 64-character hexadecimal string is an image ID, not a repository name")
	}
	first, rest, ok := strings.Cut(name, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first) {
		r.domain, r.path = first, rest
		if !validDomain(first) {
			// Docker's grammar then reads the whole name as a path
			// with no registry ("my_host.io/app"), which no registry
			// serves: refused.
			return r, errors.New("invalid registry host")
		}
	} else {
		r.domain, r.path = hubDomain, name
	}
	if r.domain == hubLegacyDomain {
		r.domain = hubDomain
	}
	if r.domain == hubDomain && !strings.Contains(r.path, "/") {
		r.path = hubOfficial + r.path
	}
	if strings.ToLower(r.path) != r.path {
		return r, errors.New("repository name must be lowercase")
	}
	for _, c := range strings.Split(r.path, "/") {
		if !validPathComponent(c) {
			return r, errors.New("invalid repository name")
		}
	}
	if len(r.domain)+1+len(r.path) > 255 {
		return r, errors.New("repository name must not be more than 255 characters")
	}
	return r, nil
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		if !isAlnum(s[i]) || s[i] > 'f' {
			return false
		}
	}
	return true
}

// validTag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func validTag(t string) bool {
	if t == "" || len(t) > 128 || t[0] == '.' || t[0] == '-' {
		return false
	}
	for i := range len(t) {
		c := t[i]
		if !(isAlnum(c) || 'A' <= c && c <= 'Z' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// validPathComponent: [a-z0-9]+ joined by '.', '_', '__' or runs of '-'.
func validPathComponent(c string) bool {
	if c == "" || !isAlnum(c[0]) || !isAlnum(c[len(c)-1]) {
		return false
	}
	for i := 0; i < len(c); i++ {
		if isAlnum(c[i]) {
			continue
		}
		switch {
		case c[i] == '.':
		case c[i] == '_' && c[i+1] == '_':
			i++
		case c[i] == '_':
		case c[i] == '-':
			for c[i+1] == '-' {
				i++
			}
		default:
			return false
		}
		if !isAlnum(c[i+1]) {
			return false
		}
	}
	return true
}

// validDomain: a host name of components [A-Za-z0-9] or with inner '-',
// joined by dots, or a bracketed IPv6 address, then an optional :port.
func validDomain(d string) bool {
	host, port := d, ""
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 || !validIPv6(d[1:end]) {
			return false
		}
		host, port = "", d[end+1:]
		if port != "" && port[0] != ':' {
			return false
		}
	} else if c := strings.IndexByte(d, ':'); c >= 0 {
		host, port = d[:c], d[c:]
	}
	if port != "" {
		if len(port) == 1 {
			return false
		}
		for i := 1; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false
			}
		}
	}
	if host == "" {
		return strings.HasPrefix(d, "[")
	}
	for _, c := range strings.Split(host, ".") {
		if c == "" || c[0] == '-' || c[len(c)-1] == '-' {
			return false
		}
		for i := range len(c) {
			if !(isAlnum(c[i]) || 'A' <= c[i] && c[i] <= 'Z' || c[i] == '-') {
				return false
			}
		}
	}
	return true
}

// validIPv6: hex digits and colons, as Docker's grammar allows inside
// brackets.
func validIPv6(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(isAlnum(c) && c <= 'f' || 'A' <= c && c <= 'F' || c == ':') {
			return false
		}
	}
	return true
}

// Host is the registry's host[:port].
func (r Ref) Host() string { return r.domain }

// Path is the repository inside the registry, e.g. library/debian.
func (r Ref) Path() string { return r.path }

// Name is the repository's full name, e.g. docker.io/library/debian.
func (r Ref) Name() string { return r.domain + "/" + r.path }

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
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// familiar is the repository's name as Docker shows it: debian for
// docker.io/library/debian, localhost:5000/app as it is.
func (r Ref) familiar() string {
	if r.domain != hubDomain {
		return r.Name()
	}
	if rest, ok := strings.CutPrefix(r.path, hubOfficial); ok && !strings.Contains(rest, "/") {
		return rest
	}
	return r.path
}

// StoreName is the name a pulled image gets in the store, short as Docker
// shows it (debian:bookworm, localhost:5000/app:1), or "" for a reference
// by digest alone.
func (r Ref) StoreName() string {
	if r.Tag == "" {
		return ""
	}
	return r.familiar() + ":" + r.Tag
}

// WithDigest is r pinned to d.
func (r Ref) WithDigest(d digest.Digest) Ref { r.Digest = d; return r }
