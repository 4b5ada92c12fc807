package format

import (
	"bytes"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/shell"
)

// ShellFile is SourceFile that also formats the script blocks of Exec and
// Main with mvdan.cc/sh's printer (shfmt's layout, indented by four spaces),
// each indented as its closing delimiter. An Exec's script with a #! line
// is formatted only if that line names a shell (in its dialect). A script block that does not
// parse, or whose text the re-indentation could change (a here-document or
// a blank line inside quotes), is left as written.
func ShellFile(filename string, src []byte) ([]byte, error) {
	out, err := SourceFile(filename, src)
	if err != nil {
		return nil, err
	}
	f, _ := parser.Parse(filename, out)
	var blocks []*ast.String
	dialects := map[*ast.String]shell.Dialect{}
	for in := range f.Instrs() {
		var cmd ast.Expr
		switch in := in.(type) {
		case *ast.Exec:
			cmd = in.Cmd
			// A script with a #! line runs by its interpreter: only a
			// shell's is formatted.
			if s, ok := cmd.(*ast.String); ok && s.Heredoc != "" {
				if prog, _, ok := shell.Shebang(s.Value); ok {
					d, isShell := shell.ProgramDialect(prog)
					if !isShell {
						continue
					}
					dialects[s] = d
				}
			}
		case *ast.Main:
			cmd = in.Cmd
		}
		if s, ok := cmd.(*ast.String); ok && s.Heredoc != "" {
			blocks = append(blocks, s)
		}
	}
	var p shell.Parser
	pr := syntax.NewPrinter(syntax.Indent(4))
	var b bytes.Buffer
	at := 0
	for _, s := range blocks {
		start, end, indent, ok := scriptBody(out, s)
		if !ok {
			continue
		}
		sf, perr := p.ParseFile(s.Value, dialects[s])
		if perr != nil && perr.BashOnly {
			sf, perr = p.ParseFile(s.Value, shell.Bash)
		}
		if perr != nil || hasHeredoc(sf) {
			continue
		}
		var text bytes.Buffer
		if err := pr.Print(&text, sf); err != nil {
			continue
		}
		body, ok := indentScript(text.String(), indent)
		if !ok {
			continue
		}
		b.Write(out[at:start])
		b.WriteString(body)
		at = end
	}
	b.Write(out[at:])
	return b.Bytes(), nil
}

// scriptBody returns the range of a terminated script block's lines, and
// its closing delimiter's indentation.
func scriptBody(src []byte, s *ast.String) (start, end int, indent string, ok bool) {
	tok := src[s.Start:s.End]
	nl := bytes.IndexByte(tok, '\n')
	last := bytes.LastIndexByte(tok, '\n')
	if nl < 0 || string(bytes.TrimSpace(tok[last+1:])) != s.Heredoc {
		return 0, 0, "", false
	}
	line := tok[last+1:]
	indent = string(line[:len(line)-len(bytes.TrimLeft(line, " \t"))])
	return int(s.Start) + nl + 1, int(s.Start) + last + 1, indent, true
}

// indentScript indents every line of a printed script, or reports false
// when a line of only blanks (inside quotes) would lose them.
func indentScript(text, indent string) (string, bool) {
	var b strings.Builder
	for line := range strings.Lines(text) {
		content := strings.TrimSuffix(line, "\n")
		switch {
		case content == "":
		case strings.TrimLeft(content, " \t") == "":
			return "", false
		default:
			b.WriteString(indent)
			b.WriteString(content)
		}
		b.WriteByte('\n')
	}
	return b.String(), true
}

func hasHeredoc(f *syntax.File) bool {
	found := false
	syntax.Walk(f, func(n syntax.Node) bool {
		if r, ok := n.(*syntax.Redirect); ok && r.Hdoc != nil {
			found = true
		}
		return !found
	})
	return found
}
