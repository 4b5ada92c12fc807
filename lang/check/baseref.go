package check

import (
	"strings"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
)

// archiveSuffixes end the names of files a quoted base may name.
var archiveSuffixes = []string{".tar", ".tgz", ".gz", ".zst", ".xz", ".bz2", ".oci", ".tar.gz"}

// unpinnedBase reports whether a quoted base is a registry reference
// that names no version: one with the tag latest, or one without a tag
// or digest whose path has a '/' (library/debian, quay.io/org/app). A
// bare word (debian, app) is as likely an image of the local store, and a
// path or URL is a file. It is a string rule: lang knows no registry.
func unpinnedBase(s string) (name string, latest, ok bool) {
	if s == "" || strings.Contains(s, "@") || strings.Contains(s, "://") ||
		strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return "", false, false
	}
	for _, suf := range archiveSuffixes {
		if strings.HasSuffix(s, suf) {
			return "", false, false
		}
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || strings.ContainsRune("._-/:", r)) {
			return "", false, false
		}
	}
	name, tag := s, ""
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, '/') {
		name, tag = s[:i], s[i+1:]
	}
	switch {
	case tag == "latest":
		return name, true, true
	case tag == "" && strings.Contains(name, "/"):
		return name, false, true
	}
	return "", false, false
}

// baseRef warns about a Using of a registry image without a version.
func (c *checker) baseRef(b *ast.String) {
	if len(b.Refs) > 0 || b.Heredoc != "" {
		return
	}
	name, latest, ok := unpinnedBase(b.Value)
	if !ok {
		return
	}
	what := "has no tag"
	if latest {
		what = "uses the tag latest"
	}
	c.report(diag.Warning, diag.UnpinnedBase, b.Range,
		"base %q %s, which names whatever was pushed last: name a version (%s:TAG) or a digest (%s@sha256:...); Gunfile.sum pins what the first build got",
		b.Value, what, name, name)
}
