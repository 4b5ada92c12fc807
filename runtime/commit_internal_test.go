package runtime

import (
	"os"
	"path/filepath"
	"testing"
)

// removeStubs removes the stubs still empty, deepest first, keeps what the
// step wrote, and never follows a symbolic link the container made.
func TestRemoveStubs(t *testing.T) {
	upper, outside := t.TempDir(), t.TempDir()
	for _, d := range []string{"a/b", "kept/m", "outside-target"} {
		if err := os.MkdirAll(filepath.Join(upper, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(upper, "kept", "written"), "x")
	write(filepath.Join(upper, "secret"), "")
	write(filepath.Join(upper, "full"), "data")
	os.Mkdir(filepath.Join(outside, "x"), 0o755)
	write(filepath.Join(outside, "f"), "")
	if err := os.Symlink(outside, filepath.Join(upper, "link")); err != nil {
		t.Fatal(err)
	}
	stubs := []string{"/a", "/a/b", "/kept", "/kept/m", "/secret", "/full", "/link/x", "/link/f", "/link", "/missing/y"}
	if err := removeStubs(upper, stubs); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"a", "kept/m", "secret"} {
		if _, err := os.Lstat(filepath.Join(upper, gone)); !os.IsNotExist(err) {
			t.Errorf("%s: still there (%v)", gone, err)
		}
	}
	for _, kept := range []string{"kept/written", "full", "link", "outside-target"} {
		if _, err := os.Lstat(filepath.Join(upper, kept)); err != nil {
			t.Errorf("%s: %v", kept, err)
		}
	}
	for _, kept := range []string{"x", "f"} {
		if _, err := os.Lstat(filepath.Join(outside, kept)); err != nil {
			t.Errorf("outside the upper directory, %s was removed through a symbolic link: %v", kept, err)
		}
	}
}
