package lsp

import "go.lsp.dev/protocol"

// analysis is what the front end says about one version of a document.
type analysis struct {
	diagnostics []protocol.Diagnostic
}

func analyze(uri protocol.DocumentURI, m *Mapper) *analysis {
	return &analysis{diagnostics: []protocol.Diagnostic{}}
}
