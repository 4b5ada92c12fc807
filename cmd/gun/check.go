package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/gun-tools/gun/internal/hugeheap"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/source"
)

func newCheckCmd() *cobra.Command {
	var format string
	var strict bool
	var ignore []string
	cmd := &cobra.Command{
		Use:   "check [--format text|json|sarif] [--strict] [FILE...]",
		Short: "Report errors and warnings in Gunfiles",
		Long: `Check parses and checks Gunfiles and reports every problem it finds.
With no FILE it reads standard input.

Text output is "file:line:col: severity: message [code]" with the source line
and a caret under the problem; --format json is for tools, and --format sarif
writes SARIF 2.1.0 for code-scanning upload. Each code is explained in
docs/diagnostics.md.

Codes can be turned off with --ignore G309,G305, or for a project with a
.gun-check.yaml in the current directory ("ignore: [G309, G305]"), and for one
instruction with a comment "# gun:ignore G309" on its line or the line before.

Exit status: 0 when there is no error, 1 when there is an error (or, with
--strict, a warning), 2 on usage errors.`,
		Example: "  gun check Gunfile\n  gun check --format sarif Gunfile > gun.sarif",
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "text", "json", "sarif":
			default:
				return &usageError{fmt.Errorf("check: unknown --format %q: use text, json or sarif", format)}
			}
			codes, err := ignoredCodes(ignore)
			if err != nil {
				return err
			}
			collectLate(cmd.InOrStdin(), args)
			hugeheap.Collapse()
			return runCheck(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args, format, strict, codes)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or sarif")
	cmd.Flags().BoolVar(&strict, "strict", false, "fail on warnings too")
	cmd.Flags().StringSliceVar(&ignore, "ignore", nil, "codes not to report, such as G309,G305 (added to .gun-check.yaml's)")
	return cmd
}

// checked is one file's diagnostics.
type checked struct {
	file  *source.File
	diags []diag.Diagnostic
}

// checkSource parses and checks one Gunfile, syntax and semantic
// diagnostics merged in source order. It checks the file stage by stage as
// the parser reads it, so that the tree of the whole file is never in
// memory at once.
func checkSource(name string, src []byte, ignore []diag.Code) checked {
	start := time.Now()
	st := check.NewStream()
	file, ds := parser.Stream(name, src, st.Add)
	ds = check.Without(append(ds, st.End()...), ignore)
	slices.SortStableFunc(ds, func(a, b diag.Diagnostic) int { return int(a.Range.Start - b.Range.Start) })
	slog.Debug("checked", "file", name, "bytes", len(src), "diagnostics", len(ds), "elapsed", time.Since(start))
	return checked{file: file, diags: ds}
}

// checkConfig is the file that turns codes off for a project.
const checkConfig = ".gun-check.yaml"

// ignoredCodes returns the codes not to report: flags's and those of the
// project's checkConfig, if there is one.
func ignoredCodes(flags []string) ([]diag.Code, error) {
	var conf struct {
		Ignore []string `yaml:"ignore"`
	}
	data, err := os.ReadFile(checkConfig)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("check: %w", err)
	default:
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&conf); err != nil && !errors.Is(err, io.EOF) {
			return nil, &usageError{fmt.Errorf("check: %s: %w", checkConfig, err)}
		}
	}
	var codes []diag.Code
	for _, c := range append(conf.Ignore, flags...) {
		if !slices.ContainsFunc(diag.Codes, func(i diag.CodeInfo) bool { return string(i.Code) == c }) {
			return nil, &usageError{fmt.Errorf("check: unknown code %q to ignore (the codes are in docs/diagnostics.md)", c)}
		}
		codes = append(codes, diag.Code(c))
	}
	return codes, nil
}

// collectLate turns the garbage collector off until the heap nears a limit
// that leaves room for checking the files named (or standard input, if it
// is a file). A check reuses the nodes of each stage for the next and keeps
// its symbol table to the end, so a collection frees next to nothing for
// its CPU time; the limit (far above the 1.5 times its source a check
// allocates) keeps the collector for what a check does not foresee.
func collectLate(stdin io.Reader, args []string) {
	var size int64
	if len(args) == 0 {
		f, ok := stdin.(*os.File)
		if !ok {
			return
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return // a pipe: its size is not known
		}
		size = fi.Size()
	}
	for _, name := range args {
		if fi, err := os.Stat(name); err == nil {
			size += fi.Size()
		}
	}
	debug.SetMemoryLimit(64<<20 + 16*size)
	debug.SetGCPercent(-1)
	if size >= 1<<20 {
		// What a check keeps, on huge pages where it fills them: a heap
		// faulted in page by page took a fifth of a 4 MB check's CPU
		// time. A check allocates about 0.9 times its input
		// (TestStreamMemory), some of it below Fill's object.
		hugeheap.Fill(int(size * 3 / 4))
	}
}

// guardFaults runs f and returns its error, or an error for the fault of a
// mapped file cut short while f reads it.
func guardFaults(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			fault, ok := r.(interface{ Addr() uintptr })
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("check: a file changed while it was read (fault at %#x)", fault.Addr())
		}
	}()
	return f()
}

func runCheck(stdin io.Reader, stdout, stderr io.Writer, args []string, format string, strict bool, ignore []diag.Code) error {
	return guardFaults(func() error { return checkFiles(stdin, stdout, stderr, args, format, strict, ignore) })
}

func checkFiles(stdin io.Reader, stdout, stderr io.Writer, args []string, format string, strict bool, ignore []diag.Code) error {
	var results []checked
	var readErr error
	if len(args) == 0 {
		src, err := io.ReadAll(stdin)
		if err != nil {
			return fmt.Errorf("check: read standard input: %w", err)
		}
		results = append(results, checkSource("<stdin>", src, ignore))
	}
	for _, name := range args {
		src, err := readSource(name)
		if err != nil {
			fmt.Fprintf(stderr, "gun: check: %v\n", err)
			readErr = err
			continue
		}
		results = append(results, checkSource(name, src, ignore))
	}

	var out bytes.Buffer
	switch format {
	case "text":
		for _, r := range results {
			for _, d := range r.diags {
				if err := writeDiagnostic(&out, r.file, d); err != nil {
					return err
				}
			}
		}
	case "json":
		if err := writeJSON(&out, results); err != nil {
			return err
		}
	case "sarif":
		if err := writeSARIF(&out, results, diag.Codes); err != nil {
			return err
		}
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return fmt.Errorf("check: write output: %w", err)
	}

	failed := readErr != nil
	for _, r := range results {
		for _, d := range r.diags {
			if d.Severity == diag.Error || strict && d.Severity == diag.Warning {
				failed = true
			}
		}
	}
	if failed {
		return &exitError{code: 1}
	}
	return nil
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
func writeJSON(w io.Writer, results []checked) error {
	out := []jsonDiag{}
	for _, r := range results {
		for _, d := range r.diags {
			jd := jsonDiag{
				File:     r.file.Name(),
				Severity: d.Severity.String(),
				Code:     string(d.Code),
				Message:  d.Message,
				Range:    toJSONRange(r.file, d.Range),
			}
			for _, rel := range d.Related {
				jd.Related = append(jd.Related, jsonRelated{Range: toJSONRange(r.file, rel.Range), Message: rel.Message})
			}
			for _, fix := range d.Fixes {
				jf := jsonFix{Title: fix.Title}
				for _, e := range fix.Edits {
					jf.Edits = append(jf.Edits, jsonEdit{Range: toJSONRange(r.file, e.Range), NewText: e.NewText})
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
func writeSARIF(w io.Writer, results []checked, codes []diag.CodeInfo) error {
	driver := sarifDriver{Name: "gun", Version: buildVersion(), InformationURI: "https://github.com/gun-tools/gun"}
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
		uri := filepath.ToSlash(r.file.Name())
		for _, d := range r.diags {
			res := sarifResult{
				RuleID:    string(d.Code),
				RuleIndex: index[d.Code],
				Level:     sarifLevel(d.Severity),
				Message:   sarifMessage{Text: d.Message},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysicalLocation{
					ArtifactLocation: sarifArtifact{URI: uri},
					Region:           sarifRegionOf(r.file, d.Range),
				}}},
			}
			for i, rel := range d.Related {
				id := i + 1
				res.RelatedLocations = append(res.RelatedLocations, sarifLocation{
					ID: &id,
					PhysicalLocation: sarifPhysicalLocation{
						ArtifactLocation: sarifArtifact{URI: uri},
						Region:           sarifRegionOf(r.file, rel.Range),
					},
					Message: &sarifMessage{Text: rel.Message},
				})
			}
			for _, fix := range d.Fixes {
				change := sarifArtifactChange{ArtifactLocation: sarifArtifact{URI: uri}}
				for _, e := range fix.Edits {
					rep := sarifReplacement{DeletedRegion: sarifRegionOf(r.file, e.Range)}
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

// readSource returns the text of the file name, mapped rather than copied
// when it is a regular file: no copy, and no memory of gun's to fault in.
// runCheck turns the fault of a file cut short meanwhile into an error.
func readSource(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() > source.MaxSize {
		return io.ReadAll(f)
	}
	src, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: name, Err: err}
	}
	return src, nil
}
