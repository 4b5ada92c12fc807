package langcmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/spf13/cobra"

	"github.com/gun-tools/gun/internal/atomicfile"
	"github.com/gun-tools/gun/lang/format"
)

type fmtFlags struct {
	write, list, diff, check, shell bool
}

func NewFmtCmd() *cobra.Command {
	var fl fmtFlags
	cmd := &cobra.Command{
		Use:   "fmt [-w] [-l] [-d] [--check] [FILE|DIR...]",
		Short: "Format Gunfiles in the canonical layout",
		Long: `Fmt prints Gunfiles in gun's one canonical layout. It changes only
whitespace and keeps every comment. With no FILE it reads standard input; a
DIR is searched for files named Gunfile or *.gunfile.

By default the formatted text goes to standard output. -w rewrites the files
in place, -l lists the files whose layout differs, -d prints a unified diff,
and --check exits with status 1 when a file is not formatted (for CI).
A file with syntax errors is reported and left alone. Script blocks are kept
as written; --shell formats them too, with shfmt's layout (mvdan.cc/sh).`,
		Example: "  gun fmt -w Gunfile\n  gun fmt --check -d .",
		RunE: func(cmd *cobra.Command, args []string) error {
			if fl.write && len(args) == 0 {
				return &UsageError{Err: errors.New("fmt: -w needs a FILE; standard input cannot be rewritten")}
			}
			return runFmt(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args, fl)
		},
	}
	cmd.Flags().BoolVarP(&fl.write, "write", "w", false, "write the result to the file instead of standard output")
	cmd.Flags().BoolVarP(&fl.list, "list", "l", false, "list files whose formatting differs")
	cmd.Flags().BoolVarP(&fl.diff, "diff", "d", false, "print a unified diff instead of the formatted file")
	cmd.Flags().BoolVar(&fl.check, "check", false, "exit with status 1 if a file is not formatted")
	cmd.Flags().BoolVar(&fl.shell, "shell", false, "format the shell of script blocks too")
	return cmd
}

func runFmt(stdin io.Reader, stdout, stderr io.Writer, args []string, fl fmtFlags) error {
	failed, unformatted := false, 0
	one := func(name string, src []byte) error {
		formatFile := format.SourceFile
		if fl.shell {
			formatFile = format.ShellFile
		}
		out, err := formatFile(name, src)
		if err != nil {
			fmt.Fprintf(stderr, "gun: fmt: %v\n", err)
			failed = true
			return nil
		}
		changed := !bytes.Equal(src, out)
		if changed {
			unformatted++
		}
		if fl.list && changed {
			fmt.Fprintln(stdout, name)
		}
		if fl.diff && changed {
			fmt.Fprint(stdout, udiff.Unified(name+".orig", name, string(src), string(out)))
		}
		if fl.write && changed {
			if err := writeFileAtomic(name, out); err != nil {
				return err
			}
		}
		if fl.check && changed && !fl.list && !fl.diff {
			fmt.Fprintf(stderr, "gun: fmt: %s is not formatted\n", name)
		}
		if !fl.write && !fl.list && !fl.diff && !fl.check {
			if _, err := stdout.Write(out); err != nil {
				return fmt.Errorf("fmt: write output: %w", err)
			}
		}
		return nil
	}

	if len(args) == 0 {
		src, err := io.ReadAll(stdin)
		if err != nil {
			return fmt.Errorf("fmt: read standard input: %w", err)
		}
		if err := one("<stdin>", src); err != nil {
			return err
		}
	}
	for _, arg := range args {
		files, err := gunfiles(arg)
		if err != nil {
			fmt.Fprintf(stderr, "gun: fmt: %v\n", err)
			failed = true
			continue
		}
		for _, name := range files {
			src, err := os.ReadFile(name)
			if err != nil {
				fmt.Fprintf(stderr, "gun: fmt: %v\n", err)
				failed = true
				continue
			}
			if err := one(name, src); err != nil {
				return err
			}
		}
	}
	if failed || fl.check && unformatted > 0 {
		return &ExitError{Code: 1}
	}
	return nil
}

// gunfiles returns arg itself, or for a directory the Gunfiles in it.
func gunfiles(arg string) ([]string, error) {
	info, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{arg}, nil
	}
	var files []string
	err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != arg && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && isGunfileName(d.Name()) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", arg, err)
	}
	return files, nil
}

func isGunfileName(name string) bool {
	return name == "Gunfile" || strings.HasSuffix(name, ".gunfile") || strings.HasSuffix(name, ".Gunfile")
}

// writeFileAtomic replaces name with data, keeping its permissions, so that
// an interrupted write never leaves half a file.
func writeFileAtomic(name string, data []byte) error {
	info, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("fmt: %w", err)
	}
	if err := atomicfile.WriteFile(name, data, info.Mode().Perm()); err != nil {
		return fmt.Errorf("fmt: write %s: %w", name, err)
	}
	return nil
}
