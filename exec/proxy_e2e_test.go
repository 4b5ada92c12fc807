package exec_test

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gun-tools/gun/lang/spec"
)

// proxyHost is a name no resolver knows: a step reaches it only through a
// proxy.
const proxyHost = "gun-proxy-test.invalid"

const proxyContent = "through the proxy\n"

// proxy is an HTTP proxy on 127.0.0.1 that serves proxyHost's /file and
// counts the requests for it.
type proxy struct {
	url string // http://user:token@127.0.0.1:port, the value --arg gives
	mu  sync.Mutex
	n   int
}

// asked returns how many times the proxy served the file.
func (p *proxy) asked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func newProxy(t *testing.T) *proxy {
	p := &proxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A proxy is asked for an absolute URI.
		if !r.URL.IsAbs() || r.URL.Host != proxyHost || r.URL.Path != "/file" {
			http.Error(w, "not proxied: "+r.URL.String(), http.StatusBadGateway)
			return
		}
		p.mu.Lock()
		p.n++
		p.mu.Unlock()
		fmt.Fprint(w, proxyContent)
	}))
	t.Cleanup(srv.Close)
	// The user and password stand for the credentials a proxy URL may
	// hold, which Docker leaves out of the history for that reason.
	p.url = "http://gun:" + newSecret() + "@" + strings.TrimPrefix(srv.URL, "http://")
	return p
}

func md5Line(s string) string {
	sum := md5.Sum([]byte(s + "\n"))
	return hex.EncodeToString(sum[:]) + "  -\n"
}

// TestProxyArgs builds with BuildKit's predefined proxy Args: --arg
// HTTP_PROXY gives every Exec of every stage HTTP_PROXY and http_proxy
// (busybox wget reads the lower-case one) without an Arg and without a
// warning, winning over the image's Env; nothing records the value: not the
// image config, the history, the progress output, the --verbose log or any
// file of the store, and another value is a cache hit. Declared with Arg,
// HTTP_PROXY is an ordinary Arg: its value is in the history and the key,
// and another value runs the step again.
func TestProxyArgs(t *testing.T) {
	p1, p2 := newProxy(t), newProxy(t)
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX" As fetch
Exec "wget -q -O /got http://` + proxyHost + `/file"

Using "BUSYBOX"
Env FTP_PROXY "ftp://stale"
Copy From fetch "/got" "/got"
Exec "echo \"$HTTP_PROXY|$http_proxy|$FTP_PROXY|$ftp_proxy|$NO_PROXY|$no_proxy\" | md5sum > /envsum"
`,
	})
	args := func(proxyURL string, more ...string) []string {
		return append([]string{"-t", "proxied", "--arg", "HTTP_PROXY=" + proxyURL}, more...)
	}
	r, files := p.buildFiles(args(p1.url, "--arg", "ftp_proxy=ftp://fresh", "--arg", "NO_PROXY=localhost")...)
	checkFiles(t, files, map[string]string{
		"/got":    "0 0644 0:0 " + proxyContent,
		"/envsum": "0 0644 0:0 " + md5Line(p1.url+"|"+p1.url+"|ftp://fresh|ftp://fresh|localhost|localhost"),
	})
	if n := p1.asked(); n != 1 {
		t.Errorf("the proxy was asked %d times, want 1", n)
	}
	if strings.Contains(r.stderr, "warning") {
		t.Errorf("gun build warns:\n%s", r.stderr)
	}
	env := p.inspect("proxied").Config.Config.Env
	var proxies []string
	for _, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); spec.ProxyVar(name) {
			proxies = append(proxies, kv)
		}
	}
	if want := []string{"FTP_PROXY=ftp://stale"}; !slices.Equal(proxies, want) {
		t.Errorf("the image's Env is %q: want of the proxy variables only %q, the Gunfile's", env, want)
	}

	// Another proxy: every step comes from the cache, and the log of a
	// verbose build does not have the value either.
	r = p.gun(append([]string{"--verbose", "build", "--progress", "plain"}, args(p2.url, "--arg", "http_proxy="+p2.url, "--arg", "no_proxy=other", ".")...)...)
	if r.code != 0 {
		t.Fatalf("gun build: exit %d\n%s", r.code, r.stderr)
	}
	if got := ran(r.stderr); len(got) != 0 {
		t.Errorf("a rebuild with another proxy ran %q", got)
	}
	if n := p2.asked(); n != 0 {
		t.Errorf("the second proxy was asked %d times, want 0", n)
	}
	for _, u := range []string{p1.url, p2.url} {
		if strings.Contains(r.stdout+r.stderr, strings.TrimPrefix(u, "http://")) {
			t.Errorf("the proxy %s is in gun build's output", u)
		}
		noSecret(t, p, strings.TrimPrefix(u, "http://"))
	}

	// Declared, it is an ordinary Arg.
	p.write(map[string]string{"Gunfile": `Using "BUSYBOX"
Arg HTTP_PROXY
Exec "wget -q -O /got http://` + proxyHost + `/file"
`})
	for i, tt := range []struct {
		proxy *proxy
		ran   int
	}{{p1, 1}, {p2, 1}, {p2, 0}} {
		before := tt.proxy.asked()
		r := p.build(args(tt.proxy.url, ".")...)
		if got := ran(r.stderr); len(got) != tt.ran {
			t.Errorf("build %d with Arg HTTP_PROXY ran %q, want %d steps", i+1, got, tt.ran)
		}
		if n := tt.proxy.asked() - before; n != tt.ran {
			t.Errorf("build %d with Arg HTTP_PROXY asked the proxy %d times, want %d", i+1, n, tt.ran)
		}
	}
	var history []string
	for _, h := range p.inspect("proxied").Config.History {
		history = append(history, h.CreatedBy)
	}
	if want := "Arg HTTP_PROXY=" + fmt.Sprintf("%q", p2.url); !strings.Contains(strings.Join(history, "\n"), want) {
		t.Errorf("the history of the image with Arg HTTP_PROXY has no %s:\n%s", want, strings.Join(history, "\n"))
	}
}
