// Package fetch downloads the https bases of a Gunfile once into a
// content-addressed download cache and pins their digests in a Gunfile.sum
// beside the Gunfile, as go.sum pins modules: a later download that does not
// match the recorded digest fails the build.
package fetch

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/gun-tools/gun/internal/atomicfile"
)

// SumFileName is the name of the sum file beside a Gunfile.
const SumFileName = "Gunfile.sum"

// SumFile holds the digests a Gunfile's URLs are pinned to. Its lines are
// "URL sha256:HEX", sorted by URL. It is safe for concurrent use.
type SumFile struct {
	Path string

	mu      sync.Mutex
	sums    map[string]string
	changed bool
}

// ReadSumFile reads the sum file at path; a missing file is an empty one.
func ReadSumFile(path string) (*SumFile, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &SumFile{Path: path, sums: map[string]string{}}, nil
	}
	if err != nil {
		return nil, err
	}
	return parseSums(path, b)
}

func parseSums(path string, b []byte) (*SumFile, error) {
	s := &SumFile{Path: path, sums: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 2 || !validDigest(f[1]) {
			return nil, fmt.Errorf("%s:%d: malformed line %q, want \"URL sha256:HEX\"", path, line, text)
		}
		if d, dup := s.sums[f[0]]; dup && d != f[1] {
			return nil, fmt.Errorf("%s:%d: %s is pinned twice, to %s and %s", path, line, f[0], d, f[1])
		}
		s.sums[f[0]] = f[1]
	}
	return s, sc.Err()
}

func validDigest(d string) bool {
	h, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

// Lookup returns the digest url is pinned to.
func (s *SumFile) Lookup(url string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.sums[url]
	return d, ok
}

// Add pins url to digest.
func (s *SumFile) Add(url, digest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sums[url] != digest {
		s.sums[url] = digest
		s.changed = true
	}
}

// Write saves the sum file atomically when something was added.
func (s *SumFile) Write() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.changed {
		return nil
	}
	urls := make([]string, 0, len(s.sums))
	for u := range s.sums {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	var b bytes.Buffer
	for _, u := range urls {
		fmt.Fprintf(&b, "%s %s\n", u, s.sums[u])
	}
	if err := atomicfile.WriteFile(s.Path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", s.Path, err)
	}
	s.changed = false
	return nil
}

// MismatchError says that a download's digest differs from the pinned one.
type MismatchError struct {
	URL, SumFile, Expected, Got string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: SECURITY ERROR: %s does not match its pinned digest\n\texpected: %s\n\tgot:      %s\n"+
		"the file at that URL changed since it was pinned; if that is intended, remove its line from %s",
		e.SumFile, e.URL, e.Expected, e.Got, e.SumFile)
}

// Fetcher downloads URLs into Dir (a content-addressed cache: Dir/sha256/HEX,
// and Dir/urls/HEX-of-URL holding the digest last downloaded from a URL).
type Fetcher struct {
	Dir    string
	Client *http.Client // nil: http.DefaultClient
}

// Fetch returns the path of url's content in the cache, and its digest.
// When sums pins url and the pinned content is cached, nothing is
// downloaded. Otherwise url is downloaded (once) and checked against the
// pin, or pinned in sums when it had none.
func (f *Fetcher) Fetch(ctx context.Context, url string, sums *SumFile) (path, digest string, err error) {
	want, pinned := sums.Lookup(url)
	if !pinned {
		// Downloaded before but not pinned (a new Gunfile.sum): reuse.
		if b, err := os.ReadFile(f.urlFile(url)); err == nil && validDigest(string(b)) {
			if p := f.blob(string(b)); exists(p) {
				sums.Add(url, string(b))
				return p, string(b), nil
			}
		}
	} else if p := f.blob(want); exists(p) {
		return p, want, nil
	}
	got, err := f.download(ctx, url)
	if err != nil {
		return "", "", err
	}
	if pinned && got != want {
		os.Remove(f.blob(got))
		return "", "", &MismatchError{URL: url, SumFile: sums.Path, Expected: want, Got: got}
	}
	if err := os.MkdirAll(filepath.Join(f.Dir, "urls"), 0o755); err != nil {
		return "", "", err
	}
	if err := atomicfile.WriteFile(f.urlFile(url), []byte(got), 0o644); err != nil {
		return "", "", err
	}
	sums.Add(url, got)
	return f.blob(got), got, nil
}

func (f *Fetcher) blob(digest string) string {
	return filepath.Join(f.Dir, "sha256", strings.TrimPrefix(digest, "sha256:"))
}

func (f *Fetcher) urlFile(url string) string {
	h := sha256.Sum256([]byte(url))
	return filepath.Join(f.Dir, "urls", hex.EncodeToString(h[:]))
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// download writes url's body to a temporary file, hashing it on the way,
// and renames it to its digest's name.
func (f *Fetcher) download(ctx context.Context, url string) (digest string, err error) {
	dir := filepath.Join(f.Dir, "sha256")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download %s: %s", url, resp.Status)
	}
	tmp, err := os.CreateTemp(dir, ".download*")
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), resp.Body)
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return "", fmt.Errorf("download %s: got %d of %d bytes", url, n, resp.ContentLength)
	}
	if err = tmp.Sync(); err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	if err = tmp.Close(); err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	if err = os.Rename(tmp.Name(), f.blob(digest)); err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	if err = atomicfile.SyncDir(filepath.Dir(f.blob(digest))); err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	return digest, nil
}
