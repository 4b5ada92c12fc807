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

// records is the config blob: the entries by key.
type records struct {
	Steps map[string]Entry `json:"steps"`
}

// Encode returns the config blob of a step cache to push, and the layers
// its entries name, each once, in key order. The same entries give the
// same bytes.
func Encode(steps map[string]Entry) (config []byte, layers []Layer, err error) {
	config, err = json.Marshal(records{Steps: steps})
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(steps)) {
		if l := steps[k].Layer; l != nil && !seen[l.Digest] {
			seen[l.Digest] = true
			layers = append(layers, *l)
		}
	}
	return config, layers, nil
}

// Decode reads the config blob of a step cache whose manifest lists the
// layers blobs (by digest): every key must be a sha256 digest and every
// entry's layer a well-formed layer among those blobs.
func Decode(config []byte, blobs []string) (map[string]Entry, error) {
	var r records
	if err := json.Unmarshal(config, &r); err != nil {
		return nil, fmt.Errorf("step cache: %w", err)
	}
	for k, e := range r.Steps {
		if !isSHA256(k) {
			return nil, fmt.Errorf("step cache: key %q is not a sha256 digest", k)
		}
		l := e.Layer
		if l == nil {
			continue
		}
		switch {
		case !isSHA256(l.Digest) || !isSHA256(l.DiffID):
			return nil, fmt.Errorf("step cache: %s: the layer's digest %q or diff ID %q is not a sha256 digest", k, l.Digest, l.DiffID)
		case l.Size < 0:
			return nil, fmt.Errorf("step cache: %s: layer size %d", k, l.Size)
		case !strings.HasPrefix(l.MediaType, "application/vnd.oci.image.layer.v1.tar"):
			return nil, fmt.Errorf("step cache: %s: media type %q is not an OCI layer's", k, l.MediaType)
		case !slices.Contains(blobs, l.Digest):
			return nil, fmt.Errorf("step cache: %s: layer %s is not among the manifest's layers", k, l.Digest)
		}
	}
	return r.Steps, nil
}

func isSHA256(s string) bool {
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(h) != 64 || strings.ToLower(h) != h {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}
