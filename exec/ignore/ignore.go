// Package ignore matches build-context paths against a .gunignore file, which
// has exactly the syntax and meaning of Docker's .dockerignore:
//
//   - one pattern per line; lines starting with # are comments; blank lines
//     are skipped; surrounding white space is trimmed;
//   - patterns are anchored at the context root ("foo" is ./foo, not a/foo)
//     and are cleaned like paths, so a leading or trailing "/" changes nothing;
//   - "*" matches any run of non-separator characters, "?" one of them,
//     "[...]" a class as in path.Match, and "\" escapes the next character;
//   - "**" matches any number of directories, including none;
//   - a pattern that matches a directory matches everything below it;
//   - "!" starts an exception that re-includes what it matches;
//   - the last pattern that matches a path decides.
package ignore

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
)

// A Pattern is one compiled line of an ignore file.
type Pattern struct {
	Text      string // the cleaned pattern, without "!"
	Exclusion bool   // the line started with "!": matching paths are re-included
	Line      int    // 1-based line in the ignore file
	re        *regexp.Regexp
	dirs      []string // Text split at "/", for CouldMatchBelow
}

// Matcher decides which context paths an ignore file excludes.
// The zero value (and a nil *Matcher) excludes nothing.
type Matcher struct {
	patterns   []*Pattern
	exceptions bool
}

// Parse reads an ignore file. name is used in error messages.
func Parse(name string, r io.Reader) (*Matcher, error) {
	m := &Matcher{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		b := sc.Bytes()
		if line == 0 {
			b = bytes.TrimPrefix(b, []byte("\uFEFF"))
		}
		line++
		// As in Docker, a comment is a "#" in the first column.
		if len(b) > 0 && b[0] == '#' {
			continue
		}
		text := strings.TrimSpace(string(b))
		if text == "" {
			continue
		}
		if err := m.add(text, line); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return m, nil
}

func (m *Matcher) add(text string, line int) error {
	p := &Pattern{Line: line}
	if text[0] == '!' {
		p.Exclusion = true
		text = strings.TrimSpace(text[1:])
		if text == "" {
			return fmt.Errorf("pattern %q: nothing after \"!\"", "!")
		}
	}
	text = path.Clean(text)
	if len(text) > 1 && text[0] == '/' {
		text = text[1:]
	}
	p.Text = text
	if _, err := path.Match(text, "."); err != nil {
		return fmt.Errorf("pattern %q: %w", text, err)
	}
	re, err := compile(text)
	if err != nil {
		return fmt.Errorf("pattern %q: %w", text, err)
	}
	p.re = re
	p.dirs = strings.Split(text, "/")
	m.patterns = append(m.patterns, p)
	if p.Exclusion {
		m.exceptions = true
	}
	return nil
}

// compile turns a cleaned pattern into an anchored regular expression.
func compile(pat string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	rs := []rune(pat)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '*' && i+1 < len(rs) && rs[i+1] == '*':
			i++
			// "**/" is "**": eat the slash.
			if i+1 < len(rs) && rs[i+1] == '/' {
				i++
			}
			if i+1 == len(rs) {
				b.WriteString(".*")
			} else {
				b.WriteString("(.*/)?")
			}
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '\\':
			if i+1 < len(rs) {
				i++
				b.WriteString(regexp.QuoteMeta(string(rs[i])))
			} else {
				b.WriteString(`\\`)
			}
		case c == '[':
			// A class as in path.Match: "^" negates; "\" escapes inside.
			j := i + 1
			b.WriteByte('[')
			if j < len(rs) && rs[j] == '^' {
				b.WriteByte('^')
				j++
			}
			for ; j < len(rs) && rs[j] != ']'; j++ {
				switch rs[j] {
				case '\\':
					j++
					if j < len(rs) {
						b.WriteString(regexp.QuoteMeta(string(rs[j])))
					}
				case '-':
					b.WriteByte('-')
				default:
					b.WriteString(regexp.QuoteMeta(string(rs[j])))
				}
			}
			b.WriteByte(']')
			i = j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// Patterns returns the compiled patterns in file order.
func (m *Matcher) Patterns() []*Pattern {
	if m == nil {
		return nil
	}
	return m.patterns
}

// Excluded reports whether the slash-separated context path p (relative to
// the context root, e.g. "src/main.go") is excluded. A path is excluded when
// the last pattern matching it or one of its parent directories is not an
// exception.
func (m *Matcher) Excluded(p string) bool {
	if m == nil || len(m.patterns) == 0 {
		return false
	}
	p = path.Clean(p)
	parents := parentDirs(p)
	excluded := false
	for _, pat := range m.patterns {
		if pat.Exclusion == !excluded {
			// This pattern cannot change the outcome.
			continue
		}
		if pat.matches(p, parents) {
			excluded = !pat.Exclusion
		}
	}
	return excluded
}

func (p *Pattern) matches(file string, parents []string) bool {
	if p.re.MatchString(file) {
		return true
	}
	for _, d := range parents {
		if p.re.MatchString(d) {
			return true
		}
	}
	return false
}

// parentDirs returns "a", "a/b" for "a/b/c".
func parentDirs(p string) []string {
	var out []string
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}

// MayIncludeBelow reports whether some exception pattern could re-include a
// path below the excluded directory dir, so that a walker must descend into
// it rather than skip it whole.
func (m *Matcher) MayIncludeBelow(dir string) bool {
	if m == nil || !m.exceptions {
		return false
	}
	dir = path.Clean(dir)
	dparts := strings.Split(dir, "/")
	for _, p := range m.patterns {
		if !p.Exclusion {
			continue
		}
		if prefixMayMatch(p.dirs, dparts) {
			return true
		}
	}
	return false
}

// prefixMayMatch reports whether a pattern split into parts could match a
// path that starts with the directory parts dparts.
func prefixMayMatch(parts, dparts []string) bool {
	for i, d := range dparts {
		if i >= len(parts) {
			return false
		}
		if strings.Contains(parts[i], "**") {
			return true
		}
		ok, err := path.Match(parts[i], d)
		if err != nil || !ok {
			return false
		}
	}
	return len(parts) > len(dparts)
}
