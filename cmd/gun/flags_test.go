package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
)

// -v is --verbose on every command but run, where it is --volume as in docker.
func TestVerboseFlag(t *testing.T) {
	for _, args := range [][]string{
		{"check", "-v", "testdata/examples/vim.gunfile"},
		{"check", "--verbose", "testdata/examples/vim.gunfile"},
		{"-v", "check", "testdata/examples/vim.gunfile"},
	} {
		r := gun(t, "", nil, args...)
		if r.code != 0 {
			t.Fatalf("gun %v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "level=DEBUG") || !strings.Contains(r.stderr, "vim.gunfile") {
			t.Errorf("gun %v: no debug log on stderr: %q", args, r.stderr)
		}
	}
	if r := gun(t, "", nil, "check", "testdata/examples/vim.gunfile"); r.stderr != "" {
		t.Errorf("gun check without -v logged: %q", r.stderr)
	}
	r := gun(t, "", nil, "run", "--help")
	if !strings.Contains(r.stdout, "-v, --volume") || !strings.Contains(r.stdout, "--verbose") {
		t.Errorf("gun run --help: want -v for --volume and --verbose:\n%s", r.stdout)
	}
}

func TestUnknownCommandIsUsageError(t *testing.T) {
	r := gun(t, "", nil, "frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("gun frobnicate: exit %d, stderr %q; want 2 and the unknown command named", r.code, r.stderr)
	}
}

func TestBuildCompressionIsChecked(t *testing.T) {
	r := gun(t, t.TempDir(), nil, "build", "--compression", "xz", ".")
	if r.code != 2 || !strings.Contains(r.stderr, `--compression "xz": want gzip or zstd`) {
		t.Errorf("gun build --compression xz: exit %d, stderr %q; want 2 and the value named", r.code, r.stderr)
	}
}

// Each subcommands entry's name is the one cobra matches its command by:
// a command line naming it builds that command alone.
func TestSubcommandNames(t *testing.T) {
	for _, s := range subcommands(&globalFlags{}) {
		if got := s.new().Name(); got != s.name {
			t.Errorf("subcommand %q builds command %q", s.name, got)
		}
	}
}

// A command line that names a subcommand builds only that one; those that
// do not (help, completion, flags first) still see every command.
func TestCommandTree(t *testing.T) {
	var names []string
	for _, s := range subcommands(&globalFlags{}) {
		names = append(names, s.name)
	}
	for _, tc := range []struct {
		args []string
		want []string // on stdout
	}{
		{[]string{"--help"}, append([]string{"completion"}, names...)},
		{[]string{"help"}, names},
		{[]string{"-v", "--help"}, names},
		{[]string{"help", "run"}, []string{"--volume", "Global Flags:", "--root"}},
		{[]string{"run", "--help"}, []string{"--volume", "Global Flags:", "--root"}},
		{[]string{"__complete", "r"}, []string{"rmi\t", "run\t"}},
		{[]string{"__complete", "run", "--vo"}, []string{"--volume\t"}},
		{[]string{"completion", "bash"}, []string{"__start_gun"}},
		{[]string{"completion"}, []string{"gun completion [command]", "bash"}}, // a group without a command: its help
		{[]string{"oci"}, []string{"gun oci [command]", "state"}},
		{[]string{"version"}, []string{"gun "}},
	} {
		r := gun(t, "", nil, tc.args...)
		if r.code != 0 {
			t.Errorf("gun %q: exit %d, stderr %q", tc.args, r.code, r.stderr)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("gun %q: stdout lacks %q:\n%s", tc.args, w, r.stdout)
			}
		}
	}
	// A misspelt command is suggested from the whole tree.
	r := gun(t, "", nil, "rn")
	if r.code != 2 || !strings.Contains(r.stderr, "run") {
		t.Errorf("gun rn: exit %d, stderr %q; want 2 and run suggested", r.code, r.stderr)
	}
}

func TestParseSecret(t *testing.T) {
	tests := []struct {
		arg, id, file, env, err string
	}{
		{arg: "id=tok,src=secret.txt", id: "tok", file: "secret.txt"},
		{arg: "id=tok,source=/run/a", id: "tok", file: "/run/a"},
		{arg: "src=s,id=tok", id: "tok", file: "s"},
		{arg: "id=tok,env=TOKEN", id: "tok", env: "TOKEN"},
		{arg: "id=tok", err: "want id=NAME and one of src=FILE or env=VAR"},
		{arg: "id=tok,src=a,env=B", err: "want id=NAME and one of src=FILE or env=VAR"},
		{arg: "src=a", err: "want id=NAME and one of"},
		{arg: "id=tok,src=", err: "want id=NAME,src=FILE or id=NAME,env=VAR"},
		{arg: "tok", err: "want id=NAME,src=FILE or id=NAME,env=VAR"},
		{arg: "id=tok,file=a", err: `unknown field "file"`},
	}
	for _, tt := range tests {
		id, s, err := parseSecret(tt.arg)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), tt.arg) {
				t.Errorf("parseSecret(%q) = %v, want an error naming it with %q", tt.arg, err, tt.err)
			}
		case err != nil || id != tt.id || s.File != tt.file || s.Env != tt.env:
			t.Errorf("parseSecret(%q) = %q, %+v, %v; want %q, file %q, env %q", tt.arg, id, s, err, tt.id, tt.file, tt.env)
		}
	}
}

// A wrong number of arguments to any command is a usage error: exit 2,
// the command and its usage named. Every command with an Args check in the
// whole tree (cobra's completion commands too) that runs is given a count
// it refuses; a group (oci, completion) refuses any argument as an unknown
// command, as the root does.
func TestArgsAreUsageErrors(t *testing.T) {
	root := newRootCmd(&globalFlags{}, nil)
	checked := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Args == nil || !c.Runnable() { // one that is not prints its help
			return
		}
		path := strings.Fields(c.CommandPath())[1:]
		for n := range 5 {
			args := slices.Repeat([]string{"x"}, n)
			if c.Args(c, args) == nil {
				continue
			}
			checked[strings.Join(path, " ")] = true
			cmd := newRootCmd(&globalFlags{}, nil)
			cmd.SetArgs(append(slices.Clone(path), args...))
			cmd.SetOut(io.Discard)
			code, msg := langcmd.Outcome(cmd.Execute())
			want, usage := strings.Join(path, " ")+": ", c.UseLine()
			if c.HasSubCommands() {
				want += fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
				usage = c.CommandPath() + " [command]"
			}
			if code != 2 || !strings.HasPrefix(msg, want) || !strings.Contains(msg, "\nUsage: "+usage+"\n") {
				t.Errorf("gun %q: exit %d, %q; want 2, the message starting %q and the usage line %q", path, code, msg, want, usage)
			}
			return
		}
	}
	walk(root)
	for _, name := range []string{"build", "run", "exec", "images", "rmi", "ps", "stop", "inspect", "convert", "lsp", "version", "oci", "oci state", "completion", "completion bash"} {
		if !checked[name] {
			t.Errorf("gun %s: no argument count refused", name)
		}
	}

	// As gun runs: run and exec have their own start, lsp is gun-lang's.
	for _, tc := range []struct{ args []string }{
		{[]string{"run"}}, {[]string{"exec", "c"}}, {[]string{"images", "x"}}, {[]string{"lsp", "x"}},
		{[]string{"oci", "x"}}, {[]string{"completion", "x"}},
	} {
		r := gun(t, "", nil, tc.args...)
		if want := "gun: " + tc.args[0] + ": "; r.code != 2 || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "\nUsage: gun "+tc.args[0]) {
			t.Errorf("gun %q: exit %d, stderr %q; want 2, %q and its usage", tc.args, r.code, r.stderr, want)
		}
	}
}
