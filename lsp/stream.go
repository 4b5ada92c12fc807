package lsp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	segjson "github.com/segmentio/encoding/json"
	"go.lsp.dev/jsonrpc2"

	"github.com/gun-tools/gun/lsp/internal/wire"
)

// maxMessage bounds the Content-Length the server accepts (the largest
// documents editors send are a few megabytes).
const maxMessage = 256 << 20

// stream is a jsonrpc2.Stream with the protocol's header framing that
// survives bad input: a frame it cannot read or a body that is not a JSON-RPC
// message is answered with a parse or invalid-request error, and reading
// carries on with the next frame. (jsonrpc2's own stream ends the connection
// on the first bad message.)
type stream struct {
	in     *bufio.Reader
	closer io.Closer

	// The last message Read returned and its params, which jsonrpc2's
	// connection hands to the server's handler before it reads the next
	// message: see decodeMessage. Only the reading goroutine uses them.
	last       jsonrpc2.Message
	lastParams json.RawMessage

	mu  sync.Mutex // serialises writes
	out io.Writer
}

func newStream(rwc io.ReadWriteCloser) *stream {
	return &stream{in: bufio.NewReaderSize(rwc, 64<<10), out: rwc, closer: rwc}
}

// errFrame is a framing error after which reading can resume.
type errFrame struct{ msg string }

func (e *errFrame) Error() string { return e.msg }

// Read implements jsonrpc2.Stream.
func (s *stream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		body, n, err := s.readFrame()
		var fe *errFrame
		if errors.As(err, &fe) {
			s.writeError(nil, jsonrpc2.ParseError, fe.msg)
			continue
		}
		if err != nil {
			return nil, n, err
		}
		msg, params, err := decodeMessage(body)
		if err == nil {
			s.last, s.lastParams = msg, params
			return msg, n, nil
		}
		s.replyBad(body, err)
	}
}

// params returns the params of req, a message Read returned last.
func (s *stream) params(req jsonrpc2.Request) json.RawMessage {
	if jsonrpc2.Message(req) == s.last {
		return s.lastParams
	}
	return req.Params()
}

// decodeMessage decodes a message and returns it with its params (nil for
// a response). It splits a request or a notification with params, and
// leaves anything else to jsonrpc2.DecodeMessage, which reads a message
// through a streaming decoder: for the 300 KB didOpen of a 5,000-line
// document that took as long as the document's analysis. The params of a
// split message are only checked to be JSON: the message it makes has none
// (null), for jsonrpc2 would encode them into a copy, 1 to 2 ms for that
// didOpen, checking them again; the server finds them with stream.params.
func decodeMessage(body []byte) (jsonrpc2.Message, json.RawMessage, error) {
	m, err := wire.Split(body)
	if err != nil || m.Method == "" || m.Params == nil || m.Result != nil || m.Error != nil ||
		m.Version != nil && string(m.Version) != `"2.0"` || !segjson.Valid(m.Params) {
		return decodeWhole(body)
	}
	var msg jsonrpc2.Message
	if m.ID == nil {
		msg, err = jsonrpc2.NewNotification(m.Method, nil)
	} else {
		var id jsonrpc2.ID
		if err := id.UnmarshalJSON(m.ID); err != nil {
			return decodeWhole(body)
		}
		msg, err = jsonrpc2.NewCall(id, m.Method, nil)
	}
	if err != nil {
		return decodeWhole(body) // and its error
	}
	return msg, m.Params, nil
}

// decodeWhole decodes a message with jsonrpc2.DecodeMessage.
func decodeWhole(body []byte) (jsonrpc2.Message, json.RawMessage, error) {
	msg, err := jsonrpc2.DecodeMessage(body)
	if req, ok := msg.(jsonrpc2.Request); ok && err == nil {
		return msg, req.Params(), nil
	}
	return msg, nil, err
}

// readFrame reads one message body. It returns an *errFrame for a bad header
// or length, after which the next frame can still be read.
func (s *stream) readFrame() ([]byte, int64, error) {
	var total int64
	length := int64(-1)
	var bad string
	for {
		line, err := s.in.ReadString('\n')
		total += int64(len(line))
		if err != nil {
			if err == io.EOF && total == 0 {
				return nil, total, io.EOF
			}
			return nil, total, fmt.Errorf("read header: %w", err)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			if length < 0 && bad == "" {
				continue // stray blank line between frames
			}
			break
		}
		// Find the header even when garbage precedes it on the line, which
		// is how a frame that came after a bad one begins.
		i := strings.Index(asciiLower(line), "content-length:")
		if i < 0 {
			if !strings.Contains(line, ":") {
				bad = fmt.Sprintf("invalid header line %q", truncate(line, 80))
			}
			continue // other headers (Content-Type) are ignored
		}
		v := strings.TrimSpace(line[i+len("content-length:"):])
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil || n <= 0:
			bad = fmt.Sprintf("invalid Content-Length %q", truncate(v, 40))
		case n > maxMessage:
			bad = fmt.Sprintf("Content-Length %d exceeds the limit of %d bytes", n, maxMessage)
		default:
			length, bad = n, ""
		}
	}
	if length < 0 {
		if bad == "" {
			bad = "missing Content-Length header"
		}
		return nil, total, &errFrame{bad}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(s.in, body); err != nil {
		return nil, total, fmt.Errorf("read message body: %w", err)
	}
	return body, total + length, nil
}

// replyBad answers a body that is not a valid JSON-RPC message: a parse
// error if it is not JSON, else an invalid request, carrying the request's
// id when one can be found.
func (s *stream) replyBad(body []byte, decodeErr error) {
	if !json.Valid(body) {
		s.writeError(nil, jsonrpc2.ParseError, "parse error: message is not valid JSON")
		return
	}
	var probe struct {
		ID json.RawMessage `json:"id"`
	}
	_ = json.Unmarshal(body, &probe) // valid JSON; a non-object leaves ID nil
	id := probe.ID
	if len(id) > 0 && id[0] != '"' && (id[0] < '0' || id[0] > '9') && id[0] != '-' {
		id = nil // only numbers and strings are ids
	}
	s.writeError(id, jsonrpc2.InvalidRequest, "invalid request: "+decodeErr.Error())
}

// writeError writes an error response; a nil id is written as null.
func (s *stream) writeError(id json.RawMessage, code jsonrpc2.Code, msg string) {
	if id == nil {
		id = json.RawMessage("null")
	}
	body, err := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   jsonrpc2.Error  `json:"error"`
	}{"2.0", id, jsonrpc2.Error{Code: code, Message: msg}})
	if err != nil {
		return // cannot happen: every field marshals
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// A failed write shows up as a read error soon after; nothing to do here.
	_, _ = s.writeFrame(body)
}

// Write implements jsonrpc2.Stream.
func (s *stream) Write(ctx context.Context, msg jsonrpc2.Message) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	body, err := marshalMessage(msg)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeFrame(body)
}

// marshalMessage encodes a message. A response's result is already JSON
// (jsonrpc2.NewResponse encodes it); it is copied in as it is, where
// jsonrpc2's own MarshalJSON would re-encode it, which for a large result
// (the symbols of a long file) costs as much as encoding it the first time.
func marshalMessage(msg jsonrpc2.Message) ([]byte, error) {
	resp, ok := msg.(*jsonrpc2.Response)
	if !ok || resp.Err() != nil {
		// Every jsonrpc2 message marshals itself; calling it directly
		// spares encoding/json a second pass.
		m, ok := msg.(json.Marshaler)
		if !ok {
			return nil, fmt.Errorf("marshal message: %T is not a JSON-RPC message", msg)
		}
		body, err := m.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("marshal message: %w", err)
		}
		return body, nil
	}
	id := resp.ID()
	idJSON, err := id.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("marshal response id: %w", err)
	}
	result := resp.Result()
	if len(result) == 0 {
		result = []byte("null")
	}
	body := make([]byte, 0, len(result)+len(idJSON)+40)
	body = append(body, `{"jsonrpc":"2.0","id":`...)
	body = append(body, idJSON...)
	body = append(body, `,"result":`...)
	body = append(body, result...)
	body = append(body, '}')
	return body, nil
}

// writeResult writes the response to request id whose result is the JSON
// result, without copying it.
func (s *stream) writeResult(id jsonrpc2.ID, result []byte) error {
	idJSON, err := id.MarshalJSON()
	if err != nil {
		return fmt.Errorf("marshal response id: %w", err)
	}
	open := make([]byte, 0, len(idJSON)+32)
	open = append(open, `{"jsonrpc":"2.0","id":`...)
	open = append(open, idJSON...)
	open = append(open, `,"result":`...)
	return s.writeParts(open, result, []byte("}"))
}

// writeParts writes one message whose body is parts, in order, without
// joining them: the frame's header with the first part, then the others.
func (s *stream) writeParts(parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	head := fmt.Appendf(make([]byte, 0, 32+len(parts[0])), "Content-Length: %d\r\n\r\n", n)
	head = append(head, parts[0]...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.out.Write(head); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	for _, b := range parts[1:] {
		if _, err := s.out.Write(b); err != nil {
			return fmt.Errorf("write message: %w", err)
		}
	}
	return nil
}

func (s *stream) writeFrame(body []byte) (int64, error) {
	var buf bytes.Buffer
	buf.Grow(len(body) + 32)
	fmt.Fprintf(&buf, "Content-Length: %d\r\n\r\n", len(body))
	buf.Write(body)
	n, err := s.out.Write(buf.Bytes())
	if err != nil {
		return int64(n), fmt.Errorf("write message: %w", err)
	}
	return int64(n), nil
}

// Close implements jsonrpc2.Stream.
func (s *stream) Close() error { return s.closer.Close() }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// asciiLower lowercases the ASCII letters of s and keeps every other byte,
// so that offsets in the result are offsets in s (strings.ToLower replaces
// invalid UTF-8, which changes lengths).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
