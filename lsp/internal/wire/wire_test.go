package wire

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplit(t *testing.T) {
	type parsed struct{ Version, ID, Method, Params, Result, Err string }
	tests := []struct {
		in   string
		want parsed
		bad  bool
	}{
		{in: `{"jsonrpc":"2.0","id":7,"result":[{"name":"a \"}]\\\\","kind":1},{"x":[1,{"y":null}]}]}`,
			want: parsed{Version: `"2.0"`, ID: "7", Result: `[{"name":"a \"}]\\\\","kind":1},{"x":[1,{"y":null}]}]`}},
		{in: " { \"result\" : null , \"id\" : \"s\" , \"jsonrpc\" : \"2.0\" } ", want: parsed{Version: `"2.0"`, ID: `"s"`, Result: "null"}},
		{in: `{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}`, want: parsed{Version: `"2.0"`, ID: "3", Err: `{"code":-32601,"message":"no"}`}},
		{in: `{"jsonrpc":"2.0","method":"a\/b","params":{"t":"x\\"}}`, want: parsed{Version: `"2.0"`, Method: "a/b", Params: `{"t":"x\\"}`}},
		{in: `{"jsonrpc":"2.0","id":null,"method":"m"}`, want: parsed{Version: `"2.0"`, Method: "m"}},
		{in: `{}`},
		{in: `[1]`, bad: true},
		{in: `{"id":1,"result":[1,2}`, bad: true},
		{in: `{"id":1,"result":"open}`, bad: true},
		{in: `{"id":1 "result":1}`, bad: true},
		{in: `{"id":,}`, bad: true},
	}
	for _, tt := range tests {
		m, err := Split([]byte(tt.in))
		if tt.bad {
			if err == nil {
				t.Errorf("%s: parsed, want an error", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		got := parsed{string(m.Version), string(m.ID), m.Method, string(m.Params), string(m.Result), string(m.Error)}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.in, diff)
		}
	}
}
