package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lsp/lsptest"
)

const testURI = protocol.DocumentURI("file:///work/Gunfile")

// harness is a server running in-process over a pipe.
type harness struct {
	t      *testing.T
	srv    *server
	conn   net.Conn // the client's end
	done   chan error
	before int // goroutines before the server started
}

// startServer starts a server over a pipe; extra adds methods (for tests
// that need a request which runs until it is cancelled).
func startServer(t *testing.T, extra map[string]method) *harness {
	t.Helper()
	before := runtime.NumGoroutine()
	srvEnd, cliEnd := net.Pipe()
	s := newServer(srvEnd, Options{})
	for name, m := range extra {
		s.methods[name] = m
	}
	h := &harness{t: t, srv: s, conn: cliEnd, done: make(chan error, 1), before: before}
	go func() { h.done <- s.serve(context.Background()) }()
	t.Cleanup(func() {
		cliEnd.Close()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Error("server did not stop after the connection closed")
		}
	})
	return h
}

// startServerB starts a server over a pipe for a benchmark and returns the
// client's end.
func startServerB(b *testing.B) net.Conn {
	srvEnd, cliEnd := net.Pipe()
	s := newServer(srvEnd, Options{})
	done := make(chan error, 1)
	go func() { done <- s.serve(context.Background()) }()
	b.Cleanup(func() {
		cliEnd.Close()
		<-done
	})
	return cliEnd
}

// client connects an lsptest client to the harness.
func (h *harness) client() *lsptest.Client {
	c := lsptest.New(h.conn)
	h.t.Cleanup(func() { c.Close() })
	return c
}

// wait returns Serve's result, failing the test if it does not return.
func (h *harness) wait() error {
	h.t.Helper()
	select {
	case err := <-h.done:
		h.done <- err // for the cleanup
		return err
	case <-time.After(5 * time.Second):
		h.t.Fatal("Serve did not return")
		return nil
	}
}

// checkNoLeak waits for the goroutines the test started to end.
func (h *harness) checkNoLeak() {
	h.t.Helper()
	h.conn.Close()
	h.wait()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > h.before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			h.t.Fatalf("goroutines: %d before, %d after:\n%s", h.before, runtime.NumGoroutine(), buf[:n])
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond)
	}
}

// ctxT guards a test against a server that hangs. It is generous: the
// tests also run under the race detector on loaded machines, where the
// long-line test alone takes tens of seconds.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func rpcCode(err error) jsonrpc2.Code {
	var e *jsonrpc2.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func TestLifecycle(t *testing.T) {
	h := startServer(t, nil)
	c := h.client()
	ctx := ctxT(t)

	err := c.Call(ctx, protocol.MethodTextDocumentHover, map[string]any{}, nil)
	if rpcCode(err) != jsonrpc2.ServerNotInitialized {
		t.Errorf("hover before initialize: %v, want ServerNotInitialized", err)
	}
	res, err := c.Initialize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerInfo == nil || res.ServerInfo.Name != "gun" {
		t.Errorf("serverInfo = %+v", res.ServerInfo)
	}
	raw, _ := json.Marshal(res.Capabilities.TextDocumentSync)
	var sync map[string]any
	if err := json.Unmarshal(raw, &sync); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"openClose": true, "change": float64(2)}, sync); diff != "" {
		t.Errorf("textDocumentSync (-want +got):\n%s", diff)
	}
	if err := c.Call(ctx, protocol.MethodInitialize, map[string]any{}, nil); rpcCode(err) != jsonrpc2.InvalidRequest {
		t.Errorf("second initialize: %v, want InvalidRequest", err)
	}
	if err := c.Call(ctx, protocol.MethodShutdown, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(ctx, protocol.MethodShutdown, nil, nil); rpcCode(err) != jsonrpc2.InvalidRequest {
		t.Errorf("request after shutdown: %v, want InvalidRequest", err)
	}
	if err := c.Notify(ctx, protocol.MethodExit, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.wait(); err != nil {
		t.Errorf("Serve after shutdown and exit = %v, want nil", err)
	}
	h.checkNoLeak()
}

func TestExitWithoutShutdown(t *testing.T) {
	t.Run("exit", func(t *testing.T) {
		h := startServer(t, nil)
		c := h.client()
		ctx := ctxT(t)
		if _, err := c.Initialize(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Notify(ctx, protocol.MethodExit, nil); err != nil {
			t.Fatal(err)
		}
		if err := h.wait(); !errors.Is(err, ErrNoShutdown) {
			t.Errorf("Serve = %v, want ErrNoShutdown", err)
		}
		h.checkNoLeak()
	})
	t.Run("client gone", func(t *testing.T) {
		h := startServer(t, nil)
		c := h.client()
		ctx := ctxT(t)
		if _, err := c.Initialize(ctx); err != nil {
			t.Fatal(err)
		}
		// A document with diagnostics pending when the client vanishes.
		if err := c.Open(ctx, testURI, "gunfile", 1, "Using \"scratch\"\n"); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if err := h.wait(); !errors.Is(err, ErrNoShutdown) {
			t.Errorf("Serve = %v, want ErrNoShutdown", err)
		}
		h.checkNoLeak()
	})
}

func TestMethodNotFound(t *testing.T) {
	h := startServer(t, nil)
	c := h.client()
	ctx := ctxT(t)
	if _, err := c.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"textDocument/colorPresentation", "workspace/symbol", "gun/nonsense"} {
		err := c.Call(ctx, m, map[string]any{}, nil)
		if rpcCode(err) != jsonrpc2.MethodNotFound || !strings.Contains(err.Error(), m) {
			t.Errorf("%s: %v, want MethodNotFound naming the method", m, err)
		}
	}
	// Unknown notifications are ignored, and the server keeps serving.
	if err := c.Notify(ctx, "$/unknownNotification", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(ctx, protocol.MethodShutdown, nil, nil); err != nil {
		t.Errorf("shutdown after unknown methods: %v", err)
	}
	h.checkNoLeak()
}

// rawClient speaks the wire format directly, to send what a well-behaved
// client never would.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	msgs chan map[string]any
}

func (h *harness) raw() *rawClient {
	r := &rawClient{t: h.t, conn: h.conn, msgs: make(chan map[string]any, 100)}
	go func() {
		defer close(r.msgs)
		br := bufio.NewReader(h.conn)
		for {
			length := 0
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				line = strings.TrimSpace(line)
				if line == "" {
					break
				}
				if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
					length, _ = strconv.Atoi(v)
				}
			}
			body := make([]byte, length)
			if _, err := io.ReadFull(br, body); err != nil {
				return
			}
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				r.t.Errorf("server sent invalid JSON %q: %v", body, err)
				return
			}
			r.msgs <- m
		}
	}()
	return r
}

func (r *rawClient) write(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.conn, s); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

func (r *rawClient) send(body string) {
	r.t.Helper()
	r.write(fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body))
}

// response returns the next response (skipping notifications).
func (r *rawClient) response() map[string]any {
	r.t.Helper()
	for {
		select {
		case m, ok := <-r.msgs:
			if !ok {
				r.t.Fatal("connection closed while waiting for a response")
			}
			if _, isNote := m["method"]; !isNote {
				return m
			}
		case <-time.After(5 * time.Second):
			r.t.Fatal("no response")
		}
	}
}

func errCode(m map[string]any) float64 {
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(float64)
	return code
}

func TestMalformedMessages(t *testing.T) {
	h := startServer(t, nil)
	r := h.raw()
	r.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`)
	if m := r.response(); m["id"] != float64(1) || m["error"] != nil {
		t.Fatalf("initialize: %v", m)
	}
	tests := []struct {
		name   string
		send   func()
		wantID any
		code   jsonrpc2.Code
	}{
		{"not JSON", func() { r.send(`{"jsonrpc":"2.0","id":2,"method":`) }, nil, jsonrpc2.ParseError},
		{"binary", func() { r.send("\x00\xff\xfe garbage") }, nil, jsonrpc2.ParseError},
		{"wrong version", func() { r.send(`{"jsonrpc":"1.0","id":3,"method":"shutdown"}`) }, float64(3), jsonrpc2.InvalidRequest},
		{"not an object", func() { r.send(`[1,2,3]`) }, nil, jsonrpc2.InvalidRequest},
		{"no method, no id", func() { r.send(`{"jsonrpc":"2.0"}`) }, nil, jsonrpc2.InvalidRequest},
		{"bad header", func() { r.write("Content-Lenght 12\r\n\r\n") }, nil, jsonrpc2.ParseError},
		{"bad length", func() { r.write("Content-Length: -4\r\n\r\n") }, nil, jsonrpc2.ParseError},
		{"huge length", func() { r.write("Content-Length: 99999999999\r\n\r\n") }, nil, jsonrpc2.ParseError},
		{"params of the wrong type", func() {
			r.send(`{"jsonrpc":"2.0","id":4,"method":"textDocument/hover","params":[1]}`)
		}, float64(4), jsonrpc2.InvalidParams},
		{"unknown method", func() { r.send(`{"jsonrpc":"2.0","id":"five","method":"no/such"}`) }, "five", jsonrpc2.MethodNotFound},
	}
	for _, tt := range tests {
		tt.send()
		m := r.response()
		if m["id"] != tt.wantID || errCode(m) != float64(tt.code) {
			t.Errorf("%s: got %v, want id %v and error %d", tt.name, m, tt.wantID, tt.code)
		}
	}
	// A frame glued to the garbage before it is still read.
	r.write(`junk-without-newline`)
	r.send(`{"jsonrpc":"2.0","id":6,"method":"shutdown"}`)
	for {
		m := r.response()
		if m["id"] == float64(6) {
			if m["error"] != nil {
				t.Errorf("shutdown after garbage: %v", m)
			}
			break
		}
	}
	h.checkNoLeak()
}

func TestCancelRequest(t *testing.T) {
	started := make(chan struct{}, 1)
	block := method{prepare: func(*server, json.RawMessage) (func(context.Context) (any, error), error) {
		return func(ctx context.Context) (any, error) {
			started <- struct{}{}
			<-ctx.Done()
			return "finished", nil
		}, nil
	}}
	h := startServer(t, map[string]method{"test/block": block})
	r := h.raw()
	r.send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}`)
	r.response()
	r.send(`{"jsonrpc":"2.0","id":2,"method":"test/block"}`)
	<-started
	// The server keeps serving while the request runs.
	r.send(`{"jsonrpc":"2.0","id":3,"method":"no/such"}`)
	if m := r.response(); m["id"] != float64(3) {
		t.Fatalf("response while blocked: %v", m)
	}
	r.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}`)
	m := r.response()
	if m["id"] != float64(2) || errCode(m) != float64(protocol.CodeRequestCancelled) {
		t.Errorf("cancelled request: %v, want RequestCancelled", m)
	}
	// Cancelling what is not running is ignored.
	r.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":99}}`)
	r.send(`{"jsonrpc":"2.0","method":"$/cancelRequest","params":"nonsense"}`)
	// A request still running when the client goes is cancelled and waited for.
	r.send(`{"jsonrpc":"2.0","id":4,"method":"test/block"}`)
	<-started
	h.checkNoLeak()
}
