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
	start, end := int(t.Start)+1, int(t.End)
	// Fast path: the lexer saw no escapes and no references.
	if t.Plain {
		end--
		pl := p.plains.new()
		pl.s.Range = t.Range
		if end > start {
			pl.t.Range, pl.t.Value = source.Range{Start: source.Pos(start), End: source.Pos(end)}, p.str[start:end]
			pl.parts[0] = &pl.t
			pl.s.Parts = pl.parts[:]
		}
		return &pl.s
	}
	s := p.strings.new()
	s.Range = t.Range
	// Each reference splits the text, so there are at most 2*refs+1 parts;
	// they are written straight into the parts chunk.
	parts := p.nodes.parts.reserve(2*bytes.Count(p.src[start:end], []byte{'$'}) + 1)
	buf := p.scratch.buf[:0]
	defer func() {
		s.Parts = p.nodes.parts.commit(parts)
		p.scratch.buf = buf
	}()
	textStart := start
	escaped := false // the current text has an escape: its value is in buf
	flush := func(at int) {
		if at > textStart {
			text := p.texts.new()
			text.Range = source.Range{Start: source.Pos(textStart), End: source.Pos(at)}
			if escaped {
				text.Value = string(buf)
			} else {
				text.Value = p.str[textStart:at]
			}
			parts = append(parts, text)
		}
		buf, escaped = buf[:0], false
	}
	src := p.src[:end]
	for i := start; i < end; {
		// Copy a run of plain bytes at once.
		j := i
		for j < len(src) && !decodeStop[src[j]] {
			j++
		}
		if escaped {
			buf = append(buf, p.src[i:j]...)
		}
		if i = j; i >= end {
			break
		}
		switch p.src[i] {
		case '"':
			flush(i)
			return s
		case '\\':
			if !escaped {
				buf = append(buf[:0], p.src[textStart:i]...)
				escaped = true
			}
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
				if escaped {
					buf = append(buf, p.src[i:i+n]...)
				}
				i += n
				continue
			}
			flush(i)
			parts = append(parts, ref)
			i += n
			textStart = i
		}
	}
	flush(end)
	return s
}

// decodeStop marks the bytes decodeString must look at.
var decodeStop = [256]bool{'\\': true, '$': true, '"': true}

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
			r := p.refs.new()
			*r = ast.VarRef{
				Range:     source.Range{Start: source.Pos(i), End: source.Pos(k + 1)},
				Name:      p.str[j+1 : k],
				NameRange: source.Range{Start: source.Pos(j + 1), End: source.Pos(k)},
				Braced:    true,
			}
			return r, k + 1 - i
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
	r := p.refs.new()
	*r = ast.VarRef{
		Range:     source.Range{Start: source.Pos(i), End: source.Pos(k)},
		Name:      p.str[j:k],
		NameRange: source.Range{Start: source.Pos(j), End: source.Pos(k)},
	}
	return r, k - i
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
	s := p.strings.new()
	s.Range, s.Heredoc = t.Range, p.str[int(t.Start)+2:int(t.Start)+2+len(delim)]
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
	// The value is built in one buffer; each Text's value is a piece of it.
	buf, texts := p.scratch.buf[:0], p.scratch.htexts[:0]
	parts := p.nodes.parts.reserve(2*bytes.Count(p.src[bodyStart:bodyEnd], []byte{'$'}) + 1)
	cuts := p.scratch.cuts[:0] // texts[i].Value is buf[cuts[2i]:cuts[2i+1]]
	textStart, valueStart := -1, 0
	flush := func(at int) {
		if textStart >= 0 {
			text := p.texts.new()
			text.Range = source.Range{Start: source.Pos(textStart), End: source.Pos(at)}
			texts = append(texts, text)
			cuts = append(cuts, valueStart, len(buf))
			parts = append(parts, text)
		}
		textStart, valueStart = -1, len(buf)
	}
	for ls := bodyStart; ls < bodyEnd; {
		le := ls + bytes.IndexByte(p.src[ls:bodyEnd], '\n')
		if le < ls {
			le = bodyEnd
		}
		lineEnd := le
		if lineEnd > ls && p.src[lineEnd-1] == '\r' {
			lineEnd--
		}
		off := ls // offset of the line's text after its indentation
		switch line := p.src[ls:lineEnd]; {
		case bytes.HasPrefix(line, indent):
			off += len(indent)
		case len(bytes.Trim(line, " \t")) == 0:
			off = lineEnd
		default:
			p.errorf(source.Range{Start: source.Pos(ls), End: source.Pos(lineEnd)}, diag.SyntaxError,
				"script line is indented less than its closing %s; indent it at least as far", delim)
			off += len(line) - len(bytes.TrimLeft(line, " \t"))
		}
		if textStart < 0 {
			textStart = off
		}
		for j := off; j < lineEnd; {
			k := j + bytes.IndexByte(p.src[j:lineEnd], '$')
			if k < j {
				k = lineEnd
			}
			buf = append(buf, p.src[j:k]...)
			if j = k; j >= lineEnd {
				break
			}
			ref, n := p.scanRef(j, lineEnd, false)
			if ref == nil {
				buf = append(buf, p.src[j:j+n]...)
				j += n
				continue
			}
			flush(j)
			parts = append(parts, ref)
			j += n
			textStart = j
		}
		buf = append(buf, '\n')
		ls = le + 1
	}
	if textStart >= 0 || len(buf) > valueStart {
		if textStart < 0 {
			textStart = bodyEnd
		}
		flush(bodyEnd)
	}
	value := string(buf)
	for i, text := range texts {
		text.Value = value[cuts[2*i]:cuts[2*i+1]]
	}
	s.Parts = p.nodes.parts.commit(parts)
	p.scratch.buf, p.scratch.htexts, p.scratch.cuts = buf, texts, cuts
	return s
}
