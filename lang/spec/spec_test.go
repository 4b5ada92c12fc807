package spec_test

import (
	"slices"
	"testing"

	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/spec"
)

func TestSuggest(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Exce", "Exec"},
		{"Copie", "Copy"},
		{"WorkDir", "Workdir"},
		{"Usng", "Using"},
		{"Lable", "Label"},
		{"Frobnicate", ""},
		{"X", ""},
		{string(make([]byte, 1000)), ""},
	}
	for _, tt := range tests {
		if got := spec.Suggest(tt.in, spec.Names()); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	if _, ok := spec.Lookup("Exec"); !ok {
		t.Error("Lookup(Exec) failed")
	}
	if _, ok := spec.Lookup("exec"); ok {
		t.Error("Lookup is not case-sensitive")
	}
	if in, ok := spec.LookupFold("WORKDIR"); !ok || in.Name != "Workdir" {
		t.Error("LookupFold(WORKDIR) failed")
	}
	for docker, gun := range spec.Dockerfile {
		if _, ok := spec.Lookup(gun); !ok {
			t.Errorf("Dockerfile %s maps to unknown instruction %s", docker, gun)
		}
	}
}

// TestExamples parses each instruction's example after a Using: the
// documentation must be valid Gunfile.
func TestExamples(t *testing.T) {
	for _, in := range spec.Instructions {
		if in.Syntax == "" || in.Summary == "" || in.Doc == "" || in.Example == "" {
			t.Errorf("%s: incomplete documentation", in.Name)
		}
		src := "Using \"base.tar\" As build\n" + in.Example + "\n"
		if in.Name == "Using" {
			src = in.Example + "\n"
		}
		if _, ds := parser.Parse(in.Name, []byte(src)); diag.HasErrors(ds) {
			t.Errorf("%s example does not parse: %v", in.Name, ds)
		}
	}
}

// TestProxyArgs: --arg matches a proxy Arg in any case, as BuildKit does,
// and a step has the variable in two cases only.
func TestProxyArgs(t *testing.T) {
	for _, name := range []string{"HTTP_PROXY", "http_proxy", "Http_Proxy"} {
		if a, ok := spec.ProxyArg(name); !ok || a.Name != "HTTP_PROXY" {
			t.Errorf("ProxyArg(%q) = %q, %v; want HTTP_PROXY", name, a.Name, ok)
		}
	}
	if _, ok := spec.ProxyArg("HTTP_PROXYS"); ok {
		t.Error("ProxyArg(HTTP_PROXYS) is a proxy Arg")
	}
	for name, want := range map[string]bool{"NO_PROXY": true, "no_proxy": true, "all_proxy": true, "No_Proxy": false, "PROXY": false} {
		if got := spec.ProxyVar(name); got != want {
			t.Errorf("ProxyVar(%q) = %v, want %v", name, got, want)
		}
	}
}

// ExecWords lists each word once, in the spec's order: each mount, its
// options, then Exec's options, a word that several mounts take (Uid, Gid,
// Mode) at its first place.
func TestExecWords(t *testing.T) {
	var want []string
	add := func(w string) {
		if !slices.Contains(want, w) {
			want = append(want, w)
		}
	}
	all := 0
	for _, m := range spec.Mounts {
		add(m.Name)
		for _, o := range m.Options {
			add(o.Name)
		}
		all += 1 + len(m.Options)
	}
	for _, o := range spec.ExecOptions {
		add(o.Name)
	}
	all += len(spec.ExecOptions)
	got := spec.ExecWords()
	if !slices.Equal(got, want) {
		t.Errorf("ExecWords() = %q, want %q", got, want)
	}
	if len(want) == all {
		t.Error("no mounts share an option: the test checks nothing of duplicates")
	}
	for _, w := range []string{"Uid", "Gid", "Mode"} {
		if n := len(slices.DeleteFunc(slices.Clone(got), func(s string) bool { return s != w })); n != 1 {
			t.Errorf("ExecWords() has %s %d times", w, n)
		}
	}
}
