package lsp

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
)

// Limits on what path completion reads from the build context.
const (
	maxPathItems    = 500
	maxArchiveDepth = 4
	maxArchiveWalk  = 5000 // directory entries looked at in search of archives
)

// completer holds what one completion request works with.
type completer struct {
	ctx      context.Context
	snap     *snapshot
	an       *analysis
	off      int  // the cursor
	snippets bool // the client takes snippets
	items    []protocol.CompletionItem
	ranges   map[int]protocol.Range // by start: converting is O(line length)
}

func completion(ctx context.Context, s *server, snap *snapshot, p *protocol.CompletionParams) (any, error) {
	off, err := offsetOf(snap, p.Position)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	snippets := s.caps.snippets
	s.mu.Unlock()
	c := &completer{ctx: ctx, snap: snap, an: snap.analysis(), off: off, snippets: snippets,
		items: []protocol.CompletionItem{}, ranges: map[int]protocol.Range{}}
	c.complete()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &protocol.CompletionList{Items: c.items}, nil
}

// complete decides what the cursor is on from the text of its line before
// it, which is what a half-typed line has, and the tree for names.
func (c *completer) complete() {
	text := c.snap.text()
	lineStart := c.off
	for lineStart > 0 && text[lineStart-1] != '\n' && text[lineStart-1] != '\r' {
		lineStart--
	}
	prefix := text[lineStart:c.off]
	if in, expand := c.inScript(); in {
		if expand {
			c.reference(lineStart, "Copy") // gun expands a Copy Expand file's references
		}
		return // other script blocks are the shell's
	}
	quote, comment := scanLine(prefix)
	if comment {
		return
	}
	words := strings.Fields(prefix)
	partial := prefix != "" && !strings.ContainsAny(prefix[len(prefix)-1:], " \t")
	keyword := ""
	if len(words) > 0 {
		if in, ok := spec.LookupFold(words[0]); ok {
			keyword = in.Name
		}
	}

	if quote >= 0 {
		start := lineStart + quote + 1 // just inside the quote
		c.inString(keyword, start)
		return
	}
	if len(words) == 0 || len(words) == 1 && partial {
		c.instructions(lineStart + len(prefix) - len(strings.TrimLeft(prefix, " \t")))
		return
	}
	// The word being typed, and the last complete word before it.
	wordStart := c.off
	for wordStart > lineStart && !strings.ContainsAny(text[wordStart-1:wordStart], " \t") {
		wordStart--
	}
	last := words[len(words)-1]
	if partial {
		last = words[len(words)-2]
	}
	switch keyword {
	case "Using":
		switch {
		case strings.EqualFold(last, "Using"):
			c.stages(wordStart)
			c.add(protocol.CompletionItem{Label: "scratch", Kind: protocol.CompletionItemKindKeyword, Detail: "the empty base"}, wordStart, "scratch")
			c.archives(wordStart, `"`)
		case strings.EqualFold(last, "As"):
		default:
			c.keywords(wordStart, "As")
		}
	case "Copy":
		switch {
		case strings.EqualFold(last, "From"):
			c.stages(wordStart)
		case strings.EqualFold(last, "Owner"), strings.EqualFold(last, "Mode"):
		case strings.Contains(prefix, `"`):
			// Paths have started: no more options.
		default:
			var opts []string
			for _, o := range spec.CopyOptions {
				if !containsFold(words[1:], o.Name) {
					opts = append(opts, o.Name)
				}
			}
			c.keywords(wordStart, opts...)
		}
	case "Exec":
		c.execWords(words[1:len(words)-btoi(partial)], last, wordStart)
	case "Healthcheck":
		switch {
		case strings.EqualFold(last, "None"):
		case slices.ContainsFunc(spec.HealthcheckOptions, func(o spec.Option) bool { return strings.EqualFold(o.Name, last) }):
		default:
			var opts []string
			if len(words)-btoi(partial) == 1 {
				opts = append(opts, "None")
			}
			for _, o := range spec.HealthcheckOptions {
				if !containsFold(words[1:], o.Name) {
					opts = append(opts, o.Name)
				}
			}
			c.keywords(wordStart, opts...)
		}
	case "Env":
		if len(words)-btoi(partial) == 2 {
			c.keywords(wordStart, "Inherited")
		}
	case "StopSignal":
		if len(words)-btoi(partial) == 1 {
			c.keywords(wordStart, "SIGTERM", "SIGQUIT", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGKILL")
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// execWords completes the words of an Exec before its command: after an
// option word its values, else the mounts, Network and the options of the
// mount being written.
func (c *completer) execWords(done []string, last string, from int) {
	switch {
	case strings.EqualFold(last, "Sharing"):
		c.keywords(from, "shared", "private", "locked")
		return
	case strings.EqualFold(last, "Network"):
		c.keywords(from, "none", "host", "default")
		return
	case strings.EqualFold(last, "From"):
		c.stages(from)
		return
	case strings.HasSuffix(last, "]") || strings.HasPrefix(last, "<<"):
		return // the command is there
	}
	// Follow the words: a quoted word that no mount or option expects is
	// the command, after which nothing is offered.
	expect, inString := 0, false
	for _, w := range done {
		switch {
		case inString:
			inString = !strings.HasSuffix(w, `"`)
		case strings.HasPrefix(w, `"`):
			if expect == 0 {
				return
			}
			expect--
			inString = len(w) == 1 || !strings.HasSuffix(w, `"`)
		default:
			if m, ok := spec.MountNamed(w); ok {
				expect = len(m.Args)
			} else if slices.Contains(spec.ExecWords(), w) && w != "ReadWrite" {
				expect = 1
			} else if expect > 0 {
				expect--
			}
		}
	}
	if expect > 0 || inString {
		return // a value or a path comes next
	}
	// The mount being written is the last mount word; its options may come.
	var words []string
	for i := len(done) - 1; i >= 0; i-- {
		if m, ok := spec.MountNamed(done[i]); ok {
			for _, o := range m.Options {
				if !containsFold(done[i:], o.Name) {
					words = append(words, o.Name)
				}
			}
			break
		}
	}
	for _, m := range spec.Mounts {
		words = append(words, m.Name)
	}
	if !containsFold(done, "Network") {
		words = append(words, "Network")
	}
	c.keywords(from, words...)
}

// inScript reports whether the cursor is inside a script block, and
// whether that is the inline file of a Copy with Expand.
func (c *completer) inScript() (in, expand bool) {
	path := ast.Path(c.an.file, source.Pos(c.off))
	for i, n := range path {
		if s, ok := n.(*ast.String); ok && s.Heredoc != "" && c.off > int(s.Start)+2+len(s.Heredoc) {
			cp, ok := path[max(i-1, 0)].(*ast.Copy)
			return true, ok && cp.Expand != nil && cp.Content == s
		}
	}
	return false, false
}

// scanLine returns the offset in line of the quote that opens a string the
// line ends inside (or -1), and whether the line ends in a comment.
func scanLine(line string) (quote int, comment bool) {
	quote = -1
	for i := 0; i < len(line); i++ {
		switch b := line[i]; {
		case quote >= 0 && b == '\\':
			i++
		case quote >= 0 && b == '"':
			quote = -1
		case quote < 0 && b == '"':
			quote = i
		case quote < 0 && b == '#':
			return -1, true
		}
	}
	return quote, false
}

// inString completes inside a string that starts at start: variable
// references after '$', paths in Copy and archives in Using.
func (c *completer) inString(keyword string, start int) {
	if c.reference(start, keyword) {
		return
	}
	typed := c.snap.text()[start:c.off]
	switch keyword {
	case "Copy":
		c.contextPaths(start, typed)
	case "Using":
		c.archives(start, "")
	}
}

// reference completes the variable names of a reference being typed
// after the last '$' since start, in an instruction with this keyword, and
// reports whether there is one.
func (c *completer) reference(start int, keyword string) bool {
	typed := c.snap.text()[start:c.off]
	i := strings.LastIndexByte(typed, '$')
	if i < 0 {
		return false
	}
	name := typed[i+1:]
	braced := strings.HasPrefix(name, "{")
	name = strings.TrimPrefix(name, "{")
	if !isNamePrefix(name) || braced && strings.Contains(name, "}") {
		return false
	}
	c.variables(c.off-len(name), braced)
	if keyword == "Exec" && name != "" {
		c.proxyVariables(c.off-len(name), braced, name)
	}
	return true
}

func isNamePrefix(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b == '_' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || i > 0 && '0' <= b && b <= '9') {
			return false
		}
	}
	return true
}

func containsFold(words []string, w string) bool {
	for _, x := range words {
		if strings.EqualFold(x, w) {
			return true
		}
	}
	return false
}

// add appends an item that replaces [from, cursor) with insert.
func (c *completer) add(item protocol.CompletionItem, from int, insert string) {
	r, ok := c.ranges[from]
	if !ok {
		r = c.snap.m.Range(from, c.off)
		c.ranges[from] = r
	}
	item.TextEdit = &protocol.TextEdit{Range: r, NewText: insert}
	c.items = append(c.items, item)
}

func (c *completer) instructions(from int) {
	for i, in := range spec.Instructions {
		item := protocol.CompletionItem{
			Label:         in.Name,
			Kind:          protocol.CompletionItemKindKeyword,
			Detail:        in.Summary,
			Documentation: protocol.MarkupContent{Kind: protocol.Markdown, Value: instructionDoc(in.Name)},
			SortText:      string(rune('a' + i)),
		}
		insert := in.Name + " "
		if c.snippets {
			insert = snippet(in.Syntax)
			item.InsertTextFormat = protocol.InsertTextFormatSnippet
		}
		c.add(item, from, insert)
	}
}

func (c *completer) keywords(from int, words ...string) {
	for _, w := range words {
		c.add(protocol.CompletionItem{Label: w, Kind: protocol.CompletionItemKindKeyword}, from, w+" ")
	}
}

// stages offers the named stages before the cursor's stage.
func (c *completer) stages(from int) {
	info := c.an.info
	for _, st := range info.Stages {
		if int(st.Stage.Start) >= c.off || st.Stage.Range.Contains(source.Pos(c.off)) {
			break
		}
		if st.Symbol == nil {
			continue
		}
		c.add(protocol.CompletionItem{
			Label:  st.Symbol.Name,
			Kind:   protocol.CompletionItemKindModule,
			Detail: "stage: " + firstLine(c.snap.text(), st.Stage.Using.Range),
		}, from, st.Symbol.Name)
	}
}

// variables offers the Args and Envs visible at the cursor.
func (c *completer) variables(from int, braced bool) {
	text := c.snap.text()
	closed := c.off < len(text) && text[c.off] == '}'
	for _, sym := range c.an.info.Visible(source.Pos(c.off)) {
		insert := sym.Name
		if braced && !closed {
			insert += "}"
		}
		kind := protocol.CompletionItemKindVariable
		if sym.Kind == check.ArgSymbol {
			kind = protocol.CompletionItemKindConstant
		}
		c.add(protocol.CompletionItem{
			Label:  sym.Name,
			Kind:   kind,
			Detail: firstLine(text, sym.Def.Span()),
		}, from, insert)
	}
}

// proxyVariables offers the proxy variables an Exec has when gun build
// --arg gives them (spec.ProxyArgs) whose names start with typed, in any
// case, and that no visible Arg or Env names.
func (c *completer) proxyVariables(from int, braced bool, typed string) {
	closed := c.off < len(c.snap.text()) && c.snap.text()[c.off] == '}'
	visible := c.an.info.Visible(source.Pos(c.off))
	for _, a := range spec.ProxyArgs {
		for _, name := range []string{a.Name, strings.ToLower(a.Name)} {
			if !strings.HasPrefix(a.Name, strings.ToUpper(typed)) ||
				slices.ContainsFunc(visible, func(sym *check.Symbol) bool { return sym.Name == name }) {
				continue
			}
			insert := name
			if braced && !closed {
				insert += "}"
			}
			c.add(protocol.CompletionItem{
				Label:  name,
				Kind:   protocol.CompletionItemKindConstant,
				Detail: "predefined proxy Arg: " + a.Doc,
			}, from, insert)
		}
	}
}

// contextPaths offers the entries of the build-context directory that the
// typed path is in.
func (c *completer) contextPaths(start int, typed string) {
	dir, _ := path.Split(typed)
	if path.IsAbs(dir) || strings.HasPrefix(path.Clean("./"+dir), "..") {
		return // outside the build context: the checker says so
	}
	entries, err := os.ReadDir(filepath.Join(contextDir(c.snap.uri), filepath.FromSlash(dir)))
	if err != nil {
		return
	}
	from := start + len(dir)
	for i, e := range entries {
		if i == maxPathItems {
			break
		}
		item := protocol.CompletionItem{Label: e.Name(), Kind: protocol.CompletionItemKindFile}
		insert := e.Name()
		if e.IsDir() {
			item.Kind = protocol.CompletionItemKindFolder
			insert += "/"
		}
		c.add(item, from, insert)
	}
}

// archives offers the root-filesystem archives in the build context, as
// paths relative to it, inside quote.
func (c *completer) archives(from int, quote string) {
	root := contextDir(c.snap.uri)
	var found []string
	seen := 0
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if seen++; seen > maxArchiveWalk || c.ctx.Err() != nil || len(found) >= maxPathItems {
			return filepath.SkipAll
		}
		if err != nil {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || strings.Count(rel, string(filepath.Separator)) >= maxArchiveDepth-1) {
				return filepath.SkipDir
			}
			return nil
		}
		if isArchive(d.Name()) {
			found = append(found, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(found)
	for _, f := range found {
		c.add(protocol.CompletionItem{Label: f, Kind: protocol.CompletionItemKindFile, Detail: "archive"}, from, quote+f+quote)
	}
}

// snippet turns an instruction's first syntax line into a snippet: optional
// [parts] and "..." are dropped and each <placeholder> becomes a tab stop.
// Brackets holding a comma are an exec-form list, not an optional part.
func snippet(syntax string) string {
	line, _, _ := strings.Cut(syntax, "\n")
	var b strings.Builder
	stop := 0
	for i := 0; i < len(line); i++ {
		switch ch := line[i]; {
		case ch == '[':
			end, depth := i, 0
			for ; end < len(line); end++ {
				if line[end] == '[' {
					depth++
				} else if line[end] == ']' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			if !strings.Contains(line[i:min(end, len(line))], ",") {
				i = end
				if i+1 < len(line) && line[i+1] == ' ' && b.Len() > 0 && strings.HasSuffix(b.String(), " ") {
					i++ // one space between the parts around it
				}
				continue
			}
			b.WriteByte(ch)
		case strings.HasPrefix(line[i:], "..."):
			i += 2
			if out := b.String(); strings.HasSuffix(out, ", ") {
				// A list's "<arg>, ...": the items written so far.
				b.Reset()
				b.WriteString(strings.TrimSuffix(out, ", "))
			}
		case ch == '<':
			end := strings.IndexByte(line[i:], '>')
			if end < 0 {
				b.WriteString(escapeSnippet(line[i:]))
				i = len(line)
				continue
			}
			stop++
			fmt.Fprintf(&b, "${%d:%s}", stop, escapeSnippet(line[i+1:i+end]))
			i += end
		default:
			b.WriteString(escapeSnippet(string(ch)))
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func escapeSnippet(s string) string {
	return strings.NewReplacer(`\`, `\\`, `$`, `\$`, `}`, `\}`).Replace(s)
}
