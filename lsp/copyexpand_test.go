package lsp

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
)

// expandDoc has an Arg and an Env used in a Copy Expand inline file (after
// an escaped \$ that is text), and the same names in an inline file
// without Expand, where they are text.
const expandDoc = `Arg ⟨argdef⟩VERSION "1.2"
Using "a.tar"
Env HOME_DIR "/opt/app"
Copy ⟨expandkw⟩Expand Mode 0644 "/etc/app.conf" <<EOF
    v=\$VERSION ${⟨argref⟩VERSION}
    home=$⟨envref⟩HOME_DIR
    EOF
Copy ⟨literal⟩"/etc/raw.conf" <<EOF
    v=$⟨literalref⟩VERSION
    EOF
`

// TestCopyExpand exercises an Expand inline file in the editor: its
// references are the Args' and Envs' (definition, hover, rename, semantic
// tokens), a literal inline file's are text with a quick fix that adds
// Expand, and hover documents the option.
func TestCopyExpand(t *testing.T) {
	s := newSession(t)
	d := s.open("Gunfile", expandDoc)

	for _, tt := range []struct{ from, to string }{{"argref", "argdef"}} {
		var locs []protocol.Location
		if err := s.call(protocol.MethodTextDocumentDefinition, &protocol.DefinitionParams{TextDocumentPositionParams: d.tdp(tt.from)}, &locs); err != nil {
			t.Fatal(err)
		}
		if len(locs) != 1 || locs[0].Range.Start != d.pos(tt.to) {
			t.Errorf("definition from %s = %+v, want %v", tt.from, locs, d.pos(tt.to))
		}
	}
	var locs []protocol.Location
	if err := s.call(protocol.MethodTextDocumentDefinition, &protocol.DefinitionParams{TextDocumentPositionParams: d.tdp("literalref")}, &locs); err != nil || len(locs) != 0 {
		t.Errorf("definition from a literal inline file's $VERSION = %+v, %v; want none", locs, err)
	}

	for _, tt := range []struct {
		mark string
		want []string
	}{
		{"expandkw", []string{"Expand", "inline file", "`\\$`"}},
		{"argref", []string{"Arg `VERSION`", "default `\"1.2\"`"}},
		{"envref", []string{"Env `HOME_DIR`"}},
	} {
		d.checkHover(tt.mark, tt.want...)
	}

	// Rename renames the reference in the Expand file, not the text of the
	// literal one or the escaped \$VERSION.
	var we protocol.WorkspaceEdit
	if err := s.call(protocol.MethodTextDocumentRename, &protocol.RenameParams{TextDocumentPositionParams: d.tdp("argdef"), NewName: "V2"}, &we); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(d.text, "Arg VERSION", "Arg V2", 1), "${VERSION}", "${V2}", 1)
	if got := applyEdits(t, d.text, we.Changes[d.uri]); got != want {
		t.Errorf("renamed Arg:\n%s\nwant:\n%s", got, want)
	}

	// Semantic tokens: the Expand file's references are variables, the
	// literal file is one string.
	var got []string
	for _, tk := range d.tokens() {
		if tk.Line >= 3 {
			got = append(got, tk.Text+":"+tk.Type)
		}
	}
	wantToks := []string{
		"Copy:keyword", "Expand:keyword", "Mode:keyword", "0644:number", `"/etc/app.conf":string`,
		"<<EOF:string", `    v=\$VERSION :string`, "${VERSION}:variable", "    home=:string", "$HOME_DIR:variable", "    EOF:string",
		"Copy:keyword", `"/etc/raw.conf":string`, "<<EOF:string", "    v=$VERSION:string", "    EOF:string",
	}
	if diff := cmp.Diff(wantToks, got); diff != "" {
		t.Errorf("semantic tokens (-want +got):\n%s", diff)
	}

	// The literal file's $VERSION is a warning whose quick fix adds Expand.
	var actions []protocol.CodeAction
	params := &protocol.CodeActionParams{TextDocument: d.id(), Range: protocol.Range{Start: d.pos("literalref"), End: d.pos("literalref")}}
	if err := s.call(protocol.MethodTextDocumentCodeAction, params, &actions); err != nil {
		t.Fatal(err)
	}
	if len(actions) != 1 || actions[0].Title != "add Expand" {
		t.Fatalf("actions = %+v", actions)
	}
	fixed := applyEdits(t, d.text, actions[0].Edit.Changes[d.uri])
	if want := strings.Replace(d.text, `Copy "/etc/raw.conf"`, `Copy Expand "/etc/raw.conf"`, 1); fixed != want {
		t.Errorf("after the fix:\n%s", fixed)
	}
}
