package testenv

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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
	// CAFile is the PEM file of the CA that signed its certificate.
	CAFile string
	cmd    *exec.Cmd
	conf   string
	bin    string
	log    string
	tlsOn  bool
}

// RegistryOptions configure StartRegistry.
type RegistryOptions struct {
	// TLS has it serve https with a certificate for 127.0.0.1 that a CA
	// of the test's own signs (Registry.CAFile).
	TLS bool
	// User and Password, if set, are the only credentials its basic auth
	// (htpasswd, bcrypt) accepts.
	User, Password string
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
	r := &Registry{Host: host, conf: filepath.Join(dir, "config.yml"), bin: bin, log: filepath.Join(dir, "log"), tlsOn: opts.TLS}
	if opts.TLS {
		if err := makeCerts(dir); err != nil {
			t.Fatal(err)
		}
		r.CAFile = filepath.Join(dir, "ca.crt")
		fmt.Fprintf(&conf, "  tls:\n    certificate: %s\n    key: %s\n", filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	}
	if opts.User != "" {
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := writeHtpasswd(htpasswd, opts.User, opts.Password); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&conf, "auth:\n  htpasswd:\n    realm: gun-test\n    path: %s\n", htpasswd)
	}
	if err := os.WriteFile(r.conf, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Start(t)
	t.Cleanup(r.Stop)
	return r
}

// Start starts the registry again after Stop, with the same content.
func (r *Registry) Start(t testing.TB) {
	t.Helper()
	logf, err := os.OpenFile(r.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	r.cmd = exec.Command(r.bin, "serve", r.conf)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start docker-registry: %v", err)
	}
	url := "http://" + r.Host + "/v2/"
	client := http.DefaultClient
	if r.tlsOn {
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
			log, _ := os.ReadFile(r.log)
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

// FaultProxy serves the registry at upstream (host:port, plain HTTP)
// through fault, for one test: a fault handles a request itself (returning
// true) or lets it through. It returns the proxy's host:port.
func FaultProxy(t testing.TB, upstream string, fault func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: upstream})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fault(w, r) {
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}
