package exec_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// urlServer is an https server on 127.0.0.1 whose one file can change, and
// which counts the requests it serves.
type urlServer struct {
	*httptest.Server
	mu       sync.Mutex
	body     string
	requests int
}

func newURLServer(t *testing.T, p *project, body string) *urlServer {
	s := &urlServer{body: body}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		b := s.body
		s.mu.Unlock()
		w.Write([]byte(b))
	}))
	t.Cleanup(s.Close)
	// The server's certificate, trusted by the gun process.
	cert := filepath.Join(p.root, "..", "ca.pem")
	pemb := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.TLS.Certificates[0].Certificate[0]})
	if err := os.WriteFile(cert, pemb, 0o644); err != nil {
		t.Fatal(err)
	}
	p.env = append(p.env, "SSL_CERT_FILE="+cert)
	return s
}

func (s *urlServer) serve(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = body
}

func (s *urlServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func sha256Digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

// TestCopyURL builds Copy of https URLs (Docker's ADD <url>): named by the
// URL's path, mode 0600 unless Mode says otherwise, pinned in Gunfile.sum;
// a pinned, cached step downloads nothing, and content that changed fails
// the build naming the URL and both digests.
func TestCopyURL(t *testing.T) {
	p := newProject(t, map[string]string{"Gunfile": "Using \"BUSYBOX\"\n"})
	srv := newURLServer(t, p, "hello v1\n")
	u1, u2 := srv.URL+"/dl/hello.txt?x=1", srv.URL+"/dl/hello.txt"
	p.write(map[string]string{"Gunfile": `Using "BUSYBOX"
Copy "` + u1 + `" "/opt/"
Copy Mode 0755 Owner "1:1" "` + u2 + `" "/usr/local/bin/hi"
`})
	_, files := p.buildFiles()
	checkFiles(t, files, map[string]string{
		"/opt":              "5 0755 0:0",
		"/opt/hello.txt":    "0 0600 0:0 hello v1\n",
		"/usr/local/bin/hi": "0 0755 1:1 hello v1\n",
		"/usr/local/bin":    "5 0755 1:1", // new parents are the Owner's, as for every Copy
		"/usr/local":        "5 0755 1:1",
	})
	sum, err := os.ReadFile(filepath.Join(p.dir, "Gunfile.sum"))
	v1 := sha256Digest("hello v1\n")
	if want := u2 + " " + v1 + "\n" + u1 + " " + v1 + "\n"; err != nil || string(sum) != want {
		t.Fatalf("Gunfile.sum = %q (%v), want %q", sum, err, want)
	}
	if n := srv.count(); n != 2 {
		t.Errorf("the first build made %d requests, want 2", n)
	}

	// Pinned and cached: nothing downloaded, nothing run, even with the
	// download cache gone and the server's file changed.
	if got := ran(p.build(".").stderr); len(got) != 0 {
		t.Errorf("a rebuild ran %q", got)
	}
	srv.serve("hello v2\n")
	os.RemoveAll(filepath.Join(p.root, "build", "downloads"))
	if got := ran(p.build(".").stderr); len(got) != 0 {
		t.Errorf("a rebuild ran %q", got)
	}
	if n := srv.count(); n != 2 {
		t.Errorf("cached builds made %d requests, want none", n-2)
	}

	// Run again: the download differs from its pin, and the build fails.
	r := p.gun("build", "--progress", "plain", "--no-cache", ".")
	if r.code == 0 {
		t.Fatal("a changed download was accepted")
	}
	for _, want := range []string{u1, "expected: " + v1, "got:      " + sha256Digest("hello v2\n"), "Gunfile:2:1"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("error does not contain %q:\n%s", want, r.stderr)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(p.dir, "Gunfile.sum")); string(b) != string(sum) {
		t.Errorf("Gunfile.sum changed to %q", b)
	}
}
