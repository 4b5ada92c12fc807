package runtime

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTrimPlans(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(name), 0o600); err != nil {
			t.Fatal(err)
		}
		// b was run last, then d, e, c, a.
		age := map[string]time.Duration{"b": 0, "d": 1, "e": 2, "c": 3, "a": 4}[name]
		if err := os.Chtimes(p, now, now.Add(-age*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := trimPlans(dir, 3); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	slices.Sort(left)
	if d := cmp.Diff([]string{"b", "d", "e"}, left); d != "" {
		t.Errorf("plans kept (-want +got):\n%s", d)
	}
	if err := trimPlans(dir, 3); err != nil {
		t.Errorf("trim within the bound: %v", err)
	}
}

func TestPlanKey(t *testing.T) {
	// plan.c hashes the same bytes (TestPlanRunsTheSameContainer and
	// TestPlanWithOptions show that it finds gun's plans): the key's
	// strings, each with its NUL.
	if planKey([]string{"a", "bc"}) == planKey([]string{"ab", "c"}) {
		t.Error("the key does not separate the arguments")
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"gun", "run", "img", "true"}, []string{"", "img"}},
		{[]string{"gun", "run", "img"}, []string{"", "img"}},
		{[]string{"gun", "run", "", "x"}, []string{"", ""}},
		{[]string{"gun", "run", "-e", "A=1", "img"}, []string{"-e", "A=1", "img"}},
		{[]string{"gun", "run"}, nil},
		{[]string{"gun", "build", "x"}, nil},
	} {
		if got := planArgs(tc.args); !cmp.Equal(got, tc.want) {
			t.Errorf("planArgs(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
