package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newRmiCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "rmi NAME...",
		Short: "Remove image names from the store (gun prune frees their space)",
		Long: `Rmi removes each named image from the store. Given an image ID, it removes
every name of that image. The content stays until gun prune.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStore(g)
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				if err := s.Remove(name); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return errors.Join(errs...)
		},
	}
}
