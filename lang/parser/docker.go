package parser

import (
	"fmt"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/lexer"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
)

// This file parses the instructions and options that describe what a
// Dockerfile can say beyond the first nine instructions: Exec's mounts and
// network, Entrypoint, Expose, Volume, StopSignal, Shell and Healthcheck.

// matchOption returns the option of opts the current token names (in any
// case, reporting a wrong one), or nil.
func (p *parser) matchOption(opts []spec.Option) *spec.Option {
	for i := range opts {
		if p.isOption(opts[i].Name) {
			return &opts[i]
		}
	}
	return nil
}

// parseOption parses an option word and its value; ok is false when the
// value is missing or of the wrong kind (reported, line not skipped).
func (p *parser) parseOption(o *spec.Option) (opt *ast.Option, ok bool) {
	opt = &ast.Option{Range: p.tok.Range, Kw: ast.Kw{Name: o.Name, Range: p.tok.Range}}
	p.next()
	if o.Value == spec.Flag {
		return opt, true
	}
	switch {
	case !p.atEnd() && p.tok.Kind == lexer.String:
		opt.Value = p.decodeString(p.tok)
	case !p.atEnd() && p.tok.Kind == lexer.Word && o.Value == spec.WordOrString:
		opt.Value = p.parseIdentAt()
	default:
		p.unexpected(diag.SyntaxError, "expected a value after %s (%s)", o.Name, o.Usage)
		return opt, false
	}
	opt.End = p.tok.End
	p.next()
	return opt, true
}

// parseIdentAt makes an Ident of the current word without consuming it.
func (p *parser) parseIdentAt() *ast.Ident {
	id := p.idents.new()
	id.Range, id.Name = p.tok.Range, p.text(p.tok)
	return id
}

// badWord reports a word that is none of the options expected, with a
// suggestion among them.
func (p *parser) badWord(instr, expected string, candidates []string) {
	word := p.text(p.tok)
	d := diag.Diagnostic{
		Severity: diag.Error,
		Code:     diag.SyntaxError,
		Message:  fmt.Sprintf("unexpected word %q in %s: expected %s", truncate(word), instr, expected),
		Range:    p.tok.Range,
	}
	if s := spec.Suggest(word, candidates); s != "" {
		d.Message += fmt.Sprintf("; did you mean %s?", s)
		d.Fixes = []diag.Fix{{Title: "change to " + s, Edits: []diag.Edit{{Range: p.tok.Range, NewText: s}}}}
	}
	p.add(d)
}

func (p *parser) parseExec(r source.Range, kw ast.Kw) *ast.Exec {
	n := p.execs.new()
	n.Range, n.Kw = r, kw
	for !p.atEnd() && p.tok.Kind == lexer.Word {
		if o := p.matchOption(spec.ExecOptions); o != nil {
			if n.Network != nil {
				p.errorf(p.tok.Range, diag.SyntaxError, "%s given twice in Exec", o.Name)
			}
			opt, ok := p.parseOption(o)
			n.Network = opt
			if !ok {
				p.skipLine()
				return n
			}
			continue
		}
		m := p.matchMount()
		if m == nil {
			last := ""
			if k := len(n.Mounts); k > 0 {
				last = n.Mounts[k-1].Kw.Name
			}
			p.badWord("Exec", "Cache, Secret, Bind, Tmpfs, Network or a command", spec.ExecNext(last))
			p.skipLine()
			return n
		}
		mount, ok := p.parseMount(m)
		n.Mounts = append(n.Mounts, mount)
		if !ok {
			p.skipLine()
			return n
		}
	}
	n.Cmd = p.parseCommand(kw.Name)
	return n
}

func (p *parser) matchMount() *spec.MountKind {
	for i := range spec.Mounts {
		if p.isOption(spec.Mounts[i].Name) {
			return &spec.Mounts[i]
		}
	}
	return nil
}

// parseMount parses one mount of an Exec: its keyword, its positional
// strings and its options.
func (p *parser) parseMount(k *spec.MountKind) (*ast.Mount, bool) {
	m := &ast.Mount{Range: p.tok.Range, Kw: ast.Kw{Name: k.Name, Range: p.tok.Range}}
	p.next()
	for _, what := range k.Args {
		if p.atEnd() || p.tok.Kind != lexer.String {
			p.unexpected(diag.SyntaxError, "expected %s after %s (%s)", what, k.Name, k.Usage)
			m.End = p.prevEnd
			return m, false
		}
		m.Args = append(m.Args, p.decodeString(p.tok))
		p.next()
	}
	for !p.atEnd() && p.tok.Kind == lexer.Word {
		o := p.matchOption(k.Options)
		if o == nil {
			break // another mount, Network, or a word Exec reports
		}
		if m.Option(o.Name) != nil {
			p.errorf(p.tok.Range, diag.SyntaxError, "%s given twice in %s", o.Name, k.Name)
		}
		opt, ok := p.parseOption(o)
		m.Options = append(m.Options, opt)
		if !ok {
			m.End = p.prevEnd
			return m, false
		}
	}
	m.End = p.prevEnd
	return m, true
}

func (p *parser) parseHealthcheck(r source.Range, kw ast.Kw) *ast.Healthcheck {
	n := &ast.Healthcheck{Range: r, Kw: kw}
	for !p.atEnd() && p.tok.Kind == lexer.Word {
		if p.isOption("None") {
			n.Cmd = p.parseIdent()
			return n
		}
		o := p.matchOption(spec.HealthcheckOptions)
		if o == nil {
			p.badWord("Healthcheck", "Interval, Timeout, StartPeriod, StartInterval, Retries, None or a command", spec.HealthcheckWords())
			p.skipLine()
			return n
		}
		if n.Option(o.Name) != nil {
			p.errorf(p.tok.Range, diag.SyntaxError, "%s given twice in Healthcheck", o.Name)
		}
		opt, ok := p.parseOption(o)
		n.Options = append(n.Options, opt)
		if !ok {
			p.skipLine()
			return n
		}
	}
	n.Cmd = p.parseCommand(kw.Name)
	return n
}

func (p *parser) parseExpose(r source.Range, kw ast.Kw) *ast.Expose {
	n := &ast.Expose{Range: r, Kw: kw}
	for !p.atEnd() {
		switch p.tok.Kind {
		case lexer.String:
			n.Ports = append(n.Ports, p.decodeString(p.tok))
		case lexer.Word:
			n.Ports = append(n.Ports, p.parseIdentAt())
		default:
			p.unexpected(diag.SyntaxError, `expected a port in Expose (Expose 8080 "53/udp")`)
			p.skipLine()
			return n
		}
		p.next()
	}
	if len(n.Ports) == 0 {
		p.unexpected(diag.SyntaxError, `expected a port after Expose (Expose 8080 "53/udp")`)
	}
	return n
}

func (p *parser) parseVolume(r source.Range, kw ast.Kw) *ast.Volume {
	n := &ast.Volume{Range: r, Kw: kw}
	for !p.atEnd() && p.tok.Kind == lexer.String {
		n.Paths = append(n.Paths, p.decodeString(p.tok))
		p.next()
	}
	if len(n.Paths) == 0 || !p.atEnd() {
		p.unexpected(diag.SyntaxError, `expected quoted paths in Volume (Volume "/data")`)
		p.skipLine()
	}
	return n
}

func (p *parser) parseStopSignal(r source.Range, kw ast.Kw) *ast.StopSignal {
	n := &ast.StopSignal{Range: r, Kw: kw}
	switch {
	case !p.atEnd() && p.tok.Kind == lexer.String:
		n.Signal = p.decodeString(p.tok)
	case !p.atEnd() && p.tok.Kind == lexer.Word:
		n.Signal = p.parseIdentAt()
	default:
		p.unexpected(diag.SyntaxError, "expected a signal after StopSignal (StopSignal SIGTERM)")
		return n
	}
	p.next()
	return n
}
