package runtime

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/guntar"
)

// RunCommit is Run for a build step. When the command exits with code 0,
// the changes it made (the overlay's upper directory) are packed as an OCI
// layer diff by a helper in the containers' user namespace (gun:commit):
// whiteouts as .wh. entries, opaque directories as .wh..wh..opq, owners as
// the container sees them, file times clamped to epoch, entries in path
// order, the empty stand-ins of the /etc files gun binds left out. commit
// is called with the uncompressed layer as it is packed, and only when the
// command changed something (an upper directory of plain directories alone
// changes nothing: see guntar.PackOverlayUpper). A reader error, not EOF,
// ends a layer the helper failed to pack whole. The root must be an overlay,
// not a copy.
func (rt *Runtime) RunCommit(ctx context.Context, spec Spec, epoch time.Time, commit func(layer io.Reader) error) (int, error) {
	// The helper starts with the step, and waits: its start overlaps the
	// command's run.
	c, err := rt.startCommit(ctx, spec.Scratch, epoch, spec.Stubs)
	if err != nil {
		return 125, fmt.Errorf("commit the step's changes: %w", err)
	}
	used := false
	code, err := rt.run(ctx, spec, func() error {
		used = true
		if err := c.run(commit); err != nil {
			return fmt.Errorf("commit the step's changes: %w", err)
		}
		return nil
	})
	if !used {
		c.abort()
	}
	return code, err
}

// committer is a gun:commit helper started for a step's upper directory.
// Once the layer is packed whole, the helper closes its output and says so
// (packedMsg) before it removes the upper directory, so that the removal
// (seconds for a large layer on a file system that discards freed blocks
// at once) overlaps gun's storing the layer.
type committer struct {
	h      *nsHelper
	r      *os.File // the layer, as the helper packs it
	stderr strings.Builder
	waited bool
	err    error
	// told: packed has its answer, packErr.
	told    bool
	packErr error
}

// packedMsg is gun:commit's word that its output is the whole layer.
type packedMsg struct{}

// startCommit starts gun:commit for scratch's upper directory, waiting.
func (rt *Runtime) startCommit(ctx context.Context, scratch string, epoch time.Time, stubs []string) (*committer, error) {
	upper, err := filepath.Abs(filepath.Join(scratch, scratchUpper))
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	c := &committer{r: r}
	args := append([]string{entryCommit, upper, strconv.FormatInt(epoch.Unix(), 10)}, stubs...)
	c.h, err = rt.prestartInUserNS(ctx, args, nil, w, &c.stderr)
	w.Close()
	if err != nil {
		r.Close()
		return nil, err
	}
	return c, nil
}

// abort ends the helper of a step whose command failed.
func (c *committer) abort() {
	c.h.kill()
	c.r.Close()
}

// run lets the helper pack the upper directory, hands what it writes to
// commit and waits for the helper's end.
func (c *committer) run(commit func(io.Reader) error) error {
	c.h.start()
	br := bufio.NewReaderSize(&helperReader{c: c}, 64<<10)
	_, err := br.Peek(1)
	switch err {
	case nil:
		err = commit(br)
	case io.EOF:
		err = nil // an empty stream: no changes
	}
	c.r.Close() // a helper commit stopped reading gets EPIPE
	if werr := c.wait(); err == nil {
		err = werr
	}
	return err
}

// packed reports whether the helper packed the whole layer; when it did
// not, its failure.
func (c *committer) packed() error {
	if !c.told {
		c.told = true
		var m packedMsg
		if _, err := recvMsg(int(c.h.parent.Fd()), &m); err != nil {
			if c.packErr = c.wait(); c.packErr == nil {
				c.packErr = fmt.Errorf("%s ended without packing the layer", entryCommit)
			}
		}
	}
	return c.packErr
}

func (c *committer) wait() error {
	if !c.waited {
		c.waited = true
		if err := c.h.wait(); err != nil {
			c.err = fmt.Errorf("%s: %w: %s", entryCommit, err, strings.TrimSpace(c.stderr.String()))
		}
	}
	return c.err
}

// helperReader reads the layer gun:commit writes; at its end it returns
// the helper's failure, if it did not pack the whole layer, instead of EOF.
type helperReader struct{ c *committer }

func (h *helperReader) Read(p []byte) (int, error) {
	n, err := h.c.r.Read(p)
	if err == io.EOF {
		if perr := h.c.packed(); perr != nil {
			return n, perr
		}
	}
	return n, err
}

// mountPoint reports whether hdr is an empty stand-in the init made to bind
// a file of the scratch directory on (etcFiles): not the command's change.
func mountPoint(hdr *tar.Header) bool {
	dir, name := filepath.Split(hdr.Name)
	if dir != "etc/" || hdr.Typeflag != tar.TypeReg || hdr.Size != 0 {
		return false
	}
	for _, f := range etcFiles {
		if name == f {
			return true
		}
	}
	return false
}

// commitMain is gun:commit UPPER EPOCH [STUB...]: it removes the mount
// points left of the stubs, packs the upper directory of a build step's
// overlay to stdout (nothing for no changes), then removes it.
func commitMain() int {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "gun:commit: want an upper directory, an epoch and stubs")
		return 2
	}
	sec, err := strconv.ParseInt(os.Args[2], 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gun:commit: epoch %q: %v\n", os.Args[2], err)
		return 2
	}
	if err := recvGo(); err != nil {
		fmt.Fprintf(os.Stderr, "gun:commit: %v\n", err)
		return 1
	}
	upper, epoch := os.Args[1], time.Unix(sec, 0).UTC()
	if err := removeStubs(upper, os.Args[3:]); err != nil {
		fmt.Fprintf(os.Stderr, "gun:commit: %v\n", err)
		return 1
	}
	err = guntar.PackOverlayUpper(context.Background(), os.Stdout, upper, guntar.PackOptions{SourceDateEpoch: &epoch, Skip: mountPoint})
	if err == nil {
		// The layer is whole: gun stores it while the upper directory goes.
		if err = os.Stdout.Close(); err == nil {
			err = sendMsg(syncFD, packedMsg{})
		}
	}
	unix.Close(syncFD)
	// Here the owners are mapped: removing is a walk, not another helper.
	err = errors.Join(err, os.RemoveAll(upper))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// removeStubs removes from the upper directory the mount points the init
// made for the stubs (container paths) that are still an empty directory
// or an empty file, deepest first, so that a directory made only to hold
// one goes too. The upper directory is the container's to shape: paths are
// resolved in it with no symlinks.
func removeStubs(upper string, stubs []string) error {
	if len(stubs) == 0 {
		return nil
	}
	root, err := unix.Open(upper, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("remove mount points: open %s: %w", upper, err)
	}
	defer unix.Close(root)
	sorted := slices.Clone(stubs)
	slices.SortFunc(sorted, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, s := range sorted {
		dir, name := path.Split(path.Clean("/" + s))
		if name == "" {
			continue
		}
		dir = strings.Trim(dir, "/")
		if dir == "" {
			dir = "."
		}
		fd, err := unix.Openat2(root, dir, &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
		})
		if err != nil {
			continue // gone, or replaced by the step: not a stub
		}
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
			switch {
			case st.Mode&unix.S_IFMT == unix.S_IFDIR:
				err = unix.Unlinkat(fd, name, unix.AT_REMOVEDIR)
				if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
					err = nil
				}
			case st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == 0:
				err = unix.Unlinkat(fd, name, 0)
			}
			if err != nil {
				unix.Close(fd)
				return fmt.Errorf("remove mount point %s: %w", s, err)
			}
		}
		unix.Close(fd)
	}
	return nil
}
