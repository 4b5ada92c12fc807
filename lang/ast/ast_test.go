package ast_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/source"
)

func parse(t *testing.T, src string) *ast.File {
	t.Helper()
	f, ds := parser.Parse("t", []byte(src))
	if len(ds) > 0 {
		t.Fatalf("diagnostics: %v", ds)
	}
	return f
}

func TestExpand(t *testing.T) {
	f := parse(t, `Using "x"
Label "k" "a-$A-${B}-\$C-$"
Label "k" "plain"
Label "k" "$MISSING"
Label "k" "$LOOP"
`)
	vars := map[string]string{"A": "1", "B": "two words", "LOOP": "$LOOP"}
	lookup := func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	tests := []struct {
		value, expanded string
		undefined       string
	}{
		{"a-$A-${B}-$C-$", "a-1-two words-$C-$", ""},
		{"plain", "plain", ""},
		{"$MISSING", "", "MISSING"},
		{"$LOOP", "$LOOP", ""}, // expansion happens once
	}
	for i, tt := range tests {
		s := f.Stages[0].Body[i].(*ast.Label).Value
		if got := s.Value; got != tt.value {
			t.Errorf("Value() = %q, want %q", got, tt.value)
		}
		got, err := s.Expand(lookup)
		var ue *ast.UndefinedError
		switch {
		case tt.undefined != "":
			if !errors.As(err, &ue) || ue.Ref.Name != tt.undefined {
				t.Errorf("Expand(%q) error = %v, want undefined %s", tt.value, err, tt.undefined)
			}
		case err != nil:
			t.Errorf("Expand(%q): %v", tt.value, err)
		case got != tt.expanded:
			t.Errorf("Expand(%q) = %q, want %q", tt.value, got, tt.expanded)
		}
		if s.Literal() != (i == 1) {
			t.Errorf("Literal() of %q = %v", tt.value, s.Literal())
		}
	}
}

func TestInspectOrder(t *testing.T) {
	f := parse(t, "Arg A\nUsing \"x\" As s\nCopy From s Owner \"u\" \"$A\" \"/d\"\nExec [\"a\"]")
	var got []string
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		got = append(got, typeName(n))
		return true
	})
	want := []string{"File", "Arg", "Ident", "Stage", "Using", "String", "Ident",
		"Copy", "Option", "Ident", "Option", "String", "String", "VarRef", "String",
		"Exec", "List", "String"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Inspect order mismatch (-want +got):\n%s", diff)
	}
	var instrs []string
	for in := range f.Instrs() {
		name, _ := in.Keyword()
		instrs = append(instrs, name)
	}
	if diff := cmp.Diff([]string{"Arg", "Using", "Copy", "Exec"}, instrs); diff != "" {
		t.Errorf("Instrs mismatch (-want +got):\n%s", diff)
	}
}

func typeName(n ast.Node) string {
	switch n.(type) {
	case *ast.File:
		return "File"
	case *ast.Stage:
		return "Stage"
	case *ast.Using:
		return "Using"
	case *ast.Arg:
		return "Arg"
	case *ast.Copy:
		return "Copy"
	case *ast.Exec:
		return "Exec"
	case *ast.Option:
		return "Option"
	case *ast.Ident:
		return "Ident"
	case *ast.String:
		return "String"
	case *ast.VarRef:
		return "VarRef"
	case *ast.List:
		return "List"
	}
	return "?"
}

func TestInspectSkipsChildren(t *testing.T) {
	f := parse(t, "Using \"x\"\nExec \"a\"\n")
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		if node != nil {
			n++
		}
		_, isStage := node.(*ast.Stage)
		return !isStage
	})
	if n != 2 { // File, Stage
		t.Errorf("visited %d nodes, want 2", n)
	}
}

func TestPath(t *testing.T) {
	src := "Using \"x\"\nEnv A \"v-${NAME}\"\n"
	f := parse(t, src)
	pos := source.Pos(strings.Index(src, "NAME") + 1)
	var got []string
	for _, n := range ast.Path(f, pos) {
		got = append(got, typeName(n))
	}
	if diff := cmp.Diff([]string{"File", "Stage", "?", "String", "VarRef"}, got); diff != "" {
		t.Errorf("Path mismatch (-want +got):\n%s", diff)
	}
}

func TestFprintWithoutPositions(t *testing.T) {
	a := parse(t, "Using \"x\"   As b # c\nExec [\"a\",\n \"b\"]")
	b := parse(t, "Using \"x\" As b # c\nExec [\"a\", \"b\"]\n")
	var da, db strings.Builder
	if err := ast.Fprint(&da, nil, a); err != nil {
		t.Fatal(err)
	}
	if err := ast.Fprint(&db, nil, b); err != nil {
		t.Fatal(err)
	}
	if da.String() != db.String() {
		t.Errorf("layout-only difference shows in dumps:\n%s", cmp.Diff(da.String(), db.String()))
	}
	if !strings.Contains(da.String(), `Comment "# c"`) {
		t.Errorf("dump lacks the comment:\n%s", da.String())
	}
}

func TestComments(t *testing.T) {
	f := parse(t, "# file\n\n# about base\n# more\nUsing \"x\" # trailing\nExec \"a\" # one\n# two\nExec \"b\"\n\nExec \"c\"")
	text := func(cs []*ast.Comment) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Text)
		}
		return out
	}
	body := f.Stages[0].Body
	tests := []struct {
		node ast.Node
		doc  []string
		line string
	}{
		{f.Stages[0].Using, []string{"# about base", "# more"}, "# trailing"},
		{body[0], nil, "# one"},
		{body[1], []string{"# two"}, ""},
		{body[2], nil, ""},
	}
	for i, tt := range tests {
		if diff := cmp.Diff(tt.doc, text(f.Doc(tt.node))); diff != "" {
			t.Errorf("%d: Doc mismatch (-want +got):\n%s", i, diff)
		}
		got := ""
		if c := f.LineComment(tt.node); c != nil {
			got = c.Text
		}
		if got != tt.line {
			t.Errorf("%d: LineComment = %q, want %q", i, got, tt.line)
		}
	}
}
