package source

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPosition(t *testing.T) {
	src := []byte("ab\r\né😀x\n\nlast")
	f := NewFile("f", src)
	tests := []struct {
		off  Pos
		want Position
	}{
		{0, Position{Filename: "f", Offset: 0, Line: 1, Column: 1, RuneColumn: 1, UTF16Column: 1}},
		{2, Position{Filename: "f", Offset: 2, Line: 1, Column: 3, RuneColumn: 3, UTF16Column: 3}},
		{4, Position{Filename: "f", Offset: 4, Line: 2, Column: 1, RuneColumn: 1, UTF16Column: 1}},
		{6, Position{Filename: "f", Offset: 6, Line: 2, Column: 3, RuneColumn: 2, UTF16Column: 2}},   // after é (2 bytes)
		{10, Position{Filename: "f", Offset: 10, Line: 2, Column: 7, RuneColumn: 3, UTF16Column: 4}}, // after 😀 (4 bytes, 2 units)
		{12, Position{Filename: "f", Offset: 12, Line: 3, Column: 1, RuneColumn: 1, UTF16Column: 1}},
		{17, Position{Filename: "f", Offset: 17, Line: 4, Column: 5, RuneColumn: 5, UTF16Column: 5}}, // end of file
		{99, Position{Filename: "f", Offset: 17, Line: 4, Column: 5, RuneColumn: 5, UTF16Column: 5}}, // clamped
		{-5, Position{Filename: "f", Offset: 0, Line: 1, Column: 1, RuneColumn: 1, UTF16Column: 1}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, f.Position(tt.off)); diff != "" {
			t.Errorf("Position(%d) mismatch (-want +got):\n%s", tt.off, diff)
		}
	}
	if got, want := f.Position(10).String(), "f:2:7"; got != want {
		t.Errorf("Position(10).String() = %q, want %q", got, want)
	}
}

func TestInvalidUTF8Columns(t *testing.T) {
	f := NewFile("", []byte("\xff\xfeab"))
	p := f.Position(3)
	if p.RuneColumn != 4 || p.UTF16Column != 4 {
		t.Errorf("invalid bytes count one each: got rune %d, utf16 %d, want 4, 4", p.RuneColumn, p.UTF16Column)
	}
}

func TestOffsetRoundTrip(t *testing.T) {
	src := []byte("Using \"é😀\"\r\nExec \"x\"\n")
	f := NewFile("f", src)
	for off := Pos(0); int(off) <= len(src); off++ {
		p := f.Position(off)
		// Offsets inside a multi-byte character or on the '\r' of CRLF do not
		// round trip through a column; skip them.
		if int(off) < len(src) && (src[off]&0xC0 == 0x80 || src[off] == '\n' && off > 0 && src[off-1] == '\r') {
			continue
		}
		if got := f.Offset(p.Line, p.Column); got != off {
			t.Errorf("Offset(%d, %d) = %d, want %d", p.Line, p.Column, got, off)
		}
		if got := f.OffsetUTF16(p.Line, p.UTF16Column); got != off {
			t.Errorf("OffsetUTF16(%d, %d) = %d, want %d", p.Line, p.UTF16Column, got, off)
		}
	}
}

func TestOffsetClamps(t *testing.T) {
	f := NewFile("f", []byte("ab\ncd"))
	tests := []struct {
		line, col int
		want      Pos
		utf16     bool
	}{
		{1, 99, 2, false},
		{0, 1, 0, false},
		{9, 1, 5, false},
		{2, 0, 3, false},
		{1, 99, 2, true},
		{9, 1, 5, true},
	}
	for _, tt := range tests {
		var got Pos
		if tt.utf16 {
			got = f.OffsetUTF16(tt.line, tt.col)
		} else {
			got = f.Offset(tt.line, tt.col)
		}
		if got != tt.want {
			t.Errorf("Offset(%d, %d, utf16=%v) = %d, want %d", tt.line, tt.col, tt.utf16, got, tt.want)
		}
	}
}

func TestLines(t *testing.T) {
	f := NewFile("f", []byte("one\r\ntwo\n\nfour"))
	want := []string{"one", "two", "", "four"}
	if f.LineCount() != len(want) {
		t.Fatalf("LineCount() = %d, want %d", f.LineCount(), len(want))
	}
	for i, w := range want {
		if got := string(f.LineText(i + 1)); got != w {
			t.Errorf("LineText(%d) = %q, want %q", i+1, got, w)
		}
	}
	if f.LineText(0) != nil || f.LineText(5) != nil {
		t.Error("LineText out of range is not nil")
	}
	if got := f.LineStart(2); got != 5 {
		t.Errorf("LineStart(2) = %d, want 5", got)
	}
	if got := NewFile("", nil).LineCount(); got != 1 {
		t.Errorf("empty file has %d lines, want 1", got)
	}
}

func TestRange(t *testing.T) {
	r := Range{Start: 2, End: 5}
	if !r.Contains(2) || !r.Contains(5) || r.Contains(6) || r.Contains(1) {
		t.Errorf("Contains is wrong for %v", r)
	}
	if r.Len() != 3 || !r.IsValid() || (Range{Start: NoPos}).IsValid() {
		t.Errorf("Len/IsValid wrong for %v", r)
	}
}
