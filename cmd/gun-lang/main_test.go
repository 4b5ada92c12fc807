package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/internal/cmdline"
)

// TestLeanImports keeps gun-lang lean: none of gun's containers, images,
// registries, builds or BuildKit, no cgo, and net/http only where the
// language server's protocol library brings it (go.lsp.dev/protocol's
// logger, zap, which no gun-lang code calls).
func TestLeanImports(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, ".")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0") // as hack/build.sh builds it
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{
		"runtime/cgo", "os/exec",
		"github.com/gun-tools/gun/runtime", "github.com/gun-tools/gun/exec", "github.com/gun-tools/gun/store",
		"github.com/gun-tools/gun/registry", "github.com/gun-tools/gun/container", "github.com/gun-tools/gun/guntar",
		"github.com/gun-tools/gun/convert", "github.com/moby/buildkit", "oras.land", "github.com/opencontainers",
		"github.com/opencontainers/go-digest", "google.golang.org/protobuf",
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		for _, f := range forbidden {
			if pkg == f || strings.HasPrefix(pkg, f+"/") {
				t.Errorf("gun-lang depends on %s", pkg)
			}
		}
		if strings.HasPrefix(pkg, "net/http") || strings.HasPrefix(pkg, "crypto/") || strings.HasPrefix(pkg, "vendor/") ||
			strings.HasPrefix(pkg, "go.uber.org/zap") {
			continue // net/http's own, and zap's
		}
		if slices.Contains(strings.Fields(imports), "net/http") {
			t.Errorf("%s imports net/http: only go.uber.org/zap may (for go.lsp.dev/protocol)", pkg)
		}
	}
}

// TestCommands checks that gun-lang has the commands gun executes it for.
func TestCommands(t *testing.T) {
	var names []string
	for _, c := range newRootCmd().Commands() {
		if c.Name() != "help" {
			names = append(names, c.Name())
		}
	}
	slices.Sort(names)
	if want := slices.Sorted(slices.Values(cmdline.LangCommands)); !slices.Equal(names, want) {
		t.Errorf("gun-lang's commands are %v, want internal/cmdline's LangCommands %v", names, want)
	}
}

// TestArgsAreUsageErrors checks that gun-lang refuses a wrong number of
// arguments as gun does (cmd/gun's TestArgsAreUsageErrors runs `gun lsp x`
// through gun-lang).
func TestArgsAreUsageErrors(t *testing.T) {
	cmd := newRootCmd()
	cmd.SetArgs([]string{"lsp", "x"})
	code, msg := langcmd.Outcome(cmd.Execute())
	want := "lsp: unknown command \"x\" for \"gun lsp\"\nUsage: gun lsp [flags]\nRun 'gun lsp --help' for more."
	if code != 2 || msg != want {
		t.Errorf("gun-lang lsp x: exit %d, %q; want 2, %q", code, msg, want)
	}
}
