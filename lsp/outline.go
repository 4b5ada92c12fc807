package lsp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/source"
)

// This file holds the features that show a document's structure: symbols,
// folding ranges and document links.

func documentSymbol(_ context.Context, _ *server, snap *snapshot, _ *protocol.DocumentSymbolParams) (any, error) {
	an := snap.analysis()
	m := snap.m.cursor()
	syms := make([]protocol.DocumentSymbol, 0, len(an.file.Prelude)+len(an.file.Stages))
	for _, in := range an.file.Prelude {
		syms = append(syms, instrSymbol(m, snap.text(), in))
	}
	for i, st := range an.file.Stages {
		name := st.Name()
		if name == "" {
			name = fmt.Sprintf("stage %d", i+1)
		}
		sel := st.Using.Kw.Range
		if st.Using.As != nil {
			sel = st.Using.As.Range
		}
		sym := protocol.DocumentSymbol{
			Name:     name,
			Detail:   firstLine(snap.text(), st.Using.Range),
			Kind:     protocol.SymbolKindModule,
			Range:    m.Range(int(st.Start), int(st.End)),
			Children: make([]protocol.DocumentSymbol, 0, len(st.Body)),
		}
		sym.SelectionRange = m.Range(int(sel.Start), int(sel.End))
		for _, in := range st.Body {
			sym.Children = append(sym.Children, instrSymbol(m, snap.text(), in))
		}
		syms = append(syms, sym)
	}
	return syms, nil
}

// instrSymbol is the symbol of one instruction: Args and Envs by their
// variable's name, the others by their keyword, with the rest of the line as
// detail.
func instrSymbol(m *cursor, text string, in ast.Instr) protocol.DocumentSymbol {
	kw, kwRange := in.Keyword()
	if kw == "" {
		kw = "?"
	}
	span := in.Span()
	sym := protocol.DocumentSymbol{Name: kw, Kind: protocol.SymbolKindFunction}
	sym.Range = m.Range(int(span.Start), int(span.End))
	sym.SelectionRange = m.Range(int(kwRange.Start), int(kwRange.End))
	rest := source.Range{Start: kwRange.End, End: in.Span().End}
	var name *ast.Ident
	switch n := in.(type) {
	case *ast.Arg:
		name, sym.Kind = n.Name, protocol.SymbolKindVariable
	case *ast.Env:
		name, sym.Kind = n.Name, protocol.SymbolKindVariable
	case *ast.Copy:
		sym.Kind = protocol.SymbolKindFile
	case *ast.Label, *ast.User, *ast.Workdir:
		sym.Kind = protocol.SymbolKindProperty
	}
	if name != nil && name.Name != "" {
		sym.Name = name.Name
		sym.Detail = kw
		sym.SelectionRange = m.Range(int(name.Start), int(name.End))
		rest.Start = name.End
	}
	if d := firstLine(text, rest); d != "" {
		sym.Detail = strings.TrimSpace(sym.Detail + " " + d)
	}
	return sym
}

// firstLine returns the text of r up to its first line break, trimmed and
// shortened for display.
func firstLine(text string, r source.Range) string {
	if r.Start < 0 || int(r.End) > len(text) || r.End < r.Start {
		return ""
	}
	s := text[r.Start:r.End]
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) > 48 {
		i := 45
		for i > 0 && s[i]&0xC0 == 0x80 {
			i--
		}
		s = s[:i] + "..."
	}
	return s
}

func foldingRange(_ context.Context, _ *server, snap *snapshot, _ *protocol.FoldingRangeParams) (any, error) {
	an := snap.analysis()
	m := snap.m.cursor()
	folds := []protocol.FoldingRange{}
	add := func(r source.Range, kind protocol.FoldingRangeKind) {
		start, end := m.Position(int(r.Start)), m.Position(int(r.End))
		if end.Line > start.Line {
			folds = append(folds, protocol.FoldingRange{StartLine: start.Line, EndLine: end.Line, Kind: kind})
		}
	}
	for _, st := range an.file.Stages {
		add(st.Range, protocol.RegionFoldingRange)
	}
	ast.Inspect(an.file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.String:
			if n.Heredoc != "" {
				add(n.Range, protocol.RegionFoldingRange)
			}
			return false
		case *ast.List:
			add(n.Range, protocol.RegionFoldingRange)
			return false
		}
		return true
	})
	// Runs of comment lines.
	cs := an.file.Comments
	for i := 0; i < len(cs); {
		j := i
		for j+1 < len(cs) && m.Position(int(cs[j+1].Start)).Line == m.Position(int(cs[j].Start)).Line+1 {
			j++
		}
		if j > i {
			add(source.Range{Start: cs[i].Start, End: cs[j].End}, protocol.CommentFoldingRange)
		}
		i = j + 1
	}
	slices.SortFunc(folds, func(a, b protocol.FoldingRange) int { return int(a.StartLine) - int(b.StartLine) })
	return folds, nil
}
