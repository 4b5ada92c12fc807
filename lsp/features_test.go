package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/gun-tools/gun/lang/format"
	"github.com/gun-tools/gun/lang/spec"
	"github.com/gun-tools/gun/lsp/lsptest"
)

// session is an initialized client of an in-process server, with a build
// context directory for its documents.
type session struct {
	t   *testing.T
	h   *harness
	c   *lsptest.Client
	ctx context.Context
	dir string
}

func newSession(t *testing.T) *session {
	t.Helper()
	h := startServer(t, nil)
	c := h.client()
	ctx := ctxT(t)
	if _, err := c.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	return &session{t: t, h: h, c: c, ctx: ctx, dir: t.TempDir()}
}

// doc is an open document; marks are the offsets of the ⟨name⟩ markers that
// were removed from its text.
type doc struct {
	s     *session
	uri   protocol.DocumentURI
	text  string
	marks map[string]int
	diags lsptest.Published
}

// open writes nothing to disk: it opens text (with ⟨name⟩ markers) as
// dir/name and waits for its diagnostics.
func (s *session) open(name, marked string) *doc {
	s.t.Helper()
	text, marks := unmark(marked)
	d := &doc{s: s, uri: uri.File(filepath.Join(s.dir, name)), text: text, marks: marks}
	if err := s.c.Open(s.ctx, d.uri, "gunfile", 1, text); err != nil {
		s.t.Fatal(err)
	}
	p, err := s.c.WaitVersion(s.ctx, d.uri, 1)
	if err != nil {
		s.t.Fatal(err)
	}
	d.diags = p
	return d
}

func unmark(s string) (string, map[string]int) {
	marks := map[string]int{}
	var b strings.Builder
	for {
		i := strings.Index(s, "⟨")
		if i < 0 {
			b.WriteString(s)
			return b.String(), marks
		}
		j := strings.Index(s[i:], "⟩")
		b.WriteString(s[:i])
		marks[s[i+len("⟨"):i+j]] = b.Len()
		s = s[i+j+len("⟩"):]
	}
}

// pos is the protocol position of a marker.
func (d *doc) pos(mark string) protocol.Position {
	d.s.t.Helper()
	off, ok := d.marks[mark]
	if !ok {
		d.s.t.Fatalf("no marker %q", mark)
	}
	return NewMapper(d.text).Position(off)
}

func (d *doc) tdp(mark string) protocol.TextDocumentPositionParams {
	return protocol.TextDocumentPositionParams{TextDocument: protocol.TextDocumentIdentifier{URI: d.uri}, Position: d.pos(mark)}
}

func (d *doc) id() protocol.TextDocumentIdentifier {
	return protocol.TextDocumentIdentifier{URI: d.uri}
}

// rng is the range between markers a and b.
func (d *doc) rng(a, b string) protocol.Range { return protocol.Range{Start: d.pos(a), End: d.pos(b)} }

// hover returns the hover at a marker.
func (d *doc) hover(mark string) protocol.Hover {
	d.s.t.Helper()
	var h protocol.Hover
	if err := d.s.call(protocol.MethodTextDocumentHover, &protocol.HoverParams{TextDocumentPositionParams: d.tdp(mark)}, &h); err != nil {
		d.s.t.Fatal(err)
	}
	return h
}

// checkHover fails the test unless the hover at a marker has each of want,
// and returns it.
func (d *doc) checkHover(mark string, want ...string) protocol.Hover {
	d.s.t.Helper()
	h := d.hover(mark)
	for _, w := range want {
		if !strings.Contains(h.Contents.Value, w) {
			d.s.t.Errorf("hover at %s = %q, want it to contain %q", mark, h.Contents.Value, w)
		}
	}
	return h
}

func (s *session) call(method string, params, result any) error {
	return s.c.Call(s.ctx, method, params, result)
}

// applyEdits applies non-overlapping protocol edits to text.
func applyEdits(t *testing.T, text string, edits []protocol.TextEdit) string {
	t.Helper()
	m := NewMapper(text)
	type span struct {
		start, end int
		text       string
	}
	var spans []span
	for _, e := range edits {
		start, end, err := m.RangeOffsets(e.Range)
		if err != nil {
			t.Fatalf("edit %v: %v", e, err)
		}
		spans = append(spans, span{start, end, e.NewText})
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start > spans[j].start })
	for _, sp := range spans {
		text = text[:sp.start] + sp.text + text[sp.end:]
	}
	return text
}

func TestDiagnostics(t *testing.T) {
	s := newSession(t)
	// "é" and "𝄞" make byte, rune and UTF-16 columns differ.
	d := s.open("Gunfile", `Using "é𝄞.tar" As ⟨first⟩base⟨/first⟩
Using "b.tar" As ⟨dup⟩base⟨/dup⟩
Label "𝄞" ⟨ref⟩"${NOPE}"
`)
	got := d.diags.Diagnostics
	if len(got) != 2 {
		t.Fatalf("diagnostics: %+v", got)
	}
	dup := got[0]
	if dup.Code != "G103" || dup.Range != d.rng("dup", "/dup") || dup.Severity != protocol.DiagnosticSeverityError || dup.Source != "gun" {
		t.Errorf("duplicate stage: %+v", dup)
	}
	want := []protocol.DiagnosticRelatedInformation{{
		Location: protocol.Location{URI: d.uri, Range: d.rng("first", "/first")},
		Message:  `stage "base" first defined here`,
	}}
	if diff := cmp.Diff(want, dup.RelatedInformation); diff != "" {
		t.Errorf("related information (-want +got):\n%s", diff)
	}
	undef := got[1]
	if undef.Code != "G102" || undef.Range.Start.Line != 2 {
		t.Errorf("undefined variable: %+v", undef)
	}
	// The reference starts after the quote; "𝄞" before it counts two units.
	if want := d.pos("ref").Character + 1; undef.Range.Start.Character != want || want != 12 {
		t.Errorf("undefined variable starts at %v, want character %d", undef.Range.Start, want)
	}

	// Closing clears them.
	if err := s.c.CloseDocument(s.ctx, d.uri); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.Wait(s.ctx, d.uri, func(p lsptest.Published) bool { return len(p.Diagnostics) == 0 }); err != nil {
		t.Fatal(err)
	}
	if err := s.call(protocol.MethodTextDocumentHover, &protocol.HoverParams{TextDocumentPositionParams: d.tdp("ref")}, nil); rpcCode(err) != jsonrpc2.InvalidParams {
		t.Errorf("hover on a closed document: %v, want InvalidParams", err)
	}
}

func TestIncrementalSync(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", "Using \"a.tar\"\nExec \"é𝄞x\"\n")
	edits := []struct {
		change lsptest.Change
		want   string
	}{
		// Replace "x" after "é𝄞" (UTF-16 column 8 on line 1: Exec "é𝄞 is 6+1+2).
		{lsptest.Change{Range: &protocol.Range{Start: pos(1, 9), End: pos(1, 10)}, Text: "y"}, "Using \"a.tar\"\nExec \"é𝄞y\"\n"},
		// Insert a line at the start.
		{lsptest.Change{Range: &protocol.Range{Start: pos(0, 0), End: pos(0, 0)}, Text: "# top\n"}, "# top\nUsing \"a.tar\"\nExec \"é𝄞y\"\n"},
		// Delete across lines.
		{lsptest.Change{Range: &protocol.Range{Start: pos(0, 5), End: pos(1, 5)}, Text: ""}, "# top \"a.tar\"\nExec \"é𝄞y\"\n"},
		// A line past the end means the end.
		{lsptest.Change{Range: &protocol.Range{Start: pos(99, 0), End: pos(99, 0)}, Text: "Main \"x\"\n"}, "# top \"a.tar\"\nExec \"é𝄞y\"\nMain \"x\"\n"},
		// Whole text.
		{lsptest.Change{Text: "Using \"b.tar\"\n"}, "Using \"b.tar\"\n"},
	}
	for i, e := range edits {
		version := int32(i + 2)
		if err := s.c.Edit(s.ctx, d.uri, version, e.change); err != nil {
			t.Fatal(err)
		}
		if _, err := s.c.WaitVersion(s.ctx, d.uri, version); err != nil {
			t.Fatal(err)
		}
		snap, _ := s.h.srv.docs.get(d.uri)
		if diff := cmp.Diff(e.want, snap.text()); diff != "" {
			t.Errorf("after edit %d (-want +got):\n%s", i, diff)
		}
	}
	// An edit that ends before it starts is refused; the document stays.
	bad := lsptest.Change{Range: &protocol.Range{Start: pos(0, 5), End: pos(0, 1)}, Text: "x"}
	if err := s.c.Edit(s.ctx, d.uri, 99, bad); err != nil {
		t.Fatal(err)
	}
	var syms []protocol.DocumentSymbol
	if err := s.call(protocol.MethodTextDocumentDocumentSymbol, &protocol.DocumentSymbolParams{TextDocument: d.id()}, &syms); err != nil {
		t.Fatal(err)
	}
	if snap, _ := s.h.srv.docs.get(d.uri); snap.text() != "Using \"b.tar\"\n" || snap.version != 6 {
		t.Errorf("after a bad edit: version %d %q", snap.version, snap.text())
	}
}

// TestEditBurst sends 100 edits at once: the server analyses the burst once
// or a few times, publishes the last version, and never an older one after
// a newer.
func TestEditBurst(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", "Using \"a.tar\"\n")
	text := d.text
	for v := int32(2); v <= 101; v++ {
		line := "Exec \"step\"\n"
		end := NewMapper(text).Position(len(text))
		if err := s.c.Edit(s.ctx, d.uri, v, lsptest.Change{Range: &protocol.Range{Start: end, End: end}, Text: line}); err != nil {
			t.Fatal(err)
		}
		text += line
	}
	if _, err := s.c.WaitVersion(s.ctx, d.uri, 101); err != nil {
		t.Fatal(err)
	}
	all := s.c.Published(d.uri)
	if len(all) > 10 {
		t.Errorf("%d publishes for a burst of 100 edits; want them coalesced", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Version <= all[i-1].Version {
			t.Errorf("publish %d has version %d after version %d", i, all[i].Version, all[i-1].Version)
		}
	}
	snap, _ := s.h.srv.docs.get(d.uri)
	if snap.text() != text {
		t.Errorf("text after the burst differs")
	}
}

func TestCompletion(t *testing.T) {
	s := newSession(t)
	for _, f := range []string{"alpine.tar.gz", "sub/deep.tar", "src/main.go", "src/util/x.go", "notes.txt", ".hidden/x.tar"} {
		p := filepath.Join(s.dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d := s.open("Gunfile", `Arg VERSION "1"
Using "alpine.tar.gz" As build
Env GOPATH "/go"
Exec "echo ${⟨var⟩"
Exec "curl -x $ht⟨proxyvar⟩"
Arg NO_PROXY
Exec "echo ${N⟨proxyarg⟩"
Copy "src/⟨path⟩"
⟨kw⟩
Ex⟨partial⟩
Using ⟨base⟩
Using "⟨quoted⟩
Copy From ⟨from⟩
Copy Mode 0755 ⟨opts⟩
Exec ⟨exec⟩
Exec Cache "/c" ⟨mount⟩
Exec Cache ⟨mountpath⟩
Exec Cache "/c" Sharing ⟨sharing⟩
Exec Cache "/c" Uid 1000 ⟨cacheuid⟩
Exec Secret "tok" Uid 1000 ⟨secret⟩
Exec Network ⟨network⟩
Exec "make" ⟨aftercmd⟩
Healthcheck ⟨health⟩
Healthcheck Interval 3s ⟨health2⟩
Env PATH ⟨envinherited⟩
Copy "$VER⟨unbraced⟩"
# Us⟨comment⟩
Exec <<EOF
    echo ⟨script⟩
    EOF
Copy Expand "/f" <<EOF
    home=${⟨expandvar⟩
    EOF
Copy "/g" <<EOF
    home=$⟨literalvar⟩
    EOF
`)
	tests := []struct {
		mark   string
		labels []string // all of them, sorted
		insert map[string]string
	}{
		{"var", []string{"GOPATH", "VERSION"}, map[string]string{"GOPATH": "GOPATH}"}},
		// In an Exec, the proxy variables gun build --arg gives, but one
		// an Arg declares.
		{"proxyvar", []string{"GOPATH", "HTTPS_PROXY", "HTTP_PROXY", "VERSION", "http_proxy", "https_proxy"}, map[string]string{"http_proxy": "http_proxy"}},
		{"proxyarg", []string{"GOPATH", "NO_PROXY", "VERSION", "no_proxy"}, map[string]string{"no_proxy": "no_proxy}"}},
		{"path", []string{"main.go", "util"}, map[string]string{"util": "util/"}},
		{"kw", []string{"Arg", "Copy", "Entrypoint", "Env", "Exec", "Expose", "Healthcheck", "Label", "Main", "Shell", "StopSignal", "User", "Using", "Volume", "Workdir"},
			map[string]string{"Exec": `Exec "${1:shell command}"`, "Copy": `Copy "${1:src}" "${2:dest}"`, "Arg": "Arg ${1:NAME}", "Using": `Using "${1:base}"`}},
		{"partial", []string{"Arg", "Copy", "Entrypoint", "Env", "Exec", "Expose", "Healthcheck", "Label", "Main", "Shell", "StopSignal", "User", "Using", "Volume", "Workdir"}, nil},
		{"base", []string{"alpine.tar.gz", "build", "scratch", "sub/deep.tar"}, map[string]string{"alpine.tar.gz": `"alpine.tar.gz"`}},
		{"quoted", []string{"alpine.tar.gz", "sub/deep.tar"}, map[string]string{"sub/deep.tar": "sub/deep.tar"}},
		{"from", []string{"build"}, nil},
		{"opts", []string{"Expand", "From", "Owner", "Unpack"}, nil},
		{"exec", []string{"Bind", "Cache", "Network", "Secret", "Tmpfs"}, nil},
		{"mount", []string{"Bind", "Cache", "Gid", "Id", "Mode", "Network", "Secret", "Sharing", "Tmpfs", "Uid"}, nil},
		{"cacheuid", []string{"Bind", "Cache", "Gid", "Id", "Mode", "Network", "Secret", "Sharing", "Tmpfs"}, nil},
		{"mountpath", nil, nil},
		{"sharing", []string{"locked", "private", "shared"}, nil},
		{"secret", []string{"Bind", "Cache", "Env", "Gid", "Mode", "Network", "Secret", "Target", "Tmpfs"}, nil},
		{"network", []string{"default", "host", "none"}, nil},
		{"aftercmd", nil, nil},
		{"health", []string{"Interval", "None", "Retries", "StartInterval", "StartPeriod", "Timeout"}, nil},
		{"health2", []string{"Retries", "StartInterval", "StartPeriod", "Timeout"}, nil},
		{"envinherited", []string{"Inherited"}, nil},
		// A later stage: GOPATH belongs to build, VERSION is global, PATH
		// is declared earlier in the stage.
		{"unbraced", []string{"PATH", "VERSION"}, map[string]string{"VERSION": "VERSION"}},
		{"comment", nil, nil},
		{"script", nil, nil},
		// gun expands a Copy Expand file's references, not a literal one's.
		{"expandvar", []string{"PATH", "VERSION"}, map[string]string{"VERSION": "VERSION}"}},
		{"literalvar", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.mark, func(t *testing.T) {
			var list protocol.CompletionList
			if err := s.call(protocol.MethodTextDocumentCompletion, &protocol.CompletionParams{TextDocumentPositionParams: d.tdp(tt.mark)}, &list); err != nil {
				t.Fatal(err)
			}
			var labels []string
			for _, it := range list.Items {
				labels = append(labels, it.Label)
				if want, ok := tt.insert[it.Label]; ok && (it.TextEdit == nil || it.TextEdit.NewText != want) {
					t.Errorf("%s inserts %+v, want %q", it.Label, it.TextEdit, want)
				}
				if it.TextEdit != nil && it.TextEdit.Range.End != d.pos(tt.mark) {
					t.Errorf("%s edit ends at %v, not at the cursor %v", it.Label, it.TextEdit.Range.End, d.pos(tt.mark))
				}
			}
			sort.Strings(labels)
			if diff := cmp.Diff(tt.labels, labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
	// The partial word is replaced.
	var list protocol.CompletionList
	if err := s.call(protocol.MethodTextDocumentCompletion, &protocol.CompletionParams{TextDocumentPositionParams: d.tdp("partial")}, &list); err != nil {
		t.Fatal(err)
	}
	if r := list.Items[0].TextEdit.Range; r.Start.Character != 0 || r.End.Character != 2 {
		t.Errorf("completion of a partial word replaces %v", r)
	}
}

func TestSnippet(t *testing.T) {
	tests := map[string]string{
		"Using \"<base>\" [As <name>]\nUsing <stage>":                                       `Using "${1:base}"`,
		`Copy [From <stage>] [Owner "<user>[:<group>]"] [Mode <octal>] "<src>"... "<dest>"`: `Copy "${1:src}" "${2:dest}"`,
		`Arg <NAME> ["<default>"]`:                                                          "Arg ${1:NAME}",
		`Label "<k$y}>" "<v>"`:                                                              `Label "${1:k\$y\}}" "${2:v}"`,
		`User "<user>[:<group>]"`:                                                           `User "${1:user}"`,
		`Main ["<prog>", "<arg>"]`:                                                          `Main ["${1:prog}", "${2:arg}"]`,
		`Shell ["<program>", "<arg>", ...]`:                                                 `Shell ["${1:program}", "${2:arg}"]`,
	}
	for in, want := range tests {
		if got := snippet(in); got != want {
			t.Errorf("snippet(%q) = %q, want %q", in, got, want)
		}
	}
	for _, in := range spec.Instructions {
		got := snippet(in.Syntax)
		// Brackets are left only around an exec-form list.
		bare := strings.NewReplacer(`["`, "", `"]`, "").Replace(got)
		if !strings.HasPrefix(got, in.Name) || strings.ContainsAny(bare, "<>[]") || strings.Contains(got, "...") {
			t.Errorf("snippet for %s = %q", in.Name, got)
		}
	}
}

const navDoc = `# The Alpine release.
Arg ⟨argdef⟩VERSION "3.14"
Using "alpine-${⟨argref⟩VERSION}.tar" As ⟨stagedef⟩build
Env ⟨envdef⟩GOPATH "/go"
Exec "echo ${⟨envref⟩GOPATH}"
Using ⟨stageref⟩build As final
Copy From ⟨stageref2⟩build "/go/bin/app" "/app"
⟨kw⟩Exec "echo $⟨shellref⟩VERSION"
`

func TestHover(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", navDoc)
	tests := []struct {
		mark string
		want []string // substrings
	}{
		{"argref", []string{"Arg `VERSION`", "default `\"3.14\"`", "line 2", "The Alpine release."}},
		{"argdef", []string{"Arg `VERSION`"}},
		{"stageref", []string{"stage `build`", "based on `\"alpine-${VERSION}.tar\"`", "line 3"}},
		{"stageref2", []string{"stage `build`"}},
		{"envdef", []string{"Env `GOPATH` = `\"/go\"`"}},
		{"kw", []string{"Exec [<mount>...] [Network <mode>] \"<shell command>\"", "Runs a command"}},
		{"shellref", []string{"Expanded by the shell"}},
	}
	for _, tt := range tests {
		if h := d.checkHover(tt.mark, tt.want...); h.Contents.Kind != protocol.Markdown {
			t.Errorf("hover kind %q", h.Contents.Kind)
		}
	}
	// Nothing to say about a string; null, not an error.
	var raw any = "unset"
	params := &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{TextDocument: d.id(), Position: pos(4, 8)}}
	if err := s.call(protocol.MethodTextDocumentHover, params, &raw); err != nil || raw != "unset" && raw != nil {
		t.Errorf("hover in a string: %v, %v", raw, err)
	}
	// Past the end of the document.
	params.Position = pos(1000, 0)
	if err := s.call(protocol.MethodTextDocumentHover, params, nil); rpcCode(err) != jsonrpc2.InvalidParams {
		t.Errorf("hover past the end: %v, want InvalidParams", err)
	}
	// Past the end of a line is the end of the line.
	params.Position = pos(0, 1000)
	if err := s.call(protocol.MethodTextDocumentHover, params, nil); err != nil {
		t.Errorf("hover past the end of a line: %v", err)
	}
}

// TestHoverMounts hovers over mounts, their options, predefined Args and
// the newer instructions.
func TestHoverMounts(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", `Using "x-${⟨predef⟩TARGETARCH}.tar"
Exec ⟨mountkw⟩Cache "/c" ⟨optkw⟩Sharing locked ⟨uidkw⟩Uid 1000 ⟨netkw⟩Network none Secret "s" ⟨secretuidkw⟩Uid 0 "make"
⟨healthkw⟩Healthcheck ⟨intervalkw⟩Interval 3s "true"
Env PATH Inherited
Workdir "${⟨inheritedref⟩PATH}"
Exec "wget -O- http://example.org/ # via $⟨proxyref⟩https_proxy"
`)
	for _, tt := range []struct {
		mark string
		want []string
	}{
		{"predef", []string{"TARGETARCH", "predefined Arg", "architecture"}},
		{"mountkw", []string{`Cache "/var/cache/apt"`, "kept between builds"}},
		{"optkw", []string{"one step at a time"}},
		{"uidkw", []string{"owner when the cache is made", "by default 0"}},
		{"secretuidkw", []string{"The file's owner", "the step's user"}},
		{"netkw", []string{"without a network"}},
		{"healthkw", []string{"Healthcheck [Interval <duration>]"}},
		{"intervalkw", []string{"Time between checks"}},
		{"inheritedref", []string{"Env `PATH`, the base image's value (Inherited)", "line 4"}},
		{"proxyref", []string{"`https_proxy` (predefined proxy Arg)", "https URLs", "gun build --arg"}},
	} {
		d.checkHover(tt.mark, tt.want...)
	}
}

func TestDefinitionAndReferences(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", navDoc)
	for _, tt := range []struct{ from, to string }{
		{"argref", "argdef"}, {"shellref", "argdef"}, {"stageref", "stagedef"}, {"stageref2", "stagedef"}, {"argdef", "argdef"},
		{"envref", "envdef"},
	} {
		var locs []protocol.Location
		if err := s.call(protocol.MethodTextDocumentDefinition, &protocol.DefinitionParams{TextDocumentPositionParams: d.tdp(tt.from)}, &locs); err != nil {
			t.Fatal(err)
		}
		if len(locs) != 1 || locs[0].URI != d.uri || locs[0].Range.Start != d.pos(tt.to) {
			t.Errorf("definition from %s = %+v, want %v", tt.from, locs, d.pos(tt.to))
		}
	}
	var locs []protocol.Location
	params := &protocol.ReferenceParams{TextDocumentPositionParams: d.tdp("stageref"), Context: protocol.ReferenceContext{IncludeDeclaration: true}}
	if err := s.call(protocol.MethodTextDocumentReferences, params, &locs); err != nil {
		t.Fatal(err)
	}
	var starts []protocol.Position
	for _, l := range locs {
		starts = append(starts, l.Range.Start)
	}
	if diff := cmp.Diff([]protocol.Position{d.pos("stagedef"), d.pos("stageref"), d.pos("stageref2")}, starts); diff != "" {
		t.Errorf("references of build (-want +got):\n%s", diff)
	}
	params = &protocol.ReferenceParams{TextDocumentPositionParams: d.tdp("argdef")}
	if err := s.call(protocol.MethodTextDocumentReferences, params, &locs); err != nil {
		t.Fatal(err)
	}
	if len(locs) != 2 || locs[0].Range.Start != d.pos("argref") || locs[1].Range.Start != d.pos("shellref") {
		t.Errorf("references of VERSION without its declaration = %+v", locs)
	}
}

func TestRename(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", navDoc)
	var rng protocol.Range
	if err := s.call(protocol.MethodTextDocumentPrepareRename, &protocol.PrepareRenameParams{TextDocumentPositionParams: d.tdp("stageref")}, &rng); err != nil {
		t.Fatal(err)
	}
	if rng.Start != d.pos("stageref") || rng.End.Character-rng.Start.Character != 5 {
		t.Errorf("prepareRename range = %v", rng)
	}
	for _, mark := range []string{"envdef", "kw"} {
		err := s.call(protocol.MethodTextDocumentPrepareRename, &protocol.PrepareRenameParams{TextDocumentPositionParams: d.tdp(mark)}, &rng)
		if rpcCode(err) != codeRequestFailed {
			t.Errorf("prepareRename at %s: %v, want RequestFailed", mark, err)
		}
	}
	renamed := func(mark, newName string) (string, error) {
		var we protocol.WorkspaceEdit
		err := s.call(protocol.MethodTextDocumentRename, &protocol.RenameParams{TextDocumentPositionParams: d.tdp(mark), NewName: newName}, &we)
		return applyEdits(t, d.text, we.Changes[d.uri]), err
	}
	got, err := renamed("stageref2", "builder")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(got, "builder") != 3 || strings.Contains(got, "build ") {
		t.Errorf("renamed stage:\n%s", got)
	}
	got, err = renamed("shellref", "V2")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(got, "V2") != 3 || strings.Contains(got, "VERSION") {
		t.Errorf("renamed Arg:\n%s", got)
	}
	for _, tt := range []struct{ mark, name string }{{"stageref", "scratch"}, {"stageref", "9lives"}, {"argdef", "A-B"}, {"stageref", "final"}} {
		if _, err := renamed(tt.mark, tt.name); err == nil {
			t.Errorf("rename %s to %q succeeded", tt.mark, tt.name)
		}
	}
}

// envDoc has an Env used by gun, by the shell in every way a command can
// use it, overridden in a stage built on its own, and inherited by another;
// an unrelated stage has an Env of the same name.
const envDoc = `Using "a.tar" As base
Env ⟨def⟩APP_HOME "/opt/app"
Env LOG "${APP_HOME}/log"
Exec "mkdir -p $APP_HOME \$APP_HOME ${APP_HOME:-/opt} && X=1 echo \"$⟨shell⟩APP_HOME\""
Exec <<EOF
    set -e
    cd "$APP_HOME"
    APP_HOME=/tmp
    echo $APP_HOME
    EOF
Using base As over
Env APP_HOME "$APP_HOME/v2"
Exec "ls $APP_HOME"
Using base As plain
Exec "ls $APP_HOME"
Using "b.tar" As other
Env APP_HOME "/srv"
Env ⟨path⟩PATH "/opt/bin:$PATH"
Exec "ls $APP_HOME"
`

// TestRenameEnv renames an Env with its uses in scripts, its overriding
// definitions and their uses, and nothing else: not the script's own
// variable of the same name, not the unrelated stage's Env.
func TestRenameEnv(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", envDoc)
	want := strings.NewReplacer("APP_HOME", "ROOT").Replace(envDoc)
	// The script sets its own APP_HOME: from there on it is not the Env.
	want = strings.Replace(want, "    ROOT=/tmp\n    echo $ROOT", "    APP_HOME=/tmp\n    echo $APP_HOME", 1)
	// The stage not built on base keeps its own.
	i := strings.Index(want, "Using \"b.tar\"")
	want = want[:i] + strings.ReplaceAll(want[i:], "ROOT", "APP_HOME")
	want, _ = unmark(want)
	for _, mark := range []string{"def", "shell"} {
		var rng protocol.Range
		if err := s.call(protocol.MethodTextDocumentPrepareRename, &protocol.PrepareRenameParams{TextDocumentPositionParams: d.tdp(mark)}, &rng); err != nil {
			t.Fatalf("prepareRename at %s: %v", mark, err)
		}
		var we protocol.WorkspaceEdit
		if err := s.call(protocol.MethodTextDocumentRename, &protocol.RenameParams{TextDocumentPositionParams: d.tdp(mark), NewName: "ROOT"}, &we); err != nil {
			t.Fatalf("rename at %s: %v", mark, err)
		}
		if diff := cmp.Diff(want, applyEdits(t, d.text, we.Changes[d.uri])); diff != "" {
			t.Errorf("rename at %s (-want +got):\n%s", mark, diff)
		}
	}
	// PATH is read by programs under that name; LOG would collide; HOME
	// is read by programs too.
	var rng protocol.Range
	if err := s.call(protocol.MethodTextDocumentPrepareRename, &protocol.PrepareRenameParams{TextDocumentPositionParams: d.tdp("path")}, &rng); rpcCode(err) != codeRequestFailed {
		t.Errorf("prepareRename of PATH: %v, want RequestFailed", err)
	}
	for _, name := range []string{"LOG", "HOME"} {
		var we protocol.WorkspaceEdit
		err := s.call(protocol.MethodTextDocumentRename, &protocol.RenameParams{TextDocumentPositionParams: d.tdp("def"), NewName: name}, &we)
		if rpcCode(err) != codeRequestFailed {
			t.Errorf("rename to %s: %v, want RequestFailed", name, err)
		}
	}
}

func TestFormatting(t *testing.T) {
	s := newSession(t)
	messy := "Using   \"a.tar\"   As  build\n\n\n\nExec    \"make\"   # build it\nCopy From build   \"/out\"  \"/app\"\nMain   [\"/app\"]"
	d := s.open("Gunfile", messy)
	want, err := format.Source([]byte(messy))
	if err != nil {
		t.Fatal(err)
	}
	var edits []protocol.TextEdit
	if err := s.call(protocol.MethodTextDocumentFormatting, &protocol.DocumentFormattingParams{TextDocument: d.id()}, &edits); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), applyEdits(t, messy, edits)); diff != "" {
		t.Errorf("formatting differs from gun fmt (-want +got):\n%s", diff)
	}
	// Range formatting of line 4 (Exec) changes that line only.
	params := &protocol.DocumentRangeFormattingParams{TextDocument: d.id(), Range: protocol.Range{Start: pos(4, 0), End: pos(4, 3)}}
	if err := s.call(protocol.MethodTextDocumentRangeFormatting, params, &edits); err != nil {
		t.Fatal(err)
	}
	wantRange := "Using   \"a.tar\"   As  build\n\n\n\nExec \"make\" # build it\nCopy From build   \"/out\"  \"/app\"\nMain   [\"/app\"]"
	if diff := cmp.Diff(wantRange, applyEdits(t, messy, edits)); diff != "" {
		t.Errorf("range formatting (-want +got):\n%s", diff)
	}
	// A file with syntax errors is left alone, as gun fmt does.
	bad := s.open("Bad.gunfile", "Using \"a.tar\nExec    \"x\"\n")
	if err := s.call(protocol.MethodTextDocumentFormatting, &protocol.DocumentFormattingParams{TextDocument: bad.id()}, &edits); err != nil || len(edits) != 0 {
		t.Errorf("formatting a broken file: %v, %v", edits, err)
	}
}

func TestDocumentSymbols(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", navDoc)
	var syms []protocol.DocumentSymbol
	if err := s.call(protocol.MethodTextDocumentDocumentSymbol, &protocol.DocumentSymbolParams{TextDocument: d.id()}, &syms); err != nil {
		t.Fatal(err)
	}
	type sym struct {
		Name, Detail string
		Children     []sym
	}
	var conv func([]protocol.DocumentSymbol) []sym
	conv = func(ps []protocol.DocumentSymbol) []sym {
		var out []sym
		for _, p := range ps {
			if p.SelectionRange.Start.Line < p.Range.Start.Line || p.SelectionRange.End.Line > p.Range.End.Line {
				t.Errorf("%s: selection %v outside range %v", p.Name, p.SelectionRange, p.Range)
			}
			out = append(out, sym{p.Name, p.Detail, conv(p.Children)})
		}
		return out
	}
	want := []sym{
		{"VERSION", `Arg "3.14"`, nil},
		{"build", `Using "alpine-${VERSION}.tar" As build`, []sym{{"GOPATH", `Env "/go"`, nil}, {"Exec", `"echo ${GOPATH}"`, nil}}},
		{"final", "Using build As final", []sym{{"Copy", `From build "/go/bin/app" "/app"`, nil}, {"Exec", `"echo $VERSION"`, nil}}},
	}
	if diff := cmp.Diff(want, conv(syms)); diff != "" {
		t.Errorf("symbols (-want +got):\n%s", diff)
	}
}

// TestDocumentSymbolsDocker checks the symbols of the instructions that say
// what a Dockerfile can say, and of an Exec with mounts and an inline Copy.
func TestDocumentSymbolsDocker(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", `Using "a.tar"
Env PATH Inherited
Entrypoint ["/sbin/tini", "--"]
Expose 8080 "53/udp"
Volume "/data"
StopSignal SIGQUIT
Shell ["/bin/bash", "-o", "pipefail", "-c"]
Healthcheck Interval 30s ["/bin/true"]
Exec Cache "/var/cache/apt" Secret "tok" Network none "make"
Copy "/etc/app.conf" <<EOF
    key = 1
    EOF
`)
	var syms []protocol.DocumentSymbol
	if err := s.call(protocol.MethodTextDocumentDocumentSymbol, &protocol.DocumentSymbolParams{TextDocument: d.id()}, &syms); err != nil {
		t.Fatal(err)
	}
	if len(syms) != 1 {
		t.Fatalf("symbols: %+v", syms)
	}
	var got []string
	for _, c := range syms[0].Children {
		got = append(got, fmt.Sprintf("%s (%s) %d:%d %s", c.Name, c.Detail, c.SelectionRange.Start.Line, c.SelectionRange.Start.Character, c.Kind))
	}
	want := []string{
		"PATH (Env Inherited) 1:4 Variable",
		`Entrypoint (["/sbin/tini", "--"]) 2:0 Property`,
		`Expose (8080 "53/udp") 3:0 Property`,
		`Volume ("/data") 4:0 Property`,
		"StopSignal (SIGQUIT) 5:0 Property",
		`Shell (["/bin/bash", "-o", "pipefail", "-c"]) 6:0 Property`,
		`Healthcheck (Interval 30s ["/bin/true"]) 7:0 Property`,
		`Exec (Cache "/var/cache/apt" Secret "tok" Network n...) 8:0 Function`, // a long detail is cut
		`Copy ("/etc/app.conf" <<EOF) 9:0 File`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("symbols (-want +got):\n%s", diff)
	}
}

func TestFoldingRanges(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", `# one
# two
Using "a.tar"
Exec <<EOF
    make
    EOF
Main [
    "/app",
]
`)
	var folds []protocol.FoldingRange
	if err := s.call(protocol.MethodTextDocumentFoldingRange, &protocol.FoldingRangeParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{TextDocument: d.id()}}, &folds); err != nil {
		t.Fatal(err)
	}
	want := []protocol.FoldingRange{
		{StartLine: 0, EndLine: 1, Kind: protocol.CommentFoldingRange},
		{StartLine: 2, EndLine: 8, Kind: protocol.RegionFoldingRange},
		{StartLine: 3, EndLine: 5, Kind: protocol.RegionFoldingRange},
		{StartLine: 6, EndLine: 8, Kind: protocol.RegionFoldingRange},
	}
	if diff := cmp.Diff(want, folds); diff != "" {
		t.Errorf("folding ranges (-want +got):\n%s", diff)
	}
}

// semToken is a semantic token decoded: its place (UTF-16 units, as the
// protocol counts), its text in the document, type name and modifiers.
type semToken struct {
	Line, Char, Len uint32
	Text, Type      string
	Mods            uint32
}

// tokens asks for d's semantic tokens and decodes them.
func (d *doc) tokens() []semToken {
	t := d.s.t
	t.Helper()
	var toks protocol.SemanticTokens
	if err := d.s.call(protocol.MethodSemanticTokensFull, &protocol.SemanticTokensParams{TextDocument: d.id()}, &toks); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(d.text, "\n")
	var out []semToken
	var line, char uint32
	for i := 0; i+4 < len(toks.Data); i += 5 {
		if toks.Data[i] > 0 {
			char = 0
		}
		line += toks.Data[i]
		char += toks.Data[i+1]
		tk := semToken{Line: line, Char: char, Len: toks.Data[i+2], Type: string(tokenTypes[toks.Data[i+3]]), Mods: toks.Data[i+4]}
		if int(line) >= len(lines) {
			t.Fatalf("token %+v: past the last line", tk)
		}
		u := utf16.Encode([]rune(lines[line]))
		if int(char+tk.Len) > len(u) {
			t.Fatalf("token %+v: past the end of line %q", tk, lines[line])
		}
		tk.Text = string(utf16.Decode(u[char : char+tk.Len]))
		out = append(out, tk)
	}
	return out
}

func TestSemanticTokens(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", "# é\nArg V \"𝄞\"\nUsing \"a-${V}.tar\" As b\nExec <<EOF\n    x\n    EOF\nBogus \"y\"\n")
	type tok struct {
		Line, Char, Len uint32
		Type            string
		Mods            uint32
	}
	var got []tok
	for _, tk := range d.tokens() {
		got = append(got, tok{tk.Line, tk.Char, tk.Len, tk.Type, tk.Mods})
	}
	want := []tok{
		{0, 0, 3, "comment", 0},
		{1, 0, 3, "keyword", 0}, {1, 4, 1, "variable", 1}, {1, 6, 4, "string", 0},
		{2, 0, 5, "keyword", 0}, {2, 6, 3, "string", 0}, {2, 9, 4, "variable", 0}, {2, 13, 5, "string", 0},
		{2, 19, 2, "keyword", 0}, {2, 22, 1, "namespace", 1},
		{3, 0, 4, "keyword", 0}, {3, 5, 5, "string", 0}, {4, 4, 1, "function", 0}, {5, 0, 7, "string", 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("semantic tokens (-want +got):\n%s", diff)
	}
}

// TestSemanticTokensMounts checks the tokens of mounts, options and their
// values.
func TestSemanticTokensMounts(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", "Using scratch As b\nExec Bind \"a\" \"/a\" From b Network none \"x\"\nExpose 80\nStopSignal TERM\nEnv P Inherited\n")
	var got []string
	for _, tk := range d.tokens() {
		got = append(got, tk.Text+":"+tk.Type)
	}
	want := []string{
		"Using:keyword", "scratch:namespace", "As:keyword", "b:namespace",
		"Exec:keyword", "Bind:keyword", `"a":string`, `"/a":string`, "From:keyword", "b:namespace",
		"Network:keyword", "none:keyword", `":string`, "x:function", `":string`,
		"Expose:keyword", "80:number", "StopSignal:keyword", "TERM:keyword",
		"Env:keyword", "P:variable", "Inherited:keyword",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("semantic tokens (-want +got):\n%s", diff)
	}
}

func TestDocumentLinks(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", `Using "⟨a⟩rootfs/alpine.tar.gz⟨/a⟩" As base
Using "⟨u⟩https://example.com/x.tar⟨/u⟩"
Using base
Using "localimage:1"
Copy From "⟨c⟩/abs/other.tar⟨/c⟩" "/x" "/y"
`)
	var links []protocol.DocumentLink
	if err := s.call(protocol.MethodTextDocumentDocumentLink, &protocol.DocumentLinkParams{TextDocument: d.id()}, &links); err != nil {
		t.Fatal(err)
	}
	want := []protocol.DocumentLink{
		{Range: d.rng("a", "/a"), Target: uri.File(filepath.Join(s.dir, "rootfs/alpine.tar.gz"))},
		{Range: d.rng("u", "/u"), Target: "https://example.com/x.tar"},
		{Range: d.rng("c", "/c"), Target: uri.File("/abs/other.tar")},
	}
	if diff := cmp.Diff(want, links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

func TestCodeActions(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", "Using \"a.tar\"\n⟨x⟩exec \"make\"\nWorkdr \"/src\"\n")
	var actions []protocol.CodeAction
	params := &protocol.CodeActionParams{TextDocument: d.id(), Range: protocol.Range{Start: d.pos("x"), End: d.pos("x")}}
	if err := s.call(protocol.MethodTextDocumentCodeAction, params, &actions); err != nil {
		t.Fatal(err)
	}
	if len(actions) != 1 || actions[0].Kind != protocol.QuickFix || !actions[0].IsPreferred || len(actions[0].Diagnostics) != 1 {
		t.Fatalf("actions = %+v", actions)
	}
	got := applyEdits(t, d.text, actions[0].Edit.Changes[d.uri])
	if want := "Using \"a.tar\"\nExec \"make\"\nWorkdr \"/src\"\n"; got != want {
		t.Errorf("after %q: %q, want %q", actions[0].Title, got, want)
	}
	// The whole file: both fixes, the second a "did you mean".
	params.Range = protocol.Range{Start: pos(0, 0), End: pos(3, 0)}
	if err := s.call(protocol.MethodTextDocumentCodeAction, params, &actions); err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, a := range actions {
		titles = append(titles, a.Title)
	}
	if len(titles) != 2 || !strings.Contains(titles[1], "Workdir") {
		t.Errorf("titles = %q", titles)
	}
	// Only refactorings asked for: none.
	params.Context.Only = []protocol.CodeActionKind{protocol.Refactor}
	if err := s.call(protocol.MethodTextDocumentCodeAction, params, &actions); err != nil || len(actions) != 0 {
		t.Errorf("refactor actions: %v, %v", actions, err)
	}
}

// TestLargeDocument opens a 50,000-line document, edits its end and asks
// about its last line.
func TestLargeDocument(t *testing.T) {
	s := newSession(t)
	var b strings.Builder
	b.WriteString("Arg V \"1\"\nUsing \"a.tar\" As base\n")
	for i := 2; i < 50000; i++ {
		b.WriteString("Exec \"echo ${V} é𝄞\"\n")
	}
	d := s.open("Gunfile", b.String())
	if len(d.diags.Diagnostics) != 0 {
		t.Fatalf("diagnostics: %v", d.diags.Diagnostics[:1])
	}
	last := pos(50000, 0)
	if err := s.c.Edit(s.ctx, d.uri, 2, lsptest.Change{Range: &protocol.Range{Start: last, End: last}, Text: "Workdir \"${NOPE}\"\n"}); err != nil {
		t.Fatal(err)
	}
	p, err := s.c.WaitVersion(s.ctx, d.uri, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Diagnostics) != 1 || p.Diagnostics[0].Range.Start.Line != 50000 {
		t.Errorf("diagnostics after the edit: %+v", p.Diagnostics)
	}
	var locs []protocol.Location
	params := &protocol.DefinitionParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{TextDocument: d.id(), Position: pos(49999, 13)}}
	if err := s.call(protocol.MethodTextDocumentDefinition, params, &locs); err != nil {
		t.Fatal(err)
	}
	if len(locs) != 1 || locs[0].Range.Start != pos(0, 4) {
		t.Errorf("definition from the last line: %+v", locs)
	}
	var syms []protocol.DocumentSymbol
	if err := s.call(protocol.MethodTextDocumentDocumentSymbol, &protocol.DocumentSymbolParams{TextDocument: d.id()}, &syms); err != nil {
		t.Fatal(err)
	}
	if len(syms) != 2 || !slices.ContainsFunc(syms, func(s protocol.DocumentSymbol) bool { return len(s.Children) == 49999 }) {
		t.Errorf("symbols: %d top-level", len(syms))
	}
	s.h.checkNoLeak()
}

// TestHostileDocument asks every feature about documents no one would
// write: the server answers each request and keeps serving.
func TestHostileDocument(t *testing.T) {
	s := newSession(t)
	r := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 200_000)
	for i := range garbage {
		garbage[i] = "\"$#{}[],\\\n\r\t Ux<>é𝄞"[r.IntN(22)]
	}
	docs := map[string]string{
		"garbage":   string(garbage),
		"long line": "Using \"a.tar\"\nExec \"" + strings.Repeat("é${X}", 100_000),
		"empty":     "",
		"comments":  "# only\n# comments\n",
	}
	for name, text := range docs {
		d := s.open(name+".gunfile", text)
		m := NewMapper(d.text)
		positions := []protocol.Position{pos(0, 0), m.Position(len(d.text) / 2), m.Position(len(d.text)), pos(0, 1<<20)}
		for _, p := range positions {
			tdp := protocol.TextDocumentPositionParams{TextDocument: d.id(), Position: p}
			requests := map[string]any{
				protocol.MethodTextDocumentCompletion:    &protocol.CompletionParams{TextDocumentPositionParams: tdp},
				protocol.MethodTextDocumentHover:         &protocol.HoverParams{TextDocumentPositionParams: tdp},
				protocol.MethodTextDocumentDefinition:    &protocol.DefinitionParams{TextDocumentPositionParams: tdp},
				protocol.MethodTextDocumentReferences:    &protocol.ReferenceParams{TextDocumentPositionParams: tdp},
				protocol.MethodTextDocumentPrepareRename: &protocol.PrepareRenameParams{TextDocumentPositionParams: tdp},
				protocol.MethodTextDocumentFormatting:    &protocol.DocumentFormattingParams{TextDocument: d.id()},
				protocol.MethodTextDocumentRangeFormatting: &protocol.DocumentRangeFormattingParams{TextDocument: d.id(),
					Range: protocol.Range{Start: pos(0, 0), End: p}},
				protocol.MethodTextDocumentDocumentSymbol: &protocol.DocumentSymbolParams{TextDocument: d.id()},
				protocol.MethodTextDocumentFoldingRange:   &protocol.FoldingRangeParams{TextDocumentPositionParams: tdp},
				protocol.MethodSemanticTokensFull:         &protocol.SemanticTokensParams{TextDocument: d.id()},
				protocol.MethodTextDocumentDocumentLink:   &protocol.DocumentLinkParams{TextDocument: d.id()},
				protocol.MethodTextDocumentCodeAction: &protocol.CodeActionParams{TextDocument: d.id(),
					Range: protocol.Range{Start: pos(0, 0), End: p}},
			}
			for method, params := range requests {
				var res json.RawMessage
				err := s.call(method, params, &res)
				if err != nil && rpcCode(err) != codeRequestFailed {
					t.Errorf("%s: %s at %v: %v", name, method, p, err)
				}
			}
		}
	}
	s.h.checkNoLeak()
}

func TestBrokenAnalysis(t *testing.T) {
	m := NewMapper("Using \"a.tar\"\n")
	an := brokenAnalysis("file:///Gunfile", m, "boom")
	var ds []protocol.Diagnostic
	if err := json.Unmarshal(an.diagnostics, &ds); err != nil || len(ds) != 1 || ds[0].Message != "boom" || an.file == nil || an.info == nil {
		t.Errorf("broken analysis: %+v (%v)", an, err)
	}
	// Every feature works on it.
	snap := &snapshot{uri: "file:///Gunfile", version: 1, m: m}
	snap.once.Do(func() { snap.an = an })
	ctx := context.Background()
	for name, f := range map[string]func() (any, error){
		"symbols": func() (any, error) { return documentSymbol(ctx, &server{}, snap, nil) },
		"flat": func() (any, error) {
			return documentSymbol(ctx, &server{caps: clientCaps{flatSymbols: true}}, snap, nil)
		},
		"folding":  func() (any, error) { return foldingRange(ctx, nil, snap, nil) },
		"tokens":   func() (any, error) { return semanticTokens(ctx, nil, snap, nil) },
		"links":    func() (any, error) { return documentLink(ctx, nil, snap, nil) },
		"format":   func() (any, error) { return formatting(ctx, nil, snap, nil) },
		"complete": func() (any, error) { return completion(ctx, &server{}, snap, &protocol.CompletionParams{}) },
	} {
		if _, err := f(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
