package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gun-tools/gun/exec"
	"github.com/gun-tools/gun/runtime"
)

func newPruneCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "prune",
		Short: "Remove exited containers, and free the space of removed images and of killed runs",
		Long: `Prune removes the containers that exited (their records and logs; those
whose monitor was killed too), the images without a name (gun images shows
them as <none>), and from the store what no image references: blobs, unpacked
layers, the temporary files of killed gun processes and the scratch
directories, cgroups and networks (pasta processes) of containers that
are gone. It waits for
running imports.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStore(g)
			if err != nil {
				return err
			}
			d, _, err := openContainers(g)
			if err != nil {
				return err
			}
			containers, perr := d.Prune()
			// The networks of dead containers stop before their directories go.
			networks := runtime.StopStaleNetworks(s.RunDir())
			rep, err := s.Prune()
			// After the dead containers' directories: their cgroups go too.
			cgroups, gerr := runtime.RemoveStaleCgroups(s.RunDir())
			steps, cerr := exec.TrimCache(s)
			err = errors.Join(perr, err, gerr, cerr)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "removed %d images without a name, %d blobs (%s), %d unpacked layers, %d leftovers, %d container dirs, %d cgroups, %d networks, %d run plans, %d containers\n",
				rep.Images, rep.Blobs, size(rep.BlobBytes), rep.Layers, rep.Leftovers, rep.Runs, cgroups, networks, rep.Plans, len(containers))
			if steps > 0 {
				fmt.Fprintf(out, "dropped %d build cache entries\n", steps)
			}
			if rep.KeptLayers {
				fmt.Fprintf(out, "kept unused unpacked layers: %d containers are running\n", rep.LiveRuns)
			}
			return err
		},
	}
}
