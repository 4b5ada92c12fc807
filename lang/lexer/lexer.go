// Package lexer splits Gunfile source into tokens.
//
// The lexer is handwritten and never fails: bad input becomes an Illegal token
// (or a string or script token cut short) and a diagnostic, and lexing goes
// on. Each token carries its byte range; the lexer records line starts as it
// passes them so that a source.File can be built without a second pass.
// Newlines are not tokens: a token's NL flag says that it starts a line, which
// is what ends an instruction. A backslash at the end of a line continues the
// line.
package lexer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/source"
)

// Kind is the kind of a token.
type Kind uint8

// Token kinds.
const (
	EOF     Kind = iota
	Illegal      // characters that start no token
	Word         // a bare word: letters, digits, '_', '-', '.'
	String       // a double-quoted string, quotes included
	Heredoc      // a script block: <<DELIM, its lines, and the closing DELIM
	LBrack       // [
	RBrack       // ]
	Comma        // ,
	Comment      // # to the end of the line
)

var kindNames = [...]string{
	EOF:     "end of file",
	Illegal: "illegal character",
	Word:    "word",
	String:  "string",
	Heredoc: "script block",
	LBrack:  "'['",
	RBrack:  "']'",
	Comma:   "','",
	Comment: "comment",
}

// String describes the kind for error messages, e.g. "string".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Token is one token: its kind, its range, and whether it is the first token
// on its line (not counting lines continued with a backslash).
type Token struct {
	Kind Kind
	NL   bool
	// Plain marks a String that is terminated and has no backslash and no
	// '$': its value is exactly the text between the quotes.
	Plain bool
	source.Range
}

// Lexer produces the tokens of one source text.
type Lexer struct {
	src    []byte
	off    int
	nl     bool
	lines  []source.Pos
	report func(diag.Diagnostic)
	errors int
	limit  int // report at most this many errors; 0 means no limit
}

// New returns a lexer for src that calls report (if not nil) for each
// lexical error.
func New(src []byte, report func(diag.Diagnostic)) *Lexer {
	l := &Lexer{src: src, nl: true, report: report}
	l.lines = make([]source.Pos, 1, 1+bytes.Count(src, []byte{'\n'}))
	// A byte order mark at the start is not part of the text.
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		l.off = 3
	}
	return l
}

// Lines returns the offsets at which lines start among the text lexed so far;
// after EOF it is the whole file's line table.
func (l *Lexer) Lines() []source.Pos { return l.lines }

// SetErrorLimit makes the lexer stop reporting (and formatting) errors after
// n of them; it still counts them. A parser that shows only the first errors
// saves the work on a file of garbage.
func (l *Lexer) SetErrorLimit(n int) { l.limit = n }

// ErrorCount returns the number of errors found so far, reported or not.
func (l *Lexer) ErrorCount() int { return l.errors }

func (l *Lexer) errorf(start, end int, code diag.Code, format string, args ...any) {
	l.errors++
	if l.report != nil && (l.limit == 0 || l.errors <= l.limit) {
		l.report(diag.Diagnostic{
			Severity: diag.Error,
			Code:     code,
			Message:  fmt.Sprintf(format, args...),
			Range:    source.Range{Start: source.Pos(start), End: source.Pos(end)},
		})
	}
}

func (l *Lexer) newline(at int) {
	l.lines = append(l.lines, source.Pos(at+1))
}

// Next returns the next token. At the end of the source it returns EOF
// tokens forever.
func (l *Lexer) Next() Token {
	if i := l.off; i < len(l.src) && class[l.src[i]]&space != 0 {
		if l.src[i] == ' ' && i+1 < len(l.src) && class[l.src[i+1]]&space == 0 {
			l.off++ // one blank between tokens, the common case
		} else {
			l.skipSpace()
		}
	}
	src, start := l.src, l.off
	tok := Token{NL: l.nl, Range: source.Range{Start: source.Pos(start)}}
	l.nl = false
	if start >= len(src) {
		tok.Kind = EOF
		tok.End = source.Pos(start)
		return tok
	}
	c := src[start]
	switch {
	case class[c]&word != 0:
		i := start + 1
		for i < len(src) && class[src[i]]&word != 0 {
			i++
		}
		l.off = i
		tok.Kind = Word
	case c == '"':
		tok.Plain = l.scanString()
		tok.Kind = String
	case c == '[':
		l.off++
		tok.Kind = LBrack
	case c == ']':
		l.off++
		tok.Kind = RBrack
	case c == ',':
		l.off++
		tok.Kind = Comma
	case c == '#':
		end := len(src)
		if i := bytes.IndexByte(src[start:], '\n'); i >= 0 {
			end = start + i
		}
		l.off = end
		if end > start && src[end-1] == '\r' {
			end--
		}
		tok.Kind = Comment
		tok.End = source.Pos(end)
		return tok
	case c == '<' && start+1 < len(src) && src[start+1] == '<':
		l.scanHeredoc()
		tok.Kind = Heredoc
	default:
		l.scanIllegal()
		tok.Kind = Illegal
	}
	tok.End = source.Pos(l.off)
	return tok
}

// skipSpace skips blanks, newlines (noting them) and line continuations.
func (l *Lexer) skipSpace() {
	src, i := l.src, l.off
	for i < len(src) {
		switch src[i] {
		case ' ', '\t', '\r':
			i++
		case '\n':
			l.lines = append(l.lines, source.Pos(i+1))
			i++
			l.nl = true
		case '\\':
			// A backslash followed by blanks and a newline continues the line.
			j := i + 1
			for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\r') {
				j++
			}
			if j < len(src) && src[j] != '\n' {
				l.off = i
				return // an illegal backslash: Next reports it
			}
			if j < len(src) {
				l.newline(j)
				j++
			}
			i = j
		default:
			l.off = i
			return
		}
	}
	l.off = i
}

// Byte classes for the lexer's loops.
const (
	word  byte = 1 << iota // a byte of a bare word: letters, digits, '_', '-', '.'
	stop                   // a byte scanString must look at: '"', '\\', '$', control characters, non-ASCII
	space                  // a byte skipSpace skips or looks at: blanks, newline, backslash
)

var class = func() (t [256]byte) {
	for c := range 256 {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' {
			t[c] |= word
		}
		if c == '"' || c == '\\' || c == '$' || c < 0x20 || c >= utf8.RuneSelf {
			t[c] |= stop
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\\' {
			t[c] |= space
		}
	}
	return t
}()

func isWordByte(c byte) bool { return class[c]&word != 0 }

// startsToken reports whether c begins a token or separates tokens, which
// ends a run of illegal characters.
func startsToken(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '[', ']', ',', '#', '\\':
		return true
	}
	return isWordByte(c)
}

// scanIllegal consumes a run of characters that start no token and reports
// them once.
func (l *Lexer) scanIllegal() {
	start := l.off
	c := l.src[l.off]
	var msg string
	switch {
	case c == 0:
		msg = "NUL byte in source"
	case c == '\'':
		if l.singleQuoted() {
			return
		}
		msg = "unexpected character '\\''; strings are written in double quotes"
	case c == '\\':
		msg = "backslash outside a string; a line continuation must end its line"
	case c == '<':
		msg = "unexpected character '<'; a script block starts with <<DELIMITER"
	case c == '=':
		msg = "unexpected character '='; values follow names after a space, as in Env NAME \"value\""
	case c < utf8.RuneSelf:
		msg = fmt.Sprintf("unexpected character %q", rune(c))
	default:
		r, n := utf8.DecodeRune(l.src[l.off:])
		if r == utf8.RuneError && n == 1 {
			msg = "invalid UTF-8 encoding"
		} else {
			msg = fmt.Sprintf("unexpected character %U %q", r, r)
		}
	}
	l.off += l.illegalLen()
	for l.off < len(l.src) && !startsToken(l.src[l.off]) && !l.heredocStart() {
		l.off += l.illegalLen()
	}
	l.errorf(start, l.off, diag.IllegalCharacter, "%s", msg)
}

// singleQuoted consumes a 'single-quoted string' on one line and reports
// it with a fix to double quotes. It returns false, consuming nothing, for a
// lone quote.
func (l *Lexer) singleQuoted() bool {
	start := l.off
	end := start + 1
	for end < len(l.src) && l.src[end] != '\'' && l.src[end] != '\n' {
		end++
	}
	if end >= len(l.src) || l.src[end] != '\'' {
		return false
	}
	l.off = end + 1
	l.errors++
	if l.report == nil || l.limit > 0 && l.errors > l.limit {
		return true
	}
	inner := l.src[start+1 : end]
	d := diag.Diagnostic{
		Severity: diag.Error,
		Code:     diag.IllegalCharacter,
		Message:  "strings are written in double quotes, not single quotes",
		Range:    source.Range{Start: source.Pos(start), End: source.Pos(l.off)},
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range string(inner) {
		if c == '"' || c == '\\' || c == '$' {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	b.WriteByte('"')
	d.Fixes = []diag.Fix{{Title: "use double quotes", Edits: []diag.Edit{{Range: d.Range, NewText: b.String()}}}}
	l.report(d)
	return true
}

func (l *Lexer) heredocStart() bool {
	return l.src[l.off] == '<' && l.off+1 < len(l.src) && l.src[l.off+1] == '<'
}

func (l *Lexer) illegalLen() int {
	if l.src[l.off] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRune(l.src[l.off:])
	return n
}

// scanString consumes a double-quoted string. Escapes and references are
// decoded later (see the parser); here a backslash only protects the next
// byte. A string ends at its closing quote or, unterminated, at the end of
// the line.
func (l *Lexer) scanString() (plain bool) {
	src, start := l.src, l.off
	plain = true
	i := start + 1 // after the opening quote
	for i < len(src) {
		// Skip plain bytes fast, eight at a time; stop at anything that
		// needs a look.
		i += plainPrefix(src[i:])
		if i >= len(src) {
			break
		}
		c := src[i]
		switch {
		case c == '"':
			l.off = i + 1
			return plain
		case c == '\n':
			l.off = i
			l.unterminated(start)
			return false
		case c == '$':
			plain = false
			i++
		case c == '\\':
			plain = false
			if i+1 < len(src) && src[i+1] != '\n' && src[i+1] != 0 && src[i+1] < utf8.RuneSelf {
				i += 2
			} else {
				i++ // the parser reports the bad escape
			}
		case c == 0:
			l.errorf(i, i+1, diag.IllegalCharacter, "NUL byte in string")
			i++
		case c < utf8.RuneSelf:
			i++ // another control character, such as a tab: plain
		default:
			r, n := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && n == 1 {
				l.errorf(i, i+1, diag.IllegalCharacter, "invalid UTF-8 encoding in string")
			}
			i += n
		}
	}
	l.off = i
	l.unterminated(start)
	return false
}

// plainPrefix returns the length of the prefix of s that scanString can skip:
// bytes that are not '"', '\\', '$', control characters (newline and NUL
// among them) or non-ASCII. It tests eight bytes at a time: a byte equal to c
// is a zero byte in x^(c*lsb), (v-lsb) &^ v & msb has its lowest set bit in
// v's first zero byte, and likewise (x-0x20*lsb) &^ x & msb in x's first
// byte below 0x20.
func plainPrefix(s []byte) int {
	const lsb, msb = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		q, b, d := x^('"'*lsb), x^('\\'*lsb), x^('$'*lsb)
		m := ((x-0x20*lsb)&^x | (q-lsb)&^q | (b-lsb)&^b | (d-lsb)&^d | x) & msb
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s) && class[s[i]]&stop == 0; i++ {
	}
	return i
}

func (l *Lexer) unterminated(start int) {
	end := l.off
	if end > start && l.src[end-1] == '\r' {
		end--
	}
	l.errorf(start, end, diag.UnterminatedString, "string not terminated: the closing '\"' must be on the same line (use a <<EOF script block for several lines)")
}

// scanHeredoc consumes a script block:
//
//	<<DELIM
//	...lines...
//	DELIM
//
// The token ends after the closing delimiter, which may be indented.
func (l *Lexer) scanHeredoc() {
	start := l.off
	l.off += 2
	dstart := l.off
	for l.off < len(l.src) && isNameByte(l.src[l.off], l.off == dstart) {
		l.off++
	}
	delim := l.src[dstart:l.off]
	if len(delim) == 0 {
		l.errorf(start, l.off, diag.SyntaxError, "expected a delimiter name after '<<', as in <<EOF")
		return
	}
	// The rest of the opening line must be blank.
	rest := l.off
	for l.off < len(l.src) && l.src[l.off] != '\n' {
		l.off++
	}
	for i := rest; i < l.off; i++ {
		if c := l.src[i]; c != ' ' && c != '\t' && c != '\r' {
			l.errorf(i, l.off, diag.SyntaxError, "unexpected text after <<%s; the script starts on the next line", delim)
			break
		}
	}
	for l.off < len(l.src) {
		l.newline(l.off)
		l.off++ // the newline
		lineStart := l.off
		if i := bytes.IndexByte(l.src[lineStart:], '\n'); i >= 0 {
			l.off = lineStart + i
		} else {
			l.off = len(l.src)
		}
		line := l.src[lineStart:l.off]
		if IsHeredocEnd(line, delim) {
			for l.off > lineStart && (l.src[l.off-1] == '\r' || l.src[l.off-1] == ' ' || l.src[l.off-1] == '\t') {
				l.off--
			}
			return
		}
		// Invalid UTF-8 or NUL in a script cannot be passed to a shell.
		if utf8.Valid(line) && bytes.IndexByte(line, 0) < 0 {
			continue
		}
		for i := lineStart; i < l.off; {
			c := l.src[i]
			if c == 0 {
				l.errorf(i, i+1, diag.IllegalCharacter, "NUL byte in script")
				i++
				continue
			}
			if c < utf8.RuneSelf {
				i++
				continue
			}
			r, n := utf8.DecodeRune(l.src[i:l.off])
			if r == utf8.RuneError && n == 1 {
				l.errorf(i, i+1, diag.IllegalCharacter, "invalid UTF-8 encoding in script")
			}
			i += n
		}
	}
	l.errorf(start, dstart+len(delim), diag.UnterminatedHeredoc, "script block not terminated: no line with just %q before the end of the file", delim)
}

// IsHeredocEnd reports whether line (without its newline) closes a script
// block with delimiter delim: the delimiter alone, after optional blanks.
func IsHeredocEnd(line, delim []byte) bool {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	j := len(line)
	for j > i && (line[j-1] == ' ' || line[j-1] == '\t' || line[j-1] == '\r') {
		j--
	}
	return string(line[i:j]) == string(delim)
}

// isNameByte reports whether c may appear in a variable or delimiter name
// ([A-Za-z_][A-Za-z0-9_]*).
func isNameByte(c byte, first bool) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || !first && '0' <= c && c <= '9'
}

// IsName reports whether s is a valid variable name: [A-Za-z_][A-Za-z0-9_]*.
func IsName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i], i == 0) {
			return false
		}
	}
	return true
}
