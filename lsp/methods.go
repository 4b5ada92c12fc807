package lsp

import (
	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// methods maps every protocol method the server implements to its handler.
// Anything else is answered with "method not found".
var methods = map[string]method{
	protocol.MethodInitialize:  immediate(initialize),
	protocol.MethodInitialized: notification(func(*server, *struct{}) error { return nil }),
	protocol.MethodShutdown:    immediate(shutdown),
	protocol.MethodSetTrace:    notification(func(*server, *struct{}) error { return nil }),

	protocol.MethodTextDocumentDidOpen:   notification(didOpen),
	protocol.MethodTextDocumentDidChange: notification(didChange),
	protocol.MethodTextDocumentDidClose:  notification(didClose),
	protocol.MethodTextDocumentDidSave:   notification(func(*server, *struct{}) error { return nil }),

	protocol.MethodTextDocumentCompletion:      request(uriOfPosition[protocol.CompletionParams], completion),
	protocol.MethodTextDocumentHover:           request(uriOfPosition[protocol.HoverParams], hover),
	protocol.MethodTextDocumentDefinition:      request(uriOfPosition[protocol.DefinitionParams], definition),
	protocol.MethodTextDocumentReferences:      request(uriOfPosition[protocol.ReferenceParams], references),
	protocol.MethodTextDocumentPrepareRename:   request(uriOfPosition[protocol.PrepareRenameParams], prepareRename),
	protocol.MethodTextDocumentRename:          request(uriOfPosition[protocol.RenameParams], rename),
	protocol.MethodTextDocumentFormatting:      request(func(p *protocol.DocumentFormattingParams) protocol.DocumentURI { return p.TextDocument.URI }, formatting),
	protocol.MethodTextDocumentRangeFormatting: request(func(p *protocol.DocumentRangeFormattingParams) protocol.DocumentURI { return p.TextDocument.URI }, rangeFormatting),
	protocol.MethodTextDocumentDocumentSymbol:  request(func(p *protocol.DocumentSymbolParams) protocol.DocumentURI { return p.TextDocument.URI }, documentSymbol),
	protocol.MethodTextDocumentFoldingRange:    request(func(p *protocol.FoldingRangeParams) protocol.DocumentURI { return p.TextDocument.URI }, foldingRange),
	protocol.MethodSemanticTokensFull:          request(func(p *protocol.SemanticTokensParams) protocol.DocumentURI { return p.TextDocument.URI }, semanticTokens),
	protocol.MethodTextDocumentDocumentLink:    request(func(p *protocol.DocumentLinkParams) protocol.DocumentURI { return p.TextDocument.URI }, documentLink),
	protocol.MethodTextDocumentCodeAction:      request(func(p *protocol.CodeActionParams) protocol.DocumentURI { return p.TextDocument.URI }, codeAction),
}

// positioned is a request's params that name a position in a document.
type positioned interface {
	protocol.CompletionParams | protocol.HoverParams | protocol.DefinitionParams | protocol.ReferenceParams |
		protocol.PrepareRenameParams | protocol.RenameParams
}

func uriOfPosition[P positioned](p *P) protocol.DocumentURI {
	switch p := any(p).(type) {
	case *protocol.CompletionParams:
		return p.TextDocument.URI
	case *protocol.HoverParams:
		return p.TextDocument.URI
	case *protocol.DefinitionParams:
		return p.TextDocument.URI
	case *protocol.ReferenceParams:
		return p.TextDocument.URI
	case *protocol.PrepareRenameParams:
		return p.TextDocument.URI
	case *protocol.RenameParams:
		return p.TextDocument.URI
	}
	return ""
}

// initializeParams is the part of InitializeParams the server reads.
type initializeParams struct {
	Capabilities struct {
		TextDocument struct {
			Completion struct {
				CompletionItem struct {
					SnippetSupport bool `json:"snippetSupport"`
				} `json:"completionItem"`
			} `json:"completion"`
			Hover struct {
				ContentFormat []protocol.MarkupKind `json:"contentFormat"`
			} `json:"hover"`
			DocumentSymbol struct {
				Hierarchical bool `json:"hierarchicalDocumentSymbolSupport"`
			} `json:"documentSymbol"`
		} `json:"textDocument"`
	} `json:"capabilities"`
}

func initialize(s *server, p *initializeParams) (any, error) {
	td := p.Capabilities.TextDocument
	caps := clientCaps{snippets: td.Completion.CompletionItem.SnippetSupport, flatSymbols: !td.DocumentSymbol.Hierarchical}
	for _, k := range td.Hover.ContentFormat {
		if k == protocol.Markdown {
			caps.markdown = true
		}
	}
	s.mu.Lock()
	s.state = running
	s.caps = caps
	s.mu.Unlock()
	return protocol.InitializeResult{
		Capabilities: serverCapabilities(),
		ServerInfo:   &protocol.ServerInfo{Name: "gun", Version: s.version},
	}, nil
}

func shutdown(s *server, _ *struct{}) (any, error) {
	s.mu.Lock()
	s.state = shuttingDown
	s.mu.Unlock()
	return nil, nil
}

func serverCapabilities() protocol.ServerCapabilities {
	return protocol.ServerCapabilities{
		TextDocumentSync: protocol.TextDocumentSyncOptions{
			OpenClose: true,
			Change:    protocol.TextDocumentSyncKindIncremental,
		},
		CompletionProvider:              &protocol.CompletionOptions{TriggerCharacters: []string{"$", "{", "/", `"`}},
		HoverProvider:                   true,
		DefinitionProvider:              true,
		ReferencesProvider:              true,
		RenameProvider:                  &protocol.RenameOptions{PrepareProvider: true},
		DocumentFormattingProvider:      true,
		DocumentRangeFormattingProvider: true,
		DocumentSymbolProvider:          true,
		FoldingRangeProvider:            true,
		DocumentLinkProvider:            &protocol.DocumentLinkOptions{},
		CodeActionProvider:              &protocol.CodeActionOptions{CodeActionKinds: []protocol.CodeActionKind{protocol.QuickFix}},
		SemanticTokensProvider: &semanticTokensOptions{
			Legend: protocol.SemanticTokensLegend{TokenTypes: tokenTypes, TokenModifiers: tokenModifiers},
			Full:   true,
		},
	}
}

// didChangeParams is textDocument/didChange's params with changes that keep
// "no range" apart from an empty range.
type didChangeParams struct {
	TextDocument   protocol.VersionedTextDocumentIdentifier `json:"textDocument"`
	ContentChanges []change                                 `json:"contentChanges"`
}

func didOpen(s *server, p *protocol.DidOpenTextDocumentParams) error {
	snap := s.docs.open(p.TextDocument.URI, p.TextDocument.Version, p.TextDocument.Text)
	s.diag.schedule(snap, 0)
	return nil
}

func didChange(s *server, p *didChangeParams) error {
	snap, err := s.docs.change(p.TextDocument.URI, p.TextDocument.Version, p.ContentChanges)
	if err != nil {
		return err
	}
	s.diag.schedule(snap, s.diag.delay)
	return nil
}

func didClose(s *server, p *protocol.DidCloseTextDocumentParams) error {
	if !s.docs.close(p.TextDocument.URI) {
		return jsonrpc2.Errorf(jsonrpc2.InvalidParams, "close of %s, which is not open", p.TextDocument.URI)
	}
	s.diag.clear(p.TextDocument.URI)
	return nil
}
