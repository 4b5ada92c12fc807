// Package source maps byte offsets in a Gunfile to lines and columns.
//
// Positions in the syntax tree are plain byte offsets (Pos) and ranges are
// half-open (Range). A File keeps the offsets at which lines start and turns an
// offset into a line and column only when one is shown, in the three units
// tools need: bytes (compilers, editors such as Vim), runes (people), and
// UTF-16 code units (the Language Server Protocol, SARIF).
package source

import (
	"fmt"
	"sort"
	"unicode/utf16"
	"unicode/utf8"
)

// Pos is a byte offset into a file's source, from 0 to len(src) inclusive.
// It is 32 bits to keep syntax trees small, so a file is at most MaxSize
// bytes.
type Pos int32

// MaxSize is the size of the largest file positions can address.
const MaxSize = 1<<31 - 1

// NoPos is the position of something absent, such as an omitted option.
const NoPos Pos = -1

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p >= 0 }

// Range is the half-open byte range [Start, End) of a piece of source.
type Range struct {
	Start, End Pos
}

// Span returns r itself. Syntax tree nodes embed a Range, so every node has
// a Span method.
func (r Range) Span() Range { return r }

// Len is the number of bytes in r.
func (r Range) Len() int { return int(r.End - r.Start) }

// Contains reports whether p lies within r. The end of a range counts as
// inside it, so a cursor just after a word is "on" the word.
func (r Range) Contains(p Pos) bool { return r.Start <= p && p <= r.End }

// IsValid reports whether r has a real position.
func (r Range) IsValid() bool { return r.Start.IsValid() && r.End >= r.Start }

// Position is a human-readable position. Line and the columns are 1-based;
// Column counts bytes, RuneColumn counts Unicode code points (invalid UTF-8
// counts one per byte), and UTF16Column counts UTF-16 code units.
type Position struct {
	Filename    string
	Offset      int
	Line        int
	Column      int
	RuneColumn  int
	UTF16Column int
}

// String formats p as "file:line:col" with the byte column, omitting parts
// that are unknown.
func (p Position) String() string {
	s := p.Filename
	if p.Line > 0 {
		if s != "" {
			s += ":"
		}
		s += fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	if s == "" {
		s = "-"
	}
	return s
}

// File is a source file's name, text and line table.
type File struct {
	name  string
	src   []byte
	lines []Pos // lines[i] is the offset at which line i+1 starts
}

// NewFile returns the File for src, computing its line table.
func NewFile(name string, src []byte) *File {
	f := &File{name: name, src: src}
	f.lines = make([]Pos, 1, 1+len(src)/32)
	for i, b := range src {
		if b == '\n' {
			f.lines = append(f.lines, Pos(i+1))
		}
	}
	return f
}

// NewFileLines returns a File whose line table was computed by the caller,
// such as a lexer that has already seen every newline. lines must start with
// 0 and hold the offset after each '\n' in src, in order.
func NewFileLines(name string, src []byte, lines []Pos) *File {
	return &File{name: name, src: src, lines: lines}
}

// Name returns the file name given to NewFile.
func (f *File) Name() string { return f.name }

// Source returns the file's text.
func (f *File) Source() []byte { return f.src }

// Size returns the length of the source in bytes.
func (f *File) Size() int { return len(f.src) }

// LineCount returns the number of lines; a final line without a newline
// counts, and an empty file has one (empty) line.
func (f *File) LineCount() int { return len(f.lines) }

// Line returns the 1-based line number of the line containing p.
func (f *File) Line(p Pos) int {
	p = f.clamp(p)
	return sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > p })
}

// LineStart returns the offset of the start of the 1-based line.
func (f *File) LineStart(line int) Pos {
	if line < 1 {
		return 0
	}
	if line > len(f.lines) {
		return Pos(len(f.src))
	}
	return f.lines[line-1]
}

// LineText returns the text of the 1-based line without its line ending.
func (f *File) LineText(line int) []byte {
	if line < 1 || line > len(f.lines) {
		return nil
	}
	start := f.lines[line-1]
	end := Pos(len(f.src))
	if line < len(f.lines) {
		end = f.lines[line] - 1
	}
	text := f.src[start:end]
	if n := len(text); n > 0 && text[n-1] == '\r' {
		text = text[:n-1]
	}
	return text
}

func (f *File) clamp(p Pos) Pos {
	if p < 0 {
		return 0
	}
	if int(p) > len(f.src) {
		return Pos(len(f.src))
	}
	return p
}

// Position converts an offset into a Position. Offsets out of range are
// clamped to the file.
func (f *File) Position(p Pos) Position {
	p = f.clamp(p)
	line := f.Line(p)
	start := f.lines[line-1]
	prefix := f.src[start:p]
	runes, units := 0, 0
	for len(prefix) > 0 {
		r, n := utf8.DecodeRune(prefix)
		prefix = prefix[n:]
		runes++
		if r >= 0x10000 && r != utf8.RuneError {
			units += 2
		} else {
			units++
		}
	}
	return Position{
		Filename:    f.name,
		Offset:      int(p),
		Line:        line,
		Column:      int(p-start) + 1,
		RuneColumn:  runes + 1,
		UTF16Column: units + 1,
	}
}

// Offset converts a 1-based line and byte column into an offset, clamping to
// the line's end.
func (f *File) Offset(line, column int) Pos {
	if line < 1 {
		return 0
	}
	if line > len(f.lines) {
		return Pos(len(f.src))
	}
	start := f.lines[line-1]
	text := f.LineText(line)
	if column < 1 {
		column = 1
	}
	if column-1 > len(text) {
		column = len(text) + 1
	}
	return start + Pos(column-1)
}

// OffsetUTF16 converts a 1-based line and UTF-16 column (as the Language
// Server Protocol counts, plus one) into an offset, clamping to the line's
// end. A column inside a surrogate pair maps to the start of the character.
func (f *File) OffsetUTF16(line, column int) Pos {
	if line < 1 {
		return 0
	}
	if line > len(f.lines) {
		return Pos(len(f.src))
	}
	start := f.lines[line-1]
	text := f.LineText(line)
	units, i := 0, 0
	for i < len(text) && units < column-1 {
		r, n := utf8.DecodeRune(text[i:])
		w := 1
		if r >= 0x10000 && r != utf8.RuneError {
			w = utf16.RuneLen(r)
		}
		if units+w > column-1 {
			break
		}
		units += w
		i += n
	}
	return start + Pos(i)
}
