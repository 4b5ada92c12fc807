package main

import (
	"bytes"
	"os"
	"os/exec"
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
