package lsp

import (
	"strconv"
	"unicode/utf8"

	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/diag"
)

// encoded is a result already encoded as JSON. The server writes it into
// the response as it is, where jsonrpc2 would parse and copy it again.
type encoded []byte

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, byte by byte, as encoding/json does; unlike encoding/json, '<',
// '>' and '&' are not escaped (nothing here is embedded in HTML).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends s escaped for a JSON string, without the quotes.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// encodeDiagnostics encodes ds, which are in source order, as a JSON array
// of the protocol's Diagnostic: the fields toDiagnostic fills, in the order
// encoding/json writes them. A long file can have thousands; encoding/json
// took as long as the analysis that found them.
func encodeDiagnostics(uri protocol.DocumentURI, m *Mapper, ds []diag.Diagnostic) encoded {
	c := m.cursor()
	b := make([]byte, 0, 64+len(ds)*256)
	b = append(b, '[')
	for i, d := range ds {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"range":`...)
		b = appendRange(b, c.Position(int(d.Range.Start)), c.Position(int(d.Range.End)))
		b = append(b, `,"severity":`...)
		b = strconv.AppendUint(b, uint64(severity(d)), 10)
		if d.Code != "" {
			b = append(b, `,"code":`...)
			b = appendJSONString(b, string(d.Code))
		}
		b = append(b, `,"source":"gun","message":`...)
		b = appendJSONString(b, d.Message)
		if len(d.Related) > 0 {
			b = append(b, `,"relatedInformation":[`...)
			for j, r := range d.Related {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"location":{"uri":`...)
				b = appendJSONString(b, string(uri))
				b = append(b, `,"range":`...)
				b = appendRange(b, c.Position(int(r.Range.Start)), c.Position(int(r.Range.End)))
				b = append(b, `},"message":`...)
				b = appendJSONString(b, r.Message)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}
