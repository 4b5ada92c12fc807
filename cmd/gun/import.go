package main

import (
	"fmt"

	"github.com/gun-tools/gun/store"
	"github.com/spf13/cobra"
)

func newImportCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE [NAME]",
		Short: "Add an image archive or a root filesystem tarball to the image store",
		Long: `Import adds images to the store from FILE, which is one of:
  - a root filesystem tarball (plain, gzip, zstd, xz or bzip2), which becomes a one-layer image;
  - an OCI image layout directory, or an OCI archive (a tar of one);
  - a docker save or podman save archive.
The image is named NAME if given, else by the archive, else after the file.
Importing an image the store already holds changes nothing.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStore(g)
			if err != nil {
				return err
			}
			opts := store.ImportOptions{}
			if len(args) == 2 {
				opts.Name = args[1]
			}
			p := newProgress("import " + args[0])
			opts.Progress = p.update
			imgs, err := s.Import(cmd.Context(), args[0], opts)
			p.done()
			if err != nil {
				return err
			}
			for _, img := range imgs {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", img.Name, img.ID().Encoded()[:12])
			}
			return nil
		},
	}
}
