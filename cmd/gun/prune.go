package main

import (
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"

	"github.com/gun-tools/gun/container"

	"github.com/gun-tools/gun/exec"
	"github.com/gun-tools/gun/runtime"
)

func newPruneCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "prune",
		Short: "Remove exited containers, and free the space of removed images and of killed runs",
		Long: `Prune removes the containers that exited (their records and logs; those
whose monitor was killed too), the images without a name (gun images shows
them as <none>) but those containers that are left run, and from the store what no image references: blobs, unpacked
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
			d, root, err := openContainers(g)
			if err != nil {
				return err
			}
			containers, perr := d.Prune()
			inUse, err := imagesInUse(d, root)
			if err != nil {
				return errors.Join(perr, err)
			}
			// The networks of dead containers stop before their directories go.
			networks := runtime.StopStaleNetworks(s.RunDir())
			rep, err := s.Prune(inUse...)
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

// imagesInUse returns the images (manifest digests) of the store at root
// that the containers recorded in d run.
func imagesInUse(d *container.Dir, root string) ([]digest.Digest, error) {
	cs, err := d.List()
	if err != nil {
		return nil, err
	}
	var ids []digest.Digest
	for _, c := range cs {
		if c.ImageID != "" && (c.Store == "" || c.Store == root) {
			ids = append(ids, digest.Digest(c.ImageID))
		}
	}
	return ids, nil
}
