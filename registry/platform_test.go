package registry

import (
	"strings"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestChoosePlatform: an index's image is chosen by os, architecture and,
// for arm, variant; a variant that either side leaves out matches any; a
// missing platform is an error listing those the index has.
func TestChoosePlatform(t *testing.T) {
	idx := v1.Index{}
	for _, p := range []string{"linux/amd64", "linux/arm/v6", "linux/arm/v7", "linux/arm64/v8", "linux/s390x"} {
		pl, err := parsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		idx.Manifests = append(idx.Manifests, v1.Descriptor{MediaType: v1.MediaTypeImageManifest, Platform: &pl, Annotations: map[string]string{"p": p}})
	}
	// An attestation manifest without a platform is not a candidate.
	idx.Manifests = append(idx.Manifests, v1.Descriptor{MediaType: v1.MediaTypeImageManifest})
	for want, got := range map[string]string{
		"linux/arm/v7":   "linux/arm/v7",
		"linux/arm/v6":   "linux/arm/v6",
		"linux/arm64":    "linux/arm64/v8",
		"linux/arm64/v8": "linux/arm64/v8",
		"linux/amd64":    "linux/amd64",
	} {
		p, err := parsePlatform(want)
		if err != nil {
			t.Fatal(err)
		}
		d, err := choosePlatform(idx, p)
		if err != nil || d.Annotations["p"] != got {
			t.Errorf("choosePlatform(%s) = %v, %v; want %s", want, d.Annotations["p"], err, got)
		}
	}
	p, _ := parsePlatform("linux/arm/v5")
	_, err := choosePlatform(idx, p)
	if err == nil || !strings.Contains(err.Error(), "linux/arm/v6, linux/arm/v7, linux/arm64/v8") {
		t.Errorf("choosePlatform(linux/arm/v5): %v; want an error listing the index's platforms", err)
	}
	for _, bad := range []string{"linux", "/amd64", "linux/arm/v7/x"} {
		if _, err := parsePlatform(bad); err == nil {
			t.Errorf("parsePlatform(%q) succeeded", bad)
		}
	}
	if p, _ := parsePlatform(""); p.OS != "linux" || p.Architecture == "" {
		t.Errorf("parsePlatform(\"\") = %+v; want this machine's", p)
	}
}
