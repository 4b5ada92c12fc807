package ast

import "github.com/gun-tools/gun/lang/source"

// Inspect traverses the tree rooted at n in depth-first source order. It
// calls f(n); if f returns true, Inspect visits each of n's children and then
// calls f(nil). Comments are not visited (they are in File.Comments).
func Inspect(n Node, f func(Node) bool) {
	if isNil(n) || !f(n) {
		return
	}
	switch n := n.(type) {
	case *File:
		for _, in := range n.Prelude {
			Inspect(in, f)
		}
		for _, st := range n.Stages {
			Inspect(st, f)
		}
	case *Stage:
		Inspect(n.Using, f)
		for _, in := range n.Body {
			Inspect(in, f)
		}
	case *Using:
		inspectExpr(n.Base, f)
		inspectIdent(n.As, f)
	case *Exec:
		// The mounts and the network option, in source order.
		net := n.Network
		for _, m := range n.Mounts {
			if net != nil && net.Start < m.Start {
				Inspect(net, f)
				net = nil
			}
			Inspect(m, f)
		}
		if net != nil {
			Inspect(net, f)
		}
		inspectExpr(n.Cmd, f)
	case *Mount:
		for _, s := range n.Args {
			Inspect(s, f)
		}
		for _, o := range n.Options {
			Inspect(o, f)
		}
	case *Main:
		inspectExpr(n.Cmd, f)
	case *Entrypoint:
		inspectExpr(n.Cmd, f)
	case *Shell:
		inspectExpr(n.Cmd, f)
	case *Healthcheck:
		for _, o := range n.Options {
			Inspect(o, f)
		}
		inspectExpr(n.Cmd, f)
	case *Expose:
		for _, p := range n.Ports {
			Inspect(p, f)
		}
	case *Volume:
		for _, s := range n.Paths {
			Inspect(s, f)
		}
	case *StopSignal:
		inspectExpr(n.Signal, f)
	case *Copy:
		var buf [5]*Option
		for _, o := range n.AppendOptions(buf[:0]) {
			Inspect(o, f)
		}
		for _, s := range n.Srcs {
			Inspect(s, f)
		}
		inspectString(n.Dest, f)
		inspectString(n.Content, f)
	case *Option:
		inspectExpr(n.Value, f)
	case *Env:
		inspectIdent(n.Name, f)
		inspectString(n.Value, f)
		inspectIdent(n.Inherited, f)
	case *Arg:
		inspectIdent(n.Name, f)
		inspectString(n.Default, f)
	case *Workdir:
		inspectString(n.Path, f)
	case *User:
		inspectString(n.Name, f)
	case *Label:
		inspectString(n.Key, f)
		inspectString(n.Value, f)
	case *List:
		for _, s := range n.Elems {
			Inspect(s, f)
		}
	case *String:
		for _, r := range n.Refs {
			Inspect(r, f)
		}
	}
	f(nil)
}

// AppendOptions appends the options of the Copy that are given to opts, in
// source order, and returns the extended slice.
func (n *Copy) AppendOptions(opts []*Option) []*Option {
	for _, o := range [...]*Option{n.From, n.Owner, n.Mode, n.Unpack, n.Expand} {
		if o == nil {
			continue
		}
		i := len(opts)
		opts = append(opts, o)
		for ; i > 0 && opts[i-1].Start > o.Start; i-- {
			opts[i] = opts[i-1]
		}
		opts[i] = o
	}
	return opts
}

// The typed helpers avoid passing a typed nil pointer as a non-nil Node.
func inspectExpr(e Expr, f func(Node) bool) {
	if e != nil {
		Inspect(e, f)
	}
}

func inspectString(s *String, f func(Node) bool) {
	if s != nil {
		Inspect(s, f)
	}
}

func inspectIdent(id *Ident, f func(Node) bool) {
	if id != nil {
		Inspect(id, f)
	}
}

func isNil(n Node) bool {
	if n == nil {
		return true
	}
	switch n := n.(type) {
	case *File:
		return n == nil
	case *Stage:
		return n == nil
	case *Using:
		return n == nil
	case *String:
		return n == nil
	case *Ident:
		return n == nil
	}
	return false
}

// Path returns the nodes enclosing pos, innermost last, starting with root.
// It is what an editor needs to find what the cursor is on.
func Path(root Node, pos source.Pos) []Node {
	var path []Node
	Inspect(root, func(n Node) bool {
		if n == nil {
			return false
		}
		r := n.Span()
		if r.Start <= pos && pos <= r.End {
			path = append(path, n)
			return true
		}
		return false
	})
	return path
}
