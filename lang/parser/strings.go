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

// decodeString turns a String token into its value, with escapes decoded,
// and its variable references. It reports bad escapes and malformed
// references; the lexer has already reported an unterminated string.
func (p *parser) decodeString(t lexer.Token) *ast.String {
	start, end := int(t.Start)+1, int(t.End)
	s := p.strings.new()
	s.Range = t.Range
	// Fast path: the lexer saw no escapes and no references.
	if t.Plain {
		s.Value = p.str[start : end-1]
		return s
	}
	// The references go straight into the chunk of Refs.
	refs := p.nodes.refs.reserve(bytes.Count(p.src[start:end], []byte{'$'}))
	buf := p.scratch.buf[:0]
	escaped := false // the value differs from the source: it is built in buf
	textEnd := end   // the closing quote, or end when the string is not terminated
	src := p.src[:end]
scan:
	for i := start; i < end; {
		// Copy a run of plain bytes at once.
		j := i
		for j < len(src) && !decodeStop[src[j]] {
			j++
		}
		if escaped {
			buf = append(buf, src[i:j]...)
		}
		if i = j; i >= end {
			break
		}
		switch src[i] {
		case '"':
			textEnd = i
			break scan
		case '\\':
			if !escaped {
				buf = append(buf[:0], src[start:i]...)
				escaped = true
			}
			if i+1 >= end || src[i+1] == '\n' || src[i+1] == '\r' {
				i++ // unterminated: the lexer reported it
				continue
			}
			switch src[i+1] {
			case '"', '\\', '$':
				buf = append(buf, src[i+1])
			case 'n':
				buf = append(buf, '\n')
			case 't':
				buf = append(buf, '\t')
			default:
				_, n := utf8.DecodeRune(src[i+1 : end])
				p.errorf(source.Range{Start: source.Pos(i), End: source.Pos(i + 1 + n)}, diag.BadEscape,
					`invalid escape sequence %q; the escapes are \" \\ \n \t \$`, src[i:i+1+n])
				buf = append(buf, src[i:i+1+n]...)
				i += 1 + n
				continue
			}
			i += 2
		case '$':
			ref, n := p.scanRef(i, end, true)
			if ref != nil {
				ref.At = i - start
				if escaped {
					ref.At = len(buf)
				}
				refs = append(refs, ref)
			}
			if escaped {
				buf = append(buf, src[i:i+n]...)
			}
			i += n
		}
	}
	if escaped {
		s.Value = string(buf)
	} else {
		s.Value = p.str[start:textEnd]
	}
	if len(refs) > 0 {
		s.Refs = p.nodes.refs.commit(refs)
	}
	p.scratch.buf = buf
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
			r := p.varRefs.new()
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
	r := p.varRefs.new()
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
// has no delimiter. The closing delimiter's indentation is removed from
// every line; a line indented less is an error. References are found (for
// the checker and the editor) but the text is the shell's: no escapes. With
// expand (Copy Expand's inline file, which gun expands) \$ and \\ are decoded
// to $ and \, any other backslash is text, and a malformed reference is an
// error, as in a quoted string.
func (p *parser) decodeHeredoc(t lexer.Token, expand bool) *ast.String {
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
	buf := p.scratch.buf[:0]
	refs := p.nodes.refs.reserve(bytes.Count(p.src[bodyStart:bodyEnd], []byte{'$'}))
	stops := "$"
	if expand {
		stops = `$\`
	}
	for ls := bodyStart; ls < bodyEnd; {
		// off is where the line's text starts after its indentation.
		off, lineEnd, le, short := ast.ScriptLine(p.src, ls, bodyEnd, indent)
		if short {
			p.errorf(source.Range{Start: source.Pos(ls), End: source.Pos(lineEnd)}, diag.SyntaxError,
				"script line is indented less than its closing %s; indent it at least as far", delim)
		}
		for j := off; j < lineEnd; {
			k := j + bytes.IndexAny(p.src[j:lineEnd], stops)
			if k < j {
				k = lineEnd
			}
			buf = append(buf, p.src[j:k]...)
			if j = k; j >= lineEnd {
				break
			}
			if p.src[j] == '\\' {
				// Expand's escapes: \$ and \\; any other backslash is text.
				if j+1 < lineEnd && (p.src[j+1] == '$' || p.src[j+1] == '\\') {
					j++
				}
				buf = append(buf, p.src[j])
				j++
				continue
			}
			ref, n := p.scanRef(j, lineEnd, expand)
			if ref != nil {
				ref.At = len(buf)
				refs = append(refs, ref)
			}
			buf = append(buf, p.src[j:j+n]...)
			j += n
		}
		buf = append(buf, '\n')
		ls = le + 1
	}
	s.Value = string(buf)
	if len(refs) > 0 {
		s.Refs = p.nodes.refs.commit(refs)
	}
	p.scratch.buf = buf
	return s
}
