package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// recorder is a testing.TB that records what Need asks of it.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Fatalf(format string, a ...any) { r.fatal = fmt.Sprintf(format, a...) }
func (r *recorder) Skipf(format string, a ...any)  { r.skip = fmt.Sprintf(format, a...) }

func TestNeed(t *testing.T) {
	missing := errors.New("no such thing")
	for _, tc := range []struct {
		ci          string
		err         error
		fatal, skip string
	}{
		{ci: "", err: nil},
		{ci: "true", err: nil},
		{ci: "", err: missing, skip: "widget: no such thing (not in CI: skipping)"},
		{ci: "true", err: missing, fatal: "widget: no such thing (required in CI)"},
	} {
		t.Setenv("CI", tc.ci)
		if tc.ci == "" {
			os.Unsetenv("CI")
		}
		r := &recorder{TB: t}
		Need(r, "widget", tc.err)
		if r.fatal != tc.fatal || r.skip != tc.skip {
			t.Errorf("CI=%q err=%v: fatal %q skip %q, want fatal %q skip %q", tc.ci, tc.err, r.fatal, r.skip, tc.fatal, tc.skip)
		}
	}
}

func TestUserCommand(t *testing.T) {
	u, err := TestUser()
	Need(t, "test user", err)
	dir, err := u.MkdirTemp("", "testenv-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	out, err := u.Command(exec.Command("id", "-u")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), fmt.Sprintf("%d\n", u.UID); got != want {
		t.Errorf("id -u = %q, want %q", got, want)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", fi.Mode().Perm())
	}
	if os.Geteuid() == 0 && u.UID == 0 {
		t.Errorf("as root, the test user must not be root")
	}
}
