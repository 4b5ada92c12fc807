package lsptest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gun-tools/gun/lsp/internal/wire"
)

// peer is the server's end of a connection to a Client: it reads the
// client's requests and answers them when told.
type peer struct {
	conn net.Conn
	in   *bufio.Reader
}

// next returns the id of the next request the client sends.
func (p *peer) next(t *testing.T) string {
	t.Helper()
	body, err := readFrame(p.in, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := wire.Split(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(m.ID)
}

// answer sends the response to request id with result.
func (p *peer) answer(t *testing.T, id, result string) {
	t.Helper()
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, id, result)
	if _, err := fmt.Fprintf(p.conn, "Content-Length: %d\r\n\r\n%s", len(body), body); err != nil {
		t.Fatal(err)
	}
}

func connect(t *testing.T) (*Client, *peer) {
	a, b := net.Pipe()
	c := New(a)
	t.Cleanup(func() { c.Close(); b.Close() })
	return c, &peer{conn: b, in: bufio.NewReader(b)}
}

// TestCallResultInPlace checks that a result goes into the memory the
// caller's json.RawMessage has (the benchmark's clock must not count the
// client's first touches of new memory), and that each result is whole
// although the client reads every message into one buffer.
func TestCallResultInPlace(t *testing.T) {
	c, p := connect(t)
	ctx := context.Background()
	res := make(json.RawMessage, 0, 1<<10)
	for i, want := range []string{`[` + strings.Repeat(`"a",`, 100) + `"a"]`, `{"b":2}`} {
		done := make(chan error, 1)
		go func() { done <- c.Call(ctx, "m", nil, &res) }()
		p.answer(t, p.next(t), want)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if string(res) != want || cap(res) != 1<<10 {
			t.Errorf("call %d: result %s (capacity %d), want %s in the caller's 1 KiB", i, res, cap(res), want)
		}
	}
}

// TestCallAbandoned checks that a call whose context ends returns at once,
// and that its late answer neither reaches the caller's result nor stops
// the next call.
func TestCallAbandoned(t *testing.T) {
	c, p := connect(t)
	var late json.RawMessage
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Call(ctx, "slow", nil, &late) }()
	id := p.next(t)
	if err := <-done; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("abandoned call: %v, want the context's deadline", err)
	}
	p.answer(t, id, `"late"`)
	var res json.RawMessage
	go func() { done <- c.Call(context.Background(), "next", nil, &res) }()
	p.answer(t, p.next(t), `"next"`)
	if err := <-done; err != nil || string(res) != `"next"` {
		t.Fatalf("next call: %s, %v", res, err)
	}
	if late != nil {
		t.Errorf("the abandoned call's result was written: %s", late)
	}
}
