package lsp

import (
	"encoding/json"
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
