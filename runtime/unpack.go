package runtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/gun-tools/gun/guntar"
)

// NSUnpacker unpacks image layers inside a user namespace with the id maps
// containers get, by re-executing gun, so that the files are owned by the
// ids they will be used with: overlayfs copy-up fails with EOVERFLOW on
// files of ids that are not mapped. It implements store.Unpacker.
type NSUnpacker struct {
	rt *Runtime
	// warn receives non-fatal events, such as a device node that could not
	// be created. Nil drops them.
	warn func(msg string)
}

// Unpacker returns rt's unpacker; warn (nil drops them) receives
// non-fatal events, such as a device node that could not be created.
func (rt *Runtime) Unpacker(warn func(msg string)) NSUnpacker {
	return NSUnpacker{rt: rt, warn: warn}
}

// Key names the id mapping the unpacked files are owned under.
func (u NSUnpacker) Key() string {
	m, err := u.rt.maps()
	if err != nil {
		return "userns-unknown"
	}
	return "userns-" + m.key()
}

// warnPrefix marks a warning line on the unpacking child's stderr.
const warnPrefix = "warning: "

// Unpack unpacks layer, an uncompressed (or compressed: it is detected) tar
// stream, into dir with overlay whiteouts and the archive's owners.
func (u NSUnpacker) Unpack(ctx context.Context, layer io.Reader, dir string) error {
	// With only the user mapped, every file belongs to container root.
	chown := "chown"
	if m, err := u.rt.maps(); err != nil || m.single {
		chown = "nochown"
	}
	out, err := u.rt.runInUserNS(ctx, []string{entryUnpack, dir, chown}, layer)
	var msgs []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if w, ok := strings.CutPrefix(sc.Text(), warnPrefix); ok {
			if u.warn != nil {
				u.warn(w)
			}
			continue
		}
		msgs = append(msgs, sc.Text())
	}
	if err != nil {
		if len(msgs) > 0 {
			return errors.New(strings.Join(msgs, "\n"))
		}
		return fmt.Errorf("unpack in user namespace: %w", err)
	}
	return nil
}

func unpackMain() int {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "gun:unpack: want a directory and chown or nochown")
		return 2
	}
	if err := waitGo(); err != nil {
		fmt.Fprintf(os.Stderr, "gun:unpack: %v\n", err)
		return 1
	}
	err := guntar.Unpack(context.Background(), os.Stdin, os.Args[1], guntar.UnpackOptions{
		Whiteouts: guntar.WhiteoutOverlay,
		Chown:     os.Args[2] == "chown",
		Warn:      func(msg string) { fmt.Fprintln(os.Stderr, warnPrefix+strings.ReplaceAll(msg, "\n", " ")) },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// RemoveAll removes a directory tree that may hold files of any id of the
// containers' id maps (an unpacked layer, a container's scratch space): what
// the user cannot remove outside is removed inside a user namespace.
func (rt *Runtime) RemoveAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	if err := rt.removeInNS(dir); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}
