package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/internal/atomicfile"
	"github.com/gun-tools/gun/store"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newSaveCmd(g *globalFlags) *cobra.Command {
	var output, format string
	cmd := &cobra.Command{
		Use:   "save NAME -o FILE",
		Short: "Write an image to a file, as an OCI archive or as a root filesystem tarball",
		Long: `Save writes the image NAME to FILE ("-" for standard output):
  --format oci     (default) an OCI archive, which skopeo, umoci and podman read
  --format rootfs  the flattened root filesystem as one tar
The same image always gives the same bytes. FILE appears only once complete.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return &langcmd.UsageError{Err: errors.New("save needs -o FILE (or -o - for standard output)")}
			}
			if format != "oci" && format != "rootfs" {
				return &langcmd.UsageError{Err: fmt.Errorf("--format %q: use oci or rootfs", format)}
			}
			s, err := openStore(g)
			if err != nil {
				return err
			}
			img, err := s.Image(args[0])
			if err != nil {
				return err
			}
			epoch, err := guntar.SourceDateEpoch()
			if err != nil {
				return err
			}
			write := func(w io.Writer) error {
				if format == "rootfs" {
					return s.SaveRootfs(cmd.Context(), w, args[0])
				}
				opts := store.SaveOptions{}
				if epoch != nil {
					opts.Time = *epoch
				}
				return s.Save(cmd.Context(), w, args[0], opts)
			}
			if output == "-" {
				if f, ok := cmd.OutOrStdout().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
					return &langcmd.UsageError{Err: errors.New("save: standard output is a terminal; redirect it or use -o FILE")}
				}
				return write(cmd.OutOrStdout())
			}
			var total int64
			if format == "oci" {
				for _, l := range img.Manifest.Layers {
					total += l.Size
				}
			}
			p := newProgress("save " + output)
			defer p.done()
			return atomicfile.Write(output, 0o644, func(w io.Writer) error {
				if p != nil {
					w = &countingWriter{w: w, total: total, fn: p.update}
				}
				return write(w)
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write (- for standard output)")
	cmd.Flags().StringVar(&format, "format", "oci", "archive format: oci or rootfs")
	return cmd
}
