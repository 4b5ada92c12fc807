package registry

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/gun-tools/gun/internal/testenv"
)

const (
	testUser     = "alice"
	testPassword = "s3cret-pass"
)

// startSecureRegistry starts docker-registry with TLS (a CA of the test's
// own) and htpasswd basic auth, and returns it with a certs.d directory
// that trusts its CA.
func startSecureRegistry(t *testing.T) (*testenv.Registry, string) {
	t.Helper()
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{TLS: true, User: testUser, Password: testPassword})
	certsD := t.TempDir()
	ca, err := os.ReadFile(reg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(certsD, reg.Host, "ca.crt"), string(ca), 0o644)
	return reg, certsD
}

// authJSON is a Docker/podman auth file with credentials for host.
func authJSON(host, user, password string) string {
	return `{"auths":{"` + host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(user+":"+password)) + `"}}}`
}

// isolateCredentials points every credential location at nothing.
func isolateCredentials(t *testing.T) string {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG"} {
		t.Setenv(v, "")
	}
	return home
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func TestTLSAndAuth(t *testing.T) {
	reg, certsD := startSecureRegistry(t)
	ctx := context.Background()
	src := openStore(t)
	img := makeImage(t, src, "app:1", map[string]string{"a": "secure"})
	ref := mustRef(t, reg.Host+"/team/app:1")
	isolateCredentials(t)

	// The registry's CA is not trusted without certs.d: a TLS error, and
	// no fall back to plain HTTP.
	c := newClient(t, Options{Credentials: credentials.NewMemoryStore()})
	if _, err := c.Push(ctx, src, img, ref); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("push to an untrusted registry: %v", err)
	}
	// The CA trusted for another name of the host: the certificate (for
	// 127.0.0.1) does not name localhost.
	ca, err := os.ReadFile(reg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(reg.Host, ":")
	writeFile(t, filepath.Join(certsD, "localhost:"+port, "ca.crt"), string(ca), 0o644)
	c = newClient(t, Options{CertDirs: []string{certsD}, Credentials: credentials.NewMemoryStore()})
	if _, err := c.Push(ctx, src, img, mustRef(t, "localhost:"+port+"/team/app:1")); err == nil || !strings.Contains(err.Error(), "x509: certificate is not valid for any names, but wanted to match localhost") {
		t.Fatalf("push to a registry whose certificate does not name it: %v", err)
	}
	// Trusted, but no credentials: 401.
	c = newClient(t, Options{CertDirs: []string{certsD}, Credentials: credentials.NewMemoryStore()})
	if _, err := c.Push(ctx, src, img, ref); err == nil || !strings.Contains(err.Error(), "gun login "+reg.Host) {
		t.Fatalf("push without credentials: %v", err)
	}
	// A wrong password is a clear 401, which does not show it.
	authFile := filepath.Join(t.TempDir(), "auth.json")
	t.Setenv("REGISTRY_AUTH_FILE", authFile)
	c = newClient(t, Options{CertDirs: []string{certsD}, Credentials: mustDefault(t)})
	err = c.Login(ctx, reg.Host, testUser, "wrong-password")
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("login with a wrong password: %v", err)
	}
	if err := c.Login(ctx, reg.Host, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(authFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("auth file after login: %v, mode %v", err, fi.Mode())
	}
	c = newClient(t, Options{CertDirs: []string{certsD}, Credentials: mustDefault(t)})
	d, err := c.Push(ctx, src, img, ref)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Pull(ctx, openStore(t), ref, PullOptions{}); err != nil || got.Descriptor.Digest != d {
		t.Fatalf("pull after login: %v", err)
	}
	c.mu.Lock()
	for _, l := range c.lines {
		if strings.Contains(l, testPassword) {
			t.Errorf("a log line shows the password: %s", l)
		}
	}
	c.mu.Unlock()
	if err := c.Logout(ctx, reg.Host); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(authFile); strings.Contains(string(b), reg.Host) {
		t.Errorf("after logout the auth file still has %s:\n%s", reg.Host, b)
	}

	// Each place credentials are kept, in podman's order.
	bin := t.TempDir()
	writeFile(t, filepath.Join(bin, "docker-credential-gunfake"), `#!/bin/sh
read server
[ "$1" = get ] && [ "$server" = "`+reg.Host+`" ] || exit 1
echo '{"ServerURL":"'"$server"'","Username":"`+testUser+`","Secret":"`+testPassword+`"}'
`, 0o755)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	good, bad := authJSON(reg.Host, testUser, testPassword), authJSON(reg.Host, testUser, "stale")
	for _, tc := range []struct {
		name  string
		files map[string]string // env variable (or HOME) -> file under it -> content
		ok    bool
	}{
		{"REGISTRY_AUTH_FILE", map[string]string{"REGISTRY_AUTH_FILE": good}, true},
		{"XDG_RUNTIME_DIR", map[string]string{"XDG_RUNTIME_DIR": good}, true},
		{"XDG_CONFIG_HOME", map[string]string{"XDG_CONFIG_HOME": good}, true},
		{"DOCKER_CONFIG", map[string]string{"DOCKER_CONFIG": good}, true},
		{"~/.docker/config.json", map[string]string{"HOME": good}, true},
		{"credHelpers", map[string]string{"DOCKER_CONFIG": `{"credHelpers":{"` + reg.Host + `":"gunfake"}}`}, true},
		{"credsStore", map[string]string{"HOME": `{"credsStore":"gunfake"}`}, true},
		{"the first file with credentials wins", map[string]string{"XDG_RUNTIME_DIR": bad, "DOCKER_CONFIG": good}, false},
		{"a later file is used when the first has none", map[string]string{"REGISTRY_AUTH_FILE": `{"auths":{}}`, "XDG_CONFIG_HOME": good}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := isolateCredentials(t)
			for where, content := range tc.files {
				dir := t.TempDir()
				switch where {
				case "REGISTRY_AUTH_FILE":
					writeFile(t, filepath.Join(dir, "auth.json"), content, 0o600)
					t.Setenv(where, filepath.Join(dir, "auth.json"))
				case "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME":
					writeFile(t, filepath.Join(dir, "containers", "auth.json"), content, 0o600)
					t.Setenv(where, dir)
				case "DOCKER_CONFIG":
					writeFile(t, filepath.Join(dir, "config.json"), content, 0o600)
					t.Setenv(where, dir)
				case "HOME":
					writeFile(t, filepath.Join(home, ".docker", "config.json"), content, 0o600)
				}
			}
			c := newClient(t, Options{CertDirs: []string{certsD}, Credentials: mustDefault(t)})
			_, err := c.Pull(ctx, openStore(t), ref, PullOptions{})
			if tc.ok && err != nil {
				t.Fatalf("pull: %v", err)
			}
			if !tc.ok && (err == nil || !strings.Contains(err.Error(), "401")) {
				t.Fatalf("pull with stale credentials first: %v, want a 401", err)
			}
		})
	}
}

func mustDefault(t *testing.T) credentials.Store {
	t.Helper()
	cs, err := DefaultCredentials()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
