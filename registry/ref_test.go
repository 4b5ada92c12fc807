package registry

import (
	"testing"

	"github.com/distribution/reference"
)

// refSeeds cover each part of Docker's reference grammar.
var refSeeds = []string{
	"alpine", "alpine:3.20", "library/alpine", "docker.io/alpine", "index.docker.io/library/alpine:1",
	"me/app", "docker.io/me/app:v1", "localhost/app", "localhost:5000/app:1", "127.0.0.1:5000/a/b/c",
	"quay.io/org/app@sha256:" + hex64, "app:tag@sha256:" + hex64, "[::1]:5000/app", "[fe80::1]/app",
	"Host.example/app", "a.b-c.d:1/x__y.z-w--v", "UPPER", "app:", ":tag", "app@sha256:short", "/app",
	"app/", "a//b", "a_/b", "-a", "a-", "host:port/app", "host:/app", "my_host.io/app", hex64,
	"docker.io/" + hex64, "app:-tag", "app:.tag", "app:" + string(make([]byte, 129)), "ex.com:80:90/a",
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// The reference implementation's answer: the full name and tag and
// digest, or an error.
func docker(s string) (name, tag, dgst string, ok bool) {
	n, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return "", "", "", false
	}
	name = n.Name()
	if t, ok := n.(reference.Tagged); ok {
		tag = t.Tag()
	}
	if d, ok := n.(reference.Digested); ok {
		dgst = d.Digest().String()
	}
	return name, tag, dgst, true
}

func checkRef(t *testing.T, s string) {
	name, tag, dgst, ok := docker(s)
	r, err := parseRef(s)
	if ok && !hasDomain(s) {
		// Docker reads a first component that looks like a host but is
		// none as a path with no registry, which no registry serves.
		if err == nil {
			t.Fatalf("%q: Docker names no registry, gun takes %s", s, r.Host())
		}
		return
	}
	if ok != (err == nil) {
		t.Fatalf("%q: distribution/reference ok=%v, gun: %v", s, ok, err)
	}
	if !ok {
		return
	}
	if r.Name() != name || r.Tag != tag || string(r.Digest) != dgst {
		t.Fatalf("%q: gun %s %q %q, distribution/reference %s %q %q", s, r.Name(), r.Tag, r.Digest, name, tag, dgst)
	}
	n, _ := reference.ParseNormalizedNamed(s)
	if r.Host() != reference.Domain(n) || r.Path() != reference.Path(n) || r.familiar() != reference.FamiliarName(n) {
		t.Fatalf("%q: gun %s %s %s, distribution/reference %s %s %s", s, r.Host(), r.Path(), r.familiar(),
			reference.Domain(n), reference.Path(n), reference.FamiliarName(n))
	}
}

func TestParseRefAsDocker(t *testing.T) {
	for _, s := range refSeeds {
		checkRef(t, s)
	}
	r, err := ParseRef("debian")
	if err != nil || r.String() != "docker.io/library/debian:latest" || r.StoreName() != "debian:latest" {
		t.Errorf("ParseRef(debian) = %v (%s, %s)", err, r, r.StoreName())
	}
}

// FuzzParseRef compares the hand-written parser with Docker's.
func FuzzParseRef(f *testing.F) {
	for _, s := range refSeeds {
		f.Add(s)
	}
	f.Fuzz(checkRef)
}

// hasDomain reports whether Docker's name for s kept a registry host: not
// so when the first component of s looks like a host but is not one.
func hasDomain(s string) bool {
	n, err := reference.ParseNormalizedNamed(s)
	return err == nil && reference.Domain(n) != ""
}
