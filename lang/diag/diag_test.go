package diag

import (
	"regexp"
	"testing"

	"github.com/gun-tools/gun/lang/source"
)

func TestApplyFix(t *testing.T) {
	src := []byte("Using bulid\nexec \"x\"")
	fix := Fix{Title: "t", Edits: []Edit{
		{Range: source.Range{Start: 12, End: 16}, NewText: "Exec"},
		{Range: source.Range{Start: 6, End: 11}, NewText: "build"},
		{Range: source.Range{Start: 0, End: 0}, NewText: "# fixed\n"},
	}}
	got, err := ApplyFix(src, fix)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# fixed\nUsing build\nExec \"x\""; string(got) != want {
		t.Errorf("ApplyFix = %q, want %q", got, want)
	}
	if string(src) != "Using bulid\nexec \"x\"" {
		t.Error("ApplyFix changed its input")
	}
}

func TestApplyFixRejectsBadEdits(t *testing.T) {
	src := []byte("abcdef")
	for _, edits := range [][]Edit{
		{{Range: source.Range{Start: 2, End: 9}}},
		{{Range: source.Range{Start: 3, End: 2}}},
		{{Range: source.Range{Start: 0, End: 3}}, {Range: source.Range{Start: 2, End: 4}}},
	} {
		if _, err := ApplyFix(src, Fix{Title: "bad", Edits: edits}); err == nil {
			t.Errorf("ApplyFix(%v) succeeded, want an error", edits)
		}
	}
}

func TestCodes(t *testing.T) {
	seen := map[Code]bool{}
	valid := regexp.MustCompile(`^G[0-9]{3}$`)
	for _, c := range Codes {
		if !valid.MatchString(string(c.Code)) || seen[c.Code] || c.Title == "" {
			t.Errorf("bad or duplicate code entry %+v", c)
		}
		seen[c.Code] = true
		if c.Severity != Error && c.Severity != Warning && c.Severity != Info {
			t.Errorf("%s has severity %v", c.Code, c.Severity)
		}
	}
	if Error.String() != "error" || Warning.String() != "warning" || Info.String() != "info" {
		t.Error("severity names")
	}
}

func TestHasErrors(t *testing.T) {
	if HasErrors([]Diagnostic{{Severity: Warning}}) || !HasErrors([]Diagnostic{{Severity: Warning}, {Severity: Error}}) {
		t.Error("HasErrors is wrong")
	}
}
