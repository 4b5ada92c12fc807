package lang_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/spec"
)

// gunfileBlocks returns the ```gunfile code blocks of a Markdown file, each
// with the heading above it.
func gunfileBlocks(t *testing.T, name string) (headings, blocks []string) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	heading := ""
	var block *strings.Builder
	for line := range strings.Lines(string(data)) {
		switch {
		case block != nil && strings.HasPrefix(line, "```"):
			headings, blocks = append(headings, heading), append(blocks, block.String())
			block = nil
		case block != nil:
			block.WriteString(line)
		case strings.HasPrefix(line, "```gunfile"):
			block = new(strings.Builder)
		case strings.HasPrefix(line, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(line, "#"))
		}
	}
	return headings, blocks
}

func diagnose(src string) []diag.Diagnostic {
	f, ds := parser.Parse("doc", []byte(src))
	return append(ds, check.Check(f)...)
}

// TestDiagnosticsDoc checks that docs/diagnostics.md documents every code,
// and that each section's example produces its code.
func TestDiagnosticsDoc(t *testing.T) {
	headings, blocks := gunfileBlocks(t, "../docs/diagnostics.md")
	examples := map[string]string{}
	for i, h := range headings {
		examples[h] = blocks[i]
	}
	for _, c := range diag.Codes {
		src, ok := examples[string(c.Code)]
		if !ok {
			t.Errorf("docs/diagnostics.md has no example for %s", c.Code)
			continue
		}
		found := false
		for _, d := range diagnose(src) {
			if d.Code == c.Code {
				found = true
				if d.Severity != c.Severity {
					t.Errorf("%s is reported as %v, documented as %v", c.Code, d.Severity, c.Severity)
				}
			}
		}
		if !found {
			t.Errorf("the example for %s does not produce it: %v", c.Code, diagnose(src))
		}
	}
}

// TestLanguageDoc checks that docs/gunfile.md documents every instruction and
// that its examples are clean Gunfiles.
func TestLanguageDoc(t *testing.T) {
	data, err := os.ReadFile("../docs/gunfile.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range spec.Instructions {
		if !regexp.MustCompile(`(?m)^### ` + in.Name + `$`).Match(data) {
			t.Errorf("docs/gunfile.md has no section for %s", in.Name)
		}
	}
	headings, blocks := gunfileBlocks(t, "../docs/gunfile.md")
	if len(blocks) < len(spec.Instructions) {
		t.Errorf("only %d examples", len(blocks))
	}
	for i, src := range blocks {
		for _, d := range diagnose(src) {
			if d.Severity != diag.Info {
				t.Errorf("example under %q has diagnostics: %v\n%s", headings[i], d, src)
			}
		}
	}
}
