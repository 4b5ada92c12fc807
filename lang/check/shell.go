package check

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/shell"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
)

// shellState is what the shell analysis keeps while checking a file.
type shellState struct {
	parser  shell.Parser
	dialect shell.Dialect // the current stage's shell
	foreign bool          // the stage's Shell is no sh: its commands are not analysed
	// errexit and pipefail say that the stage's Shell sets them (-e, -o
	// pipefail) for every command.
	errexit, pipefail bool
	// secretEnv holds the variables the Exec being checked gets from its
	// Secret mounts (Env).
	secretEnv []string
	// shells[i] is the shell stage i ends with, which stages built on it
	// start with.
	shells []stageShell
	// fetchers[i] is the first curl and wget of stage i, for G314.
	fetchers [][2]source.Range
	// later are the rules about the command being analysed that look
	// beyond it, judged once its other rules are done.
	later []later
	// caches are the targets of the Cache mounts of the step whose command
	// is analysed.
	caches []string
	cache  *Cache          // the analyses of earlier checks, or nil
	cur    ast.ValueCursor // maps the offsets of the string curFor
	curFor *ast.String
	set    []string // shellVars' buffers
	unset  []string
}

// stageShell is the shell a stage's commands run with, as the analysis
// sees it.
type stageShell struct {
	dialect           shell.Dialect
	foreign           bool
	errexit, pipefail bool
}

// shellStage starts the shell analysis of stage i, whose base is stage
// base (or -1).
func (c *checker) shellStage(i, base int) {
	for n := len(c.info.Stages); len(c.sh.fetchers) < n; {
		c.sh.fetchers = appendDoubling(c.sh.fetchers, [2]source.Range{})
		c.sh.shells = appendDoubling(c.sh.shells, stageShell{})
	}
	c.setShell(stageShell{dialect: shell.POSIX})
	if base >= 0 {
		c.setShell(c.sh.shells[base])
	}
}

// setShell makes the analysis read the commands that follow as run by sh.
func (c *checker) setShell(sh stageShell) {
	c.sh.dialect, c.sh.foreign, c.sh.errexit, c.sh.pipefail = sh.dialect, sh.foreign, sh.errexit, sh.pipefail
}

// shellEnd records the shell stage i ends with.
func (c *checker) shellEnd(i int) {
	c.sh.shells[i] = stageShell{c.sh.dialect, c.sh.foreign, c.sh.errexit, c.sh.pipefail}
	c.sh.curFor = nil // a Stream reuses the stage's strings
}

// add records a diagnostic with a message made without formatting, which
// the shell rules, reported thousands of times in a large file, need.
func (c *checker) add(sev diag.Severity, code diag.Code, r source.Range, msg string) *diag.Diagnostic {
	c.diags = append(c.diags, diag.Diagnostic{Severity: sev, Code: code, Message: msg, Range: r})
	return &c.diags[len(c.diags)-1]
}

// src returns the file's text, which shell positions are mapped through.
func (c *checker) src() []byte {
	if c.info.File.Source == nil {
		return nil
	}
	return c.info.File.Source.Source()
}

// shellRange returns the Gunfile range of the text [start, end) of s's value.
func (c *checker) shellRange(s *ast.String, start, end int) source.Range {
	p := c.valuePos(s, start)
	return source.Range{Start: p, End: c.valuePos(s, end)}
}

// valuePos returns the Gunfile position of offset at of s's value.
func (c *checker) valuePos(s *ast.String, at int) source.Pos {
	if c.sh.curFor != s {
		c.sh.cur.Reset(s, c.src())
		c.sh.curFor = s
	}
	return c.sh.cur.Pos(at)
}

// script analyses the shell command s of the instruction instr (Exec, Main,
// Entrypoint, Healthcheck): its syntax, its variables and the rules about
// commands.
func (c *checker) script(s *ast.String, instr string) {
	// Without the source nothing can be placed; with invalid text the lexer
	// has said what is wrong.
	if c.src() == nil || c.sh.foreign || !utf8.ValidString(s.Value) || strings.IndexByte(s.Value, 0) >= 0 {
		c.shellRefs(s)
		return
	}
	if strings.Contains(s.Value, ignoreMark) {
		c.scriptIgnores(s)
	}
	var key scriptKey
	if c.sh.cache != nil {
		var e *cachedScript
		if e, key = c.cachedScript(s, instr); e != nil {
			c.replay(s, e)
			c.scriptVars(s, e.parsed, e.vars, instr)
			return
		}
	}
	from := len(c.diags)
	c.sh.later = c.sh.later[:0]
	sc, err := c.sh.parser.Parse(s.Value, c.sh.dialect)
	var vars []shell.Var
	if err != nil {
		c.shellError(s, err)
	} else {
		vars = sc.Vars
		c.shellRules(s, sc, instr)
	}
	if c.sh.cache != nil {
		c.store(key, s, err == nil, vars, from)
	}
	for _, l := range c.sh.later {
		c.judgeLater(s, l)
	}
	c.scriptVars(s, err == nil, vars, instr)
}

// scriptVars resolves the variables of the command s, which parsed or not.
func (c *checker) scriptVars(s *ast.String, parsed bool, vars []shell.Var, instr string) {
	if !parsed {
		c.shellRefs(s) // what gun sees of its references still counts
		return
	}
	c.shellVars(s, vars, instr)
}

func (c *checker) shellError(s *ast.String, err *shell.Error) {
	src := c.src()
	p := c.valuePos(s, err.Offset)
	// Underline the word there.
	end := p
	for end < s.End && !isBlankOrQuote(src[end]) {
		end++
	}
	if end == p && p < s.End && src[p] != '\n' && src[p] != '\r' {
		end++
	}
	r := source.Range{Start: p, End: end}
	if err.BashOnly {
		c.errorf(diag.BashOnly, r, "%s; write it for sh or run the stage's commands with bash", err.Message)
		return
	}
	c.errorf(diag.ShellSyntax, r, "shell syntax error: %s", err.Message)
}

func isBlankOrQuote(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '"' || b == ';'
}

// shellVars resolves the variables the script uses: to an Arg or Env, to an
// assignment earlier in the script, or to the environment; any other is a
// warning, once per name and command. A reference inside single quotes is no use at all.
func (c *checker) shellVars(s *ast.String, vars []shell.Var, instr string) {
	set := c.sh.set[:0]     // the names the script has set so far
	unset := c.sh.unset[:0] // the names reported
	defer func() { c.sh.set, c.sh.unset = set, unset }()
	for _, v := range vars {
		if v.Def {
			set = append(set, v.Name)
			continue
		}
		if slices.Contains(set, v.Name) || slices.Contains(c.sh.secretEnv, v.Name) {
			continue
		}
		var ref *ast.VarRef
		if i, ok := slices.BinarySearchFunc(s.Refs, v.Dollar, func(r *ast.VarRef, at int) int { return r.At - at }); ok {
			ref = s.Refs[i]
		}
		if sym := c.lookup(v.Name, false); sym != nil {
			if instr != "Exec" && sym.Kind == ArgSymbol {
				d := c.add(diag.Warning, diag.ArgAtRunTime, c.shellRange(s, v.Start, v.End),
					"$"+v.Name+" is an Arg, and Args are set while the image is built, not when "+instr+" runs: it expands to nothing; keep its value with Env "+v.Name+" \"$"+v.Name+"\"")
				d.Related = []diag.Related{{Range: sym.NameRange, Message: "Arg " + v.Name + " defined here"}}
			}
			if ref != nil {
				c.use(sym, ref, false)
			} else {
				// Written \$NAME or ${NAME:-x}: a use that gun's strings do
				// not see as a reference; its name is where the shell's is.
				c.addRefAt(sym, s, c.shellRange(s, v.Start, v.End))
			}
			continue
		}
		if v.Guarded || shell.Predefined(v.Name, c.sh.dialect, instr == "Exec") || slices.Contains(unset, v.Name) {
			continue // reported once per command
		}
		unset = append(unset, v.Name)
		r := c.shellRange(s, v.Start, v.End)
		d := c.add(diag.Warning, diag.UnsetShellVariable, r,
			"$"+v.Name+" is never set: no Arg or Env "+v.Name+" is visible here and the script does not set it")
		if !c.suggest() {
			continue
		}
		if sug := spec.Suggest(v.Name, c.visibleNames(false)); sug != "" {
			d.Message += fmt.Sprintf("; did you mean %s?", sug)
			d.Fixes = []diag.Fix{{Title: "change to " + sug, Edits: []diag.Edit{{Range: r, NewText: sug}}}}
		}
	}
}
