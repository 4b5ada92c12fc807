// Package shell reads the shell commands of a Gunfile (Exec and Main
// strings, script blocks) with mvdan.cc/sh's parser and says what the checker
// and the language server need of them: syntax errors, the variables used
// and set, the simple commands, and the tokens to highlight.
//
// Offsets are byte offsets into the parsed text (an ast.String's Value);
// ast.String.ValuePos puts them back in the Gunfile.
package shell

import (
	"errors"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Dialect is the language of the shell a stage runs its commands with.
type Dialect uint8

// Dialects.
const (
	POSIX Dialect = iota // /bin/sh
	Bash                 // /bin/bash
)

// String returns "sh" or "bash".
func (d Dialect) String() string {
	if d == Bash {
		return "bash"
	}
	return "sh"
}

// ProgramDialect returns the dialect of the program prog (a path or a
// name) runs its commands in, and false for a program that is not sh.
func ProgramDialect(prog string) (Dialect, bool) {
	switch prog[strings.LastIndexByte(prog, '/')+1:] {
	case "bash":
		return Bash, true
	case "sh", "dash", "ash", "busybox":
		return POSIX, true
	}
	return POSIX, false
}

// Shebang returns the interpreter and arguments of a script's #! line,
// through env or not (#!/usr/bin/env bash is bash), and false for a script
// without one.
func Shebang(script string) (prog string, args []string, ok bool) {
	f, ok := shebangWords(script)
	if !ok {
		return "", nil, false
	}
	if len(f) > 1 && f[0][strings.LastIndexByte(f[0], '/')+1:] == "env" {
		f = f[1:]
	}
	if len(f) == 0 {
		return "", nil, true
	}
	return f[0], f[1:], true
}

// Interpreter returns the program the kernel runs a script by, the first
// word of its #! line ("" when the line names none), and false for a script
// without one. Unlike Shebang's, it is /usr/bin/env for #!/usr/bin/env bash.
func Interpreter(script string) (string, bool) {
	f, ok := shebangWords(script)
	if len(f) == 0 {
		return "", ok
	}
	return f[0], true
}

// shebangWords returns the words of a script's #! line, and false for a
// script without one.
func shebangWords(script string) ([]string, bool) {
	line, found := strings.CutPrefix(script, "#!")
	if !found {
		return nil, false
	}
	line, _, _ = strings.Cut(line, "\n")
	return strings.Fields(line), true
}

// Error is a shell syntax error.
type Error struct {
	Offset   int    // where, in the parsed text
	Message  string // lower case, no final period
	BashOnly bool   // the text is valid bash but not POSIX sh
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Offset, e.Message) }

// Parser parses shell commands, reusing its buffers from one to the next.
// The zero Parser is ready to use; it is not safe for concurrent use.
type Parser struct {
	parsers [2]*syntax.Parser
	r       strings.Reader
	script  Script
}

// Parse parses text in dialect d. The Script is the Parser's, valid until
// the next Parse. On a syntax error it returns the error and no Script.
func (p *Parser) Parse(text string, d Dialect) (*Script, *Error) {
	p.script.reset()
	if scanSimple(text, &p.script) {
		return &p.script, nil
	}
	p.script.reset()
	f, err := p.ParseFile(text, d)
	if err != nil {
		return nil, err
	}
	p.script.fromFile(f)
	return &p.script, nil
}

// ParseFile parses text in dialect d with the full parser, for the syntax
// tree. On a syntax error it returns the error and no file.
func (p *Parser) ParseFile(text string, d Dialect) (*syntax.File, *Error) {
	sp := p.parsers[d]
	if sp == nil {
		lang := syntax.LangPOSIX
		if d == Bash {
			lang = syntax.LangBash
		}
		sp = syntax.NewParser(syntax.Variant(lang), syntax.KeepComments(true))
		p.parsers[d] = sp
	}
	p.r.Reset(text)
	f, err := sp.Parse(&p.r, "")
	if err == nil {
		return f, nil
	}
	var pe syntax.ParseError
	var le syntax.LangError
	switch {
	case errors.As(err, &pe):
		off := int(pe.Pos.Offset())
		if d == POSIX && p.bashOnly(text) {
			// sh's parser cannot say what it met: bash syntax.
			msg := fmt.Sprintf("this is a bash feature, and this stage's shell is /bin/sh (sh reads: %s)", pe.Text)
			if rest := text[min(off, len(text)):]; strings.HasPrefix(rest, "<(") || strings.HasPrefix(rest, ">(") {
				msg = "process substitution is a bash feature, and this stage's shell is /bin/sh"
			}
			return nil, &Error{Offset: off, BashOnly: true, Message: msg}
		}
		return nil, &Error{Offset: off, Message: pe.Text}
	case errors.As(err, &le):
		verb := "is"
		if strings.HasSuffix(le.Feature, "s") {
			verb = "are"
		}
		return nil, &Error{Offset: int(le.Pos.Offset()), BashOnly: true,
			Message: fmt.Sprintf("%s %s a bash feature, and this stage's shell is /bin/sh", le.Feature, verb)}
	}
	return nil, &Error{Message: err.Error()}
}

// bashOnly says that text, which is not POSIX sh, parses as bash.
func (p *Parser) bashOnly(text string) bool {
	f, err := p.ParseFile(text, Bash)
	return f != nil && err == nil
}

// Literal returns the value of a word made only of literal text and quotes,
// such as -y, "-y" or 'a b', and whether it is one. A word with a backslash
// escape is not taken as literal.
func Literal(w *syntax.Word) (string, bool) {
	if w == nil {
		return "", false
	}
	if len(w.Parts) == 1 {
		if l, ok := w.Parts[0].(*syntax.Lit); ok && !strings.Contains(l.Value, `\`) {
			return l.Value, true
		}
	}
	var b strings.Builder
	for _, part := range w.Parts {
		switch part := part.(type) {
		case *syntax.Lit:
			if strings.Contains(part.Value, `\`) {
				return "", false
			}
			b.WriteString(part.Value)
		case *syntax.SglQuoted:
			if part.Dollar {
				return "", false
			}
			b.WriteString(part.Value)
		case *syntax.DblQuoted:
			for _, q := range part.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok || strings.Contains(l.Value, `\`) {
					return "", false
				}
				b.WriteString(l.Value)
			}
		default:
			return "", false
		}
	}
	return b.String(), true
}
