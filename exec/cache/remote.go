package cache

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ConfigMediaType is the media type of the config blob of a step cache
// pushed to a registry (gun build --cache-to): an OCI image manifest whose
// config is the records and whose layers are the layers they name.
const ConfigMediaType = "application/vnd.gun.build.cache.v1+json"

// Records are what a step cache in a registry holds: its config blob.
type Records struct {
	// Steps are the entries by key.
	Steps map[string]Entry `json:"steps"`
	// DiffIDs are the diff IDs of the layers of the build's base archives,
	// by blob digest (the archive's own, when the store keeps it as it
	// is): a build that takes every step from the cache learns them
	// without decompressing its archive. The blobs are not pushed.
	DiffIDs map[string]string `json:"diffIDs,omitempty"`
}

// Encode returns the config blob of a step cache to push, and the layers
// its entries name, each once, in key order. The same records give the
// same bytes.
func Encode(r Records) (config []byte, layers []Layer, err error) {
	config, err = json.Marshal(r)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(r.Steps)) {
		if l := r.Steps[k].Layer; l != nil && !seen[l.Digest] {
			seen[l.Digest] = true
			layers = append(layers, *l)
		}
	}
	return config, layers, nil
}

// Decode reads the config blob of a step cache whose manifest lists the
// layers blobs (by digest): every key, digest and diff ID must be a sha256
// digest and every entry's layer a well-formed layer among those blobs.
func Decode(config []byte, blobs []string) (Records, error) {
	var r Records
	if err := json.Unmarshal(config, &r); err != nil {
		return Records{}, fmt.Errorf("step cache: %w", err)
	}
	for k, e := range r.Steps {
		if !isSHA256(k) {
			return Records{}, fmt.Errorf("step cache: key %q is not a sha256 digest", k)
		}
		l := e.Layer
		if l == nil {
			continue
		}
		switch {
		case !isSHA256(l.Digest) || !isSHA256(l.DiffID):
			return Records{}, fmt.Errorf("step cache: %s: the layer's digest %q or diff ID %q is not a sha256 digest", k, l.Digest, l.DiffID)
		case l.Size < 0:
			return Records{}, fmt.Errorf("step cache: %s: layer size %d", k, l.Size)
		case !strings.HasPrefix(l.MediaType, "application/vnd.oci.image.layer.v1.tar"):
			return Records{}, fmt.Errorf("step cache: %s: media type %q is not an OCI layer's", k, l.MediaType)
		case !slices.Contains(blobs, l.Digest):
			return Records{}, fmt.Errorf("step cache: %s: layer %s is not among the manifest's layers", k, l.Digest)
		}
	}
	for blob, diffID := range r.DiffIDs {
		if !isSHA256(blob) || !isSHA256(diffID) {
			return Records{}, fmt.Errorf("step cache: diff ID of a base layer: %q or %q is not a sha256 digest", blob, diffID)
		}
	}
	return r, nil
}

func isSHA256(s string) bool {
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(h) != 64 || strings.ToLower(h) != h {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}
