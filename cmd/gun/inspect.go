package main

import (
	"encoding/json"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/gun-tools/gun/store"
)

func newInspectCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect NAME",
		Short: "Print a container's record, or an image's config and history, as JSON",
		Long: `Inspect prints the record of the container NAME names (by name, id or id
prefix), else the image's manifest and configuration.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			if d, _, err := openContainers(g); err == nil {
				if c, err := d.Get(args[0]); err == nil {
					return enc.Encode(struct {
						containerView
						Dir     string `json:"state_dir"`
						LogPath string `json:"log_path,omitempty"`
					}{viewOf(c), c.Dir(), c.LogPath()})
				}
			}
			s, err := openStore(g)
			if err != nil {
				return err
			}
			img, err := s.Image(args[0])
			if err != nil {
				return err
			}
			out := struct {
				Name     string       `json:"name"`
				ID       string       `json:"id"`
				Digest   string       `json:"digest"`
				Manifest v1.Manifest  `json:"manifest"`
				Config   store.Config `json:"config"`
			}{img.Name, img.ID().String(), img.Descriptor.Digest.String(), img.Manifest, img.Config}
			return enc.Encode(out)
		},
	}
}
