// Package diag defines the diagnostics the Gunfile front end reports: a
// severity, a stable code, a message, a tight range, related locations and
// suggested fixes. Rendering them for people (a source line with a caret) is
// left to the command line; the language server converts them to LSP.
package diag

import (
	"fmt"

	"github.com/gun-tools/gun/lang/source"
)

// Severity says how bad a diagnostic is.
type Severity int

// Severities, most severe first.
const (
	Error   Severity = iota + 1 // the build would fail or do the wrong thing
	Warning                     // probably a mistake; the build still works
	Info                        // worth knowing
)

// String returns "error", "warning" or "info".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	case Info:
		return "info"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Diagnostic is one problem found in a Gunfile.
type Diagnostic struct {
	Severity Severity
	Code     Code
	Message  string       // one sentence, lower case, no final period
	Range    source.Range // the smallest range that shows the problem
	Related  []Related    // other places that contributed, such as a first definition
	Fixes    []Fix        // suggested fixes, best first
}

// Related is another location that explains a diagnostic.
type Related struct {
	Range   source.Range
	Message string
}

// Fix is a suggested change that resolves a diagnostic.
type Fix struct {
	Title string // e.g. `change "exec" to "Exec"`
	Edits []Edit
}

// Edit replaces the source in Range with NewText. An empty range inserts.
type Edit struct {
	Range   source.Range
	NewText string
}

// HasErrors reports whether any diagnostic in ds is an error.
func HasErrors(ds []Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// ApplyFix returns src with the edits of fix applied. Edits must not overlap.
func ApplyFix(src []byte, fix Fix) ([]byte, error) {
	edits := append([]Edit(nil), fix.Edits...)
	// Apply back to front so earlier offsets stay valid.
	for i := 1; i < len(edits); i++ {
		for j := i; j > 0 && edits[j].Range.Start > edits[j-1].Range.Start; j-- {
			edits[j], edits[j-1] = edits[j-1], edits[j]
		}
	}
	out := append([]byte(nil), src...)
	last := source.Pos(len(src)) + 1
	for _, e := range edits {
		r := e.Range
		if r.Start < 0 || r.End < r.Start || int(r.End) > len(src) || r.End > last {
			return nil, fmt.Errorf("apply fix %q: edit range [%d,%d) is invalid or overlaps", fix.Title, r.Start, r.End)
		}
		out = append(out[:r.Start:r.Start], append([]byte(e.NewText), out[r.End:]...)...)
		last = r.Start
	}
	return out, nil
}
