package check

import (
	"slices"
	"strings"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/source"
)

// ignoreMark is the comment that turns diagnostics off: # gun:ignore G309,G305.
const ignoreMark = "gun:ignore"

// ignore is a range in which some codes are not reported.
type ignore struct {
	r     source.Range
	codes []diag.Code
}

// ignoreCodes returns the codes after the mark in a comment's text.
func ignoreCodes(text string) []diag.Code {
	i := strings.Index(text, ignoreMark)
	if i < 0 {
		return nil
	}
	var codes []diag.Code
	for _, f := range strings.FieldsFunc(text[i+len(ignoreMark):], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '=' }) {
		if codeSyntax(f) {
			codes = append(codes, diag.Code(f))
		} else {
			break
		}
	}
	return codes
}

// codeSyntax reports whether f is written as a code: G and three digits.
func codeSyntax(f string) bool {
	return len(f) == 4 && f[0] == 'G' && strings.Trim(f[1:], "0123456789") == ""
}

// marks are the # gun:ignore comments read so far that no instruction has
// been found for yet, and the last instruction's range.
type marks struct {
	pending []ast.Comment // copies: a Stream's pieces are reused
	prev    source.Range
	hasPrev bool
}

// ignorePiece places the # gun:ignore comments of f, a whole file or a piece
// of one: each covers the instruction it ends the line of, or else the next
// instruction (which may come in a later piece).
func (c *checker) ignorePiece(f *ast.File) {
	m := &c.marks
	for _, cm := range f.Comments {
		if strings.Contains(cm.Text, ignoreMark) {
			m.pending = append(m.pending, *cm)
			start := cm.Start
			c.checkIgnore(cm.Text, func(i int) source.Pos { return start + source.Pos(i) })
		}
	}
	if len(m.pending) == 0 || f.Source == nil {
		if in := lastInstr(f); in != nil {
			m.prev, m.hasPrev = in.Span(), true
		}
		return
	}
	for in := range f.Instrs() {
		r := in.Span()
		for len(m.pending) > 0 && r.Start > m.pending[0].Start {
			cm := m.pending[0]
			m.pending = m.pending[1:]
			target := r
			if m.hasPrev && m.prev.End <= cm.Start && f.Source.Line(m.prev.End) == f.Source.Line(cm.Start) {
				target = m.prev
			}
			c.addIgnore(target, cm.Text)
		}
		m.prev, m.hasPrev = r, true
	}
}

// ignoresEnd places the comments after the last instruction: on its line,
// they cover it.
func (c *checker) ignoresEnd() {
	m := &c.marks
	if c.info.File == nil || c.info.File.Source == nil || !m.hasPrev {
		return
	}
	src := c.info.File.Source
	for _, cm := range m.pending {
		if src.Line(m.prev.End) == src.Line(cm.Start) {
			c.addIgnore(m.prev, cm.Text)
		}
	}
}

// lastInstr returns f's last instruction, or nil.
func lastInstr(f *ast.File) ast.Instr {
	if n := len(f.Stages); n > 0 {
		st := f.Stages[n-1]
		if len(st.Body) > 0 {
			return st.Body[len(st.Body)-1]
		}
		return st.Using
	}
	if n := len(f.Prelude); n > 0 {
		return f.Prelude[n-1]
	}
	return nil
}

func (c *checker) addIgnore(r source.Range, text string) {
	if codes := ignoreCodes(text); len(codes) > 0 {
		c.ignores = append(c.ignores, ignore{r, codes})
	}
}

// scriptIgnores finds the shell comments of a script that ignore codes:
// each covers its own line and the next.
func (c *checker) scriptIgnores(s *ast.String) {
	src := c.info.File.Source
	for at := 0; ; {
		i := strings.Index(s.Value[at:], ignoreMark)
		if i < 0 {
			return
		}
		i += at
		at = i + len(ignoreMark)
		lineStart := strings.LastIndexByte(s.Value[:i], '\n') + 1
		hash := strings.LastIndexByte(s.Value[lineStart:i], '#')
		if hash < 0 {
			continue
		}
		line := src.Line(c.valuePos(s, i))
		text := s.Value[lineStart+hash:]
		if nl := strings.IndexByte(text, '\n'); nl >= 0 {
			text = text[:nl]
		}
		c.addIgnore(source.Range{Start: src.LineStart(line), End: src.LineStart(line + 2)}, text)
		base := lineStart + hash
		c.checkIgnore(text, func(i int) source.Pos { return c.valuePos(s, base+i) })
	}
}

// checkIgnore reports a comment that starts with # gun:ignore but turns
// nothing off: it names no code, a code gun does not have, or something
// like a code that is not one (g312). at maps an offset in text, the
// comment from its '#', to its place in the file.
func (c *checker) checkIgnore(text string, at func(int) source.Pos) {
	mark := len(text) - len(strings.TrimLeft(strings.TrimPrefix(text, "#"), " \t"))
	if !strings.HasPrefix(text[mark:], ignoreMark) {
		return // the mark in a sentence, not an ignore of its own
	}
	rng := func(i, j int) source.Range { return source.Range{Start: at(i), End: at(j)} }
	isSep := func(b byte) bool { return b == ',' || b == ' ' || b == '\t' || b == '\r' || b == '=' }
	named := false
	defer func() {
		if !named {
			c.report(diag.Warning, diag.BadIgnore, rng(mark, mark+len(ignoreMark)), "gun:ignore names no code, so it turns nothing off: write the codes after it (# gun:ignore G312)")
		}
	}()
	for i := mark + len(ignoreMark); i < len(text); {
		if isSep(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && !isSep(text[j]) {
			j++
		}
		f := text[i:j]
		switch {
		case codeSyntax(f):
			if !knownCode(f) {
				c.report(diag.Warning, diag.BadIgnore, rng(i, j), "unknown code %s in gun:ignore: it turns nothing off (the codes are in docs/diagnostics.md)", f)
			}
			named = true
			i = j
			continue
		case (f[0] == 'G' || f[0] == 'g') && strings.ContainsAny(f, "0123456789"):
			named = true // not a code, but meant as one: said once
			d := c.report(diag.Warning, diag.BadIgnore, rng(i, j), "%q in gun:ignore is not a code (a G and three digits), so the ignore ends before it", f)
			if up := strings.ToUpper(f); knownCode(up) {
				d.Fixes = []diag.Fix{{Title: "change to " + up, Edits: []diag.Edit{{Range: d.Range, NewText: up}}}}
			}
		}
		return // the rest is prose
	}
}

// knownCode reports whether code is one of gun check's codes.
func knownCode(code string) bool {
	return slices.ContainsFunc(diag.Codes, func(i diag.CodeInfo) bool { return string(i.Code) == code })
}

// dropIgnored removes the diagnostics the ignores cover.
func (c *checker) dropIgnored() {
	if len(c.ignores) == 0 {
		return
	}
	c.diags = slices.DeleteFunc(c.diags, func(d diag.Diagnostic) bool {
		for _, ig := range c.ignores {
			if ig.r.Start <= d.Range.Start && d.Range.Start < ig.r.End && slices.Contains(ig.codes, d.Code) {
				return true
			}
		}
		return false
	})
}

// Without returns ds without the diagnostics whose code is in codes, for a
// project that turns rules off.
func Without(ds []diag.Diagnostic, codes []diag.Code) []diag.Diagnostic {
	if len(codes) == 0 {
		return ds
	}
	return slices.DeleteFunc(ds, func(d diag.Diagnostic) bool { return slices.Contains(codes, d.Code) })
}
