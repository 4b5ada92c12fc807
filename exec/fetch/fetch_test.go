package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func digestOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(h[:])
}

type server struct {
	*httptest.Server
	body     atomic.Value // string
	requests atomic.Int64
}

func newServer(t *testing.T, body string) *server {
	s := &server{}
	s.body.Store(body)
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(s.body.Load().(string)))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestFetchPinsAndVerifies(t *testing.T) {
	srv := newServer(t, "base v1")
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	sumPath := filepath.Join(dir, SumFileName)
	f := &Fetcher{Dir: cache, Client: srv.Client()}
	url := srv.URL + "/base.tar"
	ctx := context.Background()

	fetch := func() (string, string, error) {
		t.Helper()
		sums, err := ReadSumFile(sumPath)
		if err != nil {
			t.Fatal(err)
		}
		p, d, err := f.Fetch(ctx, url, sums)
		if err == nil {
			if err := sums.Write(); err != nil {
				t.Fatal(err)
			}
		}
		return p, d, err
	}

	// First build: downloaded and pinned.
	p, d, err := fetch()
	if err != nil {
		t.Fatal(err)
	}
	if d != digestOf("base v1") {
		t.Fatalf("digest %s", d)
	}
	if b, _ := os.ReadFile(p); string(b) != "base v1" {
		t.Fatalf("cached content %q", b)
	}
	sum, _ := os.ReadFile(sumPath)
	if want := url + " " + digestOf("base v1") + "\n"; string(sum) != want {
		t.Fatalf("Gunfile.sum = %q, want %q", sum, want)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}

	// Second build: from the cache, no request.
	if _, _, err := fetch(); err != nil {
		t.Fatal(err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("cached fetch made a request (%d in all)", n)
	}

	// A Gunfile.sum made anew: pinned again from the cache, no request.
	os.Remove(sumPath)
	if _, _, err := fetch(); err != nil {
		t.Fatal(err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("fetch with a new sum file made a request (%d in all)", n)
	}
	if b, _ := os.ReadFile(sumPath); string(b) != string(sum) {
		t.Fatalf("re-pinned Gunfile.sum = %q", b)
	}

	// The cache is gone and the server's file changed: a loud failure.
	os.RemoveAll(cache)
	srv.body.Store("base v2, tampered")
	_, _, err = fetch()
	var mm *MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("changed download: err = %v, want a MismatchError", err)
	}
	for _, want := range []string{url, "expected: " + digestOf("base v1"), "got:      " + digestOf("base v2, tampered"), sumPath} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if b, _ := os.ReadFile(sumPath); string(b) != string(sum) {
		t.Fatalf("a mismatch changed Gunfile.sum to %q", b)
	}
	if ents, _ := os.ReadDir(filepath.Join(cache, "sha256")); len(ents) != 0 {
		t.Fatalf("a mismatching download was kept: %v", ents)
	}

	// The original content again: downloaded, verified, fine.
	srv.body.Store("base v1")
	if _, d, err := fetch(); err != nil || d != digestOf("base v1") {
		t.Fatalf("re-download: %s, %v", d, err)
	}
}

func TestFetchHTTPError(t *testing.T) {
	srv := newServer(t, "")
	f := &Fetcher{Dir: t.TempDir(), Client: srv.Client()}
	sums, _ := ReadSumFile(filepath.Join(t.TempDir(), SumFileName))
	_, _, err := f.Fetch(context.Background(), srv.URL+"/missing", sums)
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/missing: 404 Not Found") {
		t.Fatalf("err = %v", err)
	}
	if _, ok := sums.Lookup(srv.URL + "/missing"); ok {
		t.Fatal("a failed download was pinned")
	}
}

func TestReadSumFile(t *testing.T) {
	d1, d2 := digestOf("1"), digestOf("2")
	tests := []struct {
		name, text, err string
	}{
		{"good", "https://a/x " + d1 + "\n\nhttps://b/y " + d2 + "\n", ""},
		{"three fields", "https://a/x " + d1 + " extra", ":1: malformed line"},
		{"bad digest", "https://a/x " + d1 + "\nhttps://b sha256:zz", ":2: malformed line"},
		{"upper-case hex", "https://a/x sha256:" + strings.ToUpper(d1[7:]), ":1: malformed line"},
		{"pinned twice", "https://a/x " + d1 + "\nhttps://a/x " + d2, ":2: https://a/x is pinned twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), SumFileName)
			os.WriteFile(p, []byte(tt.text), 0o644)
			s, err := ReadSumFile(p)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if d, ok := s.Lookup("https://b/y"); !ok || d != d2 {
					t.Fatalf("Lookup = %s, %v", d, ok)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), p+tt.err) {
				t.Fatalf("err = %v, want %q", err, p+tt.err)
			}
		})
	}
}

func TestSumFileWriteSorted(t *testing.T) {
	p := filepath.Join(t.TempDir(), SumFileName)
	s, _ := ReadSumFile(p)
	s.Add("https://z/1", digestOf("z"))
	s.Add("https://a/1", digestOf("a"))
	if err := s.Write(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	want := "https://a/1 " + digestOf("a") + "\nhttps://z/1 " + digestOf("z") + "\n"
	if string(b) != want {
		t.Fatalf("got %q, want %q", b, want)
	}
	// Unchanged: not rewritten.
	os.Remove(p)
	s2, _ := ReadSumFile(p)
	if err := s2.Write(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("an unchanged, empty sum file was written")
	}
}

func FuzzParseSums(f *testing.F) {
	f.Add([]byte("https://a/x " + digestOf("1") + "\n"))
	f.Add([]byte("x y z\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseSums("Gunfile.sum", b)
		if err != nil {
			return
		}
		for u, d := range s.sums {
			if !validDigest(d) || strings.ContainsAny(u, " \t\n") {
				t.Fatalf("accepted %q %q", u, d)
			}
		}
	})
}
