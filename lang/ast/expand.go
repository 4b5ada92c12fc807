package ast

import (
	"fmt"
	"strings"
)

// Value returns the string's text with escapes decoded and variable
// references left as written ($NAME or ${NAME}). This is what gun passes on
// for commands (Exec, Main), which the shell expands.
func (s *String) Value() string {
	if len(s.Parts) == 1 {
		if t, ok := s.Parts[0].(*Text); ok {
			return t.Value
		}
	}
	var b strings.Builder
	for _, p := range s.Parts {
		switch p := p.(type) {
		case *Text:
			b.WriteString(p.Value)
		case *VarRef:
			b.WriteString(p.Written())
		}
	}
	return b.String()
}

// Written returns the reference as written in the source: $NAME or ${NAME}.
func (r *VarRef) Written() string {
	if r.Braced {
		return "${" + r.Name + "}"
	}
	return "$" + r.Name
}

// Literal reports whether the string has no variable references, and so
// means the same expanded or not.
func (s *String) Literal() bool {
	for _, p := range s.Parts {
		if _, ok := p.(*VarRef); ok {
			return false
		}
	}
	return true
}

// UndefinedError is returned by Expand for a reference to a name the lookup
// does not know.
type UndefinedError struct {
	Ref *VarRef
}

// Error says which variable is undefined.
func (e *UndefinedError) Error() string {
	return fmt.Sprintf("undefined variable %s", e.Ref.Name)
}

// Expand returns the string's text with every variable reference replaced by
// lookup's value for its name. A name lookup does not know is an
// *UndefinedError. Expansion happens once: a value containing "$X" is not
// expanded again.
func (s *String) Expand(lookup func(name string) (string, bool)) (string, error) {
	if len(s.Parts) == 1 {
		if t, ok := s.Parts[0].(*Text); ok {
			return t.Value, nil
		}
	}
	var b strings.Builder
	for _, p := range s.Parts {
		switch p := p.(type) {
		case *Text:
			b.WriteString(p.Value)
		case *VarRef:
			v, ok := lookup(p.Name)
			if !ok {
				return "", &UndefinedError{Ref: p}
			}
			b.WriteString(v)
		}
	}
	return b.String(), nil
}

// Refs iterates over the string's variable references.
func (s *String) Refs(yield func(*VarRef) bool) {
	for _, p := range s.Parts {
		if r, ok := p.(*VarRef); ok && !yield(r) {
			return
		}
	}
}
