package check_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/parser"
)

// resolveBoth resolves src without a cache and with k, and fails the test
// when the diagnostics differ.
func resolveBoth(t *testing.T, name string, k *check.Cache, src []byte) []diag.Diagnostic {
	t.Helper()
	f, _ := parser.Parse(name, src)
	_, want := check.Resolve(f)
	_, got := k.Resolve(f)
	if !cmp.Equal(got, want, cmpopts.EquateEmpty()) {
		t.Errorf("%s: with a cache (-) and without (+):\n%s", name, cmp.Diff(got, want, cmpopts.EquateEmpty()))
	}
	return want
}

// TestCacheAgrees checks every corpus file with a cache: on first sight, a
// second time (every command found in the cache), and moved down two lines
// (every command found elsewhere).
func TestCacheAgrees(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/gunfiles/*.gunfile")
	examples, _ := filepath.Glob("../../testdata/examples/*.gunfile")
	for _, name := range append(files, examples...) {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		k := new(check.Cache)
		resolveBoth(t, name, k, src)
		resolveBoth(t, name+" again", k, src)
		resolveBoth(t, name+" moved", k, append([]byte("# moved\n\n"), src...))
	}
}

// TestCacheContext changes what surrounds unchanged commands: what they
// mean must follow.
func TestCacheContext(t *testing.T) {
	k := new(check.Cache)
	versions := []struct {
		src  string
		want []diag.Code
	}{
		{"Using \"x\"\nArg VERSION \"1\"\nExec \"curl -fsSL https://example.com/$VERSION -o /a\"\n", nil},
		// The Arg goes: $VERSION is never set.
		{"Using \"x\"\nExec \"curl -fsSL https://example.com/$VERSION -o /a\"\n", []diag.Code{diag.UnsetShellVariable}},
		// A wget joins the curl in the image.
		{"Using \"x\"\nArg VERSION \"1\"\nExec \"curl -fsSL https://example.com/$VERSION -o /a\"\nExec \"wget -q https://example.com/b\"\n", []diag.Code{diag.TwoDownloaders}},
		// The same commands in two images: no longer both in one.
		{"Using \"x\"\nArg VERSION \"1\"\nExec \"curl -fsSL https://example.com/$VERSION -o /a\"\nUsing \"y\"\nExec \"wget -q https://example.com/b\"\n", nil},
		// The step's Cache mount and the stage's Env count for the same
		// commands.
		{"Using \"x\"\nExec \"dnf install -y a-1\"\nExec \"pip install b==1\"\n", []diag.Code{diag.RpmCacheKept, diag.PipCache}},
		{"Using \"x\"\nEnv PIP_NO_CACHE_DIR \"1\"\nExec Cache \"/var/cache/dnf\" \"dnf install -y a-1\"\nExec \"pip install b==1\"\n", nil},
		{"Using \"x\"\nExec \"dnf install -y a-1\"\nExec \"pip install b==1\"\n", []diag.Code{diag.RpmCacheKept, diag.PipCache}},
		// The same command as a Healthcheck: the build steps' rules do not
		// apply to it.
		{"Using \"x\"\nExec \"cd /srv && ./check\"\n", []diag.Code{diag.CdFirst}},
		{"Using \"x\"\nHealthcheck \"cd /srv && ./check\"\n", nil},
	}
	for i, v := range versions {
		ds := resolveBoth(t, "version", k, []byte(v.src))
		var got []diag.Code
		for _, d := range ds {
			got = append(got, d.Code)
		}
		if !cmp.Equal(got, v.want) {
			t.Errorf("version %d: codes %v, want %v", i, got, v.want)
		}
	}
}
