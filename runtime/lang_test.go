//go:build linux && cgo

package runtime

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gun-tools/gun/internal/cmdline"
)

// TestLangCommand checks that the constructor reads a command line's
// command as internal/cmdline does, and executes gun-lang for its commands
// only.
func TestLangCommand(t *testing.T) {
	for _, line := range []string{
		"check a", "fmt -d .", "lsp --stdio", "-v check", "--verbose check", "--verbose=false fmt",
		"--root /s -v lsp", "--root=/s check", "--root check", "--root", "", "-x check", "--frobnicate check",
		"--help", "-- check", "-vv check", "run -v a check", "convert Dockerfile", "--root /s run x",
		"help check", "checks", "version",
	} {
		args := strings.Fields(line)
		name, want := cmdline.Command(args)
		i, lean := langCommand(args)
		if i != want || lean != (want >= 0 && slices.Contains(cmdline.LangCommands, name)) {
			t.Errorf("%q: the constructor reads command %d (gun-lang's: %v); internal/cmdline reads %d (%q)", line, i, lean, want, name)
		}
	}
	src, err := os.ReadFile("lang.c")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`gun_lang_commands\[\] = \{(.*)\};`).FindSubmatch(src)
	if want := `"` + strings.Join(cmdline.LangCommands, `", "`) + `"`; m == nil || string(m[1]) != want {
		t.Errorf("lang.c's gun_lang_commands: %q, want %s", m, want)
	}
}
