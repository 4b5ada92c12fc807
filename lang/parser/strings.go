package parser

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/lexer"
	"github.com/gun-tools/gun/lang/source"
)

// decodeString turns a String token into parts: text with escapes decoded,
// and variable references. It reports bad escapes and malformed references;
// the lexer has already reported an unterminated string.
func (p *parser) decodeString(t lexer.Token) *ast.String {
	s := &ast.String{Range: t.Range}
	start, end := int(t.Start)+1, int(t.End)
	body := p.src[start:end]
	// Fast path: no escapes and no references before the closing quote.
	if i := bytes.IndexAny(body, "\\$\""); i < 0 || body[i] == '"' {
		if i >= 0 {
			end = start + i
		}
		if end == start {
			return s
		}
		s.Parts = []ast.Part{&ast.Text{Range: source.Range{Start: source.Pos(start), End: source.Pos(end)}, Value: string(p.src[start:end])}}
		return s
	}
	var buf []byte
	textStart := start
	flush := func(at int) {
		if at > textStart {
			s.Parts = append(s.Parts, &ast.Text{Range: source.Range{Start: source.Pos(textStart), End: source.Pos(at)}, Value: string(buf)})
		}
		buf = buf[:0]
	}
	for i := start; i < end; {
		c := p.src[i]
		switch c {
		case '"':
			flush(i)
			return s
		case '\\':
			if i+1 >= end || p.src[i+1] == '\n' || p.src[i+1] == '\r' {
				i++ // unterminated: the lexer reported it
				continue
			}
			switch p.src[i+1] {
			case '"', '\\', '$':
				buf = append(buf, p.src[i+1])
			case 'n':
				buf = append(buf, '\n')
			case 't':
				buf = append(buf, '\t')
			default:
				_, n := utf8.DecodeRune(p.src[i+1 : end])
				p.errorf(source.Range{Start: source.Pos(i), End: source.Pos(i + 1 + n)}, diag.BadEscape,
					`invalid escape sequence %q; the escapes are \" \\ \n \t \$`, p.src[i:i+1+n])
				buf = append(buf, p.src[i:i+1+n]...)
				i += 1 + n
				continue
			}
			i += 2
		case '$':
			ref, n := p.scanRef(i, end, true)
			if ref == nil {
				buf = append(buf, p.src[i:i+n]...)
				i += n
				continue
			}
			flush(i)
			s.Parts = append(s.Parts, ref)
			i += n
			textStart = i
		default:
			buf = append(buf, c)
			i++
		}
	}
	flush(end)
	return s
}

// scanRef reads a reference at src[i] == '$' (bounded by end). It returns the
// reference, or nil for a '$' that is literal text, and the bytes consumed.
// With report, a malformed ${...} is an error.
func (p *parser) scanRef(i, end int, report bool) (*ast.VarRef, int) {
	j := i + 1
	if j < end && p.src[j] == '{' {
		k := j + 1
		for k < end && isName(p.src[k], k == j+1) {
			k++
		}
		if k < end && p.src[k] == '}' && k > j+1 {
			return &ast.VarRef{
				Range:     source.Range{Start: source.Pos(i), End: source.Pos(k + 1)},
				Name:      string(p.src[j+1 : k]),
				NameRange: source.Range{Start: source.Pos(j + 1), End: source.Pos(k)},
				Braced:    true,
			}, k + 1 - i
		}
		if report {
			// Show the whole ${...} if it closes before a blank or quote.
			close := j + 1
			for close < end && !bytes.ContainsRune([]byte("} \t\"$"), rune(p.src[close])) {
				close++
			}
			r := source.Range{Start: source.Pos(i), End: source.Pos(j + 1)}
			msg := "malformed reference: '${' needs a name and '}', as in ${NAME} (write \\$ for a literal '$')"
			if close < end && p.src[close] == '}' {
				r.End = source.Pos(close + 1)
				msg = fmt.Sprintf("malformed reference %q: a name is letters, digits and '_', not starting with a digit (write \\$ for a literal '$')", p.src[i:close+1])
			}
			p.errorf(r, diag.BadReference, "%s", msg)
		}
		return nil, 2
	}
	k := j
	for k < end && isName(p.src[k], k == j) {
		k++
	}
	if k == j {
		return nil, 1 // a lone '$' is literal
	}
	return &ast.VarRef{
		Range:     source.Range{Start: source.Pos(i), End: source.Pos(k)},
		Name:      string(p.src[j:k]),
		NameRange: source.Range{Start: source.Pos(j), End: source.Pos(k)},
	}, k - i
}

func isName(c byte, first bool) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || !first && '0' <= c && c <= '9'
}

// decodeHeredoc turns a script block token into a String, or nil when it
// has no delimiter. The closing
// delimiter's indentation is removed from every line; a line indented less is
// an error. References are found (for the checker and the editor) but the
// text is the shell's: no escapes.
func (p *parser) decodeHeredoc(t lexer.Token) *ast.String {
	tok := p.src[t.Start:t.End]
	i := 2
	for i < len(tok) && isName(tok[i], i == 2) {
		i++
	}
	delim := tok[2:i]
	if len(delim) == 0 {
		return nil // reported by the lexer
	}
	s := &ast.String{Range: t.Range, Heredoc: string(delim)}
	nl := bytes.IndexByte(tok, '\n')
	if nl < 0 {
		return s // unterminated at the end of the file; reported by the lexer
	}
	bodyStart := int(t.Start) + nl + 1
	lastNL := bytes.LastIndexByte(tok, '\n')
	last := tok[lastNL+1:]
	bodyEnd := int(t.End) // unterminated: the body runs to the end
	var indent []byte
	if lexer.IsHeredocEnd(last, delim) {
		bodyEnd = int(t.Start) + lastNL + 1
		indent = last[:len(last)-len(bytes.TrimLeft(last, " \t"))]
	}
	var buf []byte
	textStart := -1
	flush := func(at int) {
		if textStart >= 0 {
			s.Parts = append(s.Parts, &ast.Text{Range: source.Range{Start: source.Pos(textStart), End: source.Pos(at)}, Value: string(buf)})
		}
		buf, textStart = buf[:0], -1
	}
	for ls := bodyStart; ls < bodyEnd; {
		le := ls + bytes.IndexByte(p.src[ls:bodyEnd], '\n')
		if le < ls {
			le = bodyEnd
		}
		line := p.src[ls:le]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		switch {
		case bytes.HasPrefix(line, indent):
			line = line[len(indent):]
		case len(bytes.Trim(line, " \t\r")) == 0:
			line = nil
		default:
			p.errorf(source.Range{Start: source.Pos(ls), End: source.Pos(le)}, diag.SyntaxError,
				"script line is indented less than its closing %s; indent it at least as far", delim)
			line = bytes.TrimLeft(line, " \t")
		}
		off := ls + bytes.Index(p.src[ls:le], line) // offset of line[0] in src
		if line == nil {
			off = le
		}
		if textStart < 0 {
			textStart = off
		}
		for j := 0; j < len(line); {
			if line[j] == '$' {
				if ref, n := p.scanRef(off+j, le, false); ref != nil {
					flush(off + j)
					s.Parts = append(s.Parts, ref)
					j += n
					textStart = off + j
					continue
				}
			}
			buf = append(buf, line[j])
			j++
		}
		buf = append(buf, '\n')
		ls = le + 1
	}
	if textStart >= 0 || len(buf) > 0 {
		if textStart < 0 {
			textStart = bodyEnd
		}
		flush(bodyEnd)
	}
	return s
}
