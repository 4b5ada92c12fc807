package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/gun-tools/gun/internal/testenv"
	"github.com/gun-tools/gun/store"
)

// tarOf makes a tar of files (name -> content).
func tarOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range files {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// makeImage commits an image of the given layers to st as name.
func makeImage(t testing.TB, st *store.Store, name string, layers ...map[string]string) *store.Image {
	t.Helper()
	b, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var ls []store.Layer
	for _, files := range layers {
		desc, diff, err := b.PutLayer(context.Background(), bytes.NewReader(tarOf(t, files)))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, store.Layer{Descriptor: desc, DiffID: diff})
	}
	config := v1.Image{Config: v1.ImageConfig{Cmd: []string{"/bin/true"}}}
	img, err := b.Commit(name, config, ls)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// logClient is a client whose log lines a test reads.
type logClient struct {
	*Client
	mu    sync.Mutex
	lines []string
}

func newClient(t testing.TB, opts Options) *logClient {
	t.Helper()
	lc := &logClient{}
	opts.Log = func(format string, args ...any) {
		lc.mu.Lock()
		lc.lines = append(lc.lines, fmt.Sprintf(format, args...))
		lc.mu.Unlock()
	}
	if opts.Credentials == nil {
		opts.Credentials = credentials.NewMemoryStore()
	}
	if opts.CertDirs == nil {
		opts.CertDirs = []string{}
	}
	if opts.Registries == nil {
		opts.Registries = map[string]HostConfig{}
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	lc.Client = c
	return lc
}

// count counts the log lines that contain s, and forgets them all.
func (lc *logClient) count(s string) int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	n := 0
	for _, l := range lc.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	lc.lines = nil
	return n
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func mustRef(t testing.TB, s string) Ref {
	t.Helper()
	r, err := ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// verifyStore reads every blob of every image of st, checking digests.
func verifyStore(t testing.TB, st *store.Store) {
	t.Helper()
	imgs, err := st.Images()
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		for _, d := range append([]v1.Descriptor{img.Descriptor, img.Manifest.Config}, img.Manifest.Layers...) {
			rc, err := st.OpenBlob(d.Digest)
			if err != nil {
				t.Fatalf("image %s: %v", img.Name, err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				t.Fatalf("image %s: %v", img.Name, err)
			}
			rc.Close()
		}
	}
}

func TestParseRef(t *testing.T) {
	for in, want := range map[string][2]string{
		"alpine":               {"docker.io/library/alpine:latest", "alpine:latest"},
		"alpine:3.20":          {"docker.io/library/alpine:3.20", "alpine:3.20"},
		"user/app":             {"docker.io/user/app:latest", "user/app:latest"},
		"localhost/app:1":      {"localhost/app:1", "localhost/app:1"},
		"127.0.0.1:5000/a/b:2": {"127.0.0.1:5000/a/b:2", "127.0.0.1:5000/a/b:2"},
		"quay.io/x/y@" + digest.FromString("x").String(): {"quay.io/x/y@" + digest.FromString("x").String(), ""},
	} {
		r, err := ParseRef(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if r.String() != want[0] || r.StoreName() != want[1] {
			t.Errorf("%s: got %s, %q; want %s, %q", in, r, r.StoreName(), want[0], want[1])
		}
	}
	r := mustRef(t, "debian:bookworm@"+digest.FromString("y").String())
	if r.Target() != digest.FromString("y").String() || r.Tag != "bookworm" {
		t.Errorf("name:tag@digest: target %s, tag %s", r.Target(), r.Tag)
	}
	for _, bad := range []string{"UPPER", "a b", "a:b:c:d", ""} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestPushPull(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ctx := context.Background()
	src := openStore(t)
	img := makeImage(t, src, "app:1", map[string]string{"a": "layer one"}, map[string]string{"b": "layer two"})
	c := newClient(t, Options{})
	ref := mustRef(t, reg.Host+"/team/app:1")
	d, err := c.Push(ctx, src, img, ref)
	if err != nil {
		t.Fatal(err)
	}
	if d != img.Descriptor.Digest {
		t.Fatalf("pushed %s, the image is %s", d, img.Descriptor.Digest)
	}
	if n := c.count("pushed ("); n != 3 {
		t.Errorf("first push: %d blobs pushed, want 3 (config and 2 layers)", n)
	}
	if _, err := c.Push(ctx, src, img, mustRef(t, reg.Host+"/team/app:again")); err != nil {
		t.Fatal(err)
	}
	if n := c.count("already in the registry"); n != 3 {
		t.Errorf("second push: %d blobs found in the registry, want 3", n)
	}

	dst := openStore(t)
	got, err := c.Pull(ctx, dst, ref, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Descriptor.Digest != d || got.Source.Digest != d || got.Source.Ref != ref.String() || got.Name != reg.Host+"/team/app:1" {
		t.Fatalf("pulled %+v (source %+v), want digest %s named %s", got.Descriptor, got.Source, d, reg.Host+"/team/app:1")
	}
	if n := c.count("pulled ("); n != 3 {
		t.Errorf("first pull: %d blobs pulled, want 3", n)
	}
	verifyStore(t, dst)
	again, err := dst.Image(reg.Host + "/team/app:1")
	if err != nil || again.ID() != img.ID() {
		t.Fatalf("image in the store: %v (ID %v, want %s)", err, again, img.ID())
	}

	// A second pull downloads nothing, and neither does a pull by digest.
	if _, err := c.Pull(ctx, dst, ref, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := c.count("already in the store"); n != 3 {
		t.Errorf("second pull: %d blobs found in the store, want 3", n)
	}
	byDigest, err := c.Pull(ctx, dst, ref.WithDigest(d), PullOptions{})
	if err != nil || byDigest.Descriptor.Digest != d {
		t.Fatalf("pull by digest: %v", err)
	}
	if imgs, err := dst.PulledImages(d); err != nil || len(imgs) != 1 {
		t.Fatalf("PulledImages: %v, %d images", err, len(imgs))
	}

	// Pushing what was pulled from team/app to another repository of the
	// same registry mounts its blobs.
	if _, err := c.Push(ctx, dst, got, mustRef(t, reg.Host+"/other/app:1")); err != nil {
		t.Fatal(err)
	}
	if n := c.count("mounted from team/app"); n != 3 {
		t.Errorf("cross-repository push: %d blobs mounted, want 3", n)
	}

	// A tag the registry lacks is a clear error, and names nothing.
	before, _ := dst.Images()
	_, err = c.Pull(ctx, dst, mustRef(t, reg.Host+"/team/app:nope"), PullOptions{})
	if err == nil || !strings.Contains(err.Error(), reg.Host+"/team/app:nope") {
		t.Fatalf("missing tag: %v", err)
	}
	after, _ := dst.Images()
	if len(after) != len(before) {
		t.Errorf("a failed pull changed the store's images: %d, then %d", len(before), len(after))
	}
}

// pushRaw pushes a JSON document as a manifest (tag "" pushes it by digest).
func pushRaw(t testing.TB, c *Client, r Ref, mediaType string, v any) v1.Descriptor {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := c.repository(context.Background(), r.Host(), r)
	if err != nil {
		t.Fatal(err)
	}
	desc := v1.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	tag := r.Tag
	if tag == "" {
		tag = desc.Digest.String()
	}
	if err := repo.PushReference(context.Background(), desc, bytes.NewReader(data), tag); err != nil {
		t.Fatal(err)
	}
	return desc
}

func TestMultiPlatform(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ctx := context.Background()
	src := openStore(t)
	c := newClient(t, Options{})
	var manifests []v1.Descriptor
	for _, arch := range []string{"amd64", "arm64"} {
		img := makeImage(t, src, "multi:"+arch, map[string]string{"arch": arch})
		if _, err := c.Push(ctx, src, img, mustRef(t, reg.Host+"/multi:"+arch)); err != nil {
			t.Fatal(err)
		}
		d := img.Descriptor
		d.Annotations = nil
		d.Platform = &v1.Platform{OS: "linux", Architecture: arch}
		manifests = append(manifests, d)
	}
	idx := v1.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageIndex, Manifests: manifests}
	top := pushRaw(t, c.Client, mustRef(t, reg.Host+"/multi:both"), v1.MediaTypeImageIndex, idx)

	for _, arch := range []string{"amd64", "arm64"} {
		dst := openStore(t)
		img, err := c.Pull(ctx, dst, mustRef(t, reg.Host+"/multi:both"), PullOptions{Platform: "linux/" + arch})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := src.Image("multi:" + arch)
		if img.Descriptor.Digest != want.Descriptor.Digest || img.Source.Digest != top.Digest {
			t.Errorf("--platform linux/%s: got manifest %s (source %s), want %s (source %s)", arch, img.Descriptor.Digest, img.Source.Digest, want.Descriptor.Digest, top.Digest)
		}
	}
	_, err := c.Pull(ctx, openStore(t), mustRef(t, reg.Host+"/multi:both"), PullOptions{Platform: "linux/s390x"})
	if err == nil || !strings.Contains(err.Error(), "linux/amd64, linux/arm64") || !strings.Contains(err.Error(), "linux/s390x") {
		t.Fatalf("missing platform: %v", err)
	}
}
