// Package parser reads Gunfile source into a syntax tree.
//
// The parser is recursive descent with one token of lookahead and a parseX
// method per production. It never stops at the first error: a line it cannot
// read becomes an ast.BadInstr (or a value an ast.BadExpr), it reports a
// diagnostic, and it resumes at the next line. So a half-typed file still has
// a tree, which is what an editor needs.
//
// Parse returns the whole tree; Stream hands it over a stage at a time and
// reuses the nodes of one stage for the next (nodes come from chunks that it
// rewinds), for a caller such as gun check that needs no whole tree.
package parser

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/lexer"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
)

// MaxErrors is how many syntax errors Parse reports before it reports
// TooManyErrors and stays quiet about the rest (it still parses them).
const MaxErrors = 50

// Parse parses the Gunfile src and returns its tree, never nil, and the
// syntax errors found, in source order. filename is used only in the tree's
// source.File. The tree keeps src, and its names and plain text are
// substrings of it, not copies: src must not change afterwards.
func Parse(filename string, src []byte) (*ast.File, []diag.Diagnostic) {
	if len(src) > source.MaxSize {
		f := &ast.File{Source: source.NewFile(filename, nil)}
		return f, []diag.Diagnostic{{
			Severity: diag.Error,
			Code:     diag.SyntaxError,
			Message:  fmt.Sprintf("file is %d bytes; a Gunfile can be at most %d", len(src), source.MaxSize),
		}}
	}
	p := newParser(src)
	f := p.parseFile()
	f.Source = source.NewFileLines(filename, src, p.lx.Lines())
	return f, p.sorted()
}

// Stream parses src as Parse does, but hands the tree to yield piece by
// piece, so that the tree of the whole file is never in memory at once:
// first the prelude (a File whose Prelude holds the instructions before the
// first Using, handed over even when there are none), then each stage (a
// File whose Stages holds it alone), each with the comments read since the
// piece before. The pieces are one File, and share its Source, whose line
// table covers the text up to the piece's end (the whole file's once Stream
// returns). Once yield returns, the nodes of its piece are reused for the
// next: yield must keep no pointer into them (names and values, which are
// strings, may be kept). Stream returns the file and its syntax errors, in
// source order.
func Stream(filename string, src []byte, yield func(piece *ast.File)) (*source.File, []diag.Diagnostic) {
	if len(src) > source.MaxSize {
		f, ds := Parse(filename, src)
		return f.Source, ds
	}
	p := newParser(src)
	p.filename, p.yield = filename, yield
	f := p.parseFile()
	return f.Source, p.sorted()
}

// newParser returns a parser of src with its first token read.
func newParser(src []byte) *parser {
	// The source as a string, without a copy (the caller keeps src as it
	// is): names and plain text in the tree are substrings of it, which
	// costs no allocation each.
	p := &parser{src: src, str: unsafe.String(unsafe.SliceData(src), len(src))}
	p.lx = lexer.New(src, p.add)
	p.lx.SetErrorLimit(MaxErrors + 1)
	p.next()
	return p
}

// sorted returns the diagnostics in source order.
func (p *parser) sorted() []diag.Diagnostic {
	slices.SortStableFunc(p.diags, func(a, b diag.Diagnostic) int { return int(a.Range.Start - b.Range.Start) })
	return p.diags
}

// flush hands Stream's yield the piece f holds (the prelude the first time,
// then the stage in f.Stages, whose body is cut) and reuses its nodes.
func (p *parser) flush(f *ast.File) {
	*f.Source = *source.NewFileLines(p.filename, p.src, p.lx.Lines())
	f.Comments = p.comments
	if !p.prelude {
		p.prelude = true
		stages := f.Stages
		f.Stages = nil
		p.yield(f)
		f.Prelude, f.Stages, f.Comments = nil, stages, nil
	}
	if len(f.Stages) > 0 {
		p.yield(f)
	}
	clear(p.comments)
	p.comments = p.comments[:0]
	clear(f.Stages)
	f.Stages, f.Comments = f.Stages[:0], nil
	p.nodes.rewind()
}

// startsUsing reports whether the current token, at the start of a line,
// is the keyword of a Using, as parseInstr reads it.
func (p *parser) startsUsing() bool {
	if p.tok.Kind != lexer.Word {
		return false
	}
	word := p.text(p.tok)
	if name := keyword(word); name != "" {
		return name == "Using"
	}
	in, ok := spec.LookupFold(word)
	return ok && in.Name == "Using"
}

type parser struct {
	nodes
	scratch
	src      []byte
	str      string // src as a string
	lx       *lexer.Lexer
	tok      lexer.Token
	prevEnd  source.Pos // end of the last token consumed
	comments []*ast.Comment
	diags    []diag.Diagnostic
	nerrors  int

	// Stream's: where the pieces go, and whether the prelude went.
	yield    func(*ast.File)
	filename string
	prelude  bool
}

// add records a diagnostic, up to MaxErrors errors.
func (p *parser) add(d diag.Diagnostic) {
	p.nerrors++
	switch {
	case p.nerrors <= MaxErrors:
		p.diags = append(p.diags, d)
	case p.nerrors == MaxErrors+1:
		p.diags = append(p.diags, diag.Diagnostic{
			Severity: diag.Error,
			Code:     diag.TooManyErrors,
			Message:  fmt.Sprintf("too many errors; stopped reporting after %d", MaxErrors),
			Range:    d.Range,
		})
	}
}

func (p *parser) errorf(r source.Range, code diag.Code, format string, args ...any) {
	p.add(diag.Diagnostic{Severity: diag.Error, Code: code, Message: fmt.Sprintf(format, args...), Range: r})
}

// next advances to the next token that is not a comment, keeping comments.
func (p *parser) next() {
	p.prevEnd = p.tok.End
	for {
		p.tok = p.lx.Next()
		if p.tok.Kind != lexer.Comment {
			return
		}
		c := p.nodes.comments.new()
		c.Range, c.Text = p.tok.Range, p.str[p.tok.Start:p.tok.End]
		p.comments = append(p.comments, c)
	}
}

func (p *parser) text(t lexer.Token) string { return p.str[t.Start:t.End] }

// atEnd reports whether the current instruction has ended: the current token
// starts a new line or the file is done.
func (p *parser) atEnd() bool { return p.tok.Kind == lexer.EOF || p.tok.NL }

// describe names the current token for "expected X, found Y" messages.
func (p *parser) describe() string {
	if p.tok.NL && p.tok.Kind != lexer.EOF {
		return "end of line"
	}
	switch p.tok.Kind {
	case lexer.EOF:
		return "end of file"
	case lexer.Word:
		return fmt.Sprintf("word %q", truncate(p.text(p.tok)))
	case lexer.String:
		return "string " + truncate(p.text(p.tok))
	}
	return p.tok.Kind.String()
}

// truncate shortens s for a message, on a rune boundary.
func truncate(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 37
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// skipLine advances to the first token of the next line. Illegal tokens were
// already reported by the lexer.
func (p *parser) skipLine() {
	for !p.atEnd() {
		p.next()
	}
}

// unexpected reports the current token, unless the lexer already did.
func (p *parser) unexpected(code diag.Code, format string, args ...any) {
	if p.tok.Kind == lexer.Illegal {
		return
	}
	r := p.tok.Range
	if p.atEnd() {
		// Point just after the last token: that is where something is missing.
		r = source.Range{Start: p.prevEnd, End: p.prevEnd}
	}
	p.errorf(r, code, format+", found %s", append(args, p.describe())...)
}

func (p *parser) parseFile() *ast.File {
	f := &ast.File{Range: source.Range{Start: 0, End: source.Pos(len(p.src))}}
	if p.yield != nil {
		f.Source = new(source.File)
	}
	var stage *ast.Stage
	for p.tok.Kind != lexer.EOF {
		if !p.tok.NL {
			// Left over after an instruction that reported its error.
			p.skipLine()
			continue
		}
		if p.yield != nil && p.startsUsing() {
			if stage != nil {
				stage.Body = p.body.cut()
				stage = nil
			}
			p.flush(f)
		}
		in := p.parseInstr()
		if !p.atEnd() {
			name, _ := in.Keyword()
			p.unexpected(diag.SyntaxError, "expected end of line after %s", name)
			p.skipLine()
		}
		if u, ok := in.(*ast.Using); ok {
			if stage != nil {
				stage.Body = p.body.cut()
			}
			stage = p.stages.new()
			stage.Range, stage.Using = u.Range, u
			f.Stages = append(f.Stages, stage)
			continue
		}
		if stage == nil {
			f.Prelude = append(f.Prelude, in)
			continue
		}
		p.body.add(in)
		stage.End = in.Span().End
	}
	if stage != nil {
		stage.Body = p.body.cut()
	}
	if p.yield != nil {
		p.flush(f)
		return f
	}
	f.Comments = p.comments
	return f
}

// parseInstr parses one instruction, starting at the first token of a line.
func (p *parser) parseInstr() ast.Instr {
	start := p.tok
	if start.Kind != lexer.Word {
		if start.Kind != lexer.Illegal {
			p.errorf(start.Range, diag.SyntaxError, "expected an instruction such as Using or Exec at the start of the line, found %s", start.Kind)
		}
		p.next() // always make progress
		p.skipLine()
		return &ast.BadInstr{Range: source.Range{Start: start.Start, End: p.prevEnd}}
	}
	word := p.text(start)
	kw := ast.Kw{Name: keyword(word), Range: start.Range}
	if kw.Name == "" {
		kw.Name = word
		in, ok := spec.LookupFold(word)
		if !ok {
			d := diag.Diagnostic{
				Severity: diag.Error,
				Code:     diag.UnknownInstruction,
				Message:  fmt.Sprintf("unknown instruction %q", truncate(word)),
				Range:    start.Range,
			}
			if p.nerrors >= MaxErrors {
				// Not reported anyway: skip the search for a suggestion.
			} else if s, ok := spec.Dockerfile[strings.ToLower(word)]; ok {
				d.Message += fmt.Sprintf("; gun writes this %s", s)
				if word == "FROM" {
					d.Message += " (a Dockerfile? gun convert translates one into a Gunfile)"
				}
				d.Fixes = []diag.Fix{{Title: "change to " + s, Edits: []diag.Edit{{Range: start.Range, NewText: s}}}}
			} else if s := spec.Suggest(word, spec.Names()); s != "" {
				d.Message += fmt.Sprintf("; did you mean %s?", s)
				d.Fixes = []diag.Fix{{Title: "change to " + s, Edits: []diag.Edit{{Range: start.Range, NewText: s}}}}
			}
			p.add(d)
			p.next()
			p.skipLine()
			return &ast.BadInstr{Range: source.Range{Start: start.Start, End: p.prevEnd}, Kw: kw}
		}
		p.wrongCase(start.Range, word, in.Name)
		kw.Name = in.Name
	}
	p.next()
	r := source.Range{Start: start.Start}
	var in ast.Instr
	switch kw.Name {
	case "Using":
		in = p.parseUsing(r, kw)
	case "Exec":
		in = p.parseExec(r, kw)
	case "Entrypoint":
		in = &ast.Entrypoint{Range: r, Kw: kw, Cmd: p.parseCommand(kw.Name)}
	case "Shell":
		in = &ast.Shell{Range: r, Kw: kw, Cmd: p.parseCommand(kw.Name)}
	case "Healthcheck":
		in = p.parseHealthcheck(r, kw)
	case "Expose":
		in = p.parseExpose(r, kw)
	case "Volume":
		in = p.parseVolume(r, kw)
	case "StopSignal":
		in = p.parseStopSignal(r, kw)
	case "Main":
		n := p.mains.new()
		n.Range, n.Kw = r, kw
		n.Cmd = p.parseCommand(kw.Name)
		in = n
	case "Copy":
		in = p.parseCopy(r, kw)
	case "Env":
		n := p.envs.new()
		n.Range, n.Kw = r, kw
		n.Name = p.parseName("Env", "a variable name", `Env NAME "value"`)
		switch {
		case n.Name == nil:
		case !p.atEnd() && p.tok.Kind == lexer.Word && p.text(p.tok) == "Inherited":
			n.Inherited = p.parseIdent()
		case !p.atEnd() && p.tok.Kind == lexer.Word:
			// A misspelt Inherited: one error, and the line goes on.
			p.unexpected(diag.SyntaxError, "expected a quoted value or Inherited in Env (Env NAME \"value\" or Env NAME Inherited)")
			p.next()
		default:
			n.Value = p.parseString("Env", "a quoted value or Inherited", `Env NAME "value" or Env NAME Inherited`)
		}
		in = n
	case "Arg":
		n := p.args.new()
		n.Range, n.Kw = r, kw
		n.Name = p.parseName("Arg", "a variable name", `Arg NAME ["default"]`)
		if n.Name != nil && !p.atEnd() {
			n.Default = p.parseString("Arg", "a quoted default value", `Arg NAME ["default"]`)
		}
		in = n
	case "Workdir":
		n := p.workdirs.new()
		n.Range, n.Kw = r, kw
		n.Path = p.parseString("Workdir", "a quoted path", `Workdir "/path"`)
		in = n
	case "User":
		n := p.users.new()
		n.Range, n.Kw = r, kw
		n.Name = p.parseString("User", "a quoted user", `User "name[:group]"`)
		in = n
	case "Label":
		n := p.labels.new()
		n.Range, n.Kw = r, kw
		n.Key = p.parseString("Label", "a quoted key", `Label "key" "value"`)
		if n.Key != nil {
			n.Value = p.parseString("Label", "a quoted value", `Label "key" "value"`)
		}
		in = n
	default:
		// An instruction in spec that this parser does not know yet.
		p.errorf(start.Range, diag.UnknownInstruction, "instruction %s is not supported by this version of gun", kw.Name)
		p.skipLine()
		return &ast.BadInstr{Range: source.Range{Start: start.Start, End: p.prevEnd}, Kw: kw}
	}
	setEnd(in, p.prevEnd)
	return in
}

// setEnd sets an instruction's end after it has been parsed.
func setEnd(in ast.Instr, end source.Pos) {
	switch n := in.(type) {
	case *ast.Using:
		n.End = end
	case *ast.Exec:
		n.End = end
	case *ast.Main:
		n.End = end
	case *ast.Copy:
		n.End = end
	case *ast.Env:
		n.End = end
	case *ast.Arg:
		n.End = end
	case *ast.Workdir:
		n.End = end
	case *ast.User:
		n.End = end
	case *ast.Label:
		n.End = end
	case *ast.Entrypoint:
		n.End = end
	case *ast.Shell:
		n.End = end
	case *ast.Healthcheck:
		n.End = end
	case *ast.Expose:
		n.End = end
	case *ast.Volume:
		n.End = end
	case *ast.StopSignal:
		n.End = end
	}
}

func (p *parser) wrongCase(r source.Range, got, want string) {
	p.add(diag.Diagnostic{
		Severity: diag.Error,
		Code:     diag.KeywordCase,
		Message:  fmt.Sprintf("keyword %q must be written %q", got, want),
		Range:    r,
		Fixes:    []diag.Fix{{Title: fmt.Sprintf("change %q to %q", got, want), Edits: []diag.Edit{{Range: r, NewText: want}}}},
	})
}

// isOption reports whether the current token is the option word want, in any
// case (reporting a wrong case).
func (p *parser) isOption(want string) bool {
	if p.atEnd() || p.tok.Kind != lexer.Word {
		return false
	}
	word := p.text(p.tok)
	if word == want {
		return true
	}
	if strings.EqualFold(word, want) {
		p.wrongCase(p.tok.Range, word, want)
		return true
	}
	return false
}

func (p *parser) parseUsing(r source.Range, kw ast.Kw) *ast.Using {
	n := p.usings.new()
	n.Range, n.Kw = r, kw
	switch {
	case p.atEnd():
		p.unexpected(diag.SyntaxError, `expected a base after Using (Using "archive.tar.gz", Using <stage> or Using scratch)`)
		return n
	case p.tok.Kind == lexer.String:
		n.Base = p.parseString("Using", "", "")
	case p.tok.Kind == lexer.Word && !strings.EqualFold(p.text(p.tok), "As"):
		n.Base = p.parseIdent()
	default:
		p.unexpected(diag.SyntaxError, `expected a base after Using (Using "archive.tar.gz", Using <stage> or Using scratch)`)
		n.Base = &ast.BadExpr{Range: p.tok.Range}
		if p.tok.Kind != lexer.Word {
			p.skipLine()
			return n
		}
	}
	if p.isOption("As") {
		p.next()
		if p.tok.Kind != lexer.Word || p.atEnd() {
			p.unexpected(diag.SyntaxError, "expected a stage name after As")
			return n
		}
		n.As = p.parseIdent()
	}
	return n
}

func (p *parser) parseIdent() *ast.Ident {
	id := p.idents.new()
	id.Range, id.Name = p.tok.Range, p.text(p.tok)
	p.next()
	return id
}

// parseName parses the variable name of Env or Arg.
func (p *parser) parseName(instr, what, usage string) *ast.Ident {
	if p.atEnd() || p.tok.Kind != lexer.Word {
		p.unexpected(diag.SyntaxError, "expected %s after %s (%s)", what, instr, usage)
		return nil
	}
	return p.parseIdent()
}

// parseString parses a quoted string where one is required.
func (p *parser) parseString(instr, what, usage string) *ast.String {
	if p.atEnd() || p.tok.Kind != lexer.String {
		p.unexpected(diag.SyntaxError, "expected %s in %s (%s)", what, instr, usage)
		return nil
	}
	s := p.decodeString(p.tok)
	p.next()
	return s
}

// commandUsage is the message, with %s for the instruction, of a command
// that is missing or not one: Shell takes only a list.
func commandUsage(instr string) string {
	if instr == "Shell" {
		return `expected a list after %s (["/bin/bash", "-c"]: the command is appended to it)`
	}
	return `expected a command after %s ("shell command", ["program", "arg"] or a <<EOF script block)`
}

// parseCommand parses the command of Exec or Main: a string, a script block
// or an exec-form list.
func (p *parser) parseCommand(instr string) ast.Expr {
	if p.atEnd() {
		p.unexpected(diag.SyntaxError, commandUsage(instr), instr)
		return nil
	}
	switch p.tok.Kind {
	case lexer.String:
		s := p.decodeString(p.tok)
		p.next()
		return s
	case lexer.Heredoc:
		tok := p.tok
		s := p.decodeHeredoc(tok, false)
		p.next()
		if s == nil {
			return &ast.BadExpr{Range: tok.Range}
		}
		return s
	case lexer.LBrack:
		return p.parseList()
	}
	p.unexpected(diag.SyntaxError, commandUsage(instr), instr)
	bad := &ast.BadExpr{Range: p.tok.Range}
	p.skipLine()
	bad.End = p.prevEnd
	return bad
}

// parseList parses an exec-form list. Inside the brackets, line breaks do
// not end the instruction; a word at the start of a line does (the list was
// not closed).
func (p *parser) parseList() *ast.List {
	l := p.lists.new()
	l.Range = p.tok.Range
	p.next() // [
	needComma := false
	// The elements go straight into the chunk (copied there if more than
	// reserved).
	elems := p.nodes.elems.reserve(8)
	defer func() { l.Elems = p.nodes.elems.commit(elems) }()
	for {
		switch {
		case p.tok.Kind == lexer.RBrack:
			l.End = p.tok.End
			p.next()
			return l
		case p.tok.Kind == lexer.EOF || p.tok.NL && p.tok.Kind == lexer.Word:
			p.errorf(source.Range{Start: l.Start, End: l.Start + 1}, diag.MalformedList, "exec-form list not closed: expected ']'")
			l.End = p.prevEnd
			return l
		case p.tok.Kind == lexer.Comma:
			if !needComma {
				p.errorf(p.tok.Range, diag.MalformedList, "unexpected ',' in exec-form list: expected a quoted string")
			}
			needComma = false
			p.next()
		case p.tok.Kind == lexer.String:
			if needComma {
				p.errorf(source.Range{Start: p.prevEnd, End: p.tok.Start}, diag.MalformedList, "missing ',' between exec-form list elements")
			}
			elems = append(elems, p.decodeString(p.tok))
			needComma = true
			p.next()
		case p.tok.Kind == lexer.Illegal:
			p.next()
		default:
			p.errorf(p.tok.Range, diag.MalformedList, "exec-form list elements must be quoted strings, found %s", p.describe())
			needComma = true
			p.next()
		}
	}
}

// copyWords lists Copy's options for messages and suggestions.
var copyWords = func() []string {
	var w []string
	for _, o := range spec.CopyOptions {
		w = append(w, o.Name)
	}
	return w
}()

// copySlot returns the field of n that holds Copy's option name.
func copySlot(n *ast.Copy, name string) **ast.Option {
	switch name {
	case "From":
		return &n.From
	case "Owner":
		return &n.Owner
	case "Mode":
		return &n.Mode
	case "Unpack":
		return &n.Unpack
	case "Expand":
		return &n.Expand
	}
	return nil
}

func (p *parser) parseCopy(r source.Range, kw ast.Kw) *ast.Copy {
	n := p.copies.new()
	n.Range, n.Kw = r, kw
	// Options come first, in any order.
	for !p.atEnd() && p.tok.Kind == lexer.Word {
		var opt *spec.Option
		for i := range spec.CopyOptions {
			if p.isOption(spec.CopyOptions[i].Name) {
				opt = &spec.CopyOptions[i]
				break
			}
		}
		if opt == nil {
			word := p.text(p.tok)
			d := diag.Diagnostic{Severity: diag.Error, Code: diag.SyntaxError, Range: p.tok.Range,
				Message: fmt.Sprintf("unexpected word %q in Copy: expected %s or a quoted path", truncate(word), strings.Join(copyWords, ", "))}
			if s := spec.Suggest(word, copyWords); s != "" {
				d.Message += fmt.Sprintf("; did you mean %s?", s)
				d.Fixes = []diag.Fix{{Title: "change to " + s, Edits: []diag.Edit{{Range: p.tok.Range, NewText: s}}}}
			}
			p.add(d)
			p.skipLine()
			return n
		}
		name, slot := opt.Name, copySlot(n, opt.Name)
		o := p.options.new()
		o.Range, o.Kw = p.tok.Range, ast.Kw{Name: name, Range: p.tok.Range}
		if *slot != nil {
			p.errorf(p.tok.Range, diag.SyntaxError, "%s given twice in Copy", name)
		}
		*slot = o
		p.next()
		if opt.Value == spec.Flag {
			continue
		}
		switch {
		case p.atEnd():
			p.unexpected(diag.SyntaxError, "expected a value after %s", name)
			return n
		case p.tok.Kind == lexer.String:
			o.Value = p.decodeString(p.tok)
		case p.tok.Kind == lexer.Word && opt.Value == spec.WordOrString:
			id := p.idents.new()
			id.Range, id.Name = p.tok.Range, p.text(p.tok)
			o.Value = id
		default:
			p.unexpected(diag.SyntaxError, "expected a value after %s", name)
			p.skipLine()
			return n
		}
		o.End = p.tok.End
		p.next()
	}
	strs := p.nodes.elems.reserve(8)
	for !p.atEnd() && p.tok.Kind == lexer.String {
		strs = append(strs, p.decodeString(p.tok))
		p.next()
	}
	if len(strs) > 0 {
		strs = p.nodes.elems.commit(strs)
	}
	if !p.atEnd() && p.tok.Kind == lexer.Heredoc {
		// An inline file: Copy "<dest>" <<EOF.
		tok := p.tok
		if len(strs) != 1 {
			p.errorf(tok.Range, diag.SyntaxError, `an inline file needs exactly one quoted destination before its script block (Copy "/etc/app.conf" <<EOF), found %d paths`, len(strs))
		}
		if len(strs) > 0 {
			n.Dest = strs[len(strs)-1]
		}
		if n.Content = p.decodeHeredoc(tok, n.Expand != nil); n.Content == nil {
			p.next()
			return n
		}
		p.next()
		return n
	}
	switch len(strs) {
	case 0:
		p.unexpected(diag.SyntaxError, `expected quoted source and destination paths in Copy (Copy "src" "dest")`)
	case 1:
		n.Srcs = strs
		p.unexpected(diag.SyntaxError, `expected a quoted destination after the source in Copy (Copy "src" "dest")`)
	default:
		n.Srcs, n.Dest = strs[:len(strs)-1], strs[len(strs)-1]
	}
	return n
}

// keyword returns the instruction keyword word spells, as a constant (the
// tree then holds no pointer into the source for it), or "" when word is not
// a keyword. It is spec.Lookup without the map lookup, on the parser's
// hottest path; TestKeywords keeps the two in step.
func keyword(word string) string {
	switch word {
	case "Using":
		return "Using"
	case "Exec":
		return "Exec"
	case "Copy":
		return "Copy"
	case "Env":
		return "Env"
	case "Arg":
		return "Arg"
	case "Workdir":
		return "Workdir"
	case "User":
		return "User"
	case "Main":
		return "Main"
	case "Label":
		return "Label"
	case "Entrypoint":
		return "Entrypoint"
	case "Expose":
		return "Expose"
	case "Volume":
		return "Volume"
	case "StopSignal":
		return "StopSignal"
	case "Shell":
		return "Shell"
	case "Healthcheck":
		return "Healthcheck"
	}
	return ""
}
