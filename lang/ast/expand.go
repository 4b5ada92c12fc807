package ast

import (
	"fmt"
	"strings"
)

// Written returns the reference as written in the source: $NAME or ${NAME}.
func (r *VarRef) Written() string {
	if r.Braced {
		return "${" + r.Name + "}"
	}
	return "$" + r.Name
}

// Len returns the length of the reference as written, which it takes up in
// its String's Value.
func (r *VarRef) Len() int {
	if r.Braced {
		return len(r.Name) + 3
	}
	return len(r.Name) + 1
}

// Literal reports whether the string has no variable references, and so
// means the same expanded or not.
func (s *String) Literal() bool { return len(s.Refs) == 0 }

// Texts iterates over the pieces of literal text of the string, in order:
// the text before each reference (which follows it, as the second value)
// and, with a nil reference, the text after the last one. Empty pieces are
// included, so there is always one more piece than references.
func (s *String) Texts(yield func(string, *VarRef) bool) {
	at := 0
	for _, r := range s.Refs {
		if !yield(s.Value[at:r.At], r) {
			return
		}
		at = r.At + r.Len()
	}
	yield(s.Value[at:], nil)
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
	if len(s.Refs) == 0 {
		return s.Value, nil
	}
	var b strings.Builder
	for text, r := range s.Texts {
		b.WriteString(text)
		if r == nil {
			break
		}
		v, ok := lookup(r.Name)
		if !ok {
			return "", &UndefinedError{Ref: r}
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
