package store

import (
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// Config is an image's configuration blob: OCI's, with the two fields of
// Docker's image format that a Gunfile sets and OCI lacks (Healthcheck and
// Shell), so that they survive a read and a write. OCI consumers ignore
// them; Docker and Podman use them.
type Config struct {
	v1.Image
	Config ImageConfig `json:"config,omitempty"`
}

// ImageConfig is OCI's runtime configuration with Docker's Healthcheck and
// Shell.
type ImageConfig struct {
	v1.ImageConfig
	Healthcheck *HealthConfig `json:"Healthcheck,omitempty"`
	Shell       []string      `json:"Shell,omitempty"`
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
