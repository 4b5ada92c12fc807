package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestConvertCommand(t *testing.T) {
	runCases(t, []cliCase{
		{"exact", []string{"convert"}, "FROM alpine\n# hi\nRUN echo hi\n", 0, "Using \"alpine\"\n# hi\nExec \"echo hi\"\n", ""},
		{"needs a look", []string{"convert"}, "FROM alpine\nONBUILD RUN x\n", 1, "# ONBUILD RUN x\n", "<stdin>:2:1: warning: ONBUILD kept as a comment"},
		{"json", []string{"convert", "--format", "json"}, "FROM alpine\nENV P=$HOME\n", 1, "Env HOME Inherited\nEnv P \"${HOME}\"", `"code": "D003"`},
		{"bad Dockerfile", []string{"convert"}, "FROM alpine\nFROBNICATE x\n", 1, "", "gun: convert: <stdin>:2:1: unknown instruction"},
		{"unknown format", []string{"convert", "--format", "xml"}, "", 2, "", "unknown --format"},
		{"missing file", []string{"convert", "no/Dockerfile"}, "", 1, "", "no/Dockerfile"},
		{"two files", []string{"convert", "a", "b"}, "", 2, "", "convert: accepts at most 1 arg(s), received 2\nUsage: gun convert [-o FILE]"},
		{"output in no directory", []string{"convert", "-o", "no/such/Gunfile"}, "FROM alpine\n", 1, "", "convert: write no/such/Gunfile: "},
	})
	// -o writes the file; SARIF names the conversion's rules.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM alpine\nMAINTAINER me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := gun(t, dir, nil, "convert", "-o", "Gunfile", "--format", "sarif", "Dockerfile")
	got, err := os.ReadFile(filepath.Join(dir, "Gunfile"))
	if r.code != 1 || err != nil || string(got) != "Using \"alpine\"\nLabel \"maintainer\" \"me\"\n" || r.stdout != "" {
		t.Fatalf("convert -o: %+v, file %q (%v)", r, got, err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stderr), &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 || log.Runs[0].Results[0].RuleID != "D005" {
		t.Errorf("SARIF %v: %s", err, r.stderr)
	}
}
