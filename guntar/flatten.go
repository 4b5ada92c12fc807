package guntar

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"path"
	"strings"
)

// LayerOpener opens one layer's tar stream (compressed or not) for reading.
type LayerOpener func() (io.ReadCloser, error)

// Flatten writes layers, bottom first, as one tar stream of the tree they
// make when applied one over the other: whiteouts are applied, not copied,
// and of several entries for one path only the one that shows is written.
// Each layer is read twice: top down to decide what shows, then bottom up
// to write it, so that parents mostly come before their children.
func Flatten(ctx context.Context, w io.Writer, layers []LayerOpener) error {
	type pos struct{ layer, ord int }
	winner := map[string]pos{}
	deleted := map[string]bool{} // whited out by an upper layer
	opaque := map[string]bool{}  // directories an upper layer made opaque
	nonDir := map[string]bool{}  // paths an upper layer made other than a directory
	hidden := func(p string) bool {
		if deleted[p] || opaque[""] {
			return true
		}
		for a := path.Dir(p); a != "."; a = path.Dir(a) {
			if deleted[a] || opaque[a] || nonDir[a] {
				return true
			}
		}
		return false
	}
	for i := len(layers) - 1; i >= 0; i-- {
		mine := map[string]bool{} // this layer's winners: is it a directory?
		var wh, opq []string
		err := eachEntry(ctx, layers[i], func(ord int, rel string, hdr *tar.Header, _ io.Reader) error {
			dir, base := path.Split(rel)
			dir = strings.TrimSuffix(dir, "/")
			if base == whiteoutOpaque {
				opq = append(opq, dir)
				return nil
			}
			if victim, ok := strings.CutPrefix(base, whiteoutPrefix); ok {
				wh = append(wh, path.Join(dir, victim))
				return nil
			}
			if rel == "" {
				return nil
			}
			_, upper := winner[rel]
			if _, own := mine[rel]; (upper && !own) || hidden(rel) {
				return nil
			}
			mine[rel] = hdr.Typeflag == tar.TypeDir
			winner[rel] = pos{i, ord}
			return nil
		})
		if err != nil {
			return fmt.Errorf("layer %d: %w", i+1, err)
		}
		// A layer's whiteouts and replacements hide only lower layers.
		for _, p := range wh {
			if _, own := mine[p]; !own {
				deleted[p] = true
			}
		}
		for _, p := range opq {
			opaque[p] = true
		}
		for p, isDir := range mine {
			if !isDir {
				nonDir[p] = true
			}
		}
	}

	bw := bufio.NewWriterSize(w, 1<<20)
	tw := tar.NewWriter(bw)
	for i := range layers {
		err := eachEntry(ctx, layers[i], func(ord int, rel string, hdr *tar.Header, body io.Reader) error {
			if rel == "" || winner[rel] != (pos{i, ord}) {
				return nil
			}
			out := *hdr
			out.Name = rel
			if out.Typeflag == tar.TypeDir {
				out.Name += "/"
			}
			if out.Typeflag == tar.TypeLink {
				out.Linkname = cleanPath(out.Linkname)
			}
			out.Format = tar.FormatUnknown
			if err := tw.WriteHeader(&out); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			if _, err := io.Copy(tw, body); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("layer %d: %w", i+1, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// eachEntry calls fn for every entry of the layer with its ordinal, its
// cleaned path and a reader of its body.
func eachEntry(ctx context.Context, open LayerOpener, fn func(ord int, rel string, hdr *tar.Header, body io.Reader) error) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	dr, _, err := Decompress(rc)
	if err != nil {
		return err
	}
	defer dr.Close()
	tr := tar.NewReader(dr)
	for ord := 0; ; ord++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if err := fn(ord, cleanPath(hdr.Name), hdr, tr); err != nil {
			return err
		}
	}
}
