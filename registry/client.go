package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"
)

// Options configure a Client.
type Options struct {
	// Insecure allows plain HTTP and unverified TLS for every registry
	// (podman's --tls-verify=false). Without it, plain HTTP is used only
	// for loopback registries that do not speak TLS.
	Insecure bool
	// CertDirs hold per-registry CA files, HOST[:PORT]/*.crt, and client
	// certificates, *.cert with *.key. Nil means DefaultCertDirs().
	CertDirs []string
	// Credentials finds a registry's credentials. Nil means
	// DefaultCredentials().
	Credentials credentials.Store
	// Registries configures registries by host: mirrors, insecure. Nil
	// means the registries file, ConfigFile().
	Registries map[string]HostConfig
	// Log, if set, receives a line per step (a blob pulled, skipped, ...).
	Log func(format string, args ...any)
	// Progress, if set, is told how far each blob being pulled or pushed
	// is, as its bytes move (from several goroutines at once).
	Progress func(d digest.Digest, done, total int64)
}

// counter reports the bytes read through it to the client's Progress.
type counter struct {
	r    io.Reader
	c    *Client
	d    digest.Digest
	done int64
	size int64
}

func (r *counter) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.done += int64(n)
	r.c.opts.Progress(r.d, r.done, r.size)
	return n, err
}

// counted wraps r, which starts at byte done of a blob of size bytes, so
// that Progress sees its bytes, if a Progress is set.
func (c *Client) counted(r io.ReadCloser, d digest.Digest, done, size int64) io.ReadCloser {
	if c.opts.Progress == nil || r == nil {
		return r
	}
	return struct {
		io.Reader
		io.Closer
	}{&counter{r: r, c: c, d: d, done: done, size: size}, r}
}

// Client talks to registries. It is safe for concurrent use.
type Client struct {
	opts  Options
	cache auth.Cache

	mu    sync.Mutex
	hosts map[string]*hostConn
}

// hostConn is how a registry host is reached.
type hostConn struct {
	client    *http.Client
	plainHTTP bool
}

// New returns a client.
func New(opts Options) (*Client, error) {
	if opts.CertDirs == nil {
		opts.CertDirs = DefaultCertDirs()
	}
	if opts.Registries == nil {
		cfg, err := LoadConfig(ConfigFile())
		if err != nil {
			return nil, fmt.Errorf("registries file: %w", err)
		}
		opts.Registries = cfg
	}
	if opts.Credentials == nil {
		cs, err := DefaultCredentials()
		if err != nil {
			return nil, err
		}
		opts.Credentials = cs
	}
	return &Client{opts: opts, cache: auth.NewCache(), hosts: map[string]*hostConn{}}, nil
}

func (c *Client) logf(format string, args ...any) {
	if c.opts.Log != nil {
		c.opts.Log(format, args...)
	}
}

// DefaultCertDirs are where podman and Docker look for registries' CA
// files: ~/.config/containers/certs.d, /etc/containers/certs.d and
// /etc/docker/certs.d.
func DefaultCertDirs() []string {
	var dirs []string
	if d, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "containers", "certs.d"))
	}
	return append(dirs, "/etc/containers/certs.d", "/etc/docker/certs.d")
}

// tlsConfig is the system's roots plus the CA files certs.d has for host,
// and a client certificate if it has one. The roots are read at the first
// certificate to verify: parsing the system's takes longer than the rest of
// a pull whose blobs are all present, and a plain-HTTP loopback registry
// never needs them.
func (c *Client) tlsConfig(host string) (*tls.Config, error) {
	// Verification is VerifyConnection's, with the roots loaded then.
	cfg := &tls.Config{InsecureSkipVerify: true}
	var cas [][]byte
	for _, dir := range c.opts.CertDirs {
		d := filepath.Join(dir, host)
		entries, err := os.ReadDir(d)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("registry %s: certificates: %w", host, err)
		}
		for _, e := range entries {
			p := filepath.Join(d, e.Name())
			switch {
			case strings.HasSuffix(e.Name(), ".crt"):
				pem, err := os.ReadFile(p)
				if err != nil {
					return nil, fmt.Errorf("registry %s: %w", host, err)
				}
				if !x509.NewCertPool().AppendCertsFromPEM(pem) {
					return nil, fmt.Errorf("registry %s: %s holds no PEM certificate", host, p)
				}
				cas = append(cas, pem)
			case strings.HasSuffix(e.Name(), ".cert"):
				key := strings.TrimSuffix(p, ".cert") + ".key"
				cert, err := tls.LoadX509KeyPair(p, key)
				if err != nil {
					return nil, fmt.Errorf("registry %s: client certificate %s: %w", host, p, err)
				}
				cfg.Certificates = append(cfg.Certificates, cert)
			}
		}
	}
	if c.insecure(host) {
		return cfg, nil
	}
	roots := sync.OnceValue(func() *x509.CertPool {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		for _, pem := range cas {
			pool.AppendCertsFromPEM(pem)
		}
		return pool
	})
	name, _, err := net.SplitHostPort(host)
	if err != nil {
		name = host
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("registry %s: no certificate", host)
		}
		opts := x509.VerifyOptions{DNSName: name, Roots: roots(), Intermediates: x509.NewCertPool()}
		for _, cert := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(cert)
		}
		_, err := cs.PeerCertificates[0].Verify(opts)
		return err
	}
	return cfg, nil
}

// insecure reports whether host may be reached without verified TLS.
func (c *Client) insecure(host string) bool {
	return c.opts.Insecure || c.opts.Registries[host].Insecure
}

// isLoopback reports whether host[:port] is this machine.
func isLoopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// conn returns how to reach host, probing once whether a loopback (or
// insecure) registry speaks TLS. Elsewhere https is the only way.
func (c *Client) conn(ctx context.Context, host string) (*hostConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hc := c.hosts[host]; hc != nil {
		return hc, nil
	}
	cfg, err := c.tlsConfig(host)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	hc := &hostConn{client: &http.Client{Transport: retry.NewTransport(tr)}}
	if c.insecure(host) || isLoopback(host) {
		probe := &http.Client{Transport: tr}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/v2/", nil)
		if err != nil {
			return nil, err
		}
		resp, err := probe.Do(req)
		var rh tls.RecordHeaderError
		switch {
		case err == nil:
			resp.Body.Close()
		case errors.As(err, &rh) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
			hc.plainHTTP = true
		}
	}
	c.hosts[host] = hc
	return hc, nil
}

// authClient is the HTTP client for host, with its credentials.
func (c *Client) authClient(hc *hostConn) *auth.Client {
	return &auth.Client{
		Client:     hc.client,
		Cache:      c.cache,
		Credential: credentials.Credential(c.opts.Credentials),
		Header:     http.Header{"User-Agent": {"gun"}},
	}
}

// repository returns the remote repository r names, on host.
func (c *Client) repository(ctx context.Context, host string, r Ref) (*remote.Repository, error) {
	hc, err := c.conn(ctx, host)
	if err != nil {
		return nil, err
	}
	repo, err := remote.NewRepository(host + "/" + r.Path())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r, err)
	}
	repo.Client = c.authClient(hc)
	repo.PlainHTTP = hc.plainHTTP
	repo.MaxMetadataBytes = maxManifest
	return repo, nil
}

// maxManifest bounds manifests and indexes, as containerd does.
const maxManifest = 4 << 20
