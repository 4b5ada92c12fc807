package shell

// scanSimple reads text into s if it is in the subset of the shell language
// most build steps are written in: simple commands of plain, quoted and
// $NAME words, joined by &&, ||, |, ';' and newlines, with comments. It
// allocates nothing for that (the full parser allocates per node) and
// reports false, leaving s to be reset, for anything else: keywords,
// redirections, substitutions, subshells, and every syntax error, which the
// full parser then finds and describes.
func scanSimple(text string, s *Script) bool {
	sc := scanner{text: text, s: s}
	return sc.run()
}

type scanner struct {
	text    string
	s       *Script
	i       int
	cmd     int  // the index in s.Cmds of the command being read, or -1
	pending bool // an operator that needs a command after it
	inStmt  bool // the current statement has a command
}

func (sc *scanner) run() bool {
	sc.cmd = -1
	text := sc.text
	for {
		sc.blanks()
		if sc.i >= len(text) {
			break
		}
		switch c := text[sc.i]; c {
		case '\n', ';':
			if c == '\n' && sc.pending {
				sc.i++ // a && at the end of a line goes on on the next
				continue
			}
			if sc.pending || c == ';' && !sc.inStmt {
				return false
			}
			sc.endStmt()
			sc.i++
		case '#':
			start := sc.i
			for sc.i < len(text) && text[sc.i] != '\n' {
				sc.i++
			}
			sc.span(Comment, start, sc.i)
		case '&', '|':
			double := sc.i+1 < len(text) && text[sc.i+1] == c
			if sc.cmd < 0 || c == '&' && !double {
				return false // a missing command, or a background job
			}
			if c == '|' && !double {
				sc.s.Cmds[sc.cmd].PipeTo = true
				if sc.i+1 < len(text) && text[sc.i+1] == '&' {
					return false
				}
			}
			sc.cmd, sc.pending = -1, true
			sc.i++
			if double {
				sc.i++
			}
		default:
			if !sc.word() {
				return false
			}
		}
	}
	if sc.pending {
		return false
	}
	sc.endStmt()
	sc.s.finish()
	return true
}

func (sc *scanner) endStmt() {
	if sc.inStmt {
		sc.s.Stmts++
	}
	sc.cmd, sc.inStmt = -1, false
}

// blanks skips blanks and escaped newlines.
func (sc *scanner) blanks() {
	for sc.i < len(sc.text) {
		switch sc.text[sc.i] {
		case ' ', '\t', '\r':
			sc.i++
		case '\\':
			if sc.i+1 < len(sc.text) && sc.text[sc.i+1] == '\n' {
				sc.i += 2
				continue
			}
			return
		default:
			return
		}
	}
}

// word reads one word and adds it to the current command (starting one),
// or reports false.
func (sc *scanner) word() bool {
	text, s := sc.text, sc.s
	start := sc.i
	literal := true
	quoted := false
	nvars := len(s.Vars)
	for sc.i < len(text) {
		c := text[sc.i]
		switch c {
		case ' ', '\t', '\r', '\n', ';', '&', '|':
			goto done
		case '<', '>', '(', ')', '`':
			return false
		case '{', '}', '!':
			if sc.i == start {
				return false // a group or a negation
			}
			sc.i++
		case '\'':
			end := sc.i + 1
			for end < len(text) && text[end] != '\'' {
				end++
			}
			if end >= len(text) {
				return false
			}
			sc.span(String, sc.i, end+1)
			sc.i, quoted = end+1, true
		case '"':
			quoted = true
			seg := sc.i // the string's text up to the next variable
			sc.i++
			for {
				if sc.i >= len(text) {
					return false
				}
				d := text[sc.i]
				if d == '"' {
					sc.i++
					sc.span(String, seg, sc.i)
					break
				}
				switch d {
				case '\\':
					sc.i += 2
					literal = false
				case '`':
					return false
				case '$':
					dollar := sc.i
					ok, isVar := sc.dollar()
					if !ok {
						return false
					}
					if isVar {
						literal = false
						sc.span(String, seg, dollar)
						seg = sc.i
					}
				default:
					sc.i++
				}
			}
		case '\\':
			sc.i += 2
			literal = false
			if sc.i > len(text) {
				return false
			}
		case '$':
			ok, _ := sc.dollar()
			if !ok {
				return false
			}
			literal = false
		default:
			sc.i++
		}
	}
done:
	w := Word{Start: start, End: sc.i}
	raw := text[start:sc.i]
	if literal {
		w.Literal = true
		switch {
		case !quoted:
			w.Lit = raw
		case len(raw) >= 2 && (raw[0] == '\'' || raw[0] == '"') && raw[len(raw)-1] == raw[0] && !containsQuote(raw[1:len(raw)-1]):
			w.Lit = raw[1 : len(raw)-1]
		default:
			w.Lit = unquote(raw)
		}
	}
	if sc.cmd < 0 {
		// The first words of a command may be assignments; the first
		// other word is the program, which must not be a keyword.
		if name, ok := assignment(raw); ok {
			v := Var{Name: name, Start: start, End: start + len(name), Dollar: -1, Def: true}
			sc.span(Variable, v.Start, v.End)
			// The definition comes before the value's uses, as Vars has it.
			s.Vars = append(s.Vars, Var{})
			copy(s.Vars[nvars+1:], s.Vars[nvars:])
			s.Vars[nvars] = v
			sc.inStmt, sc.pending = true, false
			return true
		}
		if reserved(raw) {
			return false
		}
		s.Cmds = append(s.Cmds, Cmd{Stmt: s.Stmts, first: len(s.words)})
		sc.cmd = len(s.Cmds) - 1
		sc.inStmt, sc.pending = true, false
	}
	s.words = append(s.words, w)
	s.Cmds[sc.cmd].n++
	return true
}

// dollar reads a '$' at sc.i: $NAME, ${NAME}, a special parameter or a
// literal '$'. It reports false for what the subset leaves out ($(...),
// ${NAME:-x}, $'...'), and whether it was a variable.
func (sc *scanner) dollar() (ok, isVar bool) {
	text := sc.text
	j := sc.i + 1
	if j >= len(text) {
		sc.i = j
		return true, false
	}
	switch c := text[j]; {
	case c == '{':
		k := j + 1
		for k < len(text) && isNameByte(text[k], k == j+1) {
			k++
		}
		if k == j+1 || k >= len(text) || text[k] != '}' {
			return false, false
		}
		sc.addUse(j+1, k)
		sc.span(Variable, sc.i, k+1)
		sc.i = k + 1
		return true, true
	case isNameByte(c, true):
		k := j + 1
		for k < len(text) && isNameByte(text[k], false) {
			k++
		}
		sc.addUse(j, k)
		sc.span(Variable, sc.i, k)
		sc.i = k
		return true, true
	case '0' <= c && c <= '9' || c == '@' || c == '*' || c == '#' || c == '?' || c == '$' || c == '!' || c == '-':
		sc.span(Variable, sc.i, j+1)
		sc.i = j + 1
		return true, true
	case c == '(' || c == '\'' || c == '"' || c == '[':
		return false, false
	}
	sc.i = j
	return true, false
}

func (sc *scanner) span(k TokenKind, start, end int) {
	if end > start {
		sc.s.spans = append(sc.s.spans, Token{k, start, end})
	}
}

func (sc *scanner) addUse(start, end int) {
	sc.s.Vars = append(sc.s.Vars, Var{Name: sc.text[start:end], Start: start, End: end, Dollar: sc.i})
}

func isNameByte(c byte, first bool) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || !first && '0' <= c && c <= '9'
}

// assignment returns the name of a word NAME=value.
func assignment(w string) (string, bool) {
	for i := 0; i < len(w); i++ {
		if w[i] == '=' {
			return w[:i], i > 0
		}
		if !isNameByte(w[i], i == 0) {
			return "", false
		}
	}
	return "", false
}

// reserved reports whether a command word is one the subset leaves to the
// full parser: a keyword, or bash's [[.
func reserved(w string) bool {
	switch w {
	case "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for", "in",
		"function", "select", "time", "coproc", "[[", "]]", "{", "}", "!":
		return true
	}
	return false
}

func containsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '"' {
			return true
		}
	}
	return false
}

// unquote removes the quotes of a literal word such as a'b c'"d".
func unquote(w string) string {
	b := make([]byte, 0, len(w))
	var q byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case q == 0 && (c == '\'' || c == '"'):
			q = c
		case c == q:
			q = 0
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
