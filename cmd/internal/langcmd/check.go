package langcmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/gun-tools/gun/internal/hugeheap"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/source"
)

func NewCheckCmd() *cobra.Command {
	var format string
	var strict bool
	var ignore []string
	cmd := &cobra.Command{
		Use:   "check [--format text|json|sarif] [--strict] [FILE...]",
		Short: "Report errors and warnings in Gunfiles",
		Long: `Check parses and checks Gunfiles and reports every problem it finds.
With no FILE it reads standard input.

Text output is "file:line:col: severity: message [code]" with the source line
and a caret under the problem; --format json is for tools, and --format sarif
writes SARIF 2.1.0 for code-scanning upload. Each code is explained in
docs/diagnostics.md.

Codes can be turned off with --ignore G309,G305, or for a project with a
.gun-check.yaml in the current directory ("ignore: [G309, G305]"), and for one
instruction with a comment "# gun:ignore G309" on its line or the line before.

Exit status: 0 when there is no error, 1 when there is an error (or, with
--strict, a warning), 2 on usage errors.`,
		Example: "  gun check Gunfile\n  gun check --format sarif Gunfile > gun.sarif",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := CheckFormat("check", format); err != nil {
				return err
			}
			codes, err := ignoredCodes(ignore)
			if err != nil {
				return err
			}
			collectLate(cmd.InOrStdin(), args)
			hugeheap.Collapse()
			return runCheck(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args, format, strict, codes)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or sarif")
	cmd.Flags().BoolVar(&strict, "strict", false, "fail on warnings too")
	cmd.Flags().StringSliceVar(&ignore, "ignore", nil, "codes not to report, such as G309,G305 (added to .gun-check.yaml's)")
	return cmd
}

// checkSource parses and checks one Gunfile, syntax and semantic
// diagnostics merged in source order. It checks the file stage by stage as
// the parser reads it, so that the tree of the whole file is never in
// memory at once.
func checkSource(name string, src []byte, ignore []diag.Code) Checked {
	start := time.Now()
	st := check.NewStream()
	file, ds := parser.Stream(name, src, st.Add)
	ds = check.Without(append(ds, st.End()...), ignore)
	slices.SortStableFunc(ds, func(a, b diag.Diagnostic) int { return int(a.Range.Start - b.Range.Start) })
	slog.Debug("checked", "file", name, "bytes", len(src), "diagnostics", len(ds), "elapsed", time.Since(start))
	return Checked{File: file, Diags: ds}
}

// checkConfig is the file that turns codes off for a project.
const checkConfig = ".gun-check.yaml"

// ignoredCodes returns the codes not to report: flags's and those of the
// project's checkConfig, if there is one.
func ignoredCodes(flags []string) ([]diag.Code, error) {
	var conf struct {
		Ignore []yaml.Node `yaml:"ignore"` // nodes: their place, for errors
	}
	data, err := os.ReadFile(checkConfig)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("check: %w", err)
	default:
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&conf); err != nil && !errors.Is(err, io.EOF) {
			return nil, &UsageError{Err: fmt.Errorf("check: %s: %w", checkConfig, err)}
		}
	}
	known := func(c string) bool {
		return slices.ContainsFunc(diag.Codes, func(i diag.CodeInfo) bool { return string(i.Code) == c })
	}
	var codes []diag.Code
	for _, n := range conf.Ignore {
		if n.Kind != yaml.ScalarNode || !known(n.Value) {
			return nil, &UsageError{Err: fmt.Errorf("check: %s:%d:%d: unknown code %q to ignore (the codes are in docs/diagnostics.md)", checkConfig, n.Line, n.Column, n.Value)}
		}
		codes = append(codes, diag.Code(n.Value))
	}
	for _, c := range flags {
		if !known(c) {
			return nil, &UsageError{Err: fmt.Errorf("check: --ignore: unknown code %q (the codes are in docs/diagnostics.md)", c)}
		}
		codes = append(codes, diag.Code(c))
	}
	return codes, nil
}

// collectLate turns the garbage collector off until the heap nears a limit
// that leaves room for checking the files named (or standard input, if it
// is a file). A check reuses the nodes of each stage for the next and keeps
// its symbol table to the end, so a collection frees next to nothing for
// its CPU time; the limit (far above the 1.5 times its source a check
// allocates) keeps the collector for what a check does not foresee.
func collectLate(stdin io.Reader, args []string) {
	var size int64
	if len(args) == 0 {
		f, ok := stdin.(*os.File)
		if !ok {
			return
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return // a pipe: its size is not known
		}
		size = fi.Size()
	}
	for _, name := range args {
		if fi, err := os.Stat(name); err == nil {
			size += fi.Size()
		}
	}
	debug.SetMemoryLimit(64<<20 + 16*size)
	debug.SetGCPercent(-1)
	if size >= 1<<20 {
		// What a check keeps, on huge pages where it fills them: a heap
		// faulted in page by page took a fifth of a 4 MB check's CPU
		// time. A check allocates about 0.9 times its input
		// (TestStreamMemory), some of it below Fill's object.
		hugeheap.Fill(int(size * 3 / 4))
	}
}

// guardFaults runs f and returns its error, or an error for the fault of a
// mapped file cut short while f reads it.
func guardFaults(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			fault, ok := r.(interface{ Addr() uintptr })
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("check: a file changed while it was read (fault at %#x)", fault.Addr())
		}
	}()
	return f()
}

func runCheck(stdin io.Reader, stdout, stderr io.Writer, args []string, format string, strict bool, ignore []diag.Code) error {
	return guardFaults(func() error { return checkFiles(stdin, stdout, stderr, args, format, strict, ignore) })
}

func checkFiles(stdin io.Reader, stdout, stderr io.Writer, args []string, format string, strict bool, ignore []diag.Code) error {
	var results []Checked
	var readErr error
	if len(args) == 0 {
		src, err := io.ReadAll(stdin)
		if err != nil {
			return fmt.Errorf("check: read standard input: %w", err)
		}
		results = append(results, checkSource("<stdin>", src, ignore))
	}
	for _, name := range args {
		src, err := readSource(name)
		if err != nil {
			fmt.Fprintf(stderr, "gun: check: %v\n", err)
			readErr = err
			continue
		}
		results = append(results, checkSource(name, src, ignore))
	}

	var out bytes.Buffer
	if err := Report(&out, format, results, diag.Codes); err != nil {
		return err
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return fmt.Errorf("check: write output: %w", err)
	}

	failed := readErr != nil
	for _, r := range results {
		for _, d := range r.Diags {
			if d.Severity == diag.Error || strict && d.Severity == diag.Warning {
				failed = true
			}
		}
	}
	if failed {
		return &ExitError{Code: 1}
	}
	return nil
}

// readSource returns the text of the file name, mapped rather than copied
// when it is a regular file: no copy, and no memory of gun's to fault in.
// runCheck turns the fault of a file cut short meanwhile into an error.
func readSource(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() > source.MaxSize {
		return io.ReadAll(f)
	}
	src, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: name, Err: err}
	}
	return src, nil
}
