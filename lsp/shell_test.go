package lsp

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lsp/lsptest"
)

// shellDoc has an Arg and an Env used in a script block, and uses of the same
// names that are not references to them: in single quotes, and after the
// script sets the name itself.
const shellDoc = `Arg ⟨argdef⟩VERSION "1.0"
Using "a.tar"
Env ⟨envdef⟩DIR "/opt"
Exec <<EOF
    set -e
    curl -fsSLo x "https://e.com/𝄞/v$⟨use1⟩VERSION"
    echo '$VERSION' "${⟨use2⟩DIR}"
    VERSION=2
    echo $VERSION
    EOF
Exec "echo \"𝄞 $⟨use3⟩VERSION\""
`

func TestShellNavigation(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", shellDoc)
	if len(d.diags.Diagnostics) != 0 {
		t.Fatalf("diagnostics: %+v", d.diags.Diagnostics)
	}
	d.checkHover("use2", "DIR", "/opt")
	var defs []protocol.Location
	if err := s.call(protocol.MethodTextDocumentDefinition, &protocol.DefinitionParams{TextDocumentPositionParams: d.tdp("use1")}, &defs); err != nil {
		t.Fatal(err)
	}
	if len(defs) != 1 || defs[0].Range.Start != d.pos("argdef") {
		t.Errorf("definition of $VERSION in a script: %+v", defs)
	}
	var refs []protocol.Location
	if err := s.call(protocol.MethodTextDocumentReferences, &protocol.ReferenceParams{TextDocumentPositionParams: d.tdp("argdef")}, &refs); err != nil {
		t.Fatal(err)
	}
	var got []protocol.Position
	for _, r := range refs {
		got = append(got, r.Range.Start)
	}
	if diff := cmp.Diff([]protocol.Position{d.pos("use1"), d.pos("use3")}, got); diff != "" {
		t.Errorf("references of Arg VERSION (-want +got):\n%s", diff)
	}
	var we protocol.WorkspaceEdit
	if err := s.call(protocol.MethodTextDocumentRename, &protocol.RenameParams{TextDocumentPositionParams: d.tdp("use1"), NewName: "RELEASE"}, &we); err != nil {
		t.Fatal(err)
	}
	renamed := applyEdits(t, d.text, we.Changes[d.uri])
	want := strings.NewReplacer("Arg VERSION", "Arg RELEASE", "v$VERSION", "v$RELEASE", `"𝄞 $VERSION`, `"𝄞 $RELEASE`).Replace(d.text)
	if renamed != want {
		t.Errorf("renamed:\n%s\nwant:\n%s", renamed, want)
	}
}

func TestShellDiagnostics(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", "Using \"a.tar\"\nArg VERSION \"1\"\nExec \"echo 𝄞 \\\"$⟨typo⟩VERSON\\\" ⟨pipe⟩|\"\nExec <<EOF\n    set -e\n    echo \"𝄞 $⟨typo2⟩VERSON\"\n    EOF\n")
	var got []string
	for _, pd := range d.diags.Diagnostics {
		got = append(got, pd.Code.(string))
	}
	if diff := cmp.Diff([]string{"G301", "G303"}, got); diff != "" {
		t.Fatalf("diagnostics (-want +got):\n%s\n%+v", diff, d.diags.Diagnostics)
	}
	if r := d.diags.Diagnostics[0].Range; r.Start != d.pos("pipe") || r.End.Character != r.Start.Character+1 {
		t.Errorf("shell syntax error at %v, want at the pipe %v", r, d.pos("pipe"))
	}
	if r := d.diags.Diagnostics[1].Range; r.Start != d.pos("typo2") || r.End.Character != r.Start.Character+6 {
		t.Errorf("unset variable at %v, want %v", r, d.pos("typo2"))
	}
}

func TestShellSemanticTokens(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", "Using \"a.tar\"\nExec \"ls 'é' $HOME # c\"\nExec <<EOF\n    if true; then\n        V=1\n    fi\n    EOF\nExec <<EOF\n    #!/usr/bin/awk -f\n    BEGIN { x = 1 }\n    EOF\n")
	var got []string
	for _, tk := range d.tokens() {
		got = append(got, tk.Type+" "+tk.Text)
	}
	want := []string{
		"keyword Using", `string "a.tar"`,
		"keyword Exec", `string "`, "function ls", "string 'é'", "variable $HOME", "comment # c", `string "`,
		"keyword Exec", "string <<EOF", "keyword if", "function true", "keyword then", "variable V", "keyword fi", "string     EOF",
		// A script whose #! line names no shell is awk's, not the shell's.
		"keyword Exec", "string <<EOF", "string     #!/usr/bin/awk -f", "string     BEGIN { x = 1 }", "string     EOF",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("semantic tokens (-want +got):\n%s", diff)
	}
}

// TestShellFormatting checks that formatting lays out the Gunfile around a
// script block and leaves the script as it was written: no shell layout
// unless asked (gun fmt --shell).
func TestShellFormatting(t *testing.T) {
	s := newSession(t)
	script := "    if  true;then\n      echo   \"𝄞  $HOME\"  ;fi\n    cd /tmp&&ls\n"
	messy := "Using   \"a.tar\"\nExec    <<EOF\n" + script + "    EOF\nMain  [\"/app\"]\n"
	d := s.open("Gunfile", messy)
	var edits []protocol.TextEdit
	if err := s.call(protocol.MethodTextDocumentFormatting, &protocol.DocumentFormattingParams{TextDocument: d.id()}, &edits); err != nil {
		t.Fatal(err)
	}
	want := "Using \"a.tar\"\nExec <<EOF\n" + script + "    EOF\nMain [\"/app\"]\n"
	if diff := cmp.Diff(want, applyEdits(t, messy, edits)); diff != "" {
		t.Errorf("formatting (-want +got):\n%s", diff)
	}
}

// TestCacheFill checks that the version a document is opened with is
// analysed without the shell cache, and that the next version's analysis
// fills it and says the same.
func TestCacheFill(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", "Using \"a.tar\"\nExec \"apt-get install curl\"\nExec \"echo $VERSON\"\n")
	snap, _ := s.h.srv.docs.get(d.uri)
	if !snap.fill || snap.cache.Len() != 0 {
		t.Fatalf("the first version is to be analysed without the cache (fill %v, %d commands cached)", snap.fill, snap.cache.Len())
	}
	if len(d.diags.Diagnostics) == 0 {
		t.Fatal("no diagnostics")
	}
	// A blank line at the end: the same diagnostics, with the cache filled.
	end := pos(3, 0)
	if err := s.c.Edit(s.ctx, d.uri, 2, lsptest.Change{Range: &protocol.Range{Start: end, End: end}, Text: "\n"}); err != nil {
		t.Fatal(err)
	}
	p, err := s.c.WaitVersion(s.ctx, d.uri, 2)
	if err != nil {
		t.Fatal(err)
	}
	if v2, _ := s.h.srv.docs.get(d.uri); v2.fill {
		t.Error("a later version is to be analysed with the cache")
	}
	if n := snap.cache.Len(); n != 2 {
		t.Errorf("the cache holds %d commands after the second version's analysis, want 2", n)
	}
	if diff := cmp.Diff(d.diags.Diagnostics, p.Diagnostics); diff != "" {
		t.Errorf("diagnostics of the first version (-) and of the second, with the cache (+):\n%s", diff)
	}
}

// TestShellCodeActions checks the quick fixes of the shell rules over the
// protocol: in a string after a character of two UTF-16 units and an
// escape, in a script block, and in a # gun:ignore.
func TestShellCodeActions(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", "Using \"a.tar\"\nExec \"echo \\\"𝄞\\\" && apt-get ⟨apt⟩install --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\"\nExec <<EOF\n    ⟨make⟩./configure\n    make\n    EOF\nExec \"true\" # gun:ignore ⟨ign⟩g312\n")
	tests := []struct {
		mark, title, from, to string
	}{
		{"apt", "add -y", "apt-get install --no", "apt-get install -y --no"},
		{"make", "add set -e", "<<EOF\n    ./configure", "<<EOF\n    set -e\n    ./configure"},
		{"ign", "change to G312", "gun:ignore g312", "gun:ignore G312"},
	}
	for _, tt := range tests {
		var actions []protocol.CodeAction
		params := &protocol.CodeActionParams{TextDocument: d.id(), Range: protocol.Range{Start: d.pos(tt.mark), End: d.pos(tt.mark)}}
		if err := s.call(protocol.MethodTextDocumentCodeAction, params, &actions); err != nil {
			t.Fatal(err)
		}
		var fix *protocol.CodeAction
		for i := range actions {
			if actions[i].Title == tt.title {
				fix = &actions[i]
			}
		}
		if fix == nil {
			t.Errorf("at %s: actions %+v, want %q", tt.mark, actions, tt.title)
			continue
		}
		got := applyEdits(t, d.text, fix.Edit.Changes[d.uri])
		if want := strings.Replace(d.text, tt.from, tt.to, 1); got != want {
			t.Errorf("after %q:\n%s\nwant:\n%s", tt.title, got, want)
		}
	}
}
