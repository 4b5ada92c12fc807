package lsp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/jsonrpc2"
)

// TestMarshalMessage checks the response fast path against jsonrpc2's own
// encoding.
func TestMarshalMessage(t *testing.T) {
	results := []any{nil, 1, "x<y>&", []int{}, map[string]any{"a": []any{1, "b", nil}}}
	ids := []jsonrpc2.ID{jsonrpc2.NewNumberID(7), jsonrpc2.NewStringID("abc")}
	for _, id := range ids {
		for _, r := range results {
			resp, err := jsonrpc2.NewResponse(id, r, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := resp.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			got, err := marshalMessage(resp)
			if err != nil {
				t.Fatal(err)
			}
			var w, g any
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("invalid JSON %s: %v", got, err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("response %v %v (-jsonrpc2 +fast):\n%s", id, r, diff)
			}
		}
	}
	// Errors take jsonrpc2's path.
	resp, _ := jsonrpc2.NewResponse(ids[0], nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "bad"))
	got, err := marshalMessage(resp)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Error jsonrpc2.Error `json:"error"`
	}
	if err := json.Unmarshal(got, &m); err != nil || m.Error.Code != jsonrpc2.InvalidParams {
		t.Errorf("error response %s: %v", got, err)
	}
}

// rwc is a connection whose input is fixed and whose output is kept.
type rwc struct {
	io.Reader
	out bytes.Buffer
}

func (c *rwc) Write(p []byte) (int, error) { return c.out.Write(p) }
func (c *rwc) Close() error                { return nil }

// FuzzStream feeds arbitrary bytes to the server's message reader: it
// never panics, every Read either yields a message or consumes input (so
// that a bad frame cannot make it spin), it ends at the input's end, and
// whatever it answers is well-framed JSON-RPC.
func FuzzStream(f *testing.F) {
	frame := func(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }
	for _, seed := range []string{
		frame(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`),
		frame(`{"jsonrpc":"2.0","method":"exit"}`),
		frame(`not json`) + frame(`{"jsonrpc":"2.0","id":"x","method":"shutdown"}`),
		"Content-Length: 99999999999\r\n\r\n{}",
		"Content-Length: -1\r\n\r\n",
		"Content-Type: x\r\n\r\n" + frame(`[]`),
		"garbage\r\n" + frame(`{"id":[1]}`),
		frame(`{"jsonrpc":"2.0","id":1}`)[:20],
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &rwc{Reader: bytes.NewReader(in)}
		s := newStream(c)
		ctx := context.Background()
		for reads := 0; ; reads++ {
			if reads > len(in)+1 {
				t.Fatalf("%d reads of %d bytes: no progress", reads, len(in))
			}
			msg, _, err := s.Read(ctx)
			if err != nil {
				break
			}
			if msg == nil {
				t.Fatal("Read returned neither a message nor an error")
			}
		}
		// The answers to bad input: frames of valid JSON-RPC error responses.
		out := bufio.NewReader(&c.out)
		for {
			var n int
			line, err := out.ReadString('\n')
			if err == io.EOF && line == "" {
				return
			}
			if _, err := fmt.Sscanf(line, "Content-Length: %d\r\n", &n); err != nil {
				t.Fatalf("bad header %q in output: %v", line, err)
			}
			if blank, _ := out.ReadString('\n'); blank != "\r\n" {
				t.Fatalf("header not ended by a blank line: %q", blank)
			}
			body := make([]byte, n)
			if _, err := io.ReadFull(out, body); err != nil {
				t.Fatalf("short body: %v", err)
			}
			var resp struct {
				JSONRPC string          `json:"jsonrpc"`
				ID      json.RawMessage `json:"id"`
				Error   *jsonrpc2.Error `json:"error"`
			}
			if err := json.Unmarshal(body, &resp); err != nil || resp.JSONRPC != "2.0" || resp.Error == nil || len(resp.ID) == 0 {
				t.Fatalf("answer %s is not a JSON-RPC error response (%v)", body, err)
			}
		}
	})
}

// TestDecodeMessage checks the split path of decodeMessage against
// jsonrpc2.DecodeMessage: the same kind of message, method, id and params
// (as JSON values), or an error from both.
func TestDecodeMessage(t *testing.T) {
	type decoded struct {
		Kind, Method, ID string
		Params           any
	}
	view := func(m jsonrpc2.Message, params json.RawMessage) decoded {
		var d decoded
		switch m := m.(type) {
		case *jsonrpc2.Call:
			d.Kind, d.Method, d.ID = "call", m.Method(), fmt.Sprint(m.ID())
		case *jsonrpc2.Notification:
			d.Kind, d.Method = "notification", m.Method()
		case *jsonrpc2.Response:
			d.Kind, d.ID, params = "response", fmt.Sprint(m.ID()), m.Result()
		}
		if len(params) > 0 {
			if err := json.Unmarshal(params, &d.Params); err != nil {
				t.Fatalf("params %s: %v", params, err)
			}
		} else {
			d.Params = "(none)"
		}
		return d
	}
	for _, in := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"textDocument/hover","params":{"position":{"line":1,"character":2}}}`,
		`{"jsonrpc":"2.0","id":"s-1","method":"m","params":[1,"<a&b>",null]}`,
		` { "params" : { "text" : "Exec \"a\\nb\" 𝄞 \u00e9" } , "method" : "textDocument/didOpen" } `,
		`{"jsonrpc":"2.0","method":"exit"}`,
		`{"jsonrpc":"2.0","id":null,"method":"n","params":{}}`,
		`{"jsonrpc":"2.0","id":2,"method":"shutdown"}`,
		`{"jsonrpc":"2.0","id":3,"result":{"a":1}}`,
		`{"jsonrpc":"1.0","method":"n","params":{}}`,
		`{"jsonrpc":"2.0","method":"n","params":{"a":tru}}`,
		`{"jsonrpc":"2.0","method":"n","params":{"a":1}`,
		`{"jsonrpc":"2.0","id":{},"method":"n","params":{}}`,
		`{"jsonrpc":"2.0","id":1.5,"method":"n","params":{}}`,
		`[{"jsonrpc":"2.0","method":"n","params":{}}]`,
		`{"jsonrpc":"2.0","method":7,"params":{}}`,
	} {
		want, wantErr := jsonrpc2.DecodeMessage([]byte(in))
		got, params, err := decodeMessage([]byte(in))
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%s: error %v, jsonrpc2's %v", in, err, wantErr)
			continue
		}
		if err != nil {
			continue
		}
		var wantParams json.RawMessage
		if req, ok := want.(jsonrpc2.Request); ok {
			wantParams = req.Params()
		}
		if diff := cmp.Diff(view(want, wantParams), view(got, params)); diff != "" {
			t.Errorf("%s (-jsonrpc2 +decodeMessage):\n%s", in, diff)
		}
	}
}
