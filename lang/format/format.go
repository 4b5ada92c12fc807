// Package format prints Gunfiles in gun's one canonical layout.
//
// The formatter changes only whitespace: instructions start at the left
// margin, tokens are separated by one space, runs of blank lines shrink to
// one, trailing blanks go, and the file ends in one newline. Line breaks the
// author put inside an instruction (a backslash continuation, or a break
// inside an exec-form list) are kept, in a fixed style. Strings and script
// blocks are printed exactly as written, and every comment is kept. Formatting
// is idempotent.
package format

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/source"
)

// indent is the indentation of continuation lines and list elements.
const indent = "    "

// SyntaxError is returned by Source for a file that does not parse: a file
// with syntax errors is never reformatted.
type SyntaxError struct {
	File        *source.File
	Diagnostics []diag.Diagnostic // the errors
}

// Error names the first syntax error with its position and counts the rest.
func (e *SyntaxError) Error() string {
	var errs []diag.Diagnostic
	for _, d := range e.Diagnostics {
		if d.Severity == diag.Error {
			errs = append(errs, d)
		}
	}
	if len(errs) == 0 {
		return "syntax error"
	}
	pos := e.File.Position(errs[0].Range.Start)
	msg := fmt.Sprintf("%s: %s [%s]", pos, errs[0].Message, errs[0].Code)
	if len(errs) > 1 {
		msg += fmt.Sprintf(" (and %d more errors)", len(errs)-1)
	}
	return msg
}

// Source formats the Gunfile src. A file with syntax errors is returned
// unchanged with a *SyntaxError.
func Source(src []byte) ([]byte, error) {
	return SourceFile("", src)
}

// SourceFile is Source with a file name for error messages.
func SourceFile(filename string, src []byte) ([]byte, error) {
	f, ds := parser.Parse(filename, src)
	if diag.HasErrors(ds) {
		return src, &SyntaxError{File: f.Source, Diagnostics: ds}
	}
	p := &printer{lastEnd: -1, src: f.Source.Source(), comments: f.Comments}
	// The output is about as long as the input.
	p.buf.Grow(len(src) + len(src)/16 + 64)
	p.file(f)
	return p.buf.Bytes(), nil
}

// Node writes n in canonical layout. A *ast.File is printed with its comments
// and the line breaks of its source; any other node is printed on one line
// from the tree alone (strings are re-quoted from their parts), which is what
// a fix or a code action needs.
func Node(w io.Writer, n ast.Node) error {
	p := &printer{lastEnd: -1}
	if f, ok := n.(*ast.File); ok {
		if f.Source != nil {
			p.src = f.Source.Source()
		}
		p.comments = f.Comments
		p.file(f)
	} else {
		p.node(n)
	}
	_, err := w.Write(p.buf.Bytes())
	return err
}

type printer struct {
	src      []byte // nil when printing from the tree alone
	buf      bytes.Buffer
	comments []*ast.Comment
	ci       int        // next comment to print
	lastEnd  source.Pos // source end of the last thing printed, -1 before anything
	needNL   bool       // a comment was printed: the next output starts a new line
}

// newlines counts the line breaks in the source between a and b.
func (p *printer) newlines(a, b source.Pos) int {
	if p.src == nil || a < 0 || b <= a || int(b) > len(p.src) {
		return 0
	}
	return bytes.Count(p.src[a:b], []byte{'\n'})
}

// startLine begins a new line at the left margin, keeping one blank line if
// the source had at least one between lastEnd and pos.
func (p *printer) startLine(pos source.Pos) {
	if p.buf.Len() == 0 {
		return
	}
	p.buf.WriteByte('\n')
	if p.newlines(p.lastEnd, pos) > 1 {
		p.buf.WriteByte('\n')
	}
}

// flush prints the comments that start before pos. ind is the indentation of
// a comment on its own line (inside a list).
func (p *printer) flush(pos source.Pos, ind string) {
	for p.ci < len(p.comments) && p.comments[p.ci].Start < pos {
		c := p.comments[p.ci]
		p.ci++
		if p.buf.Len() > 0 && p.newlines(p.lastEnd, c.Start) == 0 && !p.needNL {
			p.buf.WriteByte(' ')
		} else {
			p.startLine(c.Start)
			p.buf.WriteString(ind)
		}
		p.buf.WriteString(strings.TrimRight(c.Text, " \t\r"))
		p.lastEnd = c.End
		p.needNL = true
	}
}

func (p *printer) file(f *ast.File) {
	for in := range f.Instrs() {
		p.flush(in.Span().Start, "")
		p.startLine(in.Span().Start)
		p.needNL = false
		p.instr(in)
	}
	p.flush(source.Pos(len(p.src))+1, "")
	if p.buf.Len() > 0 {
		p.buf.WriteByte('\n')
	}
}

// word prints one element of an instruction after the previous one: on the
// same line after a space, or, where the source continued the line with a
// backslash, on a continuation line.
func (p *printer) word(pos source.Pos, text string) {
	p.space(pos)
	p.buf.WriteString(text)
}

// space separates the next element at pos from the previous one, as word.
func (p *printer) space(pos source.Pos) {
	if p.newlines(p.lastEnd, pos) > 0 {
		p.buf.WriteString(" \\\n" + indent)
	} else {
		p.buf.WriteByte(' ')
	}
}

func (p *printer) instr(in ast.Instr) {
	name, kw := in.Keyword()
	if b, ok := in.(*ast.BadInstr); ok && p.src != nil {
		// Only printed by Node on a broken tree: keep the text.
		p.buf.Write(p.src[b.Start:b.End])
		p.lastEnd = b.End
		return
	}
	p.buf.WriteString(name)
	p.lastEnd = kw.End
	if p.src == nil {
		p.lastEnd = -1
	}
	switch n := in.(type) {
	case *ast.Using:
		p.expr(n.Base)
		if n.As != nil {
			p.word(n.As.Start, "As")
			p.lastEnd = n.As.Start
			p.expr(n.As)
		}
	case *ast.Exec:
		net := n.Network
		for _, m := range n.Mounts {
			if net != nil && net.Start < m.Start {
				p.options([]*ast.Option{net})
				net = nil
			}
			p.word(m.Kw.Range.Start, m.Kw.Name)
			p.lastEnd = m.Kw.Range.End
			for _, s := range m.Args {
				p.expr(s)
			}
			p.options(m.Options)
		}
		if net != nil {
			p.options([]*ast.Option{net})
		}
		p.expr(n.Cmd)
	case *ast.Main:
		p.expr(n.Cmd)
	case *ast.Entrypoint:
		p.expr(n.Cmd)
	case *ast.Shell:
		p.expr(n.Cmd)
	case *ast.Healthcheck:
		p.options(n.Options)
		p.expr(n.Cmd)
	case *ast.Expose:
		for _, e := range n.Ports {
			p.expr(e)
		}
	case *ast.Volume:
		for _, e := range n.Paths {
			p.expr(e)
		}
	case *ast.StopSignal:
		p.expr(n.Signal)
	case *ast.Copy:
		var buf [5]*ast.Option
		p.options(n.AppendOptions(buf[:0]))
		for _, s := range n.Srcs {
			p.expr(s)
		}
		p.str(n.Dest)
		if n.Content != nil && n.Expand != nil && p.src == nil {
			p.word(n.Content.Start, expandHeredocText(n.Content))
		} else {
			p.str(n.Content)
		}
	case *ast.Env:
		p.ident(n.Name)
		p.str(n.Value)
		p.ident(n.Inherited)
	case *ast.Arg:
		p.ident(n.Name)
		p.str(n.Default)
	case *ast.Workdir:
		p.str(n.Path)
	case *ast.User:
		p.str(n.Name)
	case *ast.Label:
		p.str(n.Key)
		p.str(n.Value)
	}
	if p.src != nil {
		p.lastEnd = in.Span().End
	}
}

// options prints option words and their values (none for a flag).
func (p *printer) options(opts []*ast.Option) {
	for _, o := range opts {
		p.word(o.Kw.Range.Start, o.Kw.Name)
		p.lastEnd = o.Kw.Range.End
		p.expr(o.Value)
	}
}

func (p *printer) ident(id *ast.Ident) {
	if id != nil {
		p.expr(id)
	}
}

func (p *printer) str(s *ast.String) {
	if s != nil {
		p.expr(s)
	}
}

// expr prints a value after the previous element of its instruction.
func (p *printer) expr(e ast.Expr) {
	switch e := e.(type) {
	case nil:
	case *ast.Ident:
		p.word(e.Start, e.Name)
	case *ast.String:
		if p.src != nil {
			p.space(e.Start)
			p.writeSource(e)
		} else {
			p.word(e.Start, p.stringText(e))
		}
	case *ast.List:
		p.word(e.Start, "[")
		p.list(e)
	case *ast.BadExpr:
		if p.src != nil {
			p.word(e.Start, string(p.src[e.Start:e.End]))
		}
	}
	if e != nil && p.src != nil {
		p.lastEnd = e.Span().End
	}
}

// list prints an exec-form list after its '['. Elements stay on the lines
// the author put them on; continuation lines are indented, and a ']' on its
// own line follows a trailing comma.
func (p *printer) list(l *ast.List) {
	p.lastEnd = l.Start + 1
	if p.src == nil {
		p.lastEnd = -1
	}
	closeOwnLine := false
	if len(l.Elems) > 0 {
		last := l.Elems[len(l.Elems)-1]
		closeOwnLine = p.newlines(last.End, l.End-1) > 0
	} else {
		closeOwnLine = p.newlines(l.Start, l.End-1) > 0
	}
	for i, s := range l.Elems {
		p.flush(s.Start, indent)
		switch {
		case p.needNL || p.newlines(p.lastEnd, s.Start) > 0:
			p.buf.WriteString("\n" + indent)
			p.needNL = false
		case i > 0:
			p.buf.WriteByte(' ')
		}
		if p.src != nil {
			p.writeSource(s)
		} else {
			p.buf.WriteString(p.stringText(s))
		}
		if i < len(l.Elems)-1 || closeOwnLine {
			p.buf.WriteByte(',')
		}
		if p.src != nil {
			p.lastEnd = s.End
		}
	}
	p.flush(l.End-1, indent)
	if closeOwnLine || p.needNL {
		p.buf.WriteByte('\n')
		p.needNL = false
	}
	p.buf.WriteByte(']')
}

// writeSource writes a string as written in the source, with a script
// block's line endings made '\n' (heredocText).
func (p *printer) writeSource(s *ast.String) {
	text := p.src[s.Start:s.End]
	if s.Heredoc == "" {
		p.buf.Write(text)
		return
	}
	p.buf.Write(heredocText(text))
}

// heredocText returns a script block as written, but for its line ends:
// the blanks after the opening delimiter go, and carriage returns before a
// line end (which are not part of the script) go with them, so that
// formatting is idempotent and keeps the script's value.
func heredocText(text []byte) []byte {
	nl := bytes.IndexByte(text, '\n')
	if nl < 0 {
		return text // unterminated on its first line
	}
	if bytes.IndexByte(text, '\r') < 0 && (nl == 0 || text[nl-1] != ' ' && text[nl-1] != '\t') {
		return text
	}
	out := make([]byte, 0, len(text))
	out = append(out, bytes.TrimRight(text[:nl], " \t\r")...)
	for rest := text[nl:]; len(rest) > 0; {
		i := bytes.IndexByte(rest[1:], '\n') + 1 // rest starts with a line end
		if i == 0 {
			return append(out, rest...) // the closing line
		}
		out = append(out, bytes.TrimRight(rest[:i], "\r")...)
		rest = rest[i:]
	}
	return out
}

// stringText returns a string as written in the source or, without source,
// quoted from its parts.
func (p *printer) stringText(s *ast.String) string {
	if p.src != nil {
		if s.Heredoc != "" {
			return string(heredocText(p.src[s.Start:s.End]))
		}
		return string(p.src[s.Start:s.End])
	}
	var b strings.Builder
	if s.Heredoc != "" {
		b.WriteString("<<" + s.Heredoc + "\n" + s.Value)
		if !strings.HasSuffix(s.Value, "\n") {
			b.WriteByte('\n')
		}
		b.WriteString(s.Heredoc)
		return b.String()
	}
	b.WriteByte('"')
	for text, ref := range s.Texts {
		b.WriteString(Quote(text))
		if ref != nil {
			b.WriteString(ref.Written())
		}
	}
	b.WriteByte('"')
	return b.String()
}

// expandHeredocText returns the inline file of a Copy with Expand, from the
// tree alone: its text with $ and \ escaped and its references as written.
func expandHeredocText(s *ast.String) string {
	var b strings.Builder
	b.WriteString("<<" + s.Heredoc + "\n")
	for text, ref := range s.Texts {
		b.WriteString(heredocQuoter.Replace(text))
		if ref != nil {
			b.WriteString(ref.Written())
		}
	}
	if !strings.HasSuffix(s.Value, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString(s.Heredoc)
	return b.String()
}

var heredocQuoter = strings.NewReplacer(`\`, `\\`, "$", `\$`)

var quoter = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "$", `\$`)

// Quote escapes literal text for a double-quoted Gunfile string (the
// quotes not included): \, ", newline, tab and $ (which would start a
// reference).
func Quote(s string) string { return quoter.Replace(s) }

// node prints a node other than a File, from the tree alone.
func (p *printer) node(n ast.Node) {
	switch n := n.(type) {
	case *ast.Stage:
		p.instr(n.Using)
		for _, in := range n.Body {
			p.buf.WriteByte('\n')
			p.instr(in)
		}
	case ast.Instr:
		p.instr(n)
	case ast.Expr:
		p.expr(n)
		// expr prints a separating space first; a lone value has none.
		b := p.buf.Bytes()
		if len(b) > 0 && b[0] == ' ' {
			p.buf.Next(1)
		}
	case *ast.Comment:
		p.buf.WriteString(n.Text)
	}
}
