package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// HostConfig is what the registries file says of one registry.
type HostConfig struct {
	// Mirrors are registries (host[:port]) to pull this one's images from
	// first, in order; the registry itself is the fall back.
	Mirrors []string `json:"mirrors,omitempty"`
	// Insecure allows plain HTTP and unverified TLS for this registry.
	Insecure bool `json:"insecure,omitempty"`
}

// ConfigFile is the registries file: $XDG_CONFIG_HOME/gun/registries.json
// (default ~/.config/gun/registries.json).
func ConfigFile() string {
	d, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "gun", "registries.json")
}

// LoadConfig reads a registries file, {"registries": {"HOST": {"mirrors":
// [...], "insecure": true}}}; a missing file is an empty one.
func LoadConfig(path string) (map[string]HostConfig, error) {
	if path == "" {
		return map[string]HostConfig{}, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]HostConfig{}, nil
	}
	if err != nil {
		return nil, err
	}
	var f struct {
		Registries map[string]HostConfig `json:"registries"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Registries == nil {
		f.Registries = map[string]HostConfig{}
	}
	return f.Registries, nil
}
