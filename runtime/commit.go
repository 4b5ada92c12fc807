package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// RunCommit is Run for a build step: when the command has exited with
// code 0, commit is called with the overlay's upper directory (the step's
// changes, in overlay whiteout form) before the scratch directory is
// removed. It fails when the root was copied instead of overlaid, as there
// are no changes to take then.
func RunCommit(ctx context.Context, spec Spec, commit func(upper string) error) (int, error) {
	return run(ctx, spec, func(code int) error {
		if code != 0 {
			return nil
		}
		root := filepath.Join(spec.Scratch, "root")
		if ents, err := os.ReadDir(root); err == nil && len(ents) > 0 {
			return errors.New("this kernel cannot mount overlayfs here: build steps need it to record their changes")
		}
		if err := commit(filepath.Join(spec.Scratch, "upper")); err != nil {
			return fmt.Errorf("commit the step's changes: %w", err)
		}
		return nil
	})
}
