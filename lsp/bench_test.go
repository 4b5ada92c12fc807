package lsp

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lsp/lsptest"
)

// benchGunfile is a Gunfile of about n lines like the one hack/lspbench
// generates.
func benchGunfile(n int) string {
	var b strings.Builder
	for stage := 1; strings.Count(b.String(), "\n") < n-50; stage++ {
		if stage == 1 {
			b.WriteString("Using \"alpine-minirootfs-3.14.0-x86_64.tar.gz\" As s1\n")
		} else {
			fmt.Fprintf(&b, "Using s%d As s%d\n", stage-1, stage)
		}
		fmt.Fprintf(&b, "Arg VERSION \"%d.0\"\nEnv PATH \"/usr/local/bin:/usr/bin:/bin\"\nWorkdir \"/src/s%d\"\nLabel \"org.example.stage\" \"s%d\"\n", stage, stage, stage)
		for i := range 40 {
			fmt.Fprintf(&b, "Exec \"apk add --no-cache pkg-%d-%d && echo ${VERSION}\"\n", stage, i)
		}
		fmt.Fprintf(&b, "Copy \"src/s%d.txt\" \"/src/\"\nUser \"app\"\nMain [\"/bin/app\", \"--stage\", \"s%d\"]\n\n", stage, stage)
	}
	return b.String()
}

func BenchmarkAnalyze(b *testing.B) {
	text := benchGunfile(5000)
	m := NewMapper(text)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		analyze("file:///Gunfile", m, nil)
	}
}

// BenchmarkAnalyzeFill analyses the file with an empty cache, which it
// fills: what the first analysis of a document would cost if the server did
// not fill the cache after publishing its diagnostics (BenchmarkAnalyze).
func BenchmarkAnalyzeFill(b *testing.B) {
	text := benchGunfile(5000)
	m := NewMapper(text)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		analyze("file:///Gunfile", m, new(check.Cache))
	}
}

// BenchmarkAnalyzeEdit analyses versions of the file that differ in one
// command, as after an edit: the cache has the analysis of the others.
func BenchmarkAnalyzeEdit(b *testing.B) {
	text := benchGunfile(5000)
	edited := strings.Replace(text, "pkg-3-7", "pkg-3-8", 1)
	ms := [2]*Mapper{NewMapper(text), NewMapper(edited)}
	cache := new(check.Cache)
	analyze("file:///Gunfile", ms[0], cache)
	b.SetBytes(int64(len(text)))
	i := 0
	for b.Loop() {
		i++
		analyze("file:///Gunfile", ms[i%2], cache)
	}
}

func BenchmarkNewMapper(b *testing.B) {
	text := benchGunfile(5000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		NewMapper(text)
	}
}

// benchSession opens the 5,000-line Gunfile in an in-process server.
func benchSession(b *testing.B) (*lsptest.Client, protocol.DocumentURI, func()) {
	h := startServerB(b)
	c := lsptest.New(h)
	ctx := b.Context()
	if _, err := c.Initialize(ctx); err != nil {
		b.Fatal(err)
	}
	doc := protocol.DocumentURI("file:///bench/Gunfile")
	if err := c.Open(ctx, doc, "gunfile", 1, benchGunfile(5000)); err != nil {
		b.Fatal(err)
	}
	if _, err := c.WaitVersion(ctx, doc, 1); err != nil {
		b.Fatal(err)
	}
	return c, doc, func() { c.Close() }
}

func benchRequest(b *testing.B, method string, params func(doc protocol.DocumentURI) any) {
	c, doc, done := benchSession(b)
	defer done()
	p := params(doc)
	for b.Loop() {
		var res json.RawMessage // time the server, not this client's decoding
		if err := c.Call(b.Context(), method, p, &res); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDocumentSymbols(b *testing.B) {
	benchRequest(b, protocol.MethodTextDocumentDocumentSymbol, func(doc protocol.DocumentURI) any {
		return &protocol.DocumentSymbolParams{TextDocument: protocol.TextDocumentIdentifier{URI: doc}}
	})
}

func BenchmarkCompletion(b *testing.B) {
	benchRequest(b, protocol.MethodTextDocumentCompletion, func(doc protocol.DocumentURI) any {
		return &protocol.CompletionParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
			TextDocument: protocol.TextDocumentIdentifier{URI: doc}, Position: protocol.Position{Line: 2499, Character: 0}}}
	})
}

func BenchmarkFormatting(b *testing.B) {
	benchRequest(b, protocol.MethodTextDocumentFormatting, func(doc protocol.DocumentURI) any {
		return &protocol.DocumentFormattingParams{TextDocument: protocol.TextDocumentIdentifier{URI: doc}}
	})
}

// BenchmarkEditBurst sends 50 edits at the end of the document as fast as
// the pipe takes them and reports the time from the last edit to the
// diagnostics of its version (ms/settle).
func BenchmarkEditBurst(b *testing.B) {
	c, doc, done := benchSession(b)
	defer done()
	ctx := b.Context()
	text := benchGunfile(5000)
	version := int32(1)
	var settle time.Duration
	for b.Loop() {
		var last time.Time
		for i := range 50 {
			version++
			end := NewMapper(text).Position(len(text))
			line := fmt.Sprintf("Exec \"echo edit %d\"\n", i)
			text += line
			last = time.Now()
			if err := c.Edit(ctx, doc, version, lsptest.Change{Range: &protocol.Range{Start: end, End: end}, Text: line}); err != nil {
				b.Fatal(err)
			}
		}
		p, err := c.WaitVersion(ctx, doc, version)
		if err != nil {
			b.Fatal(err)
		}
		settle += p.At.Sub(last)
	}
	b.ReportMetric(float64(settle.Microseconds())/1000/float64(b.N), "ms/settle")
}

// BenchmarkDocumentSymbolsServer times what the server does for document
// symbols of the 5,000-line file on a new version: encode them and write
// the response.
func BenchmarkDocumentSymbolsServer(b *testing.B) {
	m := NewMapper(benchGunfile(5000))
	an := analyze("file:///bench/Gunfile", m, nil)
	st := &stream{out: io.Discard}
	for b.Loop() {
		syms := encodeSymbols(an.file, m)
		if err := st.writeResult(jsonrpc2.NewNumberID(1), syms); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(syms)))
	}
}

// BenchmarkOpen opens the 5,000-line file under a new name each time and
// waits for its diagnostics.
func BenchmarkOpen(b *testing.B) {
	c, _, done := benchSession(b)
	defer done()
	text := benchGunfile(5000)
	n := 0
	for b.Loop() {
		n++
		doc := protocol.DocumentURI(fmt.Sprintf("file:///bench/%d/Gunfile", n))
		if err := c.Open(b.Context(), doc, "gunfile", 1, text); err != nil {
			b.Fatal(err)
		}
		if _, err := c.WaitVersion(b.Context(), doc, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSemanticTokens(b *testing.B) {
	benchRequest(b, protocol.MethodSemanticTokensFull, func(doc protocol.DocumentURI) any {
		return &protocol.SemanticTokensParams{TextDocument: protocol.TextDocumentIdentifier{URI: doc}}
	})
}

// BenchmarkDecodeMessage decodes the didOpen of the 5,000-line file as the
// server does and as jsonrpc2 alone would.
func BenchmarkDecodeMessage(b *testing.B) {
	params, err := json.Marshal(&protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{
		URI: "file:///bench/Gunfile", LanguageID: "gunfile", Version: 1, Text: benchGunfile(5000)}})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":` + string(params) + `}`)
	server := func(body []byte) (jsonrpc2.Message, error) {
		msg, _, err := decodeMessage(body)
		return msg, err
	}
	for name, decode := range map[string]func([]byte) (jsonrpc2.Message, error){"server": server, "jsonrpc2": jsonrpc2.DecodeMessage} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
