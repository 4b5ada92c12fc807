package lsp

import (
	"context"
	"slices"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/source"
)

// The semantic token legend: indexes into these lists are what the server
// sends.
var (
	tokenTypes = []protocol.SemanticTokenTypes{
		protocol.SemanticTokenKeyword,
		protocol.SemanticTokenString,
		protocol.SemanticTokenVariable,
		protocol.SemanticTokenComment,
		protocol.SemanticTokenNamespace, // stage names
		protocol.SemanticTokenNumber,
		protocol.SemanticTokenFunction, // commands in shell scripts
	}
	tokenModifiers = []protocol.SemanticTokenModifiers{
		protocol.SemanticTokenModifierDeclaration,
	}
)

const (
	tokKeyword = iota
	tokString
	tokVariable
	tokComment
	tokStage
	tokNumber
	tokCommand
)

const modDeclaration = 1 << 0

// semanticTokensOptions is the capability; protocol.SemanticTokensOptions
// lacks the legend and full fields.
type semanticTokensOptions struct {
	Legend protocol.SemanticTokensLegend `json:"legend"`
	Full   bool                          `json:"full"`
}

type token struct {
	r    source.Range
	typ  int
	mods uint32
}

func semanticTokens(ctx context.Context, _ *server, snap *snapshot, _ *protocol.SemanticTokensParams) (any, error) {
	an := snap.analysis()
	text := snap.text()
	var toks []token
	add := func(r source.Range, typ int, mods uint32) {
		if r.IsValid() && r.End > r.Start {
			toks = append(toks, token{r, typ, mods})
		}
	}
	for _, c := range an.file.Comments {
		add(c.Range, tokComment, 0)
	}
	var sh shellHighlighter
	src := []byte(text)
	commands := map[*ast.String]bool{} // shell commands, highlighted as shell
	literal := map[*ast.String]bool{}  // inline files without Expand: text, no references
	ast.Inspect(an.file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BadInstr:
			return false // not a keyword; the diagnostics say what it is
		case ast.Instr:
			_, r := n.Keyword()
			add(r, tokKeyword, 0)
			switch n := n.(type) {
			case *ast.Exec:
				// A script whose #! line names no shell is its
				// interpreter's, shown as a string.
				if s, ok := n.Cmd.(*ast.String); ok && !foreignScript(s) {
					commands[s] = true
				}
			case *ast.Main:
				if s, ok := n.Cmd.(*ast.String); ok {
					commands[s] = true
				}
			case *ast.Copy:
				if n.Content != nil && n.Expand == nil {
					literal[n.Content] = true
				}
			case *ast.Using:
				if id, ok := n.Base.(*ast.Ident); ok {
					add(id.Range, tokStage, 0)
				}
				if n.As != nil {
					// The As word is not in the tree: it is the word before the name.
					between := text[n.Span().Start:n.As.Start]
					if i := strings.LastIndex(strings.ToLower(between), "as"); i >= 0 {
						start := n.Span().Start + source.Pos(i)
						add(source.Range{Start: start, End: start + 2}, tokKeyword, 0)
					}
					add(n.As.Range, tokStage, modDeclaration)
				}
			case *ast.Arg:
				if n.Name != nil {
					add(n.Name.Range, tokVariable, modDeclaration)
				}
			case *ast.Env:
				if n.Name != nil {
					add(n.Name.Range, tokVariable, modDeclaration)
				}
				if n.Inherited != nil {
					add(n.Inherited.Range, tokKeyword, 0)
				}
			case *ast.Expose:
				for _, p := range n.Ports {
					if id, ok := p.(*ast.Ident); ok {
						add(id.Range, tokNumber, 0)
					}
				}
			case *ast.StopSignal:
				if id, ok := n.Signal.(*ast.Ident); ok {
					add(id.Range, tokKeyword, 0)
				}
			case *ast.Healthcheck:
				if id, ok := n.Cmd.(*ast.Ident); ok {
					add(id.Range, tokKeyword, 0)
				}
			}
		case *ast.Mount:
			add(n.Kw.Range, tokKeyword, 0)
		case *ast.Option:
			add(n.Kw.Range, tokKeyword, 0)
			if id, ok := n.Value.(*ast.Ident); ok {
				typ := tokNumber // Mode, Size, durations, Retries
				switch n.Kw.Name {
				case "From":
					typ = tokStage
				case "Sharing", "Network":
					typ = tokKeyword
				}
				add(id.Range, typ, 0)
			}
		case *ast.String:
			if commands[n] && sh.add(src, n, add) {
				return false
			}
			if literal[n] {
				add(n.Range, tokString, 0)
				return false
			}
			// The string, less its references.
			at := n.Start
			for _, ref := range n.Refs {
				add(source.Range{Start: at, End: ref.Start}, tokString, 0)
				add(ref.Range, tokVariable, 0)
				at = ref.End
			}
			add(source.Range{Start: at, End: n.End}, tokString, 0)
			return false
		}
		return true
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(toks, func(a, b token) int { return int(a.r.Start - b.r.Start) })
	return &protocol.SemanticTokens{Data: encodeTokens(snap.m, toks)}, nil
}

// encodeTokens encodes tokens, sorted and not overlapping, as the protocol's
// relative integers, one token per line piece (clients need not support
// tokens that span lines).
func encodeTokens(mapper *Mapper, toks []token) []uint32 {
	m := mapper.cursor()
	data := make([]uint32, 0, 5*len(toks))
	var prevLine, prevChar uint32
	last := source.Pos(0)
	emit := func(start, end int, t token) {
		p := m.Position(start)
		e := m.Position(end)
		if e.Line != p.Line || e.Character <= p.Character {
			return
		}
		dl, dc := p.Line-prevLine, p.Character
		if dl == 0 {
			dc = p.Character - prevChar
		}
		data = append(data, dl, dc, e.Character-p.Character, uint32(t.typ), t.mods)
		prevLine, prevChar = p.Line, p.Character
	}
	text := mapper.Text()
	for _, t := range toks {
		if t.r.Start < last {
			continue // overlaps the previous token
		}
		last = t.r.End
		start := int(t.r.Start)
		for {
			end := int(t.r.End)
			if i := strings.IndexAny(text[start:end], "\r\n"); i >= 0 {
				end = start + i
			}
			emit(start, end, t)
			if end == int(t.r.End) {
				break
			}
			// Skip the line break.
			if text[end] == '\r' && end+1 < len(text) && text[end+1] == '\n' {
				end++
			}
			start = end + 1
			if start >= int(t.r.End) {
				break
			}
		}
	}
	return data
}
