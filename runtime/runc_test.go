package runtime_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/gun-tools/gun/runtime/seccomp"
)

// TestSeccompAsRunc runs the probe under rootless runc with the profiles
// gun uses (Docker's default one, and the test's) and gun's capabilities,
// and compares its answers with gun's, line by line.
func TestSeccompAsRunc(t *testing.T) {
	requireEnv(t)
	_, err := exec.LookPath("runc")
	need(t, "runc", err)
	s := newStore(t)
	dir := userDir(t, "runc")
	profile := filepath.Join(dir, "profile.json")
	if err := os.WriteFile(profile, []byte(testProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	custom, err := seccomp.LoadProfile([]byte(testProfile), seccomp.DefaultCaps)
	if err != nil {
		t.Fatal(err)
	}
	dflt, err := seccomp.DefaultProfile(seccomp.DefaultCaps)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		flags   []string
		profile *specs.LinuxSeccomp
	}{
		{"default", nil, dflt},
		{"profile", []string{"--security-opt", "seccomp=" + profile}, custom},
	} {
		got := s.sh(t, c.flags, "probe syscalls")
		want := runcProbe(t, dir, c.name, c.profile)
		if got != want {
			t.Errorf("%s: gun's answers\n%s\nrunc's\n%s", c.name, got, want)
		}
	}
}

// runcProbe runs the probe in the busybox root under rootless runc.
func runcProbe(t *testing.T, dir, name string, profile *specs.LinuxSeccomp) string {
	t.Helper()
	bundle := userDir(t, "bundle-"+name)
	spec := asUser(exec.Command("runc", "spec", "--rootless"))
	spec.Dir = bundle
	if out, err := spec.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	config := filepath.Join(bundle, "config.json")
	b, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	var sp specs.Spec
	if err := json.Unmarshal(b, &sp); err != nil {
		t.Fatal(err)
	}
	sp.Root.Path = env.rootfs
	sp.Process.Terminal = false
	sp.Process.Args = []string{"/bin/probe", "syscalls"}
	sp.Process.NoNewPrivileges = true
	caps := seccomp.DefaultCaps
	sp.Process.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	sp.Linux.Seccomp = profile
	if b, err = json.Marshal(&sp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config, b, 0o644); err != nil {
		t.Fatal(err)
	}
	run := asUser(exec.Command("runc", "--root", filepath.Join(dir, "state-"+name), "run", "--bundle", bundle, "gun-test-"+name))
	out, err := run.Output()
	if err != nil {
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	return string(out)
}
