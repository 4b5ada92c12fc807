package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newImagesCmd(g *globalFlags) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List the images in the store",
		Args:  cobra.NoArgs,
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
					fmt.Fprintln(out, img.Name)
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
				if img.Source.Ref != "" {
					source = img.Source.Ref + "@" + img.Source.Digest.String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", img.Name, img.ID().Encoded()[:12], created, size(total), source)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print names only")
	return cmd
}
