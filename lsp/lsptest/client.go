// Package lsptest is a language server client for tests and benchmarks: it
// drives a server over any byte stream as an editor would, and waits for the
// diagnostics the server publishes instead of sleeping.
package lsptest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// Published is one textDocument/publishDiagnostics the client received.
type Published struct {
	protocol.PublishDiagnosticsParams
	At time.Time // when it arrived
}

// Client is one connection to a language server.
type Client struct {
	conn jsonrpc2.Conn

	mu        sync.Mutex
	published map[protocol.DocumentURI][]Published
	changed   chan struct{} // closed and replaced at each publish
	requests  []string      // methods the server asked the client
}

// New starts a client over rwc. Server-to-client requests are answered with
// neutral results (null, or an empty list for workspace/configuration).
func New(rwc io.ReadWriteCloser) *Client {
	c := &Client{
		conn:      jsonrpc2.NewConn(jsonrpc2.NewStream(rwc)),
		published: make(map[protocol.DocumentURI][]Published),
		changed:   make(chan struct{}),
	}
	c.conn.Go(context.Background(), c.handle)
	return c
}

func (c *Client) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	if req.Method() == protocol.MethodTextDocumentPublishDiagnostics {
		var p protocol.PublishDiagnosticsParams
		if err := json.Unmarshal(req.Params(), &p); err != nil {
			return reply(ctx, nil, fmt.Errorf("bad publishDiagnostics: %w", err))
		}
		c.mu.Lock()
		c.published[p.URI] = append(c.published[p.URI], Published{p, time.Now()})
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		return reply(ctx, nil, nil)
	}
	if _, ok := req.(*jsonrpc2.Call); ok {
		c.mu.Lock()
		c.requests = append(c.requests, req.Method())
		c.mu.Unlock()
		if req.Method() == protocol.MethodWorkspaceConfiguration {
			var p struct {
				Items []json.RawMessage `json:"items"`
			}
			_ = json.Unmarshal(req.Params(), &p)
			return reply(ctx, make([]any, len(p.Items)), nil)
		}
	}
	return reply(ctx, nil, nil)
}

// Call sends a request and decodes its result into result (if not nil).
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	_, err := c.conn.Call(ctx, method, params, result)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

// Notify sends a notification.
func (c *Client) Notify(ctx context.Context, method string, params any) error {
	if err := c.conn.Notify(ctx, method, params); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
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
		case <-c.conn.Done():
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

// ServerRequests returns the methods of the requests the server sent.
func (c *Client) ServerRequests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.requests...)
}

// Shutdown sends shutdown and exit.
func (c *Client) Shutdown(ctx context.Context) error {
	if err := c.Call(ctx, protocol.MethodShutdown, nil, nil); err != nil {
		return err
	}
	return c.Notify(ctx, protocol.MethodExit, nil)
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.conn.Done() }

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
