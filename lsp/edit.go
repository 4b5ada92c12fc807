package lsp

import (
	"bytes"
	"context"
	"slices"

	udiff "github.com/aymanbagabas/go-udiff"
	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/format"
	"github.com/gun-tools/gun/lang/source"
)

// This file holds the features that change the document: formatting and
// code actions.

// formatEdits returns the edits that turn the snapshot into `gun fmt`'s
// output, as whole-line changes, or nothing for a file with syntax errors
// (gun fmt refuses those too; the diagnostics already show why).
func formatEdits(snap *snapshot) ([]udiff.Edit, error) {
	an := snap.analysis()
	if !an.syntaxOK {
		return nil, nil
	}
	// format.SourceFile parses and prints; the parse is already done.
	var buf bytes.Buffer
	if err := format.Node(&buf, an.file); err != nil {
		return nil, err
	}
	if buf.String() == snap.text() {
		return nil, nil
	}
	return udiff.Lines(snap.text(), buf.String()), nil
}

func toTextEdits(m *Mapper, edits []udiff.Edit) []protocol.TextEdit {
	out := make([]protocol.TextEdit, len(edits))
	for i, e := range edits {
		out[i] = protocol.TextEdit{Range: m.Range(e.Start, e.End), NewText: e.New}
	}
	return out
}

func formatting(_ context.Context, _ *server, snap *snapshot, _ *protocol.DocumentFormattingParams) (any, error) {
	edits, err := formatEdits(snap)
	if err != nil {
		return nil, err
	}
	return toTextEdits(snap.m, edits), nil
}

// rangeFormatting applies gun fmt's changes to the lines the range touches.
func rangeFormatting(_ context.Context, _ *server, snap *snapshot, p *protocol.DocumentRangeFormattingParams) (any, error) {
	if _, _, err := snap.m.RangeOffsets(p.Range); err != nil {
		return nil, invalidParams(err)
	}
	edits, err := formatEdits(snap)
	if err != nil {
		return nil, err
	}
	// Edits replace whole lines [a, b); keep those that touch the range's
	// lines [first, last], and insertions (a == b) next to them.
	first, last := p.Range.Start.Line, p.Range.End.Line
	if p.Range.End.Character == 0 && last > first {
		last-- // a range ending at the start of a line does not include it
	}
	edits = slices.DeleteFunc(edits, func(e udiff.Edit) bool {
		a, b := snap.m.Position(e.Start).Line, snap.m.Position(e.End).Line
		if a == b {
			return a < first || a > last+1
		}
		return b <= first || a > last
	})
	return toTextEdits(snap.m, edits), nil
}

func codeAction(_ context.Context, _ *server, snap *snapshot, p *protocol.CodeActionParams) (any, error) {
	if len(p.Context.Only) > 0 && !slices.ContainsFunc(p.Context.Only, func(k protocol.CodeActionKind) bool {
		return k == protocol.QuickFix || k == "" || k == "quickfix"
	}) {
		return []protocol.CodeAction{}, nil
	}
	start, end, err := snap.m.RangeOffsets(p.Range)
	if err != nil {
		return nil, invalidParams(err)
	}
	want := source.Range{Start: source.Pos(start), End: source.Pos(end)}
	an := snap.analysis()
	actions := []protocol.CodeAction{}
	for i, d := range an.diags {
		if len(d.Fixes) == 0 || !overlaps(d.Range, want) {
			continue
		}
		for j, fix := range d.Fixes {
			actions = append(actions, protocol.CodeAction{
				Title:       fix.Title,
				Kind:        protocol.QuickFix,
				Diagnostics: []protocol.Diagnostic{an.diagnostics[i]},
				IsPreferred: j == 0,
				Edit: &protocol.WorkspaceEdit{Changes: map[protocol.DocumentURI][]protocol.TextEdit{
					snap.uri: toEdits(snap.m, fix.Edits),
				}},
			})
		}
	}
	return actions, nil
}

// overlaps reports whether a and b share a position; touching counts, so a
// cursor at the end of a word is on it.
func overlaps(a, b source.Range) bool { return a.Start <= b.End && b.Start <= a.End }
