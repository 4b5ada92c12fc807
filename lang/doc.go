// Package lang is the home of gun's Gunfile front end. It holds no code; its
// subpackages do the work, and data flows one way through them:
//
//	source text -> lexer -> parser -> ast -> check -> (format | lsp | exec)
//
// Entry points:
//
//   - parser.Parse(filename, src) returns an *ast.File (never nil, partial on
//     broken input) and the syntax diagnostics.
//   - check.Check(f) returns the semantic diagnostics of a parsed file;
//     check.Resolve(f) also returns the symbol table (stages, Args, Envs, and
//     every reference to them) for tools such as the language server.
//   - parser.Stream(filename, src, yield) hands the tree over a stage at a
//     time, reusing the nodes of one for the next, and a check.Stream checks
//     the pieces as Check checks the whole: gun check's way, in which the tree
//     of the whole file is never in memory.
//   - format.Source(src) returns the canonical layout of a Gunfile, and
//     format.Node prints one node.
//   - ast.Inspect walks a tree; ast.Path finds the nodes under a position;
//     (*ast.File).Doc and LineComment give the comments attached to a node;
//     (*ast.String).Expand gives a string's value for given Arg and Env
//     values, and Value its text as written for the shell (commands).
//
// Shared by all: package source (byte offsets, ranges, and the line table
// that turns offsets into line and byte, rune or UTF-16 columns), package
// diag (diagnostics with severity, stable code, range, related locations and
// fixes), and package spec (every instruction's name, syntax and
// documentation).
//
// docs/gunfile.md is the language reference and docs/diagnostics.md lists
// every diagnostic code.
package lang
