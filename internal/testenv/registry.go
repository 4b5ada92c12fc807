package testenv

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Registry is a docker-registry (Debian's distribution registry) serving
// on 127.0.0.1 for one test.
type Registry struct {
	// Host is 127.0.0.1:PORT.
	Host string
	cmd  *exec.Cmd
	conf string
}

// RegistryOptions configure StartRegistry.
type RegistryOptions struct {
	// CertFile and KeyFile, if set, make it serve TLS.
	CertFile, KeyFile string
	// Htpasswd, if set, is an htpasswd file (bcrypt) it asks basic auth
	// of.
	Htpasswd string
}

// StartRegistry starts docker-registry with its storage in a temporary
// directory, on a free port, and stops it when t ends.
func StartRegistry(t testing.TB, opts RegistryOptions) *Registry {
	t.Helper()
	bin := NeedProgram(t, "docker-registry")
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	var conf strings.Builder
	fmt.Fprintf(&conf, "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), host)
	if opts.CertFile != "" {
		fmt.Fprintf(&conf, "  tls:\n    certificate: %s\n    key: %s\n", opts.CertFile, opts.KeyFile)
	}
	if opts.Htpasswd != "" {
		fmt.Fprintf(&conf, "auth:\n  htpasswd:\n    realm: gun-test\n    path: %s\n", opts.Htpasswd)
	}
	r := &Registry{Host: host, conf: filepath.Join(dir, "config.yml")}
	if err := os.WriteFile(r.conf, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r.start(t, bin, filepath.Join(dir, "log"), opts.CertFile != "")
	return r
}

func (r *Registry) start(t testing.TB, bin, logFile string, tlsOn bool) {
	t.Helper()
	logf, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	r.cmd = exec.Command(bin, "serve", r.conf)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start docker-registry: %v", err)
	}
	t.Cleanup(r.Stop)
	url := "http://" + r.Host + "/v2/"
	client := http.DefaultClient
	if tlsOn {
		url = "https://" + r.Host + "/v2/"
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("docker-registry did not answer on %s: %v\n%s", r.Host, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop stops the registry (tests of working offline call it early).
func (r *Registry) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}
