package registry

import (
	"bytes"
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gun-tools/gun/internal/testenv"
	"github.com/gun-tools/gun/store"
)

// isBlob and isManifest tell the registry API's requests apart.
func isBlob(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:")
}
func isManifestReq(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/")
}

// storeEmpty checks that a failed pull left no image and no blob.
func storeEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir + "/blobs/sha256")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("a failed pull left blob %s", e.Name())
	}
}

func TestFaults(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ctx := context.Background()
	src := openStore(t)
	img := makeImage(t, src, "app:1", map[string]string{"a": strings.Repeat("layer one ", 100000)}, map[string]string{"b": "layer two"})
	c := newClient(t, Options{})
	if _, err := c.Push(ctx, src, img, mustRef(t, reg.Host+"/team/app:1")); err != nil {
		t.Fatal(err)
	}
	big := img.Manifest.Layers[0].Digest.String()

	for _, tc := range []struct {
		name  string
		fault func() func(w http.ResponseWriter, r *http.Request) bool
		err   string // "" for success
	}{
		{"429 with Retry-After", func() func(http.ResponseWriter, *http.Request) bool {
			var n atomic.Int32
			return func(w http.ResponseWriter, r *http.Request) bool {
				if isManifestReq(r) && n.Add(1) == 1 {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(http.StatusTooManyRequests)
					return true
				}
				return false
			}
		}, ""},
		{"500 then success", func() func(http.ResponseWriter, *http.Request) bool {
			var n atomic.Int32
			return func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r) && n.Add(1) <= 2 {
					w.WriteHeader(http.StatusInternalServerError)
					return true
				}
				return false
			}
		}, ""},
		{"connection cut mid-blob", func() func(http.ResponseWriter, *http.Request) bool {
			var n atomic.Int32
			return func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r) && strings.HasSuffix(r.URL.Path, big) && n.Add(1) == 1 {
					rec := httptest.NewRecorder()
					httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: reg.Host}).ServeHTTP(rec, r)
					for k, v := range rec.Header() {
						w.Header()[k] = v
					}
					w.WriteHeader(rec.Code)
					w.Write(rec.Body.Bytes()[:rec.Body.Len()/2])
					w.(http.Flusher).Flush()
					conn, _, _ := w.(http.Hijacker).Hijack()
					conn.Close()
					return true
				}
				return false
			}
		}, ""},
		{"wrong digest", func() func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r) && strings.HasSuffix(r.URL.Path, big) {
					rec := httptest.NewRecorder()
					httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: reg.Host}).ServeHTTP(rec, r)
					body := rec.Body.Bytes()
					body[len(body)/2] ^= 1
					w.Header().Set("Content-Length", rec.Header().Get("Content-Length"))
					w.Write(body)
					return true
				}
				return false
			}
		}, "does not match its digest"},
		{"huge manifest", func() func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if isManifestReq(r) || r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/manifests/") {
					w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
					body := append(append([]byte(`{"schemaVersion":2,"x":"`), bytes.Repeat([]byte("x"), 5<<20)...), `"}`...)
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
					w.Write(body)
					return true
				}
				return false
			}
		}, "limit"},
		{"manifest not JSON", func() func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if isManifestReq(r) {
					w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
					w.Write([]byte("{not json"))
					return true
				}
				return false
			}
		}, "JSON"},
		{"unknown media type", func() func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if isManifestReq(r) {
					w.Header().Set("Content-Type", "application/vnd.example.thing+json")
					w.Write([]byte(`{"mediaType":"application/vnd.example.thing+json"}`))
					return true
				}
				return false
			}
		}, "media type"},
		{"redirect loop", func() func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if isBlob(r) {
					http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
					return true
				}
				return false
			}
		}, "redirect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := testenv.FaultProxy(t, reg.Host, tc.fault())
			ref := mustRef(t, host+"/team/app:1")
			dir := t.TempDir()
			dst, err := store.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			lc := newClient(t, Options{})
			got, err := lc.Pull(ctx, dst, ref, PullOptions{})
			if tc.err == "" {
				if err != nil {
					t.Fatalf("pull: %v", err)
				}
				if got.Descriptor.Digest != img.Descriptor.Digest {
					t.Fatalf("pulled %s, want %s", got.Descriptor.Digest, img.Descriptor.Digest)
				}
				verifyStore(t, dst)
				if tc.name == "connection cut mid-blob" && lc.count("asking for the rest") != 1 {
					t.Errorf("the cut blob was not resumed")
				}
				if tc.name == "429 with Retry-After" && time.Since(start) < time.Second {
					t.Errorf("Retry-After: 1 was not honoured (pull took %v)", time.Since(start))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), ref.String()) {
				t.Fatalf("pull: %v; want an error naming %s and saying %q", err, ref, tc.err)
			}
			if imgs, _ := dst.Images(); len(imgs) != 0 {
				t.Errorf("a failed pull named %d images", len(imgs))
			}
			storeEmpty(t, dir)
		})
	}
}

// TestPullCanceled: a pull canceled mid-blob (Ctrl-C) names no image and
// stores no blob, but keeps what it received of the blob in the store's
// partial area: the next pull asks for the rest only (an HTTP range). A
// partial blob that turns out not to be the registry's is fetched again
// from its start; gun prune removes partial blobs.
func TestPullCanceled(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	src := openStore(t)
	noise := make([]byte, 1<<20)
	mathrand.NewChaCha8([32]byte{2}).Read(noise)
	img := makeImage(t, src, "app:1", map[string]string{"noise": string(noise)})
	if _, err := newClient(t, Options{}).Push(context.Background(), src, img, mustRef(t, reg.Host+"/team/app:1")); err != nil {
		t.Fatal(err)
	}
	layer := img.Manifest.Layers[0]
	half := layer.Size / 2
	var mu sync.Mutex
	var ranges []string
	var requests int
	stall := make(chan struct{})
	host := testenv.FaultProxy(t, reg.Host, func(w http.ResponseWriter, r *http.Request) bool {
		if !isBlob(r) || !strings.HasSuffix(r.URL.Path, layer.Digest.String()) {
			return false
		}
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		requests++
		first := requests == 1
		mu.Unlock()
		if !first {
			return false
		}
		rec := httptest.NewRecorder()
		httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: reg.Host}).ServeHTTP(rec, r)
		w.Header().Set("Content-Length", rec.Header().Get("Content-Length"))
		w.Write(rec.Body.Bytes()[:half])
		w.(http.Flusher).Flush()
		select {
		case <-stall:
		case <-r.Context().Done():
		}
		return true
	})
	t.Cleanup(func() { close(stall) })
	takeRanges := func() []string {
		mu.Lock()
		defer mu.Unlock()
		r := ranges
		ranges = nil
		return r
	}
	dir := t.TempDir()
	dst, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(dir, "partial", layer.Digest.Encoded())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Canceled once the first half is in the partial file.
		for fi, err := os.Stat(partial); err != nil || fi.Size() < half; fi, err = os.Stat(partial) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err = newClient(t, Options{}).Pull(ctx, dst, mustRef(t, host+"/team/app:1"), PullOptions{})
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("canceled pull: %v", err)
	}
	if imgs, _ := dst.Images(); len(imgs) != 0 {
		t.Errorf("a canceled pull named %d images", len(imgs))
	}
	storeEmpty(t, dir)
	if fi, err := os.Stat(partial); err != nil || fi.Size() != half {
		t.Fatalf("the partial blob: %v, %v; want %d bytes", fi, err, half)
	}
	takeRanges()

	lc := newClient(t, Options{})
	if _, err := lc.Pull(context.Background(), dst, mustRef(t, host+"/team/app:1"), PullOptions{}); err != nil {
		t.Fatal(err)
	}
	verifyStore(t, dst)
	if got, want := takeRanges(), []string{fmt.Sprintf("bytes=%d-", half)}; !slices.Equal(got, want) {
		t.Errorf("the next pull asked for the blob with ranges %q, want %q", got, want)
	}
	if lc.count("resuming at byte") != 1 {
		t.Errorf("no line says the pull resumed: %q", lc.lines)
	}
	if _, err := os.Stat(partial); err == nil {
		t.Error("the partial blob is left after the pull")
	}

	// A partial blob of other bytes: the whole does not match, and the
	// blob comes again from its start.
	other := openStore(t)
	bad := filepath.Join(other.Root(), "partial", layer.Digest.Encoded())
	os.MkdirAll(filepath.Dir(bad), 0o755)
	if err := os.WriteFile(bad, make([]byte, half), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, Options{}).Pull(context.Background(), other, mustRef(t, host+"/team/app:1"), PullOptions{}); err != nil {
		t.Fatal(err)
	}
	verifyStore(t, other)
	if got, want := takeRanges(), []string{fmt.Sprintf("bytes=%d-", half), ""}; !slices.Equal(got, want) {
		t.Errorf("with a corrupt partial blob, ranges %q, want %q", got, want)
	}

	// Prune removes partial blobs.
	if err := os.WriteFile(partial, noise[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	if rep, err := dst.Prune(); err != nil || rep.Leftovers != 1 {
		t.Errorf("prune: %+v, %v", rep, err)
	}
	if _, err := os.Stat(partial); err == nil {
		t.Error("prune left the partial blob")
	}
}

// TestResume: a blob whose connection breaks halfway goes on from the
// bytes the store kept, with an HTTP range, and starts again, cleanly,
// from a registry that ignores ranges; either way the blob is verified.
func TestResume(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ctx := context.Background()
	src := openStore(t)
	noise := make([]byte, 1<<20)
	mathrand.NewChaCha8([32]byte{1}).Read(noise)
	img := makeImage(t, src, "app:1", map[string]string{"noise": string(noise)})
	if _, err := newClient(t, Options{}).Push(ctx, src, img, mustRef(t, reg.Host+"/team/app:1")); err != nil {
		t.Fatal(err)
	}
	layer := img.Manifest.Layers[0]
	upstream := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: reg.Host})
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignores ranges %v", ignore), func(t *testing.T) {
			var mu sync.Mutex
			var ranges []string
			var served int
			host := testenv.FaultProxy(t, reg.Host, func(w http.ResponseWriter, r *http.Request) bool {
				if !isBlob(r) || !strings.HasSuffix(r.URL.Path, layer.Digest.String()) {
					return false
				}
				mu.Lock()
				defer mu.Unlock()
				ranges = append(ranges, r.Header.Get("Range"))
				first := len(ranges) == 1
				if ignore {
					r.Header.Del("Range")
				}
				rec := httptest.NewRecorder()
				upstream.ServeHTTP(rec, r)
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				body := rec.Body.Bytes()
				if first {
					body = body[:len(body)/2]
				}
				served += len(body)
				w.Write(body)
				if first {
					w.(http.Flusher).Flush()
					conn, _, _ := w.(http.Hijacker).Hijack()
					conn.Close()
				}
				return true
			})
			dst := openStore(t)
			lc := newClient(t, Options{})
			got, err := lc.Pull(ctx, dst, mustRef(t, host+"/team/app:1"), PullOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Descriptor.Digest != img.Descriptor.Digest {
				t.Fatalf("pulled %s, want %s", got.Descriptor.Digest, img.Descriptor.Digest)
			}
			verifyStore(t, dst)
			// The handler may still be returning: its lock orders what it
			// recorded before what is read here.
			mu.Lock()
			defer mu.Unlock()
			half := layer.Size / 2
			if want := []string{"", fmt.Sprintf("bytes=%d-", half)}; !slices.Equal(ranges, want) {
				t.Errorf("the blob was asked for with ranges %q, want %q", ranges, want)
			}
			want, line := layer.Size, "asking for the rest"
			if ignore {
				want += half
				if lc.count("the registry ignores ranges; starting again") != 1 {
					t.Error("no line says the registry ignores ranges")
				}
			} else if lc.count(line) != 1 {
				t.Errorf("no line says %q", line)
			}
			if int64(served) != want {
				t.Errorf("the registry served %d bytes of a %d-byte blob, want %d", served, layer.Size, want)
			}
		})
	}
}
