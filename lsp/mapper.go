package lsp

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"go.lsp.dev/protocol"
)

// A Mapper converts between byte offsets in one version of a document and
// the protocol's positions: zero-based lines and UTF-16 code unit columns.
// It is the only place in the server that knows about UTF-16.
//
// Lines end at "\n", "\r\n" or a lone "\r", as the protocol specifies.
type Mapper struct {
	text  string
	lines []int // byte offset at which each line starts; lines[0] == 0
}

// NewMapper returns a Mapper for text.
func NewMapper(text string) *Mapper {
	lines := make([]int, 1, 1+len(text)/32)
	if strings.IndexByte(text, '\r') < 0 {
		// Only "\n": let IndexByte find them, many bytes at a time.
		for i := 0; ; {
			j := strings.IndexByte(text[i:], '\n')
			if j < 0 {
				return &Mapper{text: text, lines: lines}
			}
			i += j + 1
			lines = append(lines, i)
		}
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			lines = append(lines, i+1)
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			lines = append(lines, i+1)
		}
	}
	return &Mapper{text: text, lines: lines}
}

// Text returns the document text the mapper was built for.
func (m *Mapper) Text() string { return m.text }

// LineCount returns the number of lines; a final line without a
// terminator counts, and an empty text has one (empty) line.
func (m *Mapper) LineCount() int { return len(m.lines) }

// lineBounds returns the byte offsets of the start of line and of the end of
// its content (before the terminator).
func (m *Mapper) lineBounds(line int) (start, end int) {
	start = m.lines[line]
	if line+1 < len(m.lines) {
		end = m.lines[line+1] - 1
		if end > start && m.text[end] == '\n' && m.text[end-1] == '\r' {
			end--
		}
	} else {
		end = len(m.text)
	}
	return start, end
}

// Position returns the protocol position of a byte offset. Offsets outside
// the text are clamped to it; an offset inside a UTF-8 sequence or a line
// terminator maps to the position before it.
func (m *Mapper) Position(offset int) protocol.Position {
	offset = max(0, min(offset, len(m.text)))
	line := sort.Search(len(m.lines), func(i int) bool { return m.lines[i] > offset }) - 1
	start, end := m.lineBounds(line)
	return protocol.Position{Line: uint32(line), Character: uint32(utf16Len(m.text[start:end], offset-start))}
}

// A cursor converts offsets that mostly come in increasing order, as a walk
// over a document produces them, without a binary search for each. It is
// not safe for concurrent use; the Mapper is.
type cursor struct {
	m    *Mapper
	line int
	// The last position: a byte offset on line at a character boundary,
	// and its UTF-16 column, from which a later offset on the same line
	// is counted, so that a long line is not rescanned for every token.
	off, units int
}

func (m *Mapper) cursor() *cursor { return &cursor{m: m} }

// Position is Mapper.Position.
func (c *cursor) Position(offset int) protocol.Position {
	m := c.m
	offset = max(0, min(offset, len(m.text)))
	line := c.line
	if offset < m.lines[line] {
		line = 0
	}
	// A few lines forward is a short scan; further, a binary search.
	for n := 0; line+1 < len(m.lines) && m.lines[line+1] <= offset; n++ {
		if n == 8 {
			line += sort.Search(len(m.lines)-line, func(i int) bool { return m.lines[line+i] > offset }) - 1
			break
		}
		line++
	}
	start, end := m.lineBounds(line)
	from, units := start, 0
	if line == c.line && c.off <= offset && c.off >= start {
		from, units = c.off, c.units
	}
	n, size := utf16Count(m.text[from:end], offset-from)
	c.line, c.off, c.units = line, from+size, units+n
	return protocol.Position{Line: uint32(line), Character: uint32(c.units)}
}

// Range is Mapper.Range.
func (c *cursor) Range(start, end int) protocol.Range {
	return protocol.Range{Start: c.Position(start), End: c.Position(end)}
}

// Range returns the protocol range of the byte range [start, end).
func (m *Mapper) Range(start, end int) protocol.Range {
	return protocol.Range{Start: m.Position(start), End: m.Position(end)}
}

// Offset returns the byte offset of a protocol position. A character past
// the end of its line means the end of the line, as the protocol says, and a
// position inside a surrogate pair means the start of that character. A line
// past the last one is an error; the returned offset is then the end of the
// text, for callers that must carry on.
func (m *Mapper) Offset(p protocol.Position) (int, error) {
	if int64(p.Line) >= int64(len(m.lines)) {
		return len(m.text), fmt.Errorf("position %d:%d is past the end of the document (%d lines)",
			p.Line, p.Character, len(m.lines))
	}
	start, end := m.lineBounds(int(p.Line))
	want := int(p.Character)
	units := 0
	for i := start; i < end; {
		if units >= want {
			return i, nil
		}
		b := m.text[i]
		if b < utf8.RuneSelf {
			units++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(m.text[i:end])
		n := 1
		if r >= 0x10000 {
			n = 2
		}
		if units+n > want {
			return i, nil // inside a surrogate pair
		}
		units += n
		i += size
	}
	return end, nil
}

// RangeOffsets returns the byte offsets of a protocol range.
func (m *Mapper) RangeOffsets(r protocol.Range) (start, end int, err error) {
	start, err = m.Offset(r.Start)
	if err != nil {
		return start, start, err
	}
	end, err = m.Offset(r.End)
	if err != nil {
		return start, end, err
	}
	if end < start {
		return start, end, fmt.Errorf("range %d:%d-%d:%d ends before it starts",
			r.Start.Line, r.Start.Character, r.End.Line, r.End.Character)
	}
	return start, end, nil
}

// utf16Len returns the number of UTF-16 code units needed for the
// characters of s that end at or before byte limit. Invalid UTF-8 counts one
// unit per bad byte, as each decodes to U+FFFD.
func utf16Len(s string, limit int) int {
	n, _ := utf16Count(s, limit)
	return n
}

// utf16Count is utf16Len that also returns the bytes it counted.
func utf16Count(s string, limit int) (units, size int) {
	i := 0
	for i < len(s) {
		if s[i] < utf8.RuneSelf {
			if i+1 > limit {
				break
			}
			units++
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if i+n > limit {
			break
		}
		if r >= 0x10000 {
			units += 2
		} else {
			units++
		}
		i += n
	}
	return units, i
}
