package lsp

import (
	"context"
	"fmt"
	"strings"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/shell"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
)

// codeRequestFailed is the protocol's error for a valid request that the
// server cannot carry out (LSP 3.17 RequestFailed).
const codeRequestFailed jsonrpc2.Code = -32803

// symbolAt returns the stage, Arg or Env named at a request's position.
func symbolAt(snap *snapshot, p protocol.Position) (*check.Symbol, source.Range, error) {
	off, err := offsetOf(snap, p)
	if err != nil {
		return nil, source.Range{}, err
	}
	sym, r, ok := snap.analysis().info.SymbolAt(source.Pos(off))
	if !ok {
		return nil, source.Range{}, nil
	}
	return sym, r, nil
}

func definition(_ context.Context, _ *server, snap *snapshot, p *protocol.DefinitionParams) (any, error) {
	sym, _, err := symbolAt(snap, p.Position)
	if err != nil || sym == nil {
		return nil, err
	}
	return []protocol.Location{{URI: snap.uri, Range: toRange(snap.m, sym.NameRange)}}, nil
}

func references(_ context.Context, _ *server, snap *snapshot, p *protocol.ReferenceParams) (any, error) {
	sym, _, err := symbolAt(snap, p.Position)
	if err != nil {
		return nil, err
	}
	locs := []protocol.Location{}
	if sym == nil {
		return locs, nil
	}
	if p.Context.IncludeDeclaration {
		locs = append(locs, protocol.Location{URI: snap.uri, Range: toRange(snap.m, sym.NameRange)})
	}
	for _, r := range sym.Refs {
		locs = append(locs, protocol.Location{URI: snap.uri, Range: toRange(snap.m, r.Range)})
	}
	return locs, nil
}

// renamable returns the symbol at p if it can be renamed, or an error that
// says why not.
func renamable(snap *snapshot, p protocol.Position) (*check.Symbol, source.Range, error) {
	sym, r, err := symbolAt(snap, p)
	switch {
	case err != nil:
		return nil, r, err
	case sym == nil:
		return nil, r, jsonrpc2.Errorf(codeRequestFailed, "nothing to rename here: only stage names, Args and Envs can be renamed")
	case sym.Kind == check.EnvSymbol && shell.WellKnown(sym.Name):
		return nil, r, jsonrpc2.Errorf(codeRequestFailed, "Env %s cannot be renamed: programs read %s from the environment by that name", sym.Name, sym.Name)
	}
	return sym, r, nil
}

func prepareRename(_ context.Context, _ *server, snap *snapshot, p *protocol.PrepareRenameParams) (any, error) {
	_, r, err := renamable(snap, p.Position)
	if err != nil {
		return nil, err
	}
	rng := toRange(snap.m, r)
	return &rng, nil
}

func rename(_ context.Context, _ *server, snap *snapshot, p *protocol.RenameParams) (any, error) {
	sym, _, err := renamable(snap, p.Position)
	if err != nil {
		return nil, err
	}
	if err := check.ValidName(sym.Kind, p.NewName); err != nil {
		return nil, jsonrpc2.Errorf(jsonrpc2.InvalidParams, "%v", err)
	}
	ranges, err := snap.analysis().info.Rename(sym, p.NewName)
	if err != nil {
		return nil, jsonrpc2.Errorf(codeRequestFailed, "%v", err)
	}
	edits := make([]protocol.TextEdit, len(ranges))
	for i, r := range ranges {
		edits[i] = protocol.TextEdit{Range: toRange(snap.m, r), NewText: p.NewName}
	}
	return &protocol.WorkspaceEdit{Changes: map[protocol.DocumentURI][]protocol.TextEdit{snap.uri: edits}}, nil
}

func hover(_ context.Context, s *server, snap *snapshot, p *protocol.HoverParams) (any, error) {
	off, err := offsetOf(snap, p.Position)
	if err != nil {
		return nil, err
	}
	pos := source.Pos(off)
	an := snap.analysis()
	text, r := "", source.Range{}
	if sym, sr, ok := an.info.SymbolAt(pos); ok {
		text, r = symbolDoc(an, snap.text(), sym, sr), sr
	} else {
		text, r = keywordDoc(an.file, pos)
	}
	if text == "" {
		return nil, nil
	}
	s.mu.Lock()
	kind := protocol.PlainText
	if s.caps.markdown {
		kind = protocol.Markdown
	}
	s.mu.Unlock()
	rng := toRange(snap.m, r)
	return &protocol.Hover{Contents: protocol.MarkupContent{Kind: kind, Value: text}, Range: &rng}, nil
}

// comments returns the text of the comments attached to a definition: the
// lines above it and the one at its end.
func comments(f *ast.File, n ast.Node) string {
	var lines []string
	cs := f.Doc(n)
	if c := f.LineComment(n); c != nil {
		cs = append(cs[:len(cs):len(cs)], c)
	}
	for _, c := range cs {
		lines = append(lines, strings.TrimSpace(strings.TrimPrefix(c.Text, "#")))
	}
	return strings.Join(lines, "\n")
}

// keywordDoc documents the instruction or option keyword at pos.
func keywordDoc(f *ast.File, pos source.Pos) (string, source.Range) {
	path := ast.Path(f, pos)
	for i := len(path) - 1; i >= 0; i-- {
		switch n := path[i].(type) {
		case *ast.Mount:
			if n.Kw.Range.Contains(pos) {
				if m, ok := spec.MountNamed(n.Name); ok {
					return fmt.Sprintf("```gunfile\n%s\n```\n\n%s\n", m.Usage, m.Doc), n.Kw.Range
				}
			}
		case *ast.VarRef:
			if a, ok := spec.Predefined(n.Name); ok {
				return fmt.Sprintf("`%s` (predefined Arg): %s", a.Name, a.Doc), n.Range
			}
			if a, ok := spec.ProxyArg(n.Name); ok && spec.ProxyVar(n.Name) {
				return fmt.Sprintf("`%s` (predefined proxy Arg): %s", n.Name, a.Doc), n.Range
			}
		case *ast.Option:
			if n.Kw.Range.Contains(pos) {
				owner := ""
				if i > 0 {
					switch o := path[i-1].(type) {
					case *ast.Mount:
						owner = o.Name
					case ast.Instr:
						owner, _ = o.Keyword()
					}
				}
				if o, ok := spec.OptionOf(owner, n.Name); ok {
					return fmt.Sprintf("```gunfile\n%s\n```\n\n%s\n", o.Usage, o.Doc), n.Kw.Range
				}
				// Options are documented with the instruction they belong to.
				for j := i - 1; j >= 0; j-- {
					if in, ok := path[j].(ast.Instr); ok {
						name, _ := in.Keyword()
						return instructionDoc(name), n.Kw.Range
					}
				}
			}
		case *ast.Ident:
			if n.Name == "scratch" {
				if u, ok := path[max(i-1, 0)].(*ast.Using); ok && u.Base == ast.Expr(n) {
					return "`scratch`: the empty base, a stage that starts with no files.", n.Range
				}
			}
		case ast.Instr:
			if name, r := n.Keyword(); r.Contains(pos) {
				return instructionDoc(name), r
			}
			return "", source.Range{}
		}
	}
	return "", source.Range{}
}

// instructionDoc is an instruction's documentation, from the same text as
// docs/gunfile.md.
func instructionDoc(name string) string {
	in, ok := spec.Lookup(name)
	if !ok {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "```gunfile\n%s\n```\n\n%s\n\n%s\n", in.Syntax, in.Summary, in.Doc)
	if in.Example != "" {
		fmt.Fprintf(&b, "\nExample:\n\n```gunfile\n%s\n```\n", in.Example)
	}
	return b.String()
}

// symbolDoc describes a stage, Arg or Env: where it is defined and its
// value or base.
func symbolDoc(an *analysis, text string, sym *check.Symbol, at source.Range) string {
	line := an.file.Source.Line(sym.NameRange.Start)
	def := firstLine(text, sym.Def.Span())
	var b strings.Builder
	switch sym.Kind {
	case check.StageSymbol:
		fmt.Fprintf(&b, "stage `%s`", sym.Name)
		u := sym.Def.(*ast.Using)
		if u.Base != nil {
			base := firstLine(text, u.Base.Span())
			fmt.Fprintf(&b, ", based on `%s`", base)
			if st := an.info.Stages[sym.Stage]; st.Base != nil {
				b.WriteString(" (an earlier stage)")
			}
		}
	case check.ArgSymbol:
		fmt.Fprintf(&b, "Arg `%s`", sym.Name)
		if a := sym.Def.(*ast.Arg); a.Default != nil {
			fmt.Fprintf(&b, ", default `%s`", firstLine(text, a.Default.Range))
		} else {
			b.WriteString(", no default")
		}
		b.WriteString(" (set with `gun build --arg " + sym.Name + "=...`)")
	case check.EnvSymbol:
		fmt.Fprintf(&b, "Env `%s`", sym.Name)
		if e := sym.Def.(*ast.Env); e.Value != nil {
			fmt.Fprintf(&b, " = `%s`", firstLine(text, e.Value.Range))
		} else if e.Inherited != nil {
			b.WriteString(", the base image's value (Inherited)")
		}
	}
	fmt.Fprintf(&b, "\n\nDefined on line %d: `%s`", line, def)
	if doc := comments(an.file, sym.Def); doc != "" {
		b.WriteString("\n\n" + doc)
	}
	for _, r := range sym.Refs {
		if r.Range == at && !r.Expanded {
			b.WriteString("\n\nExpanded by the shell when the command runs, not by gun.")
		}
	}
	return b.String()
}
