package lsp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lsp/lsptest"
)

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`a "quoted" \ b`, `"a \"quoted\" \\ b"`},
		{"line\nbreak\r\ttab", `"line\nbreak\r\ttab"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"apk add && echo <x>", `"apk add && echo <x>"`},
		{"é𝄞", `"é𝄞"`},
		{"bad \xff utf-8 \xc3", `"bad \ufffd utf-8 \ufffd"`},
	}
	for _, tt := range tests {
		if got := string(appendJSONString(nil, tt.in)); got != tt.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzAppendJSONString checks that any string encodes to valid JSON that
// decodes to what encoding/json's encoding of it decodes to.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c", "\n\r\t\x00", "é𝄞\xff\xc3", "\u2028<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s: %v", s, enc, err)
		}
		std, _ := json.Marshal(s)
		var want string
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", s, got, want)
		}
	})
}

// TestSymbolsEncoding checks the hand-written encoding against
// encoding/json's decoding of it, on a document with every kind of symbol,
// text that needs escaping and non-ASCII text.
func TestSymbolsEncoding(t *testing.T) {
	text := "Arg A \"x\"\nUsing \"a.tar\"\nEnv E \"é\\\"q\\\" && <b>\"\nExec \"é𝄞 ${A}\"\nCopy \"f\" \"/f\"\n" +
		"Label \"k\" \"v\"\nUser \"u\"\nWorkdir \"/w\"\nUsing \"b.tar\" As named\nExec \"\"\n"
	snap := &snapshot{uri: "file:///Gunfile", version: 1, m: NewMapper(text)}
	var syms []protocol.DocumentSymbol
	if err := json.Unmarshal(snap.symbols(), &syms); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, snap.symbols())
	}
	rng := func(l1, c1, l2, c2 uint32) protocol.Range {
		return protocol.Range{Start: pos(l1, c1), End: pos(l2, c2)}
	}
	want := []protocol.DocumentSymbol{
		{Name: "A", Detail: `Arg "x"`, Kind: protocol.SymbolKindVariable, Range: rng(0, 0, 0, 9), SelectionRange: rng(0, 4, 0, 5)},
		{Name: "stage 1", Detail: `Using "a.tar"`, Kind: protocol.SymbolKindModule, Range: rng(1, 0, 7, 12), SelectionRange: rng(1, 0, 1, 5),
			Children: []protocol.DocumentSymbol{
				{Name: "E", Detail: `Env "é\"q\" && <b>"`, Kind: protocol.SymbolKindVariable, Range: rng(2, 0, 2, 21), SelectionRange: rng(2, 4, 2, 5)},
				{Name: "Exec", Detail: `"é𝄞 ${A}"`, Kind: protocol.SymbolKindFunction, Range: rng(3, 0, 3, 15), SelectionRange: rng(3, 0, 3, 4)},
				{Name: "Copy", Detail: `"f" "/f"`, Kind: protocol.SymbolKindFile, Range: rng(4, 0, 4, 13), SelectionRange: rng(4, 0, 4, 4)},
				{Name: "Label", Detail: `"k" "v"`, Kind: protocol.SymbolKindProperty, Range: rng(5, 0, 5, 13), SelectionRange: rng(5, 0, 5, 5)},
				{Name: "User", Detail: `"u"`, Kind: protocol.SymbolKindProperty, Range: rng(6, 0, 6, 8), SelectionRange: rng(6, 0, 6, 4)},
				{Name: "Workdir", Detail: `"/w"`, Kind: protocol.SymbolKindProperty, Range: rng(7, 0, 7, 12), SelectionRange: rng(7, 0, 7, 7)},
			}},
		{Name: "named", Detail: `Using "b.tar" As named`, Kind: protocol.SymbolKindModule, Range: rng(8, 0, 9, 7), SelectionRange: rng(8, 17, 8, 22),
			Children: []protocol.DocumentSymbol{
				{Name: "Exec", Detail: `""`, Kind: protocol.SymbolKindFunction, Range: rng(9, 0, 9, 7), SelectionRange: rng(9, 0, 9, 4)},
			}},
	}
	if diff := cmp.Diff(want, syms); diff != "" {
		t.Errorf("symbols (-want +got):\n%s", diff)
	}
}

// TestSymbolsCache checks that a version's symbols are encoded once and
// that an edit gets the new version's.
func TestSymbolsCache(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", "Using \"a.tar\" As one\nExec \"x\"\n")
	snap, _ := s.h.srv.docs.get(d.uri)
	names := func() []string {
		t.Helper()
		var syms []protocol.DocumentSymbol
		if err := s.call(protocol.MethodTextDocumentDocumentSymbol, &protocol.DocumentSymbolParams{TextDocument: d.id()}, &syms); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, sym := range syms {
			out = append(out, sym.Name)
			for _, c := range sym.Children {
				out = append(out, sym.Name+"/"+c.Name)
			}
		}
		return out
	}
	if diff := cmp.Diff([]string{"one", "one/Exec"}, names()); diff != "" {
		t.Errorf("symbols (-want +got):\n%s", diff)
	}
	first := snap.symbols()
	names()
	if again := snap.symbols(); &again[0] != &first[0] {
		t.Error("the symbols of one version were encoded twice")
	}
	// An edit (without waiting for its diagnostics) is seen by the next request.
	edit := lsptest.Change{Range: &protocol.Range{Start: pos(1, 0), End: pos(1, 0)}, Text: "Env E \"1\"\n"}
	if err := s.c.Edit(s.ctx, d.uri, 2, edit); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"one", "one/E", "one/Exec"}, names()); diff != "" {
		t.Errorf("symbols after an edit (-want +got):\n%s", diff)
	}
	// A client that asked for symbols gets the next version's encoded
	// with its diagnostics.
	if err := s.c.Edit(s.ctx, d.uri, 3, edit); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.WaitVersion(s.ctx, d.uri, 3); err != nil {
		t.Fatal(err)
	}
	if v3, _ := s.h.srv.docs.get(d.uri); !v3.symsReady.Load() {
		t.Fatal("the symbols of version 3 were not encoded with its diagnostics")
	}
	// A document whose symbols were never asked for gets none encoded.
	other := s.open("Other.gunfile", "Using \"a.tar\"\n")
	if err := s.c.Edit(s.ctx, other.uri, 2, edit); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.WaitVersion(s.ctx, other.uri, 2); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.h.srv.docs.get(other.uri); o.outline.Load() {
		t.Error("a document whose symbols were never asked for is treated as shown in an outline")
	}

	var old []protocol.DocumentSymbol
	if err := json.Unmarshal(first, &old); err != nil || len(old) != 1 || len(old[0].Children) != 1 {
		t.Errorf("the old version's symbols changed: %s", first)
	}
}

// TestSymbolsLongDetail checks that a long line's detail is cut short, as
// firstLine cuts it.
func TestSymbolsLongDetail(t *testing.T) {
	long := "Exec \"" + strings.Repeat("é", 60) + "\""
	text := "Using \"a.tar\"\n" + long + "\n"
	var syms []protocol.DocumentSymbol
	if err := json.Unmarshal(encodeSymbols(analyze("file:///Gunfile", NewMapper(text), nil).file, NewMapper(text)), &syms); err != nil {
		t.Fatal(err)
	}
	want := "\"" + strings.Repeat("é", 22) + "..."
	if len(syms) != 1 || len(syms[0].Children) != 1 || syms[0].Children[0].Detail != want {
		t.Errorf("symbols: %+v, want one child with detail %q", syms, want)
	}
	if got := firstLine(text, source.Range{Start: 19, End: source.Pos(len(text))}); got != want {
		t.Errorf("firstLine = %q, want %q", got, want)
	}
}

// TestFlatSymbols checks the SymbolInformation[] answer of clients without
// hierarchical document symbols, over the protocol.
func TestFlatSymbols(t *testing.T) {
	c := startServer(t, nil).client()
	ctx := ctxT(t)
	params := map[string]any{"processId": nil, "rootUri": nil, "capabilities": map[string]any{}}
	var res protocol.InitializeResult
	if err := c.Call(ctx, protocol.MethodInitialize, params, &res); err != nil {
		t.Fatal(err)
	}
	uri := protocol.DocumentURI("file:///Gunfile")
	if err := c.Open(ctx, uri, "gunfile", 1, "Arg A \"x\"\nUsing \"a.tar\" As one\nExec \"x\"\nUsing \"b.tar\"\nEnv E \"1\"\n"); err != nil {
		t.Fatal(err)
	}
	var syms []protocol.SymbolInformation
	if err := c.Call(ctx, protocol.MethodTextDocumentDocumentSymbol, &protocol.DocumentSymbolParams{TextDocument: protocol.TextDocumentIdentifier{URI: uri}}, &syms); err != nil {
		t.Fatal(err)
	}
	loc := func(l1, c1, l2, c2 uint32) protocol.Location {
		return protocol.Location{URI: uri, Range: protocol.Range{Start: pos(l1, c1), End: pos(l2, c2)}}
	}
	want := []protocol.SymbolInformation{
		{Name: "A", Kind: protocol.SymbolKindVariable, Location: loc(0, 0, 0, 9)},
		{Name: "one", Kind: protocol.SymbolKindModule, Location: loc(1, 0, 2, 8)},
		{Name: "Exec", Kind: protocol.SymbolKindFunction, Location: loc(2, 0, 2, 8), ContainerName: "one"},
		{Name: "stage 2", Kind: protocol.SymbolKindModule, Location: loc(3, 0, 4, 9)},
		{Name: "E", Kind: protocol.SymbolKindVariable, Location: loc(4, 0, 4, 9), ContainerName: "stage 2"},
	}
	if diff := cmp.Diff(want, syms); diff != "" {
		t.Errorf("symbols (-want +got):\n%s", diff)
	}
}

// TestDiagnosticsEncoding checks the hand-written encoding of diagnostics
// against encoding/json's of toDiagnostic's, on every Gunfile of the corpus
// and on diagnostics with what the corpus may lack: no code, an unknown
// severity, text that needs escaping, related information before the
// diagnostic, and non-ASCII text before a position.
func TestDiagnosticsEncoding(t *testing.T) {
	files, err := filepath.Glob("../testdata/gunfiles/*.gunfile")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	const uri = protocol.DocumentURI("file:///dir/Gun%20file")
	compare := func(name string, m *Mapper, ds []diag.Diagnostic) {
		t.Helper()
		c := m.cursor()
		std := make([]protocol.Diagnostic, len(ds))
		for i, d := range ds {
			std[i] = toDiagnostic(uri, c, d)
		}
		wantJSON, err := json.Marshal(std)
		if err != nil {
			t.Fatal(err)
		}
		var got, want any
		if err := json.Unmarshal(encodeDiagnostics(uri, m, ds), &got); err != nil {
			t.Fatalf("%s: invalid JSON: %v\n%s", name, err, encodeDiagnostics(uri, m, ds))
		}
		if err := json.Unmarshal(wantJSON, &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-encoding/json +encodeDiagnostics):\n%s", name, diff)
		}
	}
	n := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := NewMapper(string(src))
		an := analyze(uri, m, nil)
		n += len(an.diags)
		compare(filepath.Base(f), m, an.diags)
	}
	if n == 0 {
		t.Fatal("the corpus has no diagnostics")
	}
	m := NewMapper("Arg é \"𝄞\"\nUsing \"a.tar\"\nExec \"é $x\"\n")
	compare("made", m, []diag.Diagnostic{
		{Range: source.Range{Start: 4, End: 6}, Severity: diag.Warning, Code: diag.UnpinnedPackage, Message: "a \"quoted\" <é>\n\tline"},
		{Range: source.Range{Start: 33, End: 37}, Severity: diag.Severity(99), Message: "no code, unknown severity",
			Related: []diag.Related{{Range: source.Range{Start: 0, End: 3}, Message: "first"}, {Range: source.Range{Start: 7, End: 13}, Message: "𝄞"}}},
		{Range: source.Range{Start: 36, End: 38}, Severity: diag.Info, Code: "G999", Message: ""},
	})
	compare("none", m, nil)
}
