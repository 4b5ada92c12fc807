// Package convert translates a Dockerfile into the equivalent Gunfile.
//
// The Dockerfile is read by BuildKit's own parser and instruction types, so
// that gun reads exactly what Docker reads; the Gunfile is written as text
// and formatted by lang/format, which also proves that it parses. What has
// no exact equivalent is translated where a faithful translation exists,
// else kept as a comment, and reported as a diagnostic at its Dockerfile
// line.
package convert

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/format"
	"github.com/gun-tools/gun/lang/lexer"
	lparser "github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
)

// Codes of what a conversion reports. They are warnings, the Gunfile is
// written but something needs a look, but for D008: what gun check finds
// wrong in the Gunfile written, which Docker's build fails on too.
const (
	Dropped        diag.Code = "D001" // an instruction with no Gunfile equivalent, kept as a comment
	DroppedOption  diag.Code = "D002" // a flag or mount option with no equivalent, left out
	BaseVariable   diag.Code = "D003" // a variable gun does not expand (from the base image's environment)
	VariableForm   diag.Code = "D004" // ${NAME:-default} and other forms gun does not have
	NotExact       diag.Code = "D005" // translated, with a difference the message names
	ParseWarning   diag.Code = "D006" // a warning of BuildKit's parser
	EmptyInputCode diag.Code = "D007" // a Dockerfile with no FROM
	CheckError     diag.Code = "D008" // an error of gun check in the Gunfile written
)

// Codes lists the conversion's codes, for SARIF rules and docs.
var Codes = []diag.CodeInfo{
	{Code: Dropped, Severity: diag.Warning, Title: "instruction not converted"},
	{Code: DroppedOption, Severity: diag.Warning, Title: "option not converted"},
	{Code: BaseVariable, Severity: diag.Warning, Title: "variable from the base image"},
	{Code: VariableForm, Severity: diag.Warning, Title: "variable form gun does not have"},
	{Code: NotExact, Severity: diag.Warning, Title: "not an exact equivalent"},
	{Code: ParseWarning, Severity: diag.Warning, Title: "Dockerfile parser warning"},
	{Code: EmptyInputCode, Severity: diag.Warning, Title: "no FROM"},
	{Code: CheckError, Severity: diag.Error, Title: "converted Gunfile fails gun check"},
}

// Result is a converted Dockerfile.
type Result struct {
	Gunfile     []byte            // formatted as gun fmt formats it
	File        *source.File      // the Dockerfile, for the diagnostics' positions
	Diagnostics []diag.Diagnostic // in Dockerfile order
}

// Convert translates the Dockerfile src (named name in diagnostics).
func Convert(name string, src []byte) (*Result, error) {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, located(name, err)
	}
	c := &converter{
		file:     source.NewFile(name, src),
		lex:      shell.NewLex(res.EscapeToken),
		escape:   res.EscapeToken,
		stages:   map[string]*stageVars{},
		defaults: map[string]string{},
		out:      &strings.Builder{},
	}
	for _, w := range res.Warnings {
		line := 1
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		c.report(ParseWarning, line, "%s", w.Short)
	}
	if err := c.convert(res.AST); err != nil {
		return nil, located(name, err)
	}
	// The Gunfile is parsed once, to be checked and formatted.
	text := c.out.String()
	f, ds := lparser.Parse("Gunfile", []byte(text))
	if diag.HasErrors(ds) {
		// A bug of the converter: it wrote something that does not parse.
		return nil, fmt.Errorf("%s: the Gunfile written does not parse: %w\n%s", name, &format.SyntaxError{File: f.Source, Diagnostics: ds}, text)
	}
	var literal []int // the lines of the Copy instructions G231 warns of
	for _, d := range check.Check(f) {
		if d.Severity == diag.Error {
			c.reportSeverity(diag.Error, CheckError, c.dockerLine(f.Source.Line(d.Range.Start)), "the Gunfile written fails gun check (%s): %s", d.Code, d.Message)
		}
		if d.Code == diag.InlineNotExpanded {
			literal = append(literal, copyLine(f, d.Range.Start))
		}
	}
	if len(literal) > 0 {
		// Docker writes those files as they are (a quoted delimiter, an
		// escaped \$NAME), and so does the Gunfile: G231's fix, Expand,
		// would not.
		text = insertLines(text, literal, "# gun:ignore G231 (Docker writes this file as it is)\n")
		f, _ = lparser.Parse("Gunfile", []byte(text))
	}
	var out bytes.Buffer
	out.Grow(len(text) + len(text)/16 + 64)
	if err := format.Node(&out, f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	slices.SortStableFunc(c.diags, func(a, b diag.Diagnostic) int { return int(a.Range.Start - b.Range.Start) })
	return &Result{Gunfile: out.Bytes(), File: c.file, Diagnostics: c.diags}, nil
}

// copyLine returns the first line of the Copy instruction of f at pos.
func copyLine(f *ast.File, pos source.Pos) int {
	for in := range f.Instrs() {
		if r := in.Span(); r.Start <= pos && pos < r.End {
			return f.Source.Line(r.Start)
		}
	}
	return f.Source.Line(pos)
}

// insertLines returns text with line inserted before each of its lines
// numbered in lines (ascending).
func insertLines(text string, lines []int, line string) string {
	var b strings.Builder
	n := 1
	for l := range strings.Lines(text) {
		for len(lines) > 0 && lines[0] == n {
			b.WriteString(line)
			lines = lines[1:]
		}
		b.WriteString(l)
		n++
	}
	return b.String()
}

// dockerLine returns the Dockerfile line of a line of the Gunfile written.
func (c *converter) dockerLine(line int) int {
	switch {
	case len(c.lines) == 0:
		return 1
	case line > len(c.lines):
		return c.lines[len(c.lines)-1]
	}
	return c.lines[line-1]
}

// located returns BuildKit's error err, which Docker would fail the
// build with, prefixed with its place in the Dockerfile: name:line:column
// (BuildKit gives lines; the column is the instruction's first).
func located(name string, err error) error {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 && le.Locations[0][0].Start.Line > 0 {
		p := le.Locations[0][0].Start
		return fmt.Errorf("%s:%d:%d: %w", name, p.Line, p.Character+1, le.Unwrap())
	}
	return fmt.Errorf("%s: %w", name, err)
}

// stageVars are what a stage defines that later stages based on it see:
// its Envs, and its USER as written ("" when the base image's).
type stageVars struct {
	envs []string
	user string
	// workdir is the WORKDIR as written, joined; workdirKnown says that
	// the stage chain set it from scratch or with an absolute path (else
	// it is relative to the base image's, which convert cannot see).
	workdir      string
	workdirKnown bool
	scratch      bool // built from scratch: no base image's environment
}

// defaultPath is the PATH BuildKit gives an image whose base has none
// (scratch).
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

type converter struct {
	file   *source.File
	lex    *shell.Lex
	escape rune // the escape character: \ or `
	out    *strings.Builder
	diags  []diag.Diagnostic
	line   int          // the Dockerfile line being converted
	node   *parser.Node // and its instruction
	stages map[string]*stageVars
	// stageNames names the stages, by index: a stage that COPY --from
	// names by index gets a name.
	stageNames []string

	globals []string // ARGs before the first FROM
	// defaults are the global ARGs' values without --build-arg, those
	// that need no other value (a base image's, a predefined ARG's).
	defaults map[string]string
	vars     []string   // ARGs and ENVs visible in the current stage
	cur      *stageVars // the current stage
	// inherited are the base image's variables the instruction being
	// converted refers to: declared (Env NAME Inherited) before it.
	inherited []string
	// lines gives, for each line of the Gunfile written, the line of the
	// Dockerfile instruction it comes from.
	lines []int
	// err is an error in the instruction being converted that BuildKit
	// reports only when it builds (an unknown mount type): Docker fails.
	err error
}

// report records a warning on a Dockerfile line (1-based).
func (c *converter) report(code diag.Code, line int, format string, args ...any) {
	c.reportSeverity(diag.Warning, code, line, format, args...)
}

func (c *converter) reportSeverity(sev diag.Severity, code diag.Code, line int, format string, args ...any) {
	if line < 1 {
		line = 1
	}
	if line > c.file.LineCount() {
		line = c.file.LineCount()
	}
	start := c.file.LineStart(line)
	text := c.file.LineText(line)
	c.diags = append(c.diags, diag.Diagnostic{
		Severity: sev,
		Code:     code,
		Message:  fmt.Sprintf(format, args...),
		Range:    source.Range{Start: start, End: start + source.Pos(len(text))},
	})
}

func (c *converter) warn(code diag.Code, format string, args ...any) {
	c.report(code, c.line, format, args...)
}

// warnAt records a warning at the first of the texts found in the source of
// the instruction being converted (a flag, a variable), or at its first line.
func (c *converter) warnAt(texts []string, code diag.Code, format string, args ...any) {
	if c.node != nil {
		src := c.source(c.node)
		for _, t := range texts {
			if i := strings.Index(src, t); t != "" && i >= 0 {
				start := c.file.LineStart(c.node.StartLine) + source.Pos(i)
				c.warnRange(source.Range{Start: start, End: start + source.Pos(len(t))}, code, format, args...)
				return
			}
		}
	}
	c.warn(code, format, args...)
}

// warnRef records a warning at the first reference to the variable name
// ($NAME, ${NAME}, ${NAME...}) in the source of the instruction being
// converted, or at its first line.
func (c *converter) warnRef(name string, code diag.Code, format string, args ...any) {
	if c.node != nil {
		if i, end, ok := refAt(c.source(c.node), name); ok {
			start := c.file.LineStart(c.node.StartLine)
			c.warnRange(source.Range{Start: start + source.Pos(i), End: start + source.Pos(end)}, code, format, args...)
			return
		}
	}
	c.warn(code, format, args...)
}

// refAt returns where src first refers to the variable name ($NAME or
// ${NAME...}): from its '$' to the end of the name.
func refAt(src, name string) (i, end int, ok bool) {
	for i = strings.IndexByte(src, '$'); i >= 0; {
		j := i + 1
		if j < len(src) && src[j] == '{' {
			j++
		}
		if end = j + len(name); strings.HasPrefix(src[j:], name) && (end == len(src) || !isNameByte(src[end], false)) {
			return i, end, true
		}
		next := strings.IndexByte(src[i+1:], '$')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return 0, 0, false
}

// warnRange records a warning at a range of the Dockerfile.
func (c *converter) warnRange(r source.Range, code diag.Code, format string, args ...any) {
	c.diags = append(c.diags, diag.Diagnostic{
		Severity: diag.Warning,
		Code:     code,
		Message:  fmt.Sprintf(format, args...),
		Range:    r,
	})
}

// at lists the texts warnAt looks for.
func at(texts ...string) []string { return texts }

func (c *converter) printf(format string, args ...any) { fmt.Fprintf(c.out, format, args...) }

// comments writes the Dockerfile comments above an instruction.
func (c *converter) comments(n *parser.Node, prevEnd int) {
	line := prevEnd + 1
	if prevEnd == 0 {
		// The parser directives at the top are not comments.
		for ; line < n.StartLine && directive().Match(c.file.LineText(line)); line++ {
		}
	}
	for ; line < n.StartLine; line++ {
		c.comment(c.file.LineText(line))
	}
}

// comment writes a Dockerfile comment line; other lines it leaves.
func (c *converter) comment(l []byte) {
	t := strings.TrimSpace(string(l))
	switch {
	case t == "#":
		c.printf("#\n")
	case strings.HasPrefix(t, "#"):
		c.printf("# %s\n", strings.TrimSpace(t[1:]))
	}
}

// directive matches a parser directive line (# syntax=, # escape=, # check=).
var directive = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)^\s*#\s*(syntax|escape|check)\s*=.*$`)
})

// keep writes a Dockerfile instruction as a comment.
func (c *converter) keep(n *parser.Node) {
	for _, l := range strings.Split(strings.TrimRight(c.source(n), "\n"), "\n") {
		c.printf("# %s\n", strings.TrimRight(l, " \t\r"))
	}
}

// source returns the Dockerfile lines of a node.
func (c *converter) source(n *parser.Node) string {
	start := c.file.LineStart(n.StartLine)
	end := source.Pos(c.file.Size())
	if n.EndLine < c.file.LineCount() {
		end = c.file.LineStart(n.EndLine + 1)
	}
	return string(c.file.Source()[start:end])
}

func (c *converter) convert(ast *parser.Node) error {
	// First pass: the stage names, and which unnamed stages COPY --from
	// names by index.
	nodes := make([]any, 0, len(ast.Children))
	for _, n := range ast.Children {
		in, err := instructions.ParseInstruction(n)
		if err != nil {
			return err
		}
		nodes = append(nodes, in)
		if st, ok := in.(*instructions.Stage); ok {
			c.stageNames = append(c.stageNames, st.Name)
		}
	}
	for _, in := range nodes {
		if cp, ok := in.(*instructions.CopyCommand); ok {
			if i, err := strconv.Atoi(cp.From); err == nil && i >= 0 && i < len(c.stageNames) && c.stageNames[i] == "" {
				c.stageNames[i] = "stage-" + strconv.Itoa(i)
			}
		}
	}
	stage := -1
	out := c.out
	// About a Gunfile line a Dockerfile line: a multi-pair ENV or LABEL
	// writes more, a continued RUN fewer.
	c.lines = make([]int, 0, c.file.LineCount()+c.file.LineCount()/8)
	for i, n := range ast.Children {
		c.line, c.node = n.StartLine, n
		mark := out.Len()
		prevEnd := 0
		if i > 0 {
			prevEnd = ast.Children[i-1].EndLine
		}
		c.comments(n, prevEnd)
		if len(n.Heredocs) == 0 {
			c.innerComments(n)
		}
		// The instruction is written apart, so that the declarations of
		// the base's variables it uses go before it.
		c.out = &strings.Builder{}
		c.inherited = c.inherited[:0]
		switch in := nodes[i].(type) {
		case *instructions.Stage:
			stage++
			c.from(in, stage)
		case *instructions.ArgCommand:
			c.arg(in, stage < 0)
		default:
			if stage < 0 {
				c.keep(n)
				c.warn(Dropped, "%s before the first FROM: only ARG may come before it", strings.ToUpper(n.Value))
				break
			}
			c.command(n, in)
			if c.err != nil {
				return parser.WithLocation(c.err, n.Location())
			}
		}
		for _, name := range c.inherited {
			fmt.Fprintf(out, "Env %s Inherited\n", name)
		}
		out.WriteString(c.out.String())
		c.out = out
		for range strings.Count(out.String()[mark:], "\n") {
			c.lines = append(c.lines, n.StartLine)
		}
	}
	if n := len(ast.Children); n > 0 {
		c.trailingComments(ast.Children[n-1])
	}
	if stage < 0 {
		c.report(EmptyInputCode, 1, "no FROM: the Dockerfile builds nothing")
	}
	return nil
}

// trailingComments writes the comments after the last instruction, last,
// which BuildKit attaches to none.
func (c *converter) trailingComments(last *parser.Node) {
	mark := c.out.Len()
	for line := last.EndLine + 1; line <= c.file.LineCount(); line++ {
		c.comment(c.file.LineText(line))
	}
	for range strings.Count(c.out.String()[mark:], "\n") {
		c.lines = append(c.lines, last.StartLine)
	}
}

func (c *converter) from(st *instructions.Stage, index int) {
	name := c.stageNames[index]
	base := st.BaseName
	c.cur = &stageVars{workdir: "/"}
	c.vars = nil
	scratch := strings.EqualFold(base, "scratch")
	windows, ref := false, base
	switch {
	case scratch:
		c.printf("Using scratch")
	case c.stages[base] != nil:
		c.printf("Using %s", base)
		c.vars = slices.Clone(c.stages[base].envs)
		c.cur.envs = slices.Clone(c.stages[base].envs)
		prev := c.stages[base]
		c.cur.user, c.cur.workdir, c.cur.workdirKnown, c.cur.scratch = prev.user, prev.workdir, prev.workdirKnown, prev.scratch
	default:
		c.printf("Using %s", c.word(base, true))
		// FROM build-${VARIANT} names the stage the ARGs choose; gun's
		// Using does the same. Its WORKDIR and USER are the defaults'
		// stage's (its ENVs are a base's: gun check cannot see them).
		v, ok := c.expandDefaults(base)
		if prev := c.stages[strings.ToLower(v)]; ok && v != base && prev != nil {
			c.cur.user, c.cur.workdir, c.cur.workdirKnown, c.cur.scratch = prev.user, prev.workdir, prev.workdirKnown, prev.scratch
		} else {
			if !ok {
				v = base
			}
			windows, ref = isWindows(v), v
		}
	}
	if name != "" {
		c.printf(" As %s", name)
		c.stages[name] = c.cur
	}
	c.printf("\n")
	if scratch {
		c.cur.workdirKnown, c.cur.scratch = true, true
		// BuildKit gives the image a PATH; gun gives a scratch stage none.
		c.printf("Env PATH %s\n", str(defaultPath))
		c.vars = append(c.vars, "PATH")
		c.cur.envs = append(c.cur.envs, "PATH")
	}
	if windows {
		// What Docker runs a Windows image's shell-form commands with.
		c.printf("Shell %s\n", list(windowsShell))
		c.warnAt(at(base), NotExact, "%s is a Windows image: Docker runs its RUN commands with %s, written as its Shell; gun builds and runs Linux containers only, so this stage does not build", ref, strings.Join(windowsShell, " "))
	}
	switch st.Platform {
	case "", "$TARGETPLATFORM", "${TARGETPLATFORM}":
		// gun pulls every base for the platform built for.
	default:
		c.warnAt(at("--platform"), DroppedOption, "FROM --platform=%s left out: gun pulls every base for the platform built for (gun build --platform, else this machine's)", st.Platform)
	}
}

func (c *converter) arg(in *instructions.ArgCommand, global bool) {
	for _, a := range in.Args {
		if a.Value == nil {
			c.printf("Arg %s\n", a.Key)
		} else {
			c.printf("Arg %s %s\n", a.Key, c.word(*a.Value, global))
		}
		if global {
			c.globals = append(c.globals, a.Key)
			delete(c.defaults, a.Key)
			if a.Value != nil {
				if v, ok := c.expandDefaults(*a.Value); ok {
					c.defaults[a.Key] = v
				}
			}
		} else {
			c.vars = append(c.vars, a.Key)
		}
	}
}

// expandDefaults expands a word with the global ARGs' defaults; false
// when it uses another variable.
func (c *converter) expandDefaults(w string) (string, bool) {
	d := defaults{vals: c.defaults}
	v, _, err := c.lex.ProcessWord(w, &d)
	return v, err == nil && !d.missing
}

// defaults is the shell lexer's view of the global ARGs' defaults.
type defaults struct {
	vals    map[string]string
	missing bool // a name without a value was looked up
}

func (d *defaults) Get(name string) (string, bool) {
	v, ok := d.vals[name]
	d.missing = d.missing || !ok
	return v, ok
}

func (d *defaults) Keys() []string { return slices.Collect(maps.Keys(d.vals)) }

// The sentinel marks where a variable was in a word the shell lexer
// processed: NUL never occurs in a Dockerfile.
const sentinel = "\x00"

// env is the shell lexer's view of the variables: every name is set, to a
// sentinel that the converter turns back into a reference.
type env struct{}

func (env) Get(name string) (string, bool) { return sentinel + name + sentinel, true }
func (env) Keys() []string                 { return nil }

// word processes a Dockerfile word as Docker does (quotes and escapes
// removed) and returns it as a quoted Gunfile string, its variables as
// references. global says that only the global Args are visible (FROM).
func (c *converter) word(w string, global bool) string {
	if forms := varForms(w, c.escape); len(forms) > 0 {
		c.warnAt(at(w[forms[0][0]:forms[0][1]], w), VariableForm, "%q uses a ${NAME...} form gun does not have: gun expands only $NAME and ${NAME}; check the value", w)
	}
	if !strings.ContainsAny(w, `$"'\`+"`") {
		return c.quote(w, global) // nothing for the shell lexer to do
	}
	v, _, err := c.lex.ProcessWord(w, env{})
	if err != nil {
		c.warn(NotExact, "%q: %v; kept as written", w, err)
		v = w
	}
	return c.quote(v, global)
}

// varForms returns where the ${NAME...} forms gun does not have
// (${NAME:-x}, ${NAME#x}, ...) are in a word Docker expands, escape being
// its escape character: from the '$' to the '}' that closes it.
func varForms(w string, escape rune) [][2]int {
	var forms [][2]int
	for i := 0; i < len(w); i++ {
		switch {
		case rune(w[i]) == escape:
			i++ // the next character is escaped
		case strings.HasPrefix(w[i:], "${"):
			j := i + 2
			for j < len(w) && isNameByte(w[j], j == i+2) {
				j++
			}
			if j == i+2 || j >= len(w) || w[j] == '}' {
				continue
			}
			// The form ends at its matching '}'; one left open runs to
			// the end of the line.
			depth, k := 1, j
			for ; k < len(w) && w[k] != '\n' && depth > 0; k++ {
				switch {
				case rune(w[k]) == escape:
					k++
				case w[k] == '{':
					depth++
				case w[k] == '}':
					depth--
				}
			}
			forms = append(forms, [2]int{i, min(k, len(w))})
			i = k - 1
		}
	}
	return forms
}

func isNameByte(c byte, first bool) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || !first && '0' <= c && c <= '9'
}

// quote writes text as a Gunfile string: sentinel-marked names become
// references when gun knows them, other '$' are literal.
func (c *converter) quote(v string, global bool) string {
	var b strings.Builder
	b.WriteByte('"')
	parts := strings.Split(v, sentinel)
	for i, p := range parts {
		if i%2 == 1 {
			if ref, lit := c.variable(p, global); ref {
				b.WriteString("${" + p + "}")
			} else {
				b.WriteString(format.Quote(lit))
			}
			continue
		}
		b.WriteString(format.Quote(p))
	}
	b.WriteByte('"')
	return b.String()
}

// variable says how a variable that Docker expands in a value is written
// in gun's expanded string: as a reference (ref) to an Arg or Env the
// Gunfile declares, declaring the base image's where it must, or else as
// the literal text lit. The shell's parameters ($1, $@, $$) are never set
// in a build: Docker expands them to nothing.
func (c *converter) variable(name string, global bool) (ref bool, lit string) {
	switch {
	case !lexer.IsName(name):
		return false, ""
	case c.visible(name, global):
		return true, ""
	}
	// A global ARG is not in the stages that do not declare it, in
	// Docker; gun's global Args are in every stage.
	undeclared := !global && slices.Contains(c.globals, name)
	what := "is not defined earlier in the Dockerfile"
	if undeclared {
		what = fmt.Sprintf("is a global ARG that this stage does not declare, which Docker does not expand in it (ARG %s in the stage gives it the global's value)", name)
	}
	if spec.ProxyVar(name) {
		// BuildKit gives its proxy build args to RUN alone (llb.WithProxy),
		// never to the expansion of a value: there $HTTP_PROXY is the base
		// image's, which images hardly ever set, or nothing. Declared as the
		// base's, it would fail gun's build on every such base.
		if !global && !c.cur.scratch {
			c.warnRef(name, NotExact, "$%s %s: Docker gives the proxy build argument to RUN alone and expands it here to the base image's %s, which images hardly ever set, or to nothing; written as empty (ARG %s before it would make it the build argument)", name, what, name, name)
		}
		return false, ""
	}
	if !global && !c.cur.scratch {
		// BuildKit gives every image a PATH, so that one is always
		// there; another may be missing.
		c.inherit(name)
		if name != "PATH" || undeclared {
			c.warnRef(name, BaseVariable, "$%s %s: declared as the base image's (Env %s Inherited); where the base has no %s, Docker expands it to nothing and gun's build fails", name, what, name, name)
		}
		return true, ""
	}
	// Before the first FROM and in a scratch stage no base image's
	// environment can have it.
	c.warnRef(name, BaseVariable, "$%s %s, and there is no base image's environment here: Docker expands it to nothing, and so it is written", name, what)
	return false, ""
}

// str quotes literal text as a Gunfile string.
func str(s string) string { return `"` + format.Quote(s) + `"` }

// windowsShell is the shell of a Windows image's RUN, CMD and ENTRYPOINT
// without SHELL.
var windowsShell = []string{"cmd", "/S", "/C"}

// isWindows says that an image reference names a Windows image, by the
// names Microsoft gives its bases (mcr.microsoft.com/windows/servercore,
// nanoserver, and the tags of images built on them: golang:nanoserver,
// dotnet/framework/runtime:4.8-windowsservercore-ltsc2022).
func isWindows(ref string) bool {
	ref = strings.ToLower(ref)
	return strings.Contains(ref, "mcr.microsoft.com/windows/") || strings.Contains(ref, "nanoserver") || strings.Contains(ref, "servercore")
}

var simpleRef = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_])`)
})

// cmdStr quotes a command as a Gunfile string: gun passes commands on
// unexpanded, so a '$' stays as it is, but for one that would not read as
// a reference ($NAME or ${NAME}), which is escaped.
func cmdStr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '$':
			if !simpleRef().MatchString(s[i:]) {
				b.WriteByte('\\')
			}
			b.WriteByte(ch)
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// inherit declares a variable of the base image's environment before the
// instruction being converted.
func (c *converter) inherit(name string) {
	c.inherited = append(c.inherited, name)
	c.vars = append(c.vars, name)
	c.cur.envs = append(c.cur.envs, name)
}

// visible reports whether gun would expand name here.
func (c *converter) visible(name string, global bool) bool {
	if !global {
		return slices.Contains(c.vars, name)
	}
	_, predefined := spec.Predefined(name)
	return predefined || slices.Contains(c.globals, name)
}

// list writes strings as an exec-form list.
func list(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = cmdStr(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// script writes text, lines that each end in a newline, as a script block
// after its instruction. Every byte is kept, an inline file's blanks and
// emptiness included.
func script(text string) string {
	delim := "EOF"
	for i := 0; strings.Contains(text, delim); i++ {
		delim = "GUN" + strconv.Itoa(i)
	}
	var b strings.Builder
	b.WriteString("<<" + delim + "\n")
	for l := range strings.Lines(text) {
		if !strings.HasSuffix(l, "\n") {
			l += "\n" // a script block's last line ends in one
		}
		if l != "\n" {
			b.WriteString("    ")
		}
		b.WriteString(l)
	}
	b.WriteString("    " + delim)
	return b.String()
}
