package lsp

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
)

func pos(line, char uint32) protocol.Position { return protocol.Position{Line: line, Character: char} }

func TestMapperPosition(t *testing.T) {
	// "é" is 2 bytes and 1 UTF-16 unit; "𝄞" is 4 bytes and 2 units.
	text := "aé𝄞b\r\nx\ry\n\nz"
	tests := []struct {
		offset int
		want   protocol.Position
	}{
		{0, pos(0, 0)},
		{1, pos(0, 1)},  // before é
		{2, pos(0, 1)},  // inside é: rounds down
		{3, pos(0, 2)},  // before 𝄞
		{7, pos(0, 4)},  // before b
		{8, pos(0, 5)},  // before \r
		{9, pos(0, 5)},  // inside \r\n
		{10, pos(1, 0)}, // x
		{12, pos(2, 0)}, // y after a lone \r
		{14, pos(3, 0)}, // empty line
		{15, pos(4, 0)}, // z
		{16, pos(4, 1)}, // end of text
		{99, pos(4, 1)}, // past the end: clamped
		{-5, pos(0, 0)},
	}
	m := NewMapper(text)
	for _, tt := range tests {
		if got := m.Position(tt.offset); got != tt.want {
			t.Errorf("Position(%d) = %v, want %v", tt.offset, got, tt.want)
		}
	}
	if got := m.LineCount(); got != 5 {
		t.Errorf("LineCount() = %d, want 5", got)
	}
}

func TestMapperOffset(t *testing.T) {
	text := "aé𝄞b\r\nx\ry\n\nz"
	tests := []struct {
		pos     protocol.Position
		want    int
		wantErr string
	}{
		{pos(0, 0), 0, ""},
		{pos(0, 1), 1, ""},
		{pos(0, 2), 3, ""},
		{pos(0, 3), 3, ""}, // inside the surrogate pair: start of 𝄞
		{pos(0, 4), 7, ""},
		{pos(0, 5), 8, ""},
		{pos(0, 50), 8, ""}, // past the line's end: the line's end
		{pos(1, 0), 10, ""},
		{pos(1, 1), 11, ""},
		{pos(2, 1), 13, ""},
		{pos(3, 0), 14, ""},
		{pos(4, 1), 16, ""},
		{pos(5, 0), 16, "past the end"},
		{pos(1<<31, 1<<31), 16, "past the end"},
	}
	m := NewMapper(text)
	for _, tt := range tests {
		got, err := m.Offset(tt.pos)
		if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Offset(%v) = %d, %v; want %d, error containing %q", tt.pos, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestMapperEmpty(t *testing.T) {
	m := NewMapper("")
	if got := m.Position(0); got != pos(0, 0) {
		t.Errorf("Position(0) = %v", got)
	}
	if got, err := m.Offset(pos(0, 3)); got != 0 || err != nil {
		t.Errorf("Offset(0:3) = %d, %v", got, err)
	}
}

// FuzzMapper checks the mapper against a direct UTF-16 encoding of each line:
// every rune boundary round-trips, and positions agree with utf16.Encode.
func FuzzMapper(f *testing.F) {
	for _, s := range []string{"", "a\nb", strings.Repeat("x\n", 40), strings.Repeat("é\r\n", 30), "aé𝄞b\r\nx\ry\n\nz", "\r\r\n\n", "\xff\xfe\n𝄞"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		m := NewMapper(text)
		// The cursor agrees with the mapper, forward and backward.
		c := m.cursor()
		for _, off := range []int{0, len(text) / 3, len(text), len(text) / 2, 1, len(text) - 1, len(text) + 1} {
			if got, want := c.Position(off), m.Position(off); got != want {
				t.Fatalf("cursor.Position(%d) = %v, want %v", off, got, want)
			}
		}
		line, lineStart := 0, 0
		for off := 0; off <= len(text); {
			p := m.Position(off)
			if cp := c.Position(off); cp != p {
				t.Fatalf("cursor.Position(%d) = %v, want %v", off, cp, p)
			}
			want := pos(uint32(line), uint32(len(utf16.Encode([]rune(strings.ToValidUTF8(text[lineStart:off], "\uFFFD"))))))
			if !utf8.ValidString(text[lineStart:off]) {
				// Invalid bytes count one unit each, which ToValidUTF8 merges.
				want.Character = uint32(utf16Len(text[lineStart:off], off-lineStart))
			}
			if p != want {
				t.Fatalf("Position(%d) = %v, want %v", off, p, want)
			}
			back, err := m.Offset(p)
			if err != nil || back != off {
				t.Fatalf("Offset(Position(%d)) = %d, %v", off, back, err)
			}
			if off == len(text) {
				break
			}
			switch {
			case text[off] == '\r' && off+1 < len(text) && text[off+1] == '\n':
				off += 2
				line, lineStart = line+1, off
			case text[off] == '\n' || text[off] == '\r':
				off++
				line, lineStart = line+1, off
			default:
				_, size := utf8.DecodeRuneInString(text[off:])
				off += size
			}
		}
		if diff := cmp.Diff(line+1, m.LineCount()); diff != "" {
			t.Fatalf("LineCount mismatch (-walk +mapper):\n%s", diff)
		}
	})
}
