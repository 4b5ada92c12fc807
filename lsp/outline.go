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
// file has 5,000 symbols, over a megabyte of JSON. Clients without
// hierarchical symbols get the same symbols as a flat SymbolInformation[].
func documentSymbol(_ context.Context, s *server, snap *snapshot, _ *protocol.DocumentSymbolParams) (any, error) {
	if s.caps.flatSymbols {
		return flatSymbols(snap.analysis().file, snap.m, snap.uri), nil
	}
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
		w.instr(instrSymbol(text, in))
	}
	for i, st := range f.Stages {
		w.open(stageSymbol(text, i, st))
		w.b = append(w.b, `,"children":[`...)
		for _, in := range st.Body {
			w.instr(instrSymbol(text, in))
		}
		w.b = append(w.b, "]}"...)
	}
	w.b = append(w.b, ']')
	return w.b
}

// flatSymbols returns f's symbols as SymbolInformation, for clients without
// hierarchical document symbols: each stage, then its instructions with the
// stage as their container.
func flatSymbols(f *ast.File, m *Mapper, uri protocol.DocumentURI) []protocol.SymbolInformation {
	text := m.Text()
	c := m.cursor()
	out := []protocol.SymbolInformation{}
	add := func(sym symbol, container string) {
		out = append(out, protocol.SymbolInformation{
			Name:          sym.name,
			Kind:          sym.kind,
			Location:      protocol.Location{URI: uri, Range: c.Range(int(sym.rng.Start), int(sym.rng.End))},
			ContainerName: container,
		})
	}
	for _, in := range f.Prelude {
		add(instrSymbol(text, in), "")
	}
	for i, st := range f.Stages {
		stage := stageSymbol(text, i, st)
		add(stage, "")
		for _, in := range st.Body {
			add(instrSymbol(text, in), stage.name)
		}
	}
	return out
}

// symbol is what the outline shows of a stage or an instruction. Its detail
// is the words pre and detail, either of which may be empty, and "..." if
// detail was cut short.
type symbol struct {
	name, pre, detail string
	cut               bool
	kind              protocol.SymbolKind
	rng, sel          source.Range
}

// stageSymbol is the symbol of the i-th stage: its name, or "stage N".
func stageSymbol(text string, i int, st *ast.Stage) symbol {
	name := st.Name()
	if name == "" {
		name = fmt.Sprintf("stage %d", i+1)
	}
	sel := st.Using.Kw.Range
	if st.Using.As != nil {
		sel = st.Using.As.Range
	}
	detail, cut := firstLineCut(text, st.Using.Range)
	return symbol{name: name, detail: detail, cut: cut, kind: protocol.SymbolKindModule, rng: st.Range, sel: sel}
}

// instrSymbol is the symbol of one instruction: Args and Envs by their
// variable's name, the others by their keyword, with the rest of the line as
// detail.
func instrSymbol(text string, in ast.Instr) symbol {
	kw, kwRange := in.Keyword()
	if kw == "" {
		kw = "?"
	}
	span := in.Span()
	sym := symbol{name: kw, kind: protocol.SymbolKindFunction, rng: span, sel: kwRange}
	rest := source.Range{Start: kwRange.End, End: span.End}
	var ident *ast.Ident
	switch n := in.(type) {
	case *ast.Arg:
		ident, sym.kind = n.Name, protocol.SymbolKindVariable
	case *ast.Env:
		ident, sym.kind = n.Name, protocol.SymbolKindVariable
	case *ast.Copy:
		sym.kind = protocol.SymbolKindFile
	case *ast.Label, *ast.User, *ast.Workdir, *ast.Entrypoint, *ast.Expose, *ast.Volume,
		*ast.StopSignal, *ast.Shell, *ast.Healthcheck:
		sym.kind = protocol.SymbolKindProperty
	}
	if ident != nil && ident.Name != "" {
		sym.name, sym.pre, sym.sel = ident.Name, kw, ident.Range
		rest.Start = ident.End
	}
	sym.detail, sym.cut = firstLineCut(text, rest)
	return sym
}

// symWriter appends DocumentSymbol objects to a JSON array.
type symWriter struct {
	b []byte
	c *cursor
}

// open appends a symbol without its closing brace, after a comma if it is
// not the first element of its array.
func (w *symWriter) open(sym symbol) {
	if last := w.b[len(w.b)-1]; last != '[' {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, `{"name":`...)
	w.b = appendJSONString(w.b, sym.name)
	if sym.pre != "" || sym.detail != "" {
		w.b = append(w.b, `,"detail":"`...)
		w.b = appendEscaped(w.b, sym.pre)
		if sym.pre != "" && sym.detail != "" {
			w.b = append(w.b, ' ')
		}
		w.b = appendEscaped(w.b, sym.detail)
		if sym.cut {
			w.b = append(w.b, "..."...)
		}
		w.b = append(w.b, '"')
	}
	w.b = append(w.b, `,"kind":`...)
	w.b = strconv.AppendUint(w.b, uint64(sym.kind), 10)
	// In offset order, which the cursor converts fastest.
	rng, sel := sym.rng, sym.sel
	start, selStart, selEnd := w.c.Position(int(rng.Start)), w.c.Position(int(sel.Start)), w.c.Position(int(sel.End))
	end := w.c.Position(int(rng.End))
	w.b = append(w.b, `,"range":`...)
	w.b = appendRange(w.b, start, end)
	w.b = append(w.b, `,"selectionRange":`...)
	w.b = appendRange(w.b, selStart, selEnd)
}

// instr appends the symbol of an instruction, which has no children.
func (w *symWriter) instr(sym symbol) {
	w.open(sym)
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
