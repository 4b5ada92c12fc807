// Package ast declares the syntax tree of a Gunfile.
//
// Every node embeds a source.Range (half-open byte offsets), so n.Span()
// gives any node's extent. A File holds the instructions before the first
// Using (its prelude) and then one Stage per Using. Nodes that the parser could
// not make sense of are Bad nodes, so a broken file still has a usable tree.
// Comments are kept in File.Comments, in source order.
//
// A String value is its decoded text, String.Value, and the variable
// references (VarRef) in it, each with its own range and its place in the
// text; String.Expand gives the text with the references expanded.
package ast

import (
	"iter"

	"github.com/gun-tools/gun/lang/source"
)

// Node is any node of the tree.
type Node interface {
	Span() source.Range
}

// Instr is an instruction: *Using, *Exec, *Copy, *Env, *Arg, *Workdir,
// *User, *Main, *Entrypoint, *Label, *Expose, *Volume, *StopSignal, *Shell,
// *Healthcheck or *BadInstr.
type Instr interface {
	Node
	// Keyword returns the instruction's keyword and its range. For a
	// BadInstr the keyword is the offending first word, if any.
	Keyword() (string, source.Range)
	instr()
}

// Expr is a value: *String, *List, *Ident or *BadExpr.
type Expr interface {
	Node
	expr()
}

// File is a parsed Gunfile.
type File struct {
	source.Range
	Source   *source.File
	Prelude  []Instr    // instructions before the first Using (only Args are valid there)
	Stages   []*Stage   // one per Using, in order
	Comments []*Comment // every comment, in source order
}

// Instrs iterates over every instruction of f in source order: the prelude,
// then each stage's Using and body.
func (f *File) Instrs() iter.Seq[Instr] {
	return func(yield func(Instr) bool) {
		for _, in := range f.Prelude {
			if !yield(in) {
				return
			}
		}
		for _, st := range f.Stages {
			if !yield(st.Using) {
				return
			}
			for _, in := range st.Body {
				if !yield(in) {
					return
				}
			}
		}
	}
}

// Stage is a Using instruction and the instructions up to the next Using.
// Its range runs from the Using to the end of its last instruction.
type Stage struct {
	source.Range
	Using *Using
	Body  []Instr
}

// Name returns the stage's name (from As), or "".
func (s *Stage) Name() string {
	if s.Using.As == nil {
		return ""
	}
	return s.Using.As.Name
}

// Comment is one '#' comment, up to the end of its line.
type Comment struct {
	source.Range
	Text string // including the '#'
}

// Kw is the keyword of an instruction: its spelling and range. A keyword
// written in the wrong case (reported as an error) is stored with its
// canonical spelling.
type Kw struct {
	Name  string
	Range source.Range
}

// Keyword returns the keyword's name and range.
func (k Kw) Keyword() (string, source.Range) { return k.Name, k.Range }

// Using starts a stage: Using "<base>" [As <name>], where Base is a *String
// (an archive, a stored image or a URL) or an *Ident (an earlier stage or
// "scratch").
type Using struct {
	source.Range
	Kw
	Base Expr   // *String, *Ident, *BadExpr, or nil when missing
	As   *Ident // the stage's name, or nil
}

// Exec runs a command. Cmd is a *String (run with the stage's Shell; a
// script block is a String with Heredoc set) or a *List (exec form). Mounts
// and Network come before the command.
type Exec struct {
	source.Range
	Kw
	Mounts  []*Mount // Cache, Secret, Bind and Tmpfs mounts, in source order
	Network *Option  // Network <mode>, or nil
	Cmd     Expr     // nil when missing
}

// Mount is a per-step mount of an Exec: its kind (the keyword: Cache,
// Secret, Bind or Tmpfs), its positional strings and its options.
//
//	Cache "<target>" [Id "<id>"] [Sharing shared|private|locked]
//	Secret "<id>" [Target "<path>"]
//	Bind "<source>" "<target>" [From <stage>] [ReadWrite]
//	Tmpfs "<target>" [Size <bytes>]
type Mount struct {
	source.Range
	Kw
	Args    []*String // the positional strings, as many as were given
	Options []*Option // in source order; a flag's Value is nil
}

// Option returns the mount's option with this name, or nil.
func (m *Mount) Option(name string) *Option { return findOption(m.Options, name) }

// Copy copies Srcs to Dest, from the build context or, with From, another
// stage. From is an *Ident (a stage) or a *String (an image or archive).
// With Unpack, archive sources are extracted into Dest. An inline file has
// no Srcs but a Content (a script block): Copy "<dest>" <<EOF. Its text is
// written as it is, or with Expand, expanded as a quoted string is: its Refs
// are references gun expands, and its Value has \$ and \\ decoded.
type Copy struct {
	source.Range
	Kw
	From    *Option // nil when absent
	Owner   *Option // Value is a *String "user[:group]"
	Mode    *Option // Value is an *Ident or *String holding an octal number
	Unpack  *Option // a flag: Value is nil
	Expand  *Option // a flag: Value is nil
	Srcs    []*String
	Dest    *String // nil when missing
	Content *String // an inline file's text (Heredoc set), or nil
}

// Option is an option word and its value inside an instruction, such as
// From build.
type Option struct {
	source.Range
	Kw
	Value Expr // nil when missing
}

// Env sets an environment variable, or with Inherited declares the base
// image's.
type Env struct {
	source.Range
	Kw
	Name  *Ident  // nil when missing
	Value *String // nil when missing or Inherited
	// Inherited is the word Inherited (Env NAME Inherited): the variable
	// is the base image's, declared for references. Nil otherwise.
	Inherited *Ident
}

// Arg declares a build argument with an optional default.
type Arg struct {
	source.Range
	Kw
	Name    *Ident  // nil when missing
	Default *String // nil when absent
}

// Workdir sets the working directory.
type Workdir struct {
	source.Range
	Kw
	Path *String // nil when missing
}

// User sets the user (and group) commands run as.
type User struct {
	source.Range
	Kw
	Name *String // nil when missing
}

// Main sets the image's default command, as Exec's Cmd.
type Main struct {
	source.Range
	Kw
	Cmd Expr // nil when missing
}

// Entrypoint sets the image's entrypoint, as Exec's Cmd. With it, Main
// gives the entrypoint's default arguments.
type Entrypoint struct {
	source.Range
	Kw
	Cmd Expr // nil when missing
}

// Expose declares the ports the image listens on: each an *Ident (a
// number) or a *String ("8080/tcp", "53/udp", "8000-8010").
type Expose struct {
	source.Range
	Kw
	Ports []Expr
}

// Volume declares directories of the image that hold data.
type Volume struct {
	source.Range
	Kw
	Paths []*String
}

// StopSignal sets the signal that stops the container: an *Ident
// (SIGTERM, 15) or a *String.
type StopSignal struct {
	source.Range
	Kw
	Signal Expr // nil when missing
}

// Shell sets the program and arguments that run the string and script
// forms of Exec, Main and Entrypoint: a *List.
type Shell struct {
	source.Range
	Kw
	Cmd Expr // nil when missing
}

// Healthcheck sets how to check that a container still works: options
// (Interval, Timeout, StartPeriod, StartInterval, Retries) and a command,
// or the *Ident None, which disables a check the base set.
type Healthcheck struct {
	source.Range
	Kw
	Options []*Option
	Cmd     Expr // *String, *List, *Ident "None", or nil when missing
}

// Option returns the health check's option with this name, or nil.
func (h *Healthcheck) Option(name string) *Option { return findOption(h.Options, name) }

func findOption(opts []*Option, name string) *Option {
	for _, o := range opts {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Label adds a label to the image configuration.
type Label struct {
	source.Range
	Kw
	Key   *String // nil when missing
	Value *String // nil when missing
}

// BadInstr is a line the parser could not read as an instruction.
type BadInstr struct {
	source.Range
	Kw
}

// String is a double-quoted string or a script block: its text and the
// variable references in it.
//
// Value is the text with escapes decoded and each reference left as written
// ($NAME or ${NAME}); this is what gun passes on for commands (Exec, Main),
// which the shell expands. Refs are the references in order, each with its
// offset in Value (VarRef.At): the literal text is Value between them. For a
// script block (Heredoc non-empty) Value is the lines with the closing
// delimiter's indentation removed, without escapes; in the inline file of a
// Copy with Expand, \$ and \\ are decoded to $ and \ (any other backslash
// stays), so that Expand gives the file's text.
type String struct {
	source.Range
	Value   string
	Refs    []*VarRef // nil when there are none
	Heredoc string    // the script block's delimiter, or "" for a quoted string
}

// VarRef is a reference $NAME or ${NAME} in a String.
type VarRef struct {
	source.Range
	Name      string
	NameRange source.Range
	Braced    bool // written ${NAME}
	At        int  // the offset of the reference (its '$') in its String's Value
}

// List is an exec-form list ["prog", "arg", ...].
type List struct {
	source.Range
	Elems []*String
}

// Ident is a bare word: a stage name, a variable name, or a Mode's number.
type Ident struct {
	source.Range
	Name string
}

// BadExpr is a value the parser could not read.
type BadExpr struct {
	source.Range
}

func (*Using) instr()       {}
func (*Exec) instr()        {}
func (*Copy) instr()        {}
func (*Env) instr()         {}
func (*Arg) instr()         {}
func (*Workdir) instr()     {}
func (*User) instr()        {}
func (*Main) instr()        {}
func (*Label) instr()       {}
func (*Entrypoint) instr()  {}
func (*Expose) instr()      {}
func (*Volume) instr()      {}
func (*StopSignal) instr()  {}
func (*Shell) instr()       {}
func (*Healthcheck) instr() {}
func (*BadInstr) instr()    {}

func (*String) expr()  {}
func (*List) expr()    {}
func (*Ident) expr()   {}
func (*BadExpr) expr() {}

// Span returns the range of the Using; it picks the node's Range over its Kw's.
func (n *Using) Span() source.Range { return n.Range }

// Span returns the range of the Exec; it picks the node's Range over its Kw's.
func (n *Exec) Span() source.Range { return n.Range }

// Span returns the range of the Copy; it picks the node's Range over its Kw's.
func (n *Copy) Span() source.Range { return n.Range }

// Span returns the range of the Option; it picks the node's Range over its Kw's.
func (n *Option) Span() source.Range { return n.Range }

// Span returns the range of the Env; it picks the node's Range over its Kw's.
func (n *Env) Span() source.Range { return n.Range }

// Span returns the range of the Arg; it picks the node's Range over its Kw's.
func (n *Arg) Span() source.Range { return n.Range }

// Span returns the range of the Workdir; it picks the node's Range over its Kw's.
func (n *Workdir) Span() source.Range { return n.Range }

// Span returns the range of the User; it picks the node's Range over its Kw's.
func (n *User) Span() source.Range { return n.Range }

// Span returns the range of the Main; it picks the node's Range over its Kw's.
func (n *Main) Span() source.Range { return n.Range }

// Span returns the range of the Label; it picks the node's Range over its Kw's.
func (n *Label) Span() source.Range { return n.Range }

// Span returns the range of the Mount; it picks the node's Range over its Kw's.
func (n *Mount) Span() source.Range { return n.Range }

// Span returns the range of the Entrypoint; it picks the node's Range over its Kw's.
func (n *Entrypoint) Span() source.Range { return n.Range }

// Span returns the range of the Expose; it picks the node's Range over its Kw's.
func (n *Expose) Span() source.Range { return n.Range }

// Span returns the range of the Volume; it picks the node's Range over its Kw's.
func (n *Volume) Span() source.Range { return n.Range }

// Span returns the range of the StopSignal; it picks the node's Range over its Kw's.
func (n *StopSignal) Span() source.Range { return n.Range }

// Span returns the range of the Shell; it picks the node's Range over its Kw's.
func (n *Shell) Span() source.Range { return n.Range }

// Span returns the range of the Healthcheck; it picks the node's Range over its Kw's.
func (n *Healthcheck) Span() source.Range { return n.Range }

// Span returns the range of the BadInstr; it picks the node's Range over its Kw's.
func (n *BadInstr) Span() source.Range { return n.Range }
