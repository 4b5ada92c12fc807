package shell_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/lang/shell"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		text    string
		dialect shell.Dialect
		want    string // "offset message", or "" for none
	}{
		{"echo hi && ls", shell.POSIX, ""},
		{"if true; then echo", shell.POSIX, "0 `if` statement must end with `fi`"},
		{"echo 'open", shell.POSIX, "5 reached EOF without closing quote `'`"},
		{"a |", shell.POSIX, "2 `|` must be followed by a statement"},
		{"a=(1 2)", shell.POSIX, "2 arrays are a bash feature, and this stage's shell is /bin/sh"},
		{"a=(1 2); [[ -f x ]] && echo", shell.Bash, ""},
		{"diff <(ls a) <(ls b)", shell.POSIX, "5 process substitution is a bash feature, and this stage's shell is /bin/sh"},
		{"echo |& cat", shell.POSIX, "5 this is a bash feature, and this stage's shell is /bin/sh (sh reads: `|` must be followed by a statement)"},
		{"diff <(ls a", shell.POSIX, "5 `<` must be followed by a word"},
	}
	var p shell.Parser
	for _, tt := range tests {
		_, err := p.Parse(tt.text, tt.dialect)
		got := ""
		if err != nil {
			got = fmt.Sprintf("%d %s", err.Offset, err.Message)
			if err.BashOnly != strings.Contains(err.Message, "bash feature") {
				t.Errorf("%q: BashOnly = %v", tt.text, err.BashOnly)
			}
		}
		if got != tt.want {
			t.Errorf("Parse(%q, %v) = %q, want %q", tt.text, tt.dialect, got, tt.want)
		}
	}
}

func TestVars(t *testing.T) {
	text := `X=1; echo "$X ${Y:-d} $1 ${#Z}" '$Q'; for I in a; do read R; done; export E=$W`
	var p shell.Parser
	f, err := p.ParseFile(text, shell.POSIX)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	shell.Vars(f, func(v shell.Var) bool {
		if text[v.Start:v.End] != v.Name {
			t.Errorf("%s at [%d,%d) is %q", v.Name, v.Start, v.End, text[v.Start:v.End])
		}
		kind := "use"
		if v.Def {
			kind = "def"
		}
		if v.Guarded {
			kind += "?"
		}
		got = append(got, fmt.Sprintf("%s %s %d", kind, v.Name, v.Dollar))
		return true
	})
	want := []string{"def X -1", "use X 11", "use? Y 14", "use? Z 25", "def I -1", "def R -1", "def E -1", "use W 76"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Vars mismatch (-want +got):\n%s", diff)
	}
}

func TestTokens(t *testing.T) {
	text := "# c\nif [ -n \"$A\" ]; then\n  apt-get install 'x' \"y$B\"\nelse V=1; fi\n"
	var p shell.Parser
	f, err := p.ParseFile(text, shell.POSIX)
	if err != nil {
		t.Fatal(err)
	}
	var toks []shell.Token
	shell.Tokens(f, func(tok shell.Token) { toks = append(toks, tok) })
	slices.SortFunc(toks, func(a, b shell.Token) int { return a.Start - b.Start })
	names := map[shell.TokenKind]string{shell.Keyword: "kw", shell.Command: "cmd", shell.Variable: "var", shell.String: "str", shell.Comment: "com"}
	var got []string
	for _, tok := range toks {
		got = append(got, names[tok.Kind]+" "+text[tok.Start:tok.End])
	}
	want := []string{"com # c", "kw if", "cmd [", "str \"", "var $A", "str \"", "kw then", "cmd apt-get",
		"str 'x'", "str \"", "str y", "var $B", "str \"", "kw else", "var V", "kw fi"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Tokens mismatch (-want +got):\n%s", diff)
	}
}

// TestSimple checks that the scanner of the simple subset finds what the
// full parser does, and leaves the rest to it.
func TestSimple(t *testing.T) {
	tests := []struct {
		text   string
		simple bool
	}{
		{"apt-get update && apt-get install -y curl", true},
		{"X=1 Y=$X make -j4 'a b' \"c $D\" e\\ f", true},
		{"curl -fsSL https://x/y | sh; echo ${HOME} $1 $@ a=b", true},
		{"set -e\n# comment\necho a \\\n  b &&\n  c || d\n\n", true},
		{"echo \"a\\\"b\" 'it''s' \"-y\" x#y #z", true},
		{"if true; then echo; fi", false},
		{"echo $(date) > /x", false},
		{"echo ${X:-1}", false},
		{"a && ", false},
		{"echo 'open", false},
		{"{ echo; }", false},
		{"sleep 1 &", false},
	}
	var p shell.Parser
	for _, tt := range tests {
		s, err := p.Parse(tt.text, shell.POSIX)
		if err != nil {
			if tt.simple {
				t.Errorf("%q: %v", tt.text, err)
			}
			continue
		}
		if simple := s.File == nil; simple != tt.simple {
			t.Errorf("%q: simple = %v, want %v", tt.text, simple, tt.simple)
		}
		got := describe(s)
		f, err := p.ParseFile(tt.text, shell.POSIX)
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		want := describe(shell.NewScript(f))
		if k, fk := kinds(s, tt.text), kinds(shell.NewScript(f), tt.text); k != fk {
			t.Errorf("%q: tokens\n%s, full parser's\n%s", tt.text, k, fk)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q: the subset differs from the full parser (-full +subset):\n%s", tt.text, diff)
		}
	}
}

func describe(s *shell.Script) []string {
	out := []string{fmt.Sprintf("stmts %d", s.Stmts)}
	for _, c := range s.Cmds {
		var ws []string
		for _, w := range c.Words {
			ws = append(ws, fmt.Sprintf("%d-%d:%q/%v", w.Start, w.End, w.Lit, w.Literal))
		}
		out = append(out, fmt.Sprintf("cmd %d pipe %v %s", c.Stmt, c.PipeTo, strings.Join(ws, " ")))
	}
	for _, v := range s.Vars {
		out = append(out, fmt.Sprintf("var %+v", v))
	}
	return out
}

// kinds returns the token kind of each byte of text, as a digit.
func kinds(s *shell.Script, text string) string {
	b := []byte(strings.Repeat(".", len(text)))
	s.Tokens(func(t shell.Token) {
		for i := t.Start; i < t.End; i++ {
			b[i] = byte('0' + t.Kind)
		}
	})
	return string(b)
}

func TestShebang(t *testing.T) {
	for _, tc := range []struct {
		script, prog, args string
		ok, isShell        bool
		dialect            shell.Dialect
		interp             string // the kernel's
	}{
		{"#!/bin/sh -e\necho", "/bin/sh", "-e", true, true, shell.POSIX, "/bin/sh"},
		{"#!/usr/bin/env bash\n[[ x ]]", "bash", "", true, true, shell.Bash, "/usr/bin/env"},
		{"#! /usr/bin/awk -f\nBEGIN {}", "/usr/bin/awk", "-f", true, false, shell.POSIX, "/usr/bin/awk"},
		{"#!\n", "", "", true, false, shell.POSIX, ""},
		{"echo '#!/bin/bash'", "", "", false, false, shell.POSIX, ""},
	} {
		prog, args, ok := shell.Shebang(tc.script)
		if prog != tc.prog || strings.Join(args, " ") != tc.args || ok != tc.ok {
			t.Errorf("Shebang(%q) = %q, %q, %v; want %q, %q, %v", tc.script, prog, args, ok, tc.prog, tc.args, tc.ok)
		}
		if interp, ok := shell.Interpreter(tc.script); interp != tc.interp || ok != tc.ok {
			t.Errorf("Interpreter(%q) = %q, %v; want %q, %v", tc.script, interp, ok, tc.interp, tc.ok)
		}
		if d, isShell := shell.ProgramDialect(prog); isShell != tc.isShell || d != tc.dialect {
			t.Errorf("ProgramDialect(%q) = %v, %v; want %v, %v", prog, d, isShell, tc.dialect, tc.isShell)
		}
	}
}
