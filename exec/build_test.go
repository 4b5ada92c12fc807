package exec

import (
	"errors"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
)

func TestEpoch(t *testing.T) {
	tests := []struct {
		given time.Time
		env   string
		want  int64
	}{
		{time.Unix(42, 0), "7", 42},
		{time.Time{}, "1700000000", 1700000000},
		{time.Time{}, "", 0},
		{time.Time{}, "not a number", 0},
	}
	for _, tt := range tests {
		t.Setenv("SOURCE_DATE_EPOCH", tt.env)
		if got := epoch(tt.given); got.Unix() != tt.want || got.Location() != time.UTC {
			t.Errorf("epoch(%v) with SOURCE_DATE_EPOCH=%q = %v, want %d UTC", tt.given, tt.env, got, tt.want)
		}
	}
}

func TestCommandCanonical(t *testing.T) {
	f, _ := parser.Parse("Gunfile", []byte("Using scratch\n"+
		"Exec   \"echo $HOME  \\\"x\\\"\"   # comment\n"+
		"Exec [\"/bin/echo\", \"a b\", \"$X\"]\n"+
		"Exec <<EOF\n    one\n    two\n    EOF\n"+
		"Exec <<SH\n\n    set -e\n    two\n    three\n    SH\n"+
		"Exec <<EOF\n    only\n    EOF\n"))
	tests := []struct {
		args       []string
		text, show string
	}{
		{[]string{"/bin/sh", "-c", `echo $HOME  "x"`}, `Exec "echo $HOME  \"x\""`, `Exec "echo $HOME  \"x\""`},
		{[]string{"/bin/echo", "a b", "$X"}, `Exec ["/bin/echo", "a b", "$X"]`, `Exec ["/bin/echo", "a b", "$X"]`},
		{[]string{"/bin/sh", "-c", "one\ntwo\n"}, `Exec "one\ntwo\n"`, "Exec <<EOF one … (2 lines)"},
		{[]string{"/bin/sh", "-c", "\nset -e\ntwo\nthree\n"}, `Exec "\nset -e\ntwo\nthree\n"`, "Exec <<SH set -e … (4 lines)"},
		{[]string{"/bin/sh", "-c", "only\n"}, `Exec "only\n"`, "Exec <<EOF only"},
	}
	body := f.Stages[0].Body
	if len(body) != len(tests) {
		t.Fatalf("parsed %d instructions, want %d", len(body), len(tests))
	}
	for i, tt := range tests {
		args, text, show := command("Exec", body[i].(*ast.Exec).Cmd, defaultShell)
		if diff := cmp.Diff(tt.args, args); diff != "" || text != tt.text || show != tt.show {
			t.Errorf("instruction %d: text %q, want %q; show %q, want %q; args (-want +got):\n%s", i, text, tt.text, show, tt.show, diff)
		}
	}
}

func TestStepErrorText(t *testing.T) {
	e := &StepError{
		Pos:      source.Position{Filename: "Gunfile", Line: 7, Column: 1},
		Instr:    "Exec \"make\nmore\"",
		ExitCode: 2,
		Tail:     []string{"cc: error", "make: *** [all] Error 1"},
	}
	want := "Gunfile:7:1: Exec \"make …: exit code 2\nlast lines of its output:\n    cc: error\n    make: *** [all] Error 1"
	if e.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", e.Error(), want)
	}
	e = &StepError{Pos: source.Position{Filename: "G", Line: 1, Column: 3}, Instr: "Copy \"x\" \"/\"", Err: errors.New("no such file")}
	if got := e.Error(); got != `G:1:3: Copy "x" "/": no such file` {
		t.Errorf("got %q", got)
	}
}

// TestPredefinedArgs checks that the builder gives every predefined Arg the
// language declares, and only those, for this machine and for --platform.
func TestPredefinedArgs(t *testing.T) {
	for _, target := range []string{"", "linux/arm64", "linux/arm/v6"} {
		got := predefinedArgs(target)
		if len(got) != len(spec.PredefinedArgs) {
			t.Errorf("the builder gives %d predefined Args, the language has %d", len(got), len(spec.PredefinedArgs))
		}
		for _, a := range spec.PredefinedArgs {
			if _, ok := got[a.Name]; !ok {
				t.Errorf("no value for %s", a.Name)
			}
		}
		want := target
		if want == "" {
			want = got["BUILDPLATFORM"]
		}
		if got["TARGETPLATFORM"] != want || got["BUILDARCH"] != goruntime.GOARCH {
			t.Errorf("--platform %q: %v", target, got)
		}
	}
	if got := predefinedArgs("linux/arm/v6"); got["TARGETARCH"] != "arm" || got["TARGETVARIANT"] != "v6" || got["TARGETOS"] != "linux" {
		t.Errorf("linux/arm/v6: %v", got)
	}
}

// TestProxyEnv checks the environment the proxy Args given with --arg make,
// as BuildKit's proxyEnvFromBuildArgs and its executor make it.
func TestProxyEnv(t *testing.T) {
	tests := []struct {
		args map[string]string
		want []string
	}{
		{map[string]string{"V": "1"}, nil},
		{map[string]string{"HTTP_PROXY": "http://p:3128", "V": "1"}, []string{"HTTP_PROXY=http://p:3128", "http_proxy=http://p:3128"}},
		// Any case; the later name in byte order wins.
		{map[string]string{"HTTP_PROXY": "a", "http_proxy": "b", "Http_Proxy": "c"}, []string{"HTTP_PROXY=b", "http_proxy=b"}},
		// An empty value gives nothing; the order is spec.ProxyArgs's.
		{map[string]string{"all_proxy": "socks5://s", "no_proxy": "localhost", "HTTPS_PROXY": "", "ftp_proxy": "f"},
			[]string{"FTP_PROXY=f", "ftp_proxy=f", "NO_PROXY=localhost", "no_proxy=localhost", "ALL_PROXY=socks5://s", "all_proxy=socks5://s"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, proxyEnv(tt.args)); diff != "" {
			t.Errorf("proxyEnv(%v) (-want +got):\n%s", tt.args, diff)
		}
	}
}
