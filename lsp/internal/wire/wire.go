// Package wire splits JSON-RPC messages into their members, for the
// language server and the client that tests and benchmarks it.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Message is a JSON-RPC message with its members' JSON values as they came
// (nil when absent; an id of null is absent), except Method, which is
// decoded.
type Message struct {
	Version, ID, Params, Result, Error []byte
	Method                             string
}

// Split splits a message into its members. It finds where each value ends
// without parsing it, so that a megabyte-sized params or result is walked
// once, where it is decoded (and so checked); a value that is not JSON may
// go unnoticed until then.
func Split(b []byte) (*Message, error) {
	var m Message
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errors.New("message is not a JSON object")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return &m, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, errors.New("expected a member name")
		}
		end, err := skipString(b, i)
		if err != nil {
			return nil, err
		}
		key := string(b[i+1 : end-1])
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, errors.New("expected ':'")
		}
		i = skipSpace(b, i+1)
		end, err = skipValue(b, i)
		if err != nil {
			return nil, fmt.Errorf("member %q: %w", key, err)
		}
		v := b[i:end]
		switch key {
		case "jsonrpc":
			m.Version = v
		case "id":
			if string(v) != "null" {
				m.ID = v
			}
		case "method":
			if err := json.Unmarshal(v, &m.Method); err != nil {
				return nil, fmt.Errorf("method: %w", err)
			}
		case "params":
			m.Params = v
		case "result":
			m.Result = v
		case "error":
			m.Error = v
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, errors.New("unterminated object")
		}
		if b[i] == '}' {
			return &m, nil
		}
		if b[i] != ',' {
			return nil, errors.New("expected ',' or '}'")
		}
		i = skipSpace(b, i+1)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the offset after the string that starts at b[i].
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, errors.New("unterminated string")
		}
		j += k
		// The quote is escaped if an odd number of backslashes precede it.
		n := 0
		for j-1-n > i && b[j-1-n] == '\\' {
			n++
		}
		j++
		if n%2 == 0 {
			return j, nil
		}
	}
}

// skipValue returns the offset after the value that starts at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("missing value")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("unterminated value")
	}
	j := i
	for j < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[j])) {
		j++
	}
	if j == i {
		return 0, fmt.Errorf("unexpected %q", b[i])
	}
	return j, nil
}
