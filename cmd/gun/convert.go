package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/convert"
	"github.com/gun-tools/gun/internal/atomicfile"
)

func newConvertCmd() *cobra.Command {
	var output, format string
	cmd := &cobra.Command{
		Use:   "convert [-o FILE] [--format text|json|sarif] [Dockerfile]",
		Short: "Translate a Dockerfile into a Gunfile",
		Long: `Convert reads a Dockerfile (standard input without one) with BuildKit's own
parser and prints the equivalent Gunfile, formatted as gun fmt formats it, with
the Dockerfile's comments; -o writes it to FILE instead.

What has no exact equivalent is still translated where a faithful translation
exists, else kept as a comment, and reported on standard error with its
Dockerfile line, as gun check reports (--format json or sarif for tools).
docs/gunfile.md has the table of what each Dockerfile instruction becomes.

Exit status: 0 when everything converted exactly, 1 when something needs a
look (or the Dockerfile cannot be read), 2 on usage errors.`,
		Example: "  gun convert Dockerfile -o Gunfile\n  gun convert < Dockerfile",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := langcmd.CheckFormat("convert", format); err != nil {
				return err
			}
			return runConvert(cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), args, output, format)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the Gunfile to `FILE`")
	cmd.Flags().StringVar(&format, "format", "text", "diagnostics format: text, json or sarif")
	return cmd
}

func runConvert(stdin io.Reader, stdout, stderr io.Writer, args []string, output, format string) error {
	name := "<stdin>"
	var src []byte
	var err error
	if len(args) == 1 {
		name = args[0]
		src, err = os.ReadFile(name)
	} else {
		src, err = io.ReadAll(stdin)
	}
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	res, err := convert.Convert(name, src)
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	if output != "" {
		if err := atomicfile.WriteFile(output, res.Gunfile, 0o644); err != nil {
			return fmt.Errorf("convert: write %s: %w", output, err)
		}
	} else if _, err := stdout.Write(res.Gunfile); err != nil {
		return fmt.Errorf("convert: write output: %w", err)
	}
	var out bytes.Buffer
	if err := langcmd.Report(&out, format, []langcmd.Checked{{File: res.File, Diags: res.Diagnostics}}, convert.Codes); err != nil {
		return err
	}
	if _, err := stderr.Write(out.Bytes()); err != nil {
		return fmt.Errorf("convert: write diagnostics: %w", err)
	}
	if len(res.Diagnostics) > 0 {
		return &langcmd.ExitError{Code: 1}
	}
	return nil
}
