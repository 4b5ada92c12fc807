// Package lsptest is a language server client for tests and benchmarks: it
// drives a server over any byte stream as an editor would, and waits for the
// diagnostics the server publishes instead of sleeping.
package lsptest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	segjson "github.com/segmentio/encoding/json"
	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lsp/internal/wire"
)

// Published is one textDocument/publishDiagnostics the client received.
type Published struct {
	protocol.PublishDiagnosticsParams
	At time.Time // when it arrived
}

// Client is one connection to a language server. It speaks JSON-RPC
// itself rather than through jsonrpc2.Conn, which parses every message
// twice (the envelope, then the result) and re-encodes raw params: on the
// megabyte-sized answers of a large document that is most of a request's
// time, and this client is also what the benchmark measures servers with.
type Client struct {
	rwc       io.ReadWriteCloser
	done      chan struct{} // closed when the reading goroutine ends
	closeOnce sync.Once
	seq       atomic.Int32

	wmu sync.Mutex // serialises writes

	mu        sync.Mutex
	pending   map[int32]*call
	published map[protocol.DocumentURI][]Published
	changed   chan struct{} // closed and replaced at each publish
	onFrame   func()
}

// A call is a request waiting for its response. The reading goroutine
// puts the result where result points before it reads the next message, so
// that it can read every message into the same buffer.
type call struct {
	result any
	done   chan response // receives the outcome, once
}

// response is the outcome of one call: when its message arrived, and the
// server's error or the client's failure to decode the result.
type response struct {
	at  time.Time
	err error
}

// frames keeps the read buffer of a client that has ended for the next
// one. Messages are read into one buffer per client, which grows to the
// largest message: a fresh buffer for each megabyte of symbols or
// diagnostics cost the client some 300 page faults, 5 to 10 ms on a virtual
// machine, which the benchmark counted as the server's (docs/editors.md,
// "Speed"). Each of the benchmark's rounds starts a new client.
var frames struct {
	sync.Mutex
	buf []byte
}

// New starts a client over rwc. Server-to-client requests are answered with
// neutral results (null, or an empty list for workspace/configuration).
func New(rwc io.ReadWriteCloser) *Client {
	c := &Client{
		rwc:       rwc,
		done:      make(chan struct{}),
		pending:   make(map[int32]*call),
		published: make(map[protocol.DocumentURI][]Published),
		changed:   make(chan struct{}),
	}
	go c.read(bufio.NewReaderSize(rwc, 64<<10))
	return c
}

// read reads and dispatches messages until the connection fails.
func (c *Client) read(in *bufio.Reader) {
	defer close(c.done)
	defer c.Close()
	frames.Lock()
	buf := frames.buf
	frames.buf = nil
	frames.Unlock()
	defer func() {
		frames.Lock()
		if cap(buf) > cap(frames.buf) {
			frames.buf = buf
		}
		frames.Unlock()
	}()
	for {
		body, err := readFrame(in, buf)
		if err != nil {
			return
		}
		buf = body
		at := time.Now()
		c.mu.Lock()
		onFrame := c.onFrame
		c.mu.Unlock()
		if onFrame != nil {
			onFrame()
		}
		msg, err := wire.Split(body)
		if err != nil {
			return // a server that sends garbage is broken: stop
		}
		c.dispatch(msg, at)
	}
}

func (c *Client) dispatch(msg *wire.Message, at time.Time) {
	if msg.Method == "" {
		id, err := strconv.ParseInt(string(msg.ID), 10, 32)
		if err != nil {
			return // not an id this client gave
		}
		c.mu.Lock()
		cl := c.pending[int32(id)]
		delete(c.pending, int32(id)) // claimed: its Call waits for it now
		c.mu.Unlock()
		if cl != nil {
			cl.done <- response{at: at, err: decodeResult(msg, cl.result)}
		}
		return
	}
	if msg.Method == protocol.MethodTextDocumentPublishDiagnostics {
		var p protocol.PublishDiagnosticsParams
		if err := json.Unmarshal(msg.Params, &p); err != nil {
			return
		}
		c.mu.Lock()
		c.published[p.URI] = append(c.published[p.URI], Published{p, at})
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		return
	}
	if msg.ID == nil {
		return // other notifications
	}
	result := json.RawMessage("null")
	if msg.Method == protocol.MethodWorkspaceConfiguration {
		var p struct {
			Items []json.RawMessage `json:"items"`
		}
		_ = json.Unmarshal(msg.Params, &p)
		result, _ = json.Marshal(make([]any, len(p.Items)))
	}
	body := make([]byte, 0, 64+len(result))
	body = append(body, `{"jsonrpc":"2.0","id":`...)
	body = append(body, msg.ID...)
	body = append(body, `,"result":`...)
	body = append(body, result...)
	body = append(body, '}')
	_ = c.write(body) // a failed write shows as the connection ending
}

// OnFrame has f called as each message arrives, when its frame has been
// read and before it is parsed: for a benchmark to read the server's use of
// resources at the moment its answer is out.
func (c *Client) OnFrame(f func()) {
	c.mu.Lock()
	c.onFrame = f
	c.mu.Unlock()
}

// decodeResult returns the server's error in a response, or decodes its
// result into result (if not nil). A *json.RawMessage receives the result
// as the server sent it, in the memory it already has.
func decodeResult(msg *wire.Message, result any) error {
	if msg.Error != nil {
		e := new(jsonrpc2.Error)
		if err := json.Unmarshal(msg.Error, e); err != nil {
			return jsonrpc2.Errorf(jsonrpc2.ParseError, "bad error object %s: %v", msg.Error, err)
		}
		return e
	}
	if result == nil || len(msg.Result) == 0 {
		return nil
	}
	if raw, ok := result.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], msg.Result...)
		return nil
	}
	if err := json.Unmarshal(msg.Result, result); err != nil {
		return fmt.Errorf("decode result: %w", err)
	}
	return nil
}

// Call sends a request and decodes its result into result (if not nil). A
// *json.RawMessage receives the result as the server sent it, unparsed.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	_, err := c.CallAt(ctx, method, params, result)
	return err
}

// CallAt is Call that also returns when the response arrived: when its
// message had been read, before the client parsed it.
func (c *Client) CallAt(ctx context.Context, method string, params, result any) (time.Time, error) {
	id := c.seq.Add(1)
	body, err := encodeMessage(strconv.AppendInt(nil, int64(id), 10), method, params)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", method, err)
	}
	cl := &call{result: result, done: make(chan response, 1)}
	c.mu.Lock()
	c.pending[id] = cl
	c.mu.Unlock()
	if err := c.write(body); err != nil {
		c.abandon(id, cl)
		return time.Time{}, fmt.Errorf("%s: %w", method, err)
	}
	var cause error
	select {
	case r := <-cl.done:
		if r.err != nil {
			return r.at, fmt.Errorf("%s: %w", method, r.err)
		}
		return r.at, nil
	case <-c.done:
		cause = errors.New("connection closed")
	case <-ctx.Done():
		cause = ctx.Err()
	}
	if r, claimed := c.abandon(id, cl); claimed && r.err == nil {
		return r.at, nil // it came meanwhile
	}
	return time.Time{}, fmt.Errorf("%s: %w", method, cause)
}

// abandon withdraws a call. If the reading goroutine has claimed it
// already, abandon waits until it is done with result (it sends the outcome
// right after) and returns the outcome.
func (c *Client) abandon(id int32, cl *call) (response, bool) {
	c.mu.Lock()
	_, waiting := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if waiting {
		return response{}, false
	}
	return <-cl.done, true
}

// Notify sends a notification. Params that are a json.RawMessage are sent
// as they are.
func (c *Client) Notify(ctx context.Context, method string, params any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	body, err := encodeMessage(nil, method, params)
	if err == nil {
		err = c.write(body)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

// write sends one message body in its frame.
func (c *Client) write(body []byte) error {
	frame := make([]byte, 0, len(body)+32)
	frame = fmt.Appendf(frame, "Content-Length: %d\r\n\r\n", len(body))
	frame = append(frame, body...)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.rwc.Write(frame); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// encodeMessage encodes a request (id not nil) or a notification. Nil
// params are left out; a json.RawMessage is copied in as it is.
func encodeMessage(id []byte, method string, params any) ([]byte, error) {
	var p []byte
	switch v := params.(type) {
	case nil:
	case json.RawMessage:
		p = v
	default:
		var err error
		if p, err = segjson.Marshal(params); err != nil {
			return nil, fmt.Errorf("encode params: %w", err)
		}
	}
	m, err := json.Marshal(method)
	if err != nil {
		return nil, fmt.Errorf("encode method: %w", err)
	}
	b := make([]byte, 0, len(p)+len(m)+64)
	b = append(b, `{"jsonrpc":"2.0"`...)
	if id != nil {
		b = append(b, `,"id":`...)
		b = append(b, id...)
	}
	b = append(b, `,"method":`...)
	b = append(b, m...)
	if p != nil {
		b = append(b, `,"params":`...)
		b = append(b, p...)
	}
	return append(b, '}'), nil
}

// Initialize sends initialize (with snippet and markdown support) and
// initialized, and returns the server's result.
func (c *Client) Initialize(ctx context.Context) (*protocol.InitializeResult, error) {
	params := map[string]any{
		"processId": nil,
		"rootUri":   nil,
		"capabilities": map[string]any{
			"textDocument": map[string]any{
				"completion":         map[string]any{"completionItem": map[string]any{"snippetSupport": true}},
				"hover":              map[string]any{"contentFormat": []string{"markdown", "plaintext"}},
				"publishDiagnostics": map[string]any{"relatedInformation": true, "versionSupport": true},
				"documentSymbol":     map[string]any{"hierarchicalDocumentSymbolSupport": true},
				"rename":             map[string]any{"prepareSupport": true},
			},
		},
	}
	var res protocol.InitializeResult
	if err := c.Call(ctx, protocol.MethodInitialize, params, &res); err != nil {
		return nil, err
	}
	if err := c.Notify(ctx, protocol.MethodInitialized, struct{}{}); err != nil {
		return nil, err
	}
	return &res, nil
}

// Open sends textDocument/didOpen.
func (c *Client) Open(ctx context.Context, uri protocol.DocumentURI, languageID string, version int32, text string) error {
	return c.Notify(ctx, protocol.MethodTextDocumentDidOpen, &protocol.DidOpenTextDocumentParams{
		TextDocument: protocol.TextDocumentItem{URI: uri, LanguageID: protocol.LanguageIdentifier(languageID), Version: version, Text: text},
	})
}

// Change is one content change; a nil Range replaces the whole text.
type Change struct {
	Range *protocol.Range `json:"range,omitempty"`
	Text  string          `json:"text"`
}

// Edit sends textDocument/didChange.
func (c *Client) Edit(ctx context.Context, uri protocol.DocumentURI, version int32, changes ...Change) error {
	return c.Notify(ctx, protocol.MethodTextDocumentDidChange, map[string]any{
		"textDocument":   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: uri}, Version: version},
		"contentChanges": changes,
	})
}

// CloseDocument sends textDocument/didClose.
func (c *Client) CloseDocument(ctx context.Context, uri protocol.DocumentURI) error {
	return c.Notify(ctx, protocol.MethodTextDocumentDidClose, &protocol.DidCloseTextDocumentParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: uri},
	})
}

// Wait waits until some publish for uri satisfies ok, and returns the first
// that does. It fails when ctx is done.
func (c *Client) Wait(ctx context.Context, uri protocol.DocumentURI, ok func(Published) bool) (Published, error) {
	seen := 0
	for {
		c.mu.Lock()
		list := c.published[uri]
		changed := c.changed
		c.mu.Unlock()
		for ; seen < len(list); seen++ {
			if ok(list[seen]) {
				return list[seen], nil
			}
		}
		select {
		case <-changed:
		case <-c.done:
			return Published{}, fmt.Errorf("wait for diagnostics of %s: connection closed", uri)
		case <-ctx.Done():
			return Published{}, fmt.Errorf("wait for diagnostics of %s: %w", uri, ctx.Err())
		}
	}
}

// WaitCount waits until at least n publishes for uri have arrived.
func (c *Client) WaitCount(ctx context.Context, uri protocol.DocumentURI, n int) error {
	count := 0
	_, err := c.Wait(ctx, uri, func(Published) bool { count++; return count >= n })
	return err
}

// WaitVersion waits for the diagnostics of one version of a document.
func (c *Client) WaitVersion(ctx context.Context, uri protocol.DocumentURI, version int32) (Published, error) {
	return c.Wait(ctx, uri, func(p Published) bool { return p.Version == uint32(version) })
}

// Published returns every publish received for uri so far.
func (c *Client) Published(uri protocol.DocumentURI) []Published {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Published(nil), c.published[uri]...)
}

// Shutdown sends shutdown and exit.
func (c *Client) Shutdown(ctx context.Context) error {
	if err := c.Call(ctx, protocol.MethodShutdown, nil, nil); err != nil {
		return err
	}
	return c.Notify(ctx, protocol.MethodExit, nil)
}

// Close closes the connection.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() { err = c.rwc.Close() })
	return err
}

// Process is a language server running as a child process over stdio.
type Process struct {
	*Client
	Cmd *exec.Cmd
}

// Start runs a stdio language server and connects a client to it. The
// server's stderr goes to stderr (may be nil).
func Start(name string, args []string, stderr io.Writer) (*Process, error) {
	cmd := exec.Command(name, args...)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return &Process{Client: New(&pipeConn{ReadCloser: out, w: in}), Cmd: cmd}, nil
}

// pipeConn joins a process's stdout and stdin into one stream. Closing it
// more than once (the client, and jsonrpc2 when a read fails) is harmless.
type pipeConn struct {
	io.ReadCloser
	w    io.WriteCloser
	once sync.Once
	err  error
}

func (p *pipeConn) Write(b []byte) (int, error) { return p.w.Write(b) }

func (p *pipeConn) Close() error {
	p.once.Do(func() {
		werr := p.w.Close()
		rerr := p.ReadCloser.Close()
		p.err = errors.Join(werr, rerr)
	})
	return p.err
}
