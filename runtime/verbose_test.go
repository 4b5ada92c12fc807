package runtime_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// checkLogged fails the test for each wanted debug message that stderr
// lacks.
func checkLogged(t *testing.T, stderr string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("debug log lacks %q:\n%s", w, stderr)
		}
	}
}

func TestVerboseLogsTheSteps(t *testing.T) {
	requireEnv(t)
	st := newStore(t)
	archive := filepath.Join(userDir(t, "archives"), "verbose.tar.gz")
	writeImageArchive(t, archive)
	steps := []string{
		`level=DEBUG msg="id maps chosen" uid_map="0 `,
		`msg="container init started"`,
		`msg="image resolved" image=verbose:latest`,
		`msg="container spec" args=[/bin/true]`,
		`msg="container setup" step="root: overlay of 1 layers`,
		`step="mount proc on /proc (proc `,
		`step="bind /dev/null on /dev/null`,
		`step="mask /proc/keys (/dev/null)"`,
		`step="read-only /proc/sys"`,
		`step="pivot_root into `,
		`step="started /bin/true`,
		`msg="container exited" code=0`,
		`msg="scratch removed"`,
	}
	// Named by gun import, so that the log names it (a run of the archive
	// itself names nothing).
	if r := st.run(t, nil, "import", archive, "verbose"); r.code != 0 {
		t.Fatalf("gun import: %+v", r)
	}
	first := st.run(t, nil, "run", "--verbose", "verbose", "/bin/true")
	if first.code != 0 {
		t.Fatalf("gun run --verbose: %+v", first)
	}
	checkLogged(t, first.stderr, append(steps, `msg="layer unpacked" diff_id=sha256:`))
	second := st.run(t, nil, "run", "--verbose", "verbose", "/bin/true")
	if second.code != 0 {
		t.Fatalf("gun run --verbose: %+v", second)
	}
	checkLogged(t, second.stderr, append(steps, `msg="layer cached" diff_id=sha256:`))
	if strings.Contains(second.stderr, "layer unpacked") {
		t.Errorf("second run unpacked again:\n%s", second.stderr)
	}

	// Without --verbose, none of it.
	quiet := st.run(t, nil, "run", "verbose", "/bin/true")
	if quiet.code != 0 || strings.Contains(quiet.stderr, "DEBUG") {
		t.Errorf("gun run without --verbose: %+v", quiet)
	}
	// -v is --volume on gun run, not --verbose.
	vol := st.run(t, nil, "run", "-v", userDir(t, "vol")+":/mnt", "verbose", "/bin/true")
	if vol.code != 0 || strings.Contains(vol.stderr, "DEBUG") {
		t.Errorf("gun run -v HOST:CTR: %+v", vol)
	}
}

func TestVerboseLogsCgroupLimits(t *testing.T) {
	rootfs := requireRoot(t)
	r := rootRun(t, t.TempDir(), "run", "--verbose", "--pids-limit", "50", rootfs, "true")
	if r.code != 0 {
		t.Fatalf("gun run --pids-limit: %+v", r)
	}
	checkLogged(t, r.stderr, []string{`msg="cgroup limits applied" version=`, `pids_limit=50`})
}
