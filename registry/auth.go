package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// CredentialFiles are the files credentials are looked up in, in podman's
// order: $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
// $XDG_CONFIG_HOME/containers/auth.json (default ~/.config), then
// $DOCKER_CONFIG/config.json or ~/.docker/config.json. Each may name
// credential helpers (credHelpers, credsStore: docker-credential-NAME).
func CredentialFiles() []string {
	var files []string
	if f := os.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		files = append(files, f)
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		files = append(files, filepath.Join(d, "containers", "auth.json"))
	}
	if d, err := os.UserConfigDir(); err == nil {
		files = append(files, filepath.Join(d, "containers", "auth.json"))
	}
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		files = append(files, filepath.Join(d, "config.json"))
	} else if home, err := os.UserHomeDir(); err == nil {
		files = append(files, filepath.Join(home, ".docker", "config.json"))
	}
	return files
}

// DefaultCredentials looks credentials up in CredentialFiles, the first
// that has some for a registry winning; gun login writes to the first.
func DefaultCredentials() (credentials.Store, error) {
	var stores []credentials.Store
	for _, f := range CredentialFiles() {
		s, err := credentials.NewStore(f, credentials.StoreOptions{AllowPlaintextPut: true})
		if err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
		stores = append(stores, s)
	}
	if len(stores) == 0 {
		return credentials.NewMemoryStore(), nil
	}
	return credentials.NewStoreWithFallbacks(stores[0], stores[1:]...), nil
}

// explain adds what to do to an error that says the registry wants
// credentials gun does not have.
func explain(err error, host string) error {
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return fmt.Errorf("%w: the registry asks for credentials (401) and none are saved for %s: run gun login %s", err, host, host)
	}
	return err
}

// Login checks user and password against the registry host and saves them
// where DefaultCredentials finds them first (mode 0600).
func (c *Client) Login(ctx context.Context, host, user, password string) error {
	hc, err := c.conn(ctx, host)
	if err != nil {
		return err
	}
	reg, err := remote.NewRegistry(host)
	if err != nil {
		return fmt.Errorf("login %s: %w", host, err)
	}
	reg.PlainHTTP = hc.plainHTTP
	ac := c.authClient(hc)
	reg.Client = ac
	if err := credentials.Login(ctx, c.opts.Credentials, reg, auth.Credential{Username: user, Password: password}); err != nil {
		return fmt.Errorf("login %s: %w", host, err)
	}
	return nil
}

// Logout forgets the credentials saved for host.
func (c *Client) Logout(ctx context.Context, host string) error {
	if err := credentials.Logout(ctx, c.opts.Credentials, host); err != nil {
		return fmt.Errorf("logout %s: %w", host, err)
	}
	return nil
}
