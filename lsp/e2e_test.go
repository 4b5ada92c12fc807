package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/gun-tools/gun/internal/testenv"
	"github.com/gun-tools/gun/lang/format"
	"github.com/gun-tools/gun/lsp/lsptest"
)

// gunBin is the gun binary built by TestMain for the end-to-end tests.
var gunBin string

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithGun(m, &gunBin))
}

// TestBinaryLifecycle runs `gun lsp` as editors do, over its standard input
// and output, and checks its exit status: 0 after shutdown and exit, 1 when
// the client leaves without shutdown.
func TestBinaryLifecycle(t *testing.T) {
	tests := []struct {
		name string
		end  func(ctx context.Context, p *lsptest.Process) error
		code int
	}{
		{"shutdown and exit", func(ctx context.Context, p *lsptest.Process) error { return p.Shutdown(ctx) }, 0},
		{"exit without shutdown", func(ctx context.Context, p *lsptest.Process) error {
			return p.Notify(ctx, protocol.MethodExit, nil)
		}, 1},
		{"client closes the pipe", func(ctx context.Context, p *lsptest.Process) error { return p.Close() }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := ctxT(t)
			var stderr bytes.Buffer
			p, err := lsptest.Start(gunBin, []string{"lsp", "--stdio"}, &stderr)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Cmd.Process.Kill()
			if _, err := p.Initialize(ctx); err != nil {
				t.Fatal(err)
			}
			doc := uri.File(filepath.Join(t.TempDir(), "Gunfile"))
			if err := p.Open(ctx, doc, "gunfile", 1, "Using \"a.tar\"\nExec \"${HOME}\"\nWorkdir \"${X}\"\n"); err != nil {
				t.Fatal(err)
			}
			pub, err := p.WaitVersion(ctx, doc, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(pub.Diagnostics) != 1 || pub.Diagnostics[0].Code != "G102" {
				t.Errorf("diagnostics: %+v", pub.Diagnostics)
			}
			if err := tt.end(ctx, p); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- p.Cmd.Wait() }()
			select {
			case err := <-done:
				code := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				if code != tt.code {
					t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("gun lsp did not exit; stderr:\n%s", stderr.String())
			}
		})
	}
}

// TestNeovim runs neovim headless as the client of the real `gun lsp` and
// checks that diagnostics (a shell syntax error among them), completion,
// hover and formatting reach the editor.
func TestNeovim(t *testing.T) {
	nvim := testenv.NeedProgram(t, "nvim")
	dir := t.TempDir()
	src := "Arg V \"1\"\nUsing   \"alpine.tar.gz\"   As build\n\n\n\nWorkdir \"${NOPE}\"\nExec    \"echo ${V}\"\nExec \"echo 𝄞 |\"\n"
	file := filepath.Join(dir, "Gunfile")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs("testdata/nvim/e2e.lua")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "--clean", "-n", "-i", "NONE", "-c", "luafile "+script, file)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GUN_BIN="+gunBin, "GUN_COMPLETE=9:1", "GUN_HOVER=1:2", "HOME="+dir, "XDG_STATE_HOME="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var got struct {
		OK          bool   `json:"ok"`
		Error       string `json:"error"`
		Filetype    string `json:"filetype"`
		Diagnostics []struct {
			Line, Col int
			Code      string
			Message   string
		} `json:"diagnostics"`
		Edited []struct {
			Line, Col int
			Code      string
			Message   string
		} `json:"edited"`
		Completion []string `json:"completion"`
		Hover      string   `json:"hover"`
		Formatted  string   `json:"formatted"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil || !got.OK {
		t.Fatalf("neovim: %v %v %s\nstdout: %s\nstderr: %s", runErr, err, got.Error, stdout.String(), stderr.String())
	}
	// The shell's error is at the '|': byte column 17, UTF-16 column 14.
	if len(got.Diagnostics) != 2 || got.Diagnostics[0].Code != "G102" || got.Diagnostics[0].Line != 6 || got.Diagnostics[0].Col != 10 ||
		got.Diagnostics[1].Code != "G301" || got.Diagnostics[1].Line != 8 || got.Diagnostics[1].Col != 17 {
		t.Errorf("diagnostics in neovim: %+v", got.Diagnostics)
	}
	for _, want := range []string{"Using", "Exec", "Copy"} {
		if !strings.Contains(strings.Join(got.Completion, " "), want) {
			t.Errorf("completion in neovim %q lacks %s", got.Completion, want)
		}
	}
	if !strings.Contains(got.Hover, "Declares a build argument") {
		t.Errorf("hover in neovim: %q", got.Hover)
	}
	want, err := format.Source([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got.Formatted); diff != "" {
		t.Errorf("buffer formatted in neovim differs from gun fmt (-want +got):\n%s", diff)
	}
	// After typing `Label "é𝄞" "${ALSO}"` on a new last line: the reference
	// starts at byte column 17 (UTF-16 column 14, which the server sends).
	lastLine := strings.Count(string(want), "\n") + 1
	found := false
	for _, d := range got.Edited {
		if d.Code == "G102" && strings.Contains(d.Message, "ALSO") {
			found = true
			if d.Line != lastLine || d.Col != 17 {
				t.Errorf("diagnostic after the edit at %d:%d, want %d:17", d.Line, d.Col, lastLine)
			}
		}
	}
	if !found || len(got.Edited) != 3 {
		t.Errorf("diagnostics after the edit: %+v", got.Edited)
	}
}
