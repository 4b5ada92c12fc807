package store

import (
	"encoding/json"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Config is an image's configuration blob: OCI's, and the two fields of
// Docker's image format that a Gunfile sets and OCI lacks (Healthcheck and
// Shell, kept in the blob's "config" object as Docker writes them), so
// that they survive a read and a write. OCI consumers ignore them; Docker
// and Podman use them. Without them, the blob is exactly OCI's.
type Config struct {
	v1.Image
	Healthcheck *HealthConfig
	Shell       []string
}

// HealthConfig is Docker's health check: Test is ["NONE"], ["CMD", args...]
// or ["CMD-SHELL", command]; zero durations and retries mean the defaults.
type HealthConfig struct {
	Test          []string      `json:",omitempty"`
	Interval      time.Duration `json:",omitempty"`
	Timeout       time.Duration `json:",omitempty"`
	StartPeriod   time.Duration `json:",omitempty"`
	StartInterval time.Duration `json:",omitempty"`
	Retries       int           `json:",omitempty"`
}

// dockerConfig is the "config" object with Docker's fields.
type dockerConfig struct {
	v1.ImageConfig
	Healthcheck *HealthConfig `json:",omitempty"`
	Shell       []string      `json:",omitempty"`
}

// MarshalJSON writes the blob: v1.Image's fields in their order, with
// Docker's in the "config" object when there are any.
func (c Config) MarshalJSON() ([]byte, error) {
	if c.Healthcheck == nil && len(c.Shell) == 0 {
		return json.Marshal(c.Image)
	}
	return json.Marshal(struct {
		Created *time.Time `json:"created,omitempty"`
		Author  string     `json:"author,omitempty"`
		v1.Platform
		Config  dockerConfig `json:"config,omitempty"`
		RootFS  v1.RootFS    `json:"rootfs"`
		History []v1.History `json:"history,omitempty"`
	}{c.Created, c.Author, c.Platform, dockerConfig{c.Image.Config, c.Healthcheck, c.Shell}, c.RootFS, c.History})
}

// UnmarshalJSON reads a blob, Docker's fields included.
func (c *Config) UnmarshalJSON(data []byte) error {
	var extra struct {
		Config struct {
			Healthcheck *HealthConfig
			Shell       []string
		} `json:"config"`
	}
	if err := json.Unmarshal(data, &c.Image); err != nil {
		return err
	}
	if err := json.Unmarshal(data, &extra); err != nil {
		return err
	}
	c.Healthcheck, c.Shell = extra.Config.Healthcheck, extra.Config.Shell
	return nil
}
