package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestConfigJSON checks that a config without Docker's fields is written
// exactly as OCI's (image IDs do not change), and that Docker's fields
// survive a write and a read, inside "config".
func TestConfigJSON(t *testing.T) {
	img := v1.Image{Platform: v1.Platform{Architecture: "amd64", OS: "linux"}, Config: v1.ImageConfig{Cmd: []string{"/x"}},
		RootFS: v1.RootFS{Type: "layers"}}
	oci, _ := json.Marshal(img)
	got, err := json.Marshal(Config{Image: img})
	if err != nil || string(got) != string(oci) {
		t.Errorf("plain config %s (%v), want %s", got, err, oci)
	}
	c := Config{Image: img, Healthcheck: &HealthConfig{Test: []string{"CMD", "true"}, Interval: time.Second}, Shell: []string{"/bin/bash", "-c"}}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Config map[string]json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(data, &raw); err != nil || raw.Config["Healthcheck"] == nil || raw.Config["Shell"] == nil || raw.Config["Cmd"] == nil {
		t.Errorf("Docker's fields are not in \"config\": %s", data)
	}
	var back Config
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
