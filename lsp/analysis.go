package lsp

import (
	"slices"

	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/source"
)

// analysis is what the front end says about one version of a document.
type analysis struct {
	file        *ast.File
	info        *check.Info       // the symbol table
	syntaxOK    bool              // the parser found no errors (so the file can be formatted)
	diags       []diag.Diagnostic // the parser's and the checker's, in source order
	diagnostics encoded           // diags for the protocol: a JSON array of Diagnostic
}

// analyze analyses the document m; cache, if not nil, holds the shell
// analysis of its earlier versions.
func analyze(uri protocol.DocumentURI, m *Mapper, cache *check.Cache) *analysis {
	f, ds := parser.Parse(filename(uri), []byte(m.Text()))
	syntaxOK := !diag.HasErrors(ds)
	resolve := check.Resolve
	if cache != nil {
		resolve = cache.Resolve
	}
	info, checked := resolve(f)
	ds = append(ds, checked...)
	slices.SortStableFunc(ds, func(a, b diag.Diagnostic) int { return int(a.Range.Start - b.Range.Start) })
	return &analysis{file: f, info: info, syntaxOK: syntaxOK, diags: ds, diagnostics: encodeDiagnostics(uri, m, ds)}
}

// brokenAnalysis is the analysis of an empty file, with msg as its one
// diagnostic.
func brokenAnalysis(uri protocol.DocumentURI, m *Mapper, msg string) *analysis {
	f, _ := parser.Parse(filename(uri), nil)
	info, _ := check.Resolve(f)
	d := diag.Diagnostic{Severity: diag.Error, Message: msg}
	ds := []diag.Diagnostic{d}
	return &analysis{file: f, info: info, diags: ds, diagnostics: encodeDiagnostics(uri, m, ds)}
}

// filename returns the path of a file: URI, or the URI itself.
func filename(uri protocol.DocumentURI) string {
	if fn := uri.Filename(); fn != "" {
		return fn
	}
	return string(uri)
}

var severities = map[diag.Severity]protocol.DiagnosticSeverity{
	diag.Error:   protocol.DiagnosticSeverityError,
	diag.Warning: protocol.DiagnosticSeverityWarning,
	diag.Info:    protocol.DiagnosticSeverityInformation,
}

// severity is d's severity for the protocol.
func severity(d diag.Diagnostic) protocol.DiagnosticSeverity {
	if s, ok := severities[d.Severity]; ok {
		return s
	}
	return protocol.DiagnosticSeverityError
}

// toDiagnostic converts one diagnostic; encodeDiagnostics is the same for
// a whole list, encoded.
func toDiagnostic(uri protocol.DocumentURI, m *cursor, d diag.Diagnostic) protocol.Diagnostic {
	pd := protocol.Diagnostic{
		Range:    m.Range(int(d.Range.Start), int(d.Range.End)),
		Severity: severity(d),
		Source:   "gun",
		Message:  d.Message,
	}
	if d.Code != "" {
		pd.Code = string(d.Code)
	}
	for _, r := range d.Related {
		pd.RelatedInformation = append(pd.RelatedInformation, protocol.DiagnosticRelatedInformation{
			Location: protocol.Location{URI: uri, Range: m.Range(int(r.Range.Start), int(r.Range.End))},
			Message:  r.Message,
		})
	}
	return pd
}

func toRange(m *Mapper, r source.Range) protocol.Range {
	return m.Range(int(r.Start), int(r.End))
}

func toEdits(m *Mapper, edits []diag.Edit) []protocol.TextEdit {
	out := make([]protocol.TextEdit, len(edits))
	for i, e := range edits {
		out[i] = protocol.TextEdit{Range: toRange(m, e.Range), NewText: e.NewText}
	}
	return out
}

// quoted returns the part of a quoted string's range inside its quotes.
func quoted(text string, r source.Range) source.Range {
	if r.Start < r.End && int(r.End) <= len(text) && text[r.Start] == '"' {
		r.Start++
		if r.Start < r.End && text[r.End-1] == '"' {
			r.End--
		}
	}
	return r
}
