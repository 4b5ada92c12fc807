package ignore

import (
	"strings"
	"testing"
)

func TestExcluded(t *testing.T) {
	tests := []struct {
		name     string
		file     string // the .gunignore
		excluded []string
		included []string
	}{
		{"anchored at root", "foo", []string{"foo", "foo/bar", "foo/bar/baz"}, []string{"a/foo", "foobar", "fo"}},
		{"leading and trailing slash", "/foo/", []string{"foo", "foo/x"}, []string{"a/foo"}},
		{"cleaned", "./a/../foo//bar", []string{"foo/bar", "foo/bar/x"}, []string{"foo", "a/foo/bar"}},
		{"star one level", "*/temp*", []string{"somedir/temporary.txt", "somedir/temp", "d/temp/x"}, []string{"temp", "a/b/temp"}},
		{"star two levels", "*/*/temp*", []string{"a/b/temp.txt"}, []string{"a/temp.txt", "temp"}},
		{"question mark", "temp?", []string{"tempa", "temp1/x"}, []string{"temp", "tempab", "temp/"}},
		{"star at top only", "*.go", []string{"main.go", "x.go/y"}, []string{"cmd/main.go"}},
		{"double star any depth", "**/*.go", []string{"main.go", "a/b/c.go"}, []string{"main.c", "a/b.goo"}},
		{"double star middle", "a/**/b", []string{"a/b", "a/x/b", "a/x/y/b", "a/x/b/c"}, []string{"b", "x/a/b", "a/bb"}},
		{"double star alone", "**", []string{"a", "a/b", ".hidden"}, nil},
		{"double star suffix", "a/**", []string{"a/b", "a/b/c"}, []string{"b"}},
		{"exception", "*.md\n!README.md", []string{"CHANGES.md"}, []string{"README.md", "docs/x.md"}},
		{"exception then exclusion", "*.md\n!README*.md\nREADME-secret.md", []string{"README-secret.md", "a.md"}, []string{"README.md", "README-x.md"}},
		{"exclusion then exception", "*.md\nREADME-secret.md\n!README*.md", []string{"a.md"}, []string{"README-secret.md", "README.md"}},
		{"exception inside excluded dir", "dir\n!dir/keep", []string{"dir", "dir/other", "dir/keepx"}, []string{"dir/keep", "dir/keep/sub"}},
		{"comment only in first column", "#foo\n  #bar", []string{"#bar"}, []string{"#foo", "bar"}},
		{"blank lines and spaces", "\n   \n  foo  \n", []string{"foo"}, []string{" foo", "bar"}},
		{"escape", `\*x`, []string{"*x"}, []string{"ax", "x"}},
		{"class", "[a-c].txt\n[^x]y", []string{"a.txt", "c.txt", "zy"}, []string{"d.txt", "xy"}},
		{"regexp characters are literal", "a+b.(c)|d$", []string{"a+b.(c)|d$"}, []string{"aab.(c)|d$", "a+bx(c)|d$"}},
		{"unicode", "é?", []string{"éa", "éü"}, []string{"é", "e"}},
		{"byte order mark", "\uFEFFfoo", []string{"foo"}, nil},
		{"dot dot never matches", "../foo", nil, []string{"foo"}},
		{"directory of parent matched", "a/b", []string{"a/b/c/d"}, []string{"a/c", "a"}},
		{"star does not cross slash", "a*b", []string{"ab", "axxb"}, []string{"a/b", "ax/xb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(".gunignore", strings.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tt.excluded {
				if !m.Excluded(p) {
					t.Errorf("%q: not excluded, want excluded", p)
				}
			}
			for _, p := range tt.included {
				if m.Excluded(p) {
					t.Errorf("%q: excluded, want included", p)
				}
			}
		})
	}
}

func TestMayIncludeBelow(t *testing.T) {
	tests := []struct {
		file string
		dir  string
		want bool
	}{
		{"dir\n!dir/keep", "dir", true},
		{"dir\n!dir/keep", "other", false},
		{"dir\n!dir", "dir", false}, // the exception matches dir itself, not below
		{"*\n!**/*.go", "any/where", true},
		{"*\n!src/*/main.go", "src/cmd", true},
		{"*\n!src/*/main.go", "src/cmd/deeper", false},
		{"*\n!src/*/main.go", "lib", false},
		{"dir", "dir", false},
	}
	for _, tt := range tests {
		m, err := Parse("x", strings.NewReader(tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.MayIncludeBelow(tt.dir); got != tt.want {
			t.Errorf("%q: MayIncludeBelow(%q) = %v, want %v", tt.file, tt.dir, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ file, want string }{
		{"ok\n[", ".gunignore:2: pattern \"[\": syntax error in pattern"},
		{"!", ".gunignore:1: pattern \"!\": nothing after \"!\""},
		{"a\n\nb[a-", ".gunignore:3: pattern \"b[a-\": syntax error in pattern"},
	}
	for _, tt := range tests {
		_, err := Parse(".gunignore", strings.NewReader(tt.file))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v, want %s", tt.file, err, tt.want)
		}
	}
}

func TestNilMatcher(t *testing.T) {
	var m *Matcher
	if m.Excluded("x") || m.MayIncludeBelow("x") || m.Patterns() != nil {
		t.Error("nil matcher excludes something")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"foo", "*.md\n!README.md", "**/x", "[a-", `\`, "a/**/b\n!a/c", "#c\n\n?"} {
		f.Add(s, "a/b/c")
	}
	f.Fuzz(func(t *testing.T, file, p string) {
		m, err := Parse("f", strings.NewReader(file))
		if err != nil {
			return
		}
		m.Excluded(p)
		m.MayIncludeBelow(p)
	})
}
