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
		Short: "Print an image's config and history as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
}
