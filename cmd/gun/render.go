package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/source"
)

// maxSnippet is the widest source excerpt shown under a diagnostic, in
// runes; longer lines are cut around the diagnostic.
const maxSnippet = 120

// writeDiagnostic writes d as
//
//	file:line:col: severity: message [code]
//	    source line
//	    ^^^^^
//
// followed by its related locations and fixes. Columns are byte columns, as
// compilers and editors count them.
func writeDiagnostic(w io.Writer, f *source.File, d diag.Diagnostic) error {
	pos := f.Position(d.Range.Start)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s [%s]\n", pos, d.Severity, d.Message, d.Code)
	writeSnippet(&b, f, d.Range)
	for _, r := range d.Related {
		fmt.Fprintf(&b, "%s: note: %s\n", f.Position(r.Range.Start), r.Message)
	}
	for _, fix := range d.Fixes {
		fmt.Fprintf(&b, "    fix: %s\n", fix.Title)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSnippet writes the line where r starts and a caret line under r (to
// the end of that line when r spans several). Control characters and
// invalid UTF-8 are shown as U+FFFD so that a binary file cannot garble a
// terminal.
func writeSnippet(b *strings.Builder, f *source.File, r source.Range) {
	pos := f.Position(r.Start)
	line := f.LineText(pos.Line)
	start := pos.Column - 1
	end := len(line)
	if f.Line(r.End) == pos.Line && int(r.End)-int(f.LineStart(pos.Line)) < end {
		end = int(r.End) - int(f.LineStart(pos.Line))
	}
	if start > len(line) {
		start = len(line)
	}
	if end < start {
		end = start
	}
	// Cut long lines to a window around the range, on rune boundaries.
	from, to := 0, len(line)
	if utf8.RuneCount(line) > maxSnippet {
		from = backRunes(line, start, maxSnippet/3)
		to = forwardRunes(line, from, maxSnippet)
	}
	var text, caret strings.Builder
	text.WriteString("    ")
	caret.WriteString("    ")
	if from > 0 {
		text.WriteString("...")
		caret.WriteString("   ")
	}
	carets := 0
	for i := from; i < to; {
		r, n := utf8.DecodeRune(line[i:])
		shown := r
		if r == utf8.RuneError && n == 1 || r < ' ' && r != '\t' || r == 0x7f {
			shown = utf8.RuneError
		}
		text.WriteRune(shown)
		switch {
		case i < start && r == '\t':
			caret.WriteByte('\t')
		case i < start:
			caret.WriteByte(' ')
		case i < end:
			caret.WriteByte('^')
			carets++
		}
		i += n
	}
	if to < len(line) {
		text.WriteString("...")
	}
	if carets == 0 {
		caret.WriteByte('^')
	}
	b.WriteString(strings.TrimRight(text.String(), " \t"))
	b.WriteByte('\n')
	b.WriteString(caret.String())
	b.WriteByte('\n')
}

// backRunes returns the offset n runes before off in s (or 0).
func backRunes(s []byte, off, n int) int {
	for ; n > 0 && off > 0; n-- {
		_, size := utf8.DecodeLastRune(s[:off])
		off -= size
	}
	return off
}

// forwardRunes returns the offset n runes after off in s (or len(s)).
func forwardRunes(s []byte, off, n int) int {
	for ; n > 0 && off < len(s); n-- {
		_, size := utf8.DecodeRune(s[off:])
		off += size
	}
	return off
}
