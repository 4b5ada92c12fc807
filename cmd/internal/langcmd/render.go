package langcmd

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/source"
)

// Checked is one file's diagnostics.
type Checked struct {
	File  *source.File
	Diags []diag.Diagnostic
}

// CheckFormat returns a usage error of command's when format is not one
// that Report writes.
func CheckFormat(command, format string) error {
	switch format {
	case "text", "json", "sarif":
		return nil
	}
	return &UsageError{Err: fmt.Errorf("%s: unknown --format %q: use text, json or sarif", command, format)}
}

// Report writes the diagnostics of results to w in format: text (as
// WriteDiagnostic), json, or sarif, whose log lists codes as its rules.
func Report(w io.Writer, format string, results []Checked, codes []diag.CodeInfo) error {
	switch format {
	case "json":
		return writeJSON(w, results)
	case "sarif":
		return writeSARIF(w, results, codes)
	}
	for _, r := range results {
		for _, d := range r.Diags {
			if err := WriteDiagnostic(w, r.File, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxSnippet is the widest source excerpt shown under a diagnostic, in
// runes; longer lines are cut around the diagnostic.
const maxSnippet = 120

// WriteDiagnostic writes d as
//
//	file:line:col: severity: message [code]
//	    source line
//	    ^^^^^
//
// followed by its related locations and fixes. Columns are byte columns, as
// compilers and editors count them.
func WriteDiagnostic(w io.Writer, f *source.File, d diag.Diagnostic) error {
	pos := f.Position(d.Range.Start)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s [%s]\n", pos, d.Severity, d.Message, d.Code)
	writeSnippet(&b, f, d.Range)
	for _, r := range d.Related {
		fmt.Fprintf(&b, "%s: note: %s\n", f.Position(r.Range.Start), r.Message)
	}
	for _, fix := range d.Fixes {
		fmt.Fprintf(&b, "    fix: %s\n", fix.Title)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSnippet writes the line where r starts and a caret line under r (to
// the end of that line when r spans several). Control characters and
// invalid UTF-8 are shown as U+FFFD so that a binary file cannot garble a
// terminal.
func writeSnippet(b *strings.Builder, f *source.File, r source.Range) {
	pos := f.Position(r.Start)
	line := f.LineText(pos.Line)
	start := pos.Column - 1
	end := len(line)
	if f.Line(r.End) == pos.Line && int(r.End)-int(f.LineStart(pos.Line)) < end {
		end = int(r.End) - int(f.LineStart(pos.Line))
	}
	if start > len(line) {
		start = len(line)
	}
	if end < start {
		end = start
	}
	// Cut long lines to a window around the range, on rune boundaries.
	from, to := 0, len(line)
	if utf8.RuneCount(line) > maxSnippet {
		from = backRunes(line, start, maxSnippet/3)
		to = forwardRunes(line, from, maxSnippet)
	}
	var text, caret strings.Builder
	text.WriteString("    ")
	caret.WriteString("    ")
	if from > 0 {
		text.WriteString("...")
		caret.WriteString("   ")
	}
	carets := 0
	for i := from; i < to; {
		r, n := utf8.DecodeRune(line[i:])
		shown := r
		if r == utf8.RuneError && n == 1 || r < ' ' && r != '\t' || r == 0x7f {
			shown = utf8.RuneError
		}
		text.WriteRune(shown)
		switch {
		case i < start && r == '\t':
			caret.WriteByte('\t')
		case i < start:
			caret.WriteByte(' ')
		case i < end:
			caret.WriteByte('^')
			carets++
		}
		i += n
	}
	if to < len(line) {
		text.WriteString("...")
	}
	if carets == 0 {
		caret.WriteByte('^')
	}
	b.WriteString(strings.TrimRight(text.String(), " \t"))
	b.WriteByte('\n')
	b.WriteString(caret.String())
	b.WriteByte('\n')
}

// backRunes returns the offset n runes before off in s (or 0).
func backRunes(s []byte, off, n int) int {
	for ; n > 0 && off > 0; n-- {
		_, size := utf8.DecodeLastRune(s[:off])
		off -= size
	}
	return off
}

// forwardRunes returns the offset n runes after off in s (or len(s)).
func forwardRunes(s []byte, off, n int) int {
	for ; n > 0 && off < len(s); n-- {
		_, size := utf8.DecodeRune(s[off:])
		off += size
	}
	return off
}

// jsonPos is a position in JSON output: the byte offset and the 1-based
// line, byte column and UTF-16 column.
type jsonPos struct {
	Offset      int `json:"offset"`
	Line        int `json:"line"`
	Column      int `json:"column"`
	UTF16Column int `json:"utf16Column"`
}

type jsonRange struct {
	Start jsonPos `json:"start"`
	End   jsonPos `json:"end"`
}

type jsonRelated struct {
	Range   jsonRange `json:"range"`
	Message string    `json:"message"`
}

type jsonEdit struct {
	Range   jsonRange `json:"range"`
	NewText string    `json:"newText"`
}

type jsonFix struct {
	Title string     `json:"title"`
	Edits []jsonEdit `json:"edits"`
}

type jsonDiag struct {
	File     string        `json:"file"`
	Severity string        `json:"severity"`
	Code     string        `json:"code"`
	Message  string        `json:"message"`
	Range    jsonRange     `json:"range"`
	Related  []jsonRelated `json:"related,omitempty"`
	Fixes    []jsonFix     `json:"fixes,omitempty"`
}

func toJSONRange(f *source.File, r source.Range) jsonRange {
	conv := func(p source.Pos) jsonPos {
		pos := f.Position(p)
		return jsonPos{Offset: pos.Offset, Line: pos.Line, Column: pos.Column, UTF16Column: pos.UTF16Column}
	}
	return jsonRange{Start: conv(r.Start), End: conv(r.End)}
}

// writeJSON writes every diagnostic as one JSON array.
func writeJSON(w io.Writer, results []Checked) error {
	out := []jsonDiag{}
	for _, r := range results {
		for _, d := range r.Diags {
			jd := jsonDiag{
				File:     r.File.Name(),
				Severity: d.Severity.String(),
				Code:     string(d.Code),
				Message:  d.Message,
				Range:    toJSONRange(r.File, d.Range),
			}
			for _, rel := range d.Related {
				jd.Related = append(jd.Related, jsonRelated{Range: toJSONRange(r.File, rel.Range), Message: rel.Message})
			}
			for _, fix := range d.Fixes {
				jf := jsonFix{Title: fix.Title}
				for _, e := range fix.Edits {
					jf.Edits = append(jf.Edits, jsonEdit{Range: toJSONRange(r.File, e.Range), NewText: e.NewText})
				}
				jd.Fixes = append(jd.Fixes, jf)
			}
			out = append(out, jd)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// SARIF 2.1.0, the subset gun writes.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool     `json:"tool"`
	ColumnKind string        `json:"columnKind"`
	Results    []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	HelpURI              string       `json:"helpUri"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID           string          `json:"ruleId"`
	RuleIndex        int             `json:"ruleIndex"`
	Level            string          `json:"level"`
	Message          sarifMessage    `json:"message"`
	Locations        []sarifLocation `json:"locations"`
	RelatedLocations []sarifLocation `json:"relatedLocations,omitempty"`
	Fixes            []sarifFix      `json:"fixes,omitempty"`
}

type sarifLocation struct {
	ID               *int                  `json:"id,omitempty"`
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	Message          *sarifMessage         `json:"message,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn"`
}

type sarifFix struct {
	Description     sarifMessage          `json:"description"`
	ArtifactChanges []sarifArtifactChange `json:"artifactChanges"`
}

type sarifArtifactChange struct {
	ArtifactLocation sarifArtifact      `json:"artifactLocation"`
	Replacements     []sarifReplacement `json:"replacements"`
}

type sarifReplacement struct {
	DeletedRegion   sarifRegion   `json:"deletedRegion"`
	InsertedContent *sarifMessage `json:"insertedContent,omitempty"`
}

const docsURI = "https://github.com/gun-tools/gun/blob/main/docs/diagnostics.md"

func sarifLevel(s diag.Severity) string {
	switch s {
	case diag.Error:
		return "error"
	case diag.Warning:
		return "warning"
	}
	return "note"
}

// sarifRegionOf converts a range to a SARIF region in UTF-16 columns (the
// run's columnKind).
func sarifRegionOf(f *source.File, r source.Range) sarifRegion {
	s, e := f.Position(r.Start), f.Position(r.End)
	return sarifRegion{StartLine: s.Line, StartColumn: s.UTF16Column, EndLine: e.Line, EndColumn: e.UTF16Column}
}

// writeSARIF writes every diagnostic as a SARIF 2.1.0 log with one run.
func writeSARIF(w io.Writer, results []Checked, codes []diag.CodeInfo) error {
	driver := sarifDriver{Name: "gun", Version: Version(), InformationURI: "https://github.com/gun-tools/gun"}
	index := map[diag.Code]int{}
	for i, c := range codes {
		rule := sarifRule{
			ID:               string(c.Code),
			Name:             ruleName(c.Title),
			ShortDescription: sarifMessage{Text: c.Title},
			HelpURI:          docsURI + "#" + strings.ToLower(string(c.Code)),
		}
		rule.DefaultConfiguration.Level = sarifLevel(c.Severity)
		driver.Rules = append(driver.Rules, rule)
		index[c.Code] = i
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, ColumnKind: "utf16CodeUnits", Results: []sarifResult{}}
	for _, r := range results {
		uri := filepath.ToSlash(r.File.Name())
		for _, d := range r.Diags {
			res := sarifResult{
				RuleID:    string(d.Code),
				RuleIndex: index[d.Code],
				Level:     sarifLevel(d.Severity),
				Message:   sarifMessage{Text: d.Message},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysicalLocation{
					ArtifactLocation: sarifArtifact{URI: uri},
					Region:           sarifRegionOf(r.File, d.Range),
				}}},
			}
			for i, rel := range d.Related {
				id := i + 1
				res.RelatedLocations = append(res.RelatedLocations, sarifLocation{
					ID: &id,
					PhysicalLocation: sarifPhysicalLocation{
						ArtifactLocation: sarifArtifact{URI: uri},
						Region:           sarifRegionOf(r.File, rel.Range),
					},
					Message: &sarifMessage{Text: rel.Message},
				})
			}
			for _, fix := range d.Fixes {
				change := sarifArtifactChange{ArtifactLocation: sarifArtifact{URI: uri}}
				for _, e := range fix.Edits {
					rep := sarifReplacement{DeletedRegion: sarifRegionOf(r.File, e.Range)}
					if e.NewText != "" {
						rep.InsertedContent = &sarifMessage{Text: e.NewText}
					}
					change.Replacements = append(change.Replacements, rep)
				}
				res.Fixes = append(res.Fixes, sarifFix{Description: sarifMessage{Text: fix.Title}, ArtifactChanges: []sarifArtifactChange{change}})
			}
			run.Results = append(run.Results, res)
		}
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// ruleName turns a code's title into a SARIF rule name: "unterminated
// string" becomes "UnterminatedString".
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.Fields(title) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}
