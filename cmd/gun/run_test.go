package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/gun-tools/gun/runtime"
)

func TestParseVolume(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want runtime.Mount
		err  string
	}{
		{"/h:/c", runtime.Mount{Source: "/h", Target: "/c"}, ""},
		{"/h:/c:ro", runtime.Mount{Source: "/h", Target: "/c", ReadOnly: true}, ""},
		{"rel:/c:rw", runtime.Mount{Source: "rel", Target: "/c"}, ""},
		{"/h", runtime.Mount{}, "want HOST:CONTAINER[:ro]"},
		{"/h:/c:rx", runtime.Mount{}, "want HOST:CONTAINER[:ro]"},
		{"/h:c", runtime.Mount{}, "absolute container path"},
		{":/c", runtime.Mount{}, "absolute container path"},
	} {
		got, err := parseVolume(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseVolume(%q): error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseVolume(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestReadEnvFile(t *testing.T) {
	t.Setenv("GUN_TEST_FROM_HOST", "host value")
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, []byte("# comment\n\nA=1\n  B=two words\nGUN_TEST_FROM_HOST\nGUN_TEST_UNSET_VAR\nC=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var read []string
	got, err := readEnvFile(good, &read)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=1", "B=two words", "GUN_TEST_FROM_HOST=host value", "C="}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
	// The host's variables it read, for a plan's fast section.
	if d := cmp.Diff([]string{"GUN_TEST_FROM_HOST", "GUN_TEST_UNSET_VAR"}, read); d != "" {
		t.Errorf("host variables read (-want +got):\n%s", d)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("A=1\nnot a var\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readEnvFile(bad, nil); err == nil || !strings.Contains(err.Error(), bad+":2:1:") {
		t.Errorf("bad file: %v, want an error at %s:2:1", err, bad)
	}
}

// TestPlainRun checks the command lines gun runs without its command tree,
// and that their options are the command tree's defaults.
func TestPlainRun(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"run", "busybox"}, true},
		{[]string{"run", "busybox", "sh", "-c", "echo -v"}, true},
		{[]string{"run", "./rootfs", "--help"}, true},
		{[]string{"run", "-i", "busybox"}, false},
		{[]string{"run", "--", "busybox"}, false},
		{[]string{"run"}, false},
		{[]string{"--verbose", "run", "busybox"}, false},
		{[]string{"build", "busybox"}, false},
	} {
		if got := runtime.PlainRun(tc.args); got != tc.want {
			t.Errorf("PlainRun(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
	// A flag with a default other than its type's zero value must be in
	// defaultRunFlags, with that value.
	d := defaultRunFlags()
	want := map[string]string{"network": d.network, "rm": strconv.FormatBool(d.rm), "tls-verify": strconv.FormatBool(d.tlsVerify)}
	newRunCmd(&globalFlags{}).Flags().VisitAll(func(f *pflag.Flag) {
		def, ok := want[f.Name]
		if !ok {
			def = map[string]string{"bool": "false", "string": "", "int64": "0", "float64": "0", "stringArray": "[]"}[f.Value.Type()]
		}
		if f.DefValue != def {
			t.Errorf("--%s defaults to %q; gun run without options takes %q", f.Name, f.DefValue, def)
		}
	})
}

// TestDetachFlags: the constructor (runtime/detach.c) reads gun run's
// options, its own and the global ones, as they are: which take a value.
func TestDetachFlags(t *testing.T) {
	root := newRootCmd(&globalFlags{}, []string{"run"})
	run, _, err := root.Find([]string{"run"})
	if err != nil {
		t.Fatal(err)
	}
	run.InitDefaultHelpFlag()
	check := func(f *pflag.Flag) {
		want := 2
		if f.NoOptDefVal != "" {
			want = 1 // a boolean
		}
		if got := runtime.RunFlag(f.Name, false); got != want {
			t.Errorf("--%s: the constructor reads it as %d, want %d (2: takes a value, 1: boolean)", f.Name, got, want)
		}
		if f.Shorthand != "" {
			if got := runtime.RunFlag(f.Shorthand, true); got != want {
				t.Errorf("-%s: the constructor reads it as %d, want %d", f.Shorthand, got, want)
			}
		}
	}
	run.Flags().VisitAll(check)
	root.PersistentFlags().VisitAll(check)
	if runtime.RunFlag("nope", false) != 0 || runtime.RunFlag("x", true) != 0 {
		t.Error("the constructor knows options gun run has not")
	}
}

// TestRunCommand checks what a container of an image runs, as Docker has it:
// --entrypoint replaces the entrypoint and drops the default arguments, an
// empty one clears the entrypoint.
func TestRunCommand(t *testing.T) {
	img := &runImage{entrypoint: []string{"/entry", "-x"}, cmd: []string{"default"}}
	tests := []struct {
		entrypoint string
		set        bool
		args, want []string
	}{
		{"", false, nil, []string{"/entry", "-x", "default"}},
		{"", false, []string{"given"}, []string{"/entry", "-x", "given"}},
		{"/bin/echo", true, nil, []string{"/bin/echo"}},
		{"/bin/echo", true, []string{"hi"}, []string{"/bin/echo", "hi"}},
		{"", true, []string{"/bin/sh"}, []string{"/bin/sh"}},
		{"", true, nil, nil},
	}
	for _, tt := range tests {
		got := img.command(tt.entrypoint, tt.set, tt.args)
		if !slices.Equal(got, tt.want) {
			t.Errorf("--entrypoint %q (given %v), args %q: %q, want %q", tt.entrypoint, tt.set, tt.args, got, tt.want)
		}
	}
	if !slices.Equal(img.entrypoint, []string{"/entry", "-x"}) || !slices.Equal(img.cmd, []string{"default"}) {
		t.Errorf("the image's entrypoint and command changed: %q, %q", img.entrypoint, img.cmd)
	}
	if got := (&runImage{cmd: []string{"sh"}}).command("", false, nil); !slices.Equal(got, []string{"sh"}) {
		t.Errorf("an image without an entrypoint runs %q, want its default command", got)
	}
}
