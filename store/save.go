package store

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/internal/ctxio"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// SaveOptions configure Save and SaveRootfs.
type SaveOptions struct {
	// Time is the modification time of the archive's entries (default
	// the Unix epoch), so that saving an image twice gives the same bytes.
	Time time.Time
}

// Save writes the image as an OCI archive: a tar of an OCI image layout
// holding just that image, which skopeo (oci-archive:FILE), umoci and
// podman read. The index entry's ref.name is the image's tag and
// io.containerd.image.name its full name.
func (s *Store) Save(ctx context.Context, w io.Writer, name string, opts SaveOptions) error {
	img, err := s.Image(name)
	if err != nil {
		return err
	}
	return s.SaveImage(ctx, w, img, opts)
}

// ImageByDigest loads the image whose manifest has digest d, named or not
// (Name is ""), e.g. one just built.
func (s *Store) ImageByDigest(d digest.Digest) (*Image, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	var m struct {
		MediaType string `json:"mediaType"`
	}
	if err := s.readBlobJSON(d, &m); err != nil {
		return nil, fmt.Errorf("image %s: %w", d, err)
	}
	if m.MediaType == "" {
		m.MediaType = v1.MediaTypeImageManifest
	}
	return s.loadImage(v1.Descriptor{MediaType: m.MediaType, Digest: d, Size: s.blobSize(d)})
}

// SaveImage is Save for an image already loaded (Image, Images or
// ImageByDigest). An image without a name gets ref.name "latest".
func (s *Store) SaveImage(ctx context.Context, w io.Writer, img *Image, opts SaveOptions) error {
	name := img.Name
	if name == "" {
		name = "sha256:" + img.Descriptor.Digest.Encoded()
	}
	desc := v1.Descriptor{MediaType: img.Descriptor.MediaType, Digest: img.Descriptor.Digest, Size: img.Descriptor.Size}
	desc.Annotations = map[string]string{v1.AnnotationRefName: "latest"}
	if full := img.Name; full != "" {
		desc.Annotations = map[string]string{v1.AnnotationRefName: full[strings.LastIndex(full, ":")+1:], containerdName: full}
	}
	idx := emptyIndex()
	idx.Manifests = []v1.Descriptor{desc}
	index, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	layout, _ := json.Marshal(v1.ImageLayout{Version: v1.ImageLayoutVersion})

	blobs := []digest.Digest{desc.Digest, img.Manifest.Config.Digest}
	for _, l := range img.Manifest.Layers {
		blobs = append(blobs, l.Digest)
	}
	slices.Sort(blobs)
	blobs = slices.Compact(blobs)

	bw := bufio.NewWriterSize(w, 1<<20)
	tw := tar.NewWriter(bw)
	mtime := opts.Time
	if mtime.IsZero() {
		mtime = time.Unix(0, 0)
	}
	hdr := func(name string, typ byte, size int64) *tar.Header {
		mode := int64(0o644)
		if typ == tar.TypeDir {
			mode = 0o755
		}
		return &tar.Header{Typeflag: typ, Name: name, Size: size, Mode: mode, ModTime: mtime.UTC(), Format: tar.FormatPAX}
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(hdr(d, tar.TypeDir, 0)); err != nil {
			return err
		}
	}
	for _, d := range blobs {
		if err := s.copyBlob(ctx, tw, d, hdr); err != nil {
			return fmt.Errorf("save %s: %w", name, err)
		}
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{v1.ImageIndexFile, index}, {v1.ImageLayoutFile, layout}} {
		if err := tw.WriteHeader(hdr(f.name, tar.TypeReg, int64(len(f.data)))); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

func (s *Store) copyBlob(ctx context.Context, tw *tar.Writer, d digest.Digest, hdr func(string, byte, int64) *tar.Header) error {
	size := s.blobSize(d)
	rc, err := s.openBlob(d)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := tw.WriteHeader(hdr("blobs/sha256/"+d.Encoded(), tar.TypeReg, size)); err != nil {
		return err
	}
	// The verifier reports corruption at EOF: read one byte past the end.
	n, err := io.Copy(tw, io.LimitReader(ctxio.Reader(ctx, rc), size+1))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("blob %s changed size while being read", d)
	}
	return nil
}

// SaveRootfs writes the image's root filesystem, its layers flattened, as
// one tar stream.
func (s *Store) SaveRootfs(ctx context.Context, w io.Writer, name string) error {
	img, err := s.Image(name)
	if err != nil {
		return err
	}
	return s.SaveImageRootfs(ctx, w, img)
}

// SaveImageRootfs is SaveRootfs for an image already loaded.
func (s *Store) SaveImageRootfs(ctx context.Context, w io.Writer, img *Image) error {
	name := img.Name
	if name == "" {
		name = "sha256:" + img.Descriptor.Digest.Encoded()
	}
	var layers []guntar.LayerOpener
	for _, l := range img.Manifest.Layers {
		layers = append(layers, func() (io.ReadCloser, error) { return s.openBlob(l.Digest) })
	}
	if err := guntar.Flatten(ctx, w, layers); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	return nil
}
