package lsp

import (
	"context"
	"path/filepath"
	"strings"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/gun-tools/gun/lang/ast"
)

// archiveSuffixes are the file name endings of the root-filesystem archives
// a Using base or Copy From can name.
var archiveSuffixes = []string{".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tzst"}

func isArchive(path string) bool {
	for _, s := range archiveSuffixes {
		if strings.HasSuffix(path, s) {
			return true
		}
	}
	return false
}

// contextDir is the build context an editor's Gunfile is built in: its
// directory (gun build's default).
func contextDir(doc protocol.DocumentURI) string {
	return filepath.Dir(filename(doc))
}

// documentLink links the archives and URLs that Using and Copy From name.
func documentLink(_ context.Context, _ *server, snap *snapshot, _ *protocol.DocumentLinkParams) (any, error) {
	an := snap.analysis()
	links := []protocol.DocumentLink{}
	add := func(e ast.Expr) {
		s, ok := e.(*ast.String)
		if !ok || s.Heredoc != "" || !s.Literal() {
			return
		}
		v := s.Value
		var target protocol.DocumentURI
		switch {
		case strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://"):
			target = protocol.DocumentURI(v)
		case isArchive(v):
			p := v
			if !filepath.IsAbs(p) {
				p = filepath.Join(contextDir(snap.uri), p)
			}
			target = uri.File(p)
		default:
			return
		}
		links = append(links, protocol.DocumentLink{Range: toRange(snap.m, quoted(snap.text(), s.Range)), Target: target})
	}
	for in := range an.file.Instrs() {
		switch n := in.(type) {
		case *ast.Using:
			add(n.Base)
		case *ast.Copy:
			if n.From != nil {
				add(n.From.Value)
			}
		}
	}
	return links, nil
}
