package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gun-tools/gun/store"
)

func newImagesCmd(g *globalFlags) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List the images in the store",
		Long: `List the images in the store: those with a name, and as <none> those
without one (archives a build or a run imported, and images they pulled
when the name was one of the user's), which gun prune removes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStore(g)
			if err != nil {
				return err
			}
			imgs, err := s.Images()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if quiet {
				for _, img := range imgs {
					fmt.Fprintln(out, imageName(img))
				}
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tID\tCREATED\tSIZE\tSOURCE")
			for _, img := range imgs {
				created := "-"
				if c := img.Config.Created; c != nil && !c.IsZero() {
					created = c.UTC().Format(time.DateTime)
				}
				var total int64
				for _, l := range img.Manifest.Layers {
					total += l.Size
				}
				source := "-"
				switch {
				case img.Source.Ref != "":
					source = img.Source.Ref + "@" + img.Source.Digest.String()
				case img.Imported:
					source = "an imported archive"
				}
				name := img.Name
				if name == "" {
					name = "<none>"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, img.ID().Encoded()[:12], created, size(total), source)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print names only (IDs of images without one)")
	return cmd
}

// imageName is how gun images -q names an image: by its name, or by its ID
// (as gun rmi takes it) when it has none.
func imageName(img *store.Image) string {
	if img.Name != "" {
		return img.Name
	}
	return img.ID().Encoded()[:12]
}
