package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gun-tools/gun/internal/testenv"
)

// gunBin is the gun binary the end-to-end tests run, built once in TestMain.
var gunBin string

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithGun(m, &gunBin))
}

// result is what one run of gun did.
type result struct {
	stdout, stderr string
	code           int
}

// gun runs the gun binary in dir (the repository root when empty) with
// stdin, and returns its output and exit code.
func gun(t *testing.T, dir string, stdin []byte, args ...string) result {
	t.Helper()
	return runGun(t, gunBin, dir, nil, stdin, args...)
}

// runGun runs the gun binary bin as gun does, with env added to the
// environment.
func runGun(t *testing.T, bin, dir string, env []string, stdin []byte, args ...string) result {
	t.Helper()
	if dir == "" {
		dir = "../.."
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run gun %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// cliCase is a gun command line with its stdin, and what it must give: the
// exit code, and substrings of its stdout and stderr.
type cliCase struct {
	name   string
	args   []string
	stdin  string
	code   int
	stdout string // substring
	stderr string // substring
}

// runCases runs each case in a directory of its own.
func runCases(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r := gun(t, t.TempDir(), []byte(tt.stdin), tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("gun %v = %+v; want code %d, stdout with %q, stderr with %q", tt.args, r, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
