package lsp

import (
	"bytes"
	"context"
	"slices"
	"strings"

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
	out := buf.String()
	if out == snap.text() {
		return nil, nil
	}
	if edits, ok := whitespaceEdits(snap.text(), out); ok {
		return edits, nil
	}
	return udiff.Lines(snap.text(), out), nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// whitespaceEdits returns the edits that turn src into out when the two
// differ only in whitespace, which is all the formatter changes: one edit
// per line of a whitespace run whose line breaks are unchanged, one per run
// otherwise. Small edits keep the editor's cursor and marks where they were,
// and let range formatting pick the lines it touches. It reports false if the
// texts differ in anything else.
func whitespaceEdits(src, out string) ([]udiff.Edit, bool) {
	var edits []udiff.Edit
	i, j := 0, 0
	for i < len(src) || j < len(out) {
		if !(i < len(src) && isSpace(src[i]) || j < len(out) && isSpace(out[j])) {
			if i == len(src) || j == len(out) || src[i] != out[j] {
				return nil, false
			}
			i++
			j++
			continue
		}
		// A whitespace run on either side (the other may be empty).
		i2, j2 := i, j
		for i2 < len(src) && isSpace(src[i2]) {
			i2++
		}
		for j2 < len(out) && isSpace(out[j2]) {
			j2++
		}
		a, b := src[i:i2], out[j:j2]
		switch {
		case a == b:
		case strings.Count(a, "\n") == strings.Count(b, "\n"):
			// Pair the pieces line by line.
			as, bs := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
			at := i
			for k := range as {
				if as[k] != bs[k] {
					edits = append(edits, udiff.Edit{Start: at, End: at + len(as[k]), New: bs[k]})
				}
				at += len(as[k])
			}
		default:
			edits = append(edits, udiff.Edit{Start: i, End: i2, New: b})
		}
		i, j = i2, j2
	}
	return edits, true
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
	// Keep the edits that lie within the range's lines.
	first, last := p.Range.Start.Line, p.Range.End.Line
	if p.Range.End.Character == 0 && last > first {
		last-- // a range ending at the start of a line does not include it
	}
	edits = slices.DeleteFunc(edits, func(e udiff.Edit) bool {
		a, b := snap.m.Position(e.Start), snap.m.Position(e.End)
		return a.Line < first || b.Line > last+1 || b.Line == last+1 && b.Character > 0
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
	c := snap.m.cursor()
	for _, d := range an.diags {
		if len(d.Fixes) == 0 || !overlaps(d.Range, want) {
			continue
		}
		for j, fix := range d.Fixes {
			actions = append(actions, protocol.CodeAction{
				Title:       fix.Title,
				Kind:        protocol.QuickFix,
				Diagnostics: []protocol.Diagnostic{toDiagnostic(snap.uri, c, d)},
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
