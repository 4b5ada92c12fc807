package ast

import (
	"bytes"
	"strings"

	"github.com/gun-tools/gun/lang/source"
)

// ValuePos returns the position in src (the file's text) of the byte at
// offset at of s.Value; at == len(s.Value) gives the end of the text. It
// undoes the decoding the parser did: a quoted string's escapes (two bytes of
// source for one of Value) and a script block's removed indentation and
// carriage returns, and an Expand inline file's \$ and \\. Tools that analyse the value (the shell parser) use it to
// put what they find back in the Gunfile; for many offsets of one string, a
// ValueCursor is linear where ValuePos is quadratic.
func (s *String) ValuePos(src []byte, at int) source.Pos {
	var c ValueCursor
	c.Reset(s, src)
	return c.Pos(at)
}

// ValueCursor maps offsets of a String's Value to positions in the source,
// each in time proportional to its distance from the one before when they
// increase.
type ValueCursor struct {
	s   *String
	src []byte
	// A quoted string: Value offset v is at source offset i.
	v, i int
	// A script block: the current line's text is src[off:lineEnd] and
	// starts at Value offset v; the line's newline is at le.
	off, lineEnd, le int
	bodyStart        int
	bodyEnd          int
	indent           []byte
}

// Reset points the cursor at the start of s, whose file's text is src.
func (c *ValueCursor) Reset(s *String, src []byte) {
	*c = ValueCursor{s: s, src: src, v: 0, i: int(s.Start) + 1}
	if s.Heredoc == "" {
		return
	}
	tok := src[s.Start:s.End]
	c.bodyStart, c.bodyEnd = int(s.End), int(s.End)
	nl := bytes.IndexByte(tok, '\n')
	if nl < 0 {
		c.le = -1
		return
	}
	c.bodyStart = int(s.Start) + nl + 1
	lastNL := bytes.LastIndexByte(tok, '\n')
	if last := tok[lastNL+1:]; string(bytes.Trim(last, " \t\r")) == s.Heredoc {
		c.bodyEnd = int(s.Start) + lastNL + 1
		c.indent = last[:len(last)-len(bytes.TrimLeft(last, " \t"))]
	}
	c.line(c.bodyStart)
}

// line makes the line starting at ls the current one.
func (c *ValueCursor) line(ls int) {
	if ls >= c.bodyEnd {
		c.off, c.lineEnd, c.le = c.bodyEnd, c.bodyEnd, -1
		return
	}
	c.off, c.lineEnd, c.le, _ = ScriptLine(c.src, ls, c.bodyEnd, c.indent)
}

// ScriptLine reads the line of a script block's body src[:bodyEnd] that
// starts at ls, as the parser decodes it: its text is src[off:lineEnd]
// (without indent, the closing delimiter's indentation, and without
// carriage returns before the newline at le). A blank line has no text;
// short reports a line indented less than indent, whose text then starts
// after its own indentation.
func ScriptLine(src []byte, ls, bodyEnd int, indent []byte) (off, lineEnd, le int, short bool) {
	le = ls + bytes.IndexByte(src[ls:bodyEnd], '\n')
	if le < ls {
		le = bodyEnd
	}
	lineEnd = le
	for lineEnd > ls && src[lineEnd-1] == '\r' {
		lineEnd--
	}
	off = ls
	switch line := src[ls:lineEnd]; {
	case bytes.HasPrefix(line, indent):
		off += len(indent)
	case len(bytes.Trim(line, " \t")) == 0:
		off = lineEnd
	default:
		off += len(line) - len(bytes.TrimLeft(line, " \t"))
		short = true
	}
	return off, lineEnd, le, short
}

// linePos returns the source offset of the byte at of the current line,
// whose text is n bytes of Value. A line shorter in Value than in the source
// had escapes decoded (an Expand inline file's \$ and \\, two bytes of
// source for one of Value); any other line is the source's text.
func (c *ValueCursor) linePos(n, at int) int {
	i := c.off
	if n == c.lineEnd-c.off {
		return i + at
	}
	for ; at > 0 && i < c.lineEnd; at-- {
		if c.src[i] == '\\' && i+1 < c.lineEnd && (c.src[i+1] == '$' || c.src[i+1] == '\\') {
			i++
		}
		i++
	}
	return i
}

// Pos returns the source position of Value offset at.
func (c *ValueCursor) Pos(at int) source.Pos {
	s := c.s
	if at < c.v {
		c.Reset(s, c.src)
	}
	if s.Heredoc != "" {
		for c.le >= 0 {
			n := strings.IndexByte(s.Value[c.v:], '\n') // the line's bytes in Value, then its '\n'
			if n < 0 {
				n = len(s.Value) - c.v
			}
			if at <= c.v+n {
				return source.Pos(c.linePos(n, at-c.v))
			}
			c.v += n + 1
			c.line(c.le + 1)
		}
		return source.Pos(c.bodyEnd)
	}
	src, end := c.src, int(s.End)
	for ; c.v < at && c.i < end; c.v++ {
		if src[c.i] == '\\' && c.i+1 < end {
			switch src[c.i+1] {
			case '"', '\\', '$', 'n', 't':
				c.i++ // a decoded escape: one byte of Value
			}
		}
		c.i++
	}
	return source.Pos(min(c.i, end))
}
