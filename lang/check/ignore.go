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
		if len(f) == 4 && f[0] == 'G' && strings.Trim(f[1:], "0123456789") == "" {
			codes = append(codes, diag.Code(f))
		} else {
			break
		}
	}
	return codes
}

// fileIgnores finds the Gunfile comments that ignore codes: each covers the
// instruction it ends the line of, or else the next instruction.
func (c *checker) fileIgnores(f *ast.File) {
	var marked []*ast.Comment
	for _, cm := range f.Comments {
		if strings.Contains(cm.Text, ignoreMark) {
			marked = append(marked, cm)
		}
	}
	if len(marked) == 0 || f.Source == nil {
		return
	}
	var prev ast.Instr
	next := marked
	for in := range f.Instrs() {
		for len(next) > 0 && in.Span().Start > next[0].Start {
			cm := next[0]
			next = next[1:]
			target := in
			if prev != nil && prev.Span().End <= cm.Start && f.Source.Line(prev.Span().End) == f.Source.Line(cm.Start) {
				target = prev
			}
			c.addIgnore(target.Span(), cm.Text)
		}
		prev = in
	}
	for _, cm := range next {
		if prev != nil && f.Source.Line(prev.Span().End) == f.Source.Line(cm.Start) {
			c.addIgnore(prev.Span(), cm.Text)
		}
	}
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
	}
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
