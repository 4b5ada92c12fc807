package oci_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// conformancePass lists the tests of the OCI runtime conformance suite,
// opencontainers/runtime-tools v0.9.0's validation/ (hack/conformance pins
// it and its dependencies), that gun-oci passes rootless. docs/oci.md says
// why each other one fails.
var conformancePass = []string{
	"config_updates_without_affect", "create", "default", "delete", "hostname", "kill", "kill_no_effect", "killsig",
	"hooks_stdin", "linux_ns_nopath", "linux_ns_path", "linux_ns_path_type", "linux_rootfs_propagation", "linux_seccomp",
	"linux_sysctl", "linux_uid_mappings", "process", "process_capabilities", "process_capabilities_fail",
	"process_oom_score_adj", "process_rlimits_fail", "process_user", "root_readonly_true", "state",
}

// conformanceQuiet are the suite's hook tests that record no test point
// (their plan is 1..0: they report a failure only as a YAML diagnostic)
// and report nothing with gun-oci: each is asserted to exit 0 with no
// diagnostic. (hooks, prestart and poststart_fail report one for every
// runtime that follows the runtime spec's v1.3.0, and poststart races
// with the container's process: docs/oci.md.)
var conformanceQuiet = []string{"poststop", "poststop_fail", "prestart_fail"}

// conformanceRacy are the tests of conformancePass that race with the
// container's process, and the number of runs they get: killsig sends
// its signal as soon as the container runs, and sh, pid 1, ignores one
// that comes before it set its trap (the suite's assumption; under load
// it happens to runc alike).
var conformanceRacy = map[string]int{"killsig": 3}

const runtimeTools = "github.com/opencontainers/runtime-tools"

// TestConformance builds the conformance suite's tests of conformancePass
// from the module proxy and runs each against gun-oci as the test user,
// inside `podman unshare` (the tests assume root).
func TestConformance(t *testing.T) {
	p := podmanOnly(t)
	dir := userDir(t, "conformance")
	buildConformance(t, dir)
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := env.user.Chown(dir); err != nil {
		t.Fatal(err)
	}
	// Most of a test's time is the suite's one-second polls: they run
	// side by side (as many as -parallel).
	t.Run("suite", func(t *testing.T) {
		for _, name := range slices.Concat(conformancePass, conformanceQuiet) {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				runs := max(conformanceRacy[name], 1)
				for i := 1; i <= runs; i++ {
					r := p.run(t, "", "unshare", "sh", "-c", `cd "$1" && RUNTIME="$2" TMPDIR="$1/tmp" exec "./$3"`,
						"sh", dir, env.gunOCI, name)
					res := tapResult(r.stdout, r.code)
					if slices.Contains(conformanceQuiet, name) && res == "skipped" && !strings.Contains(r.stdout, "\n  ---") {
						res = "pass"
					}
					if res == "pass" {
						break
					}
					msg := fmt.Sprintf("%s: %s (exit %d, run %d of %d)\n%s\n%s", name, res, r.code, i, runs, notOK(r.stdout), r.stderr)
					if i < runs {
						t.Log(msg)
					} else {
						t.Error(msg)
					}
				}
			})
		}
	})
	// The tests delete what they create.
	if r := p.run(t, "", "unshare", env.gunOCI, "list", "-q"); r.code != 0 || r.stdout != "" {
		t.Errorf("containers left: %q (exit %d, %s)", r.stdout, r.code, r.stderr)
		for _, id := range strings.Fields(r.stdout) {
			p.run(t, "", "unshare", env.gunOCI, "delete", "--force", id)
		}
	}
}

// buildConformance builds into dir the tests of conformancePass,
// runtimetest (linked statically: it runs in the tests' busybox root) and
// the root file system archive the tests unpack.
func buildConformance(t *testing.T, dir string) {
	t.Helper()
	mod, err := filepath.Abs("../../hack/conformance")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"build", "-C", mod, "-o", dir + "/"}
	for _, name := range slices.Concat(conformancePass, conformanceQuiet) {
		args = append(args, runtimeTools+"/validation/"+name)
	}
	goCmd(t, nil, args...)
	goCmd(t, []string{"CGO_ENABLED=0"}, "build", "-C", mod, "-o", filepath.Join(dir, "runtimetest"), runtimeTools+"/cmd/runtimetest")
	src := strings.TrimSpace(goCmd(t, nil, "list", "-C", mod, "-m", "-f", "{{.Dir}}", runtimeTools))
	rootfs := "rootfs-" + runtime.GOARCH + ".tar.gz"
	b, err := os.ReadFile(filepath.Join(src, rootfs))
	if err != nil {
		t.Fatalf("runtime-tools has no root file system for %s: %v", runtime.GOARCH, err)
	}
	if err := os.WriteFile(filepath.Join(dir, rootfs), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// goCmd runs the go command with args and the environment's additions
// extra, and returns its output.
func goCmd(t *testing.T, extra []string, args ...string) string {
	t.Helper()
	c := exec.Command("go", args...)
	c.Env = append(os.Environ(), extra...)
	out, err := c.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// tapResult is a conformance test's result from its exit code and its
// output: "fail" on an error exit or a "not ok" line, "skipped" when its
// plan is 1..0 (the suite ran nothing), else "pass" (the *_fail tests
// print no TAP: their exit code is their result).
func tapResult(out string, code int) string {
	if code != 0 {
		return "fail"
	}
	skipped := false
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "not ok"):
			return "fail"
		case l == "1..0":
			skipped = true
		}
	}
	if skipped {
		return "skipped"
	}
	return "pass"
}

// notOK returns out's "not ok" lines, or its end when it has none.
func notOK(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "not ok") {
			b.WriteString(l + "\n")
		}
	}
	if b.Len() == 0 && len(out) > 2000 {
		return "..." + out[len(out)-2000:]
	}
	if b.Len() == 0 {
		return out
	}
	return b.String()
}
