package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestGenerated regenerates runtime/seccomp's generated files and compares.
func TestGenerated(t *testing.T) {
	type gen struct {
		file string
		src  func() ([]byte, error)
	}
	gens := []gen{
		{"syscalls_amd64.go", func() ([]byte, error) { return syscallsSource("amd64") }},
		{"syscalls_arm64.go", func() ([]byte, error) { return syscallsSource("arm64") }},
	}
	if runtime.GOARCH == "amd64" { // only amd64's program is generated
		gens = append(gens, gen{"default_amd64.go", defaultSource})
	}
	for _, g := range gens {
		want, err := g.src()
		if err != nil {
			t.Fatalf("%s: %v", g.file, err)
		}
		got, err := os.ReadFile(filepath.Join("..", "..", "runtime", "seccomp", g.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("runtime/seccomp/%s is stale: run go generate ./runtime/seccomp", g.file)
		}
	}
}
