package lsp

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/source"
)

// This file holds the features that show a document's structure: symbols,
// folding ranges and document links.

// documentSymbol answers with the stages, each containing its
// instructions, and the instructions before the first stage. The answer is
// encoded once per version of the document (editors ask again after every
// edit, and often more than once) and written out as it is: a 5,000-line
// file has 5,000 symbols, over a megabyte of JSON.
func documentSymbol(_ context.Context, _ *server, snap *snapshot, _ *protocol.DocumentSymbolParams) (any, error) {
	snap.outline.Store(true)
	return snap.symbols(), nil
}

// symbols returns the snapshot's document symbols as JSON, encoding them on
// first use.
func (s *snapshot) symbols() encoded {
	s.symOnce.Do(func() {
		s.syms = encodeSymbols(s.analysis().file, s.m)
		s.symsReady.Store(true)
	})
	return s.syms
}

// encodeSymbols encodes the protocol's DocumentSymbol[] for f by hand:
// encoding/json (or segmentio's) on protocol.DocumentSymbol values takes
// several times as long, and escapes every "&&" of a command as
// "\u0026\u0026".
func encodeSymbols(f *ast.File, m *Mapper) encoded {
	text := m.Text()
	w := symWriter{c: m.cursor(), b: make([]byte, 0, 64+len(text)*6)}
	w.b = append(w.b, '[')
	for _, in := range f.Prelude {
		w.instr(text, in)
	}
	for i, st := range f.Stages {
		name := st.Name()
		if name == "" {
			name = fmt.Sprintf("stage %d", i+1)
		}
		sel := st.Using.Kw.Range
		if st.Using.As != nil {
			sel = st.Using.As.Range
		}
		detail, cut := firstLineCut(text, st.Using.Range)
		w.open(name, "", detail, cut, protocol.SymbolKindModule, st.Range, sel)
		w.b = append(w.b, `,"children":[`...)
		for _, in := range st.Body {
			w.instr(text, in)
		}
		w.b = append(w.b, "]}"...)
	}
	w.b = append(w.b, ']')
	return w.b
}

// symWriter appends DocumentSymbol objects to a JSON array.
type symWriter struct {
	b []byte
	c *cursor
}

// open appends a symbol without its closing brace, after a comma if it is
// not the first element of its array. Its detail is the words pre and
// detail, either of which may be empty, and "..." if detail was cut short.
func (w *symWriter) open(name, pre, detail string, cut bool, kind protocol.SymbolKind, rng, sel source.Range) {
	if last := w.b[len(w.b)-1]; last != '[' {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, `{"name":`...)
	w.b = appendJSONString(w.b, name)
	if pre != "" || detail != "" {
		w.b = append(w.b, `,"detail":"`...)
		w.b = appendEscaped(w.b, pre)
		if pre != "" && detail != "" {
			w.b = append(w.b, ' ')
		}
		w.b = appendEscaped(w.b, detail)
		if cut {
			w.b = append(w.b, "..."...)
		}
		w.b = append(w.b, '"')
	}
	w.b = append(w.b, `,"kind":`...)
	w.b = strconv.AppendUint(w.b, uint64(kind), 10)
	// In offset order, which the cursor converts fastest.
	start, selStart, selEnd := w.c.Position(int(rng.Start)), w.c.Position(int(sel.Start)), w.c.Position(int(sel.End))
	end := w.c.Position(int(rng.End))
	w.b = append(w.b, `,"range":`...)
	w.b = appendRange(w.b, start, end)
	w.b = append(w.b, `,"selectionRange":`...)
	w.b = appendRange(w.b, selStart, selEnd)
}

// instr appends the symbol of one instruction: Args and Envs by their
// variable's name, the others by their keyword, with the rest of the line as
// detail.
func (w *symWriter) instr(text string, in ast.Instr) {
	kw, kwRange := in.Keyword()
	if kw == "" {
		kw = "?"
	}
	span := in.Span()
	name, pre, kind, sel := kw, "", protocol.SymbolKindFunction, kwRange
	rest := source.Range{Start: kwRange.End, End: span.End}
	var ident *ast.Ident
	switch n := in.(type) {
	case *ast.Arg:
		ident, kind = n.Name, protocol.SymbolKindVariable
	case *ast.Env:
		ident, kind = n.Name, protocol.SymbolKindVariable
	case *ast.Copy:
		kind = protocol.SymbolKindFile
	case *ast.Label, *ast.User, *ast.Workdir:
		kind = protocol.SymbolKindProperty
	}
	if ident != nil && ident.Name != "" {
		name, pre, sel = ident.Name, kw, ident.Range
		rest.Start = ident.End
	}
	detail, cut := firstLineCut(text, rest)
	w.open(name, pre, detail, cut, kind, span, sel)
	w.b = append(w.b, '}')
}

func appendRange(b []byte, start, end protocol.Position) []byte {
	b = append(b, `{"start":`...)
	b = appendPosition(b, start)
	b = append(b, `,"end":`...)
	b = appendPosition(b, end)
	return append(b, '}')
}

func appendPosition(b []byte, p protocol.Position) []byte {
	b = append(b, `{"line":`...)
	b = strconv.AppendUint(b, uint64(p.Line), 10)
	b = append(b, `,"character":`...)
	b = strconv.AppendUint(b, uint64(p.Character), 10)
	return append(b, '}')
}

// firstLine returns the text of r up to its first line break, trimmed and
// shortened for display.
func firstLine(text string, r source.Range) string {
	s, cut := firstLineCut(text, r)
	if cut {
		return s + "..."
	}
	return s
}

// firstLineCut is firstLine without the "..." that marks a shortened line:
// it reports whether s was shortened instead.
func firstLineCut(text string, r source.Range) (s string, cut bool) {
	if r.Start < 0 || int(r.End) > len(text) || r.End < r.Start {
		return "", false
	}
	s = text[r.Start:r.End]
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) > 48 {
		i := 45
		for i > 0 && s[i]&0xC0 == 0x80 {
			i--
		}
		return s[:i], true
	}
	return s, false
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
