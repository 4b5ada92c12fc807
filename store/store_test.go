package store

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gun-tools/gun/guntar"
	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/ulikunitz/xz"
)

type tEnt struct {
	name, body string
	typ        byte
	mode       int64
}

func mkTar(t testing.TB, ents ...tEnt) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: mode, Size: int64(len(e.body))}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if typ == tar.TypeSymlink || typ == tar.TypeLink {
			h.Linkname = e.body
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func gz(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// commitImage stores an image made of the given layer archives.
func commitImage(t *testing.T, s *Store, name string, layers ...[]byte) *Image {
	t.Helper()
	return commitImageConfig(t, s, name, v1.Image{Config: v1.ImageConfig{Cmd: []string{"/bin/sh"}}}, layers...)
}

// commitImageConfig is commitImage with the image's configuration.
func commitImageConfig(t *testing.T, s *Store, name string, cfg v1.Image, layers ...[]byte) *Image {
	t.Helper()
	b, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var ls []Layer
	for i, data := range layers {
		desc, diffID, err := b.PutLayer(context.Background(), bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, Layer{Descriptor: desc, DiffID: diffID, History: v1.History{CreatedBy: "layer " + string(rune('0'+i))}})
	}
	img, err := b.Commit(name, cfg, ls)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestLayerDirs(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	base := mkTar(t, tEnt{name: "etc/", typ: tar.TypeDir, mode: 0o755}, tEnt{name: "etc/hostname", body: "gun\n"}, tEnt{name: "etc/gone", body: "x"})
	top := mkTar(t, tEnt{name: "etc/.wh.gone"}, tEnt{name: "etc/new", body: "new"})
	img := commitImage(t, s, "test", gz(base), top)
	if img.Name != "test:latest" || len(img.Manifest.Layers) != 2 {
		t.Fatalf("image %s with %d layers", img.Name, len(img.Manifest.Layers))
	}
	if got := img.Manifest.Layers[0].MediaType; got != v1.MediaTypeImageLayerGzip {
		t.Errorf("gzip layer stored as %s", got)
	}

	// Concurrent callers share one unpack per layer.
	var wg sync.WaitGroup
	results := make([][]string, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = s.LayerDirs(context.Background(), "test", HostUnpacker{})
		})
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if strings.Join(results[i], " ") != strings.Join(results[0], " ") {
			t.Errorf("call %d got %v, call 0 %v", i, results[i], results[0])
		}
	}
	dirs := results[0]
	if len(dirs) != 2 {
		t.Fatalf("%d layer dirs", len(dirs))
	}
	if b, err := os.ReadFile(filepath.Join(dirs[0], "etc/hostname")); err != nil || string(b) != "gun\n" {
		t.Errorf("bottom layer etc/hostname: %q, %v", b, err)
	}
	fi, err := os.Lstat(filepath.Join(dirs[1], "etc/gone"))
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("top layer etc/gone should be an overlay whiteout: %v, %v", fi, err)
	}
	wantKey := HostUnpacker{}.Key()
	if !strings.Contains(dirs[0], "/layers/"+wantKey+"/") {
		t.Errorf("layer dir %s is not under the key %s", dirs[0], wantKey)
	}
	entries, _ := os.ReadDir(filepath.Dir(dirs[0]))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

// An unpacked layer is put in place before it is synced, with a marker
// naming the boot, which the background sync removes; a layer whose marker
// names another boot (a crash before the sync) is unpacked again, one of
// this boot is used.
func TestLayerDirsSyncedLater(t *testing.T) {
	if bootID() == "" {
		t.Skip("no boot ID: layers are synced before they are put in place")
	}
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	commitImage(t, s, "test", mkTar(t, tEnt{name: "f", body: "content"}))
	dirs, err := s.LayerDirs(context.Background(), "test", HostUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	dir := dirs[0]
	s.WaitSynced()
	if _, err := os.Stat(dir + unsyncedSuffix); !os.IsNotExist(err) {
		t.Fatalf("marker left after the sync: %v", err)
	}
	// The content a crash before the sync can leave: an empty file.
	use := func(marker string) string {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+unsyncedSuffix, []byte(marker), 0o644); err != nil {
			t.Fatal(err)
		}
		dirs, err := s.LayerDirs(context.Background(), "test", HostUnpacker{})
		if err != nil || dirs[0] != dir {
			t.Fatalf("layer dirs %v, %v", dirs, err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "f"))
		if err != nil {
			t.Fatal(err)
		}
		s.WaitSynced()
		return string(b)
	}
	if got := use(bootID()); got != "" {
		t.Errorf("a layer unpacked in this boot was unpacked again: f is %q", got)
	}
	if got := use("another-boot"); got != "content" {
		t.Errorf("a layer of another boot, not synced, was used: f is %q", got)
	}
	if _, err := os.Stat(dir + unsyncedSuffix); !os.IsNotExist(err) {
		t.Errorf("marker left after the layer was unpacked again and synced: %v", err)
	}
}

// TestLayerDirsCorrupt checks that a layer blob whose content does not
// match its digest is refused, and leaves no cache entry.
func TestLayerDirsCorrupt(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	img := commitImage(t, s, "test", mkTar(t, tEnt{name: "f", body: "original"}))
	p, _ := s.blobPath(img.Manifest.Layers[0].Digest)
	data, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(data, []byte("original"), []byte("tampered"), 1), 0o644)
	_, err = s.LayerDirs(context.Background(), "test", HostUnpacker{})
	if err == nil || !strings.Contains(err.Error(), "does not match its diff ID") {
		t.Fatalf("error %v, want a digest mismatch", err)
	}
	entries, _ := os.ReadDir(s.keyDir(HostUnpacker{}.Key()))
	for _, e := range entries {
		if e.IsDir() {
			t.Errorf("cache holds %s after a failed unpack", e.Name())
		}
	}
}

type keyUnpacker struct {
	HostUnpacker
	key string
}

func (k keyUnpacker) Key() string { return k.key }

func TestLayerDirsKeys(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	commitImage(t, s, "test", mkTar(t, tEnt{name: "f", body: "f"}))
	a, err := s.LayerDirs(context.Background(), "test", keyUnpacker{key: "map-a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.LayerDirs(context.Background(), "test", keyUnpacker{key: "../../weird key"})
	if err != nil {
		t.Fatal(err)
	}
	if a[0] == b[0] {
		t.Errorf("different keys share %s", a[0])
	}
	if !strings.HasPrefix(b[0], s.path(layersDir)+"/key-") {
		t.Errorf("unsafe key not hashed: %s", b[0])
	}
}

func TestPutLayer(t *testing.T) {
	data := mkTar(t, tEnt{name: "f", body: strings.Repeat("layer ", 1000)})
	var xzBuf bytes.Buffer
	xw, err := xz.NewWriter(&xzBuf)
	if err != nil {
		t.Fatal(err)
	}
	xw.Write(data)
	xw.Close()
	want := digest.FromBytes(data)
	for _, tc := range []struct {
		name, mediaType string
		input           []byte
		blobIsInput     bool
	}{
		{"none", v1.MediaTypeImageLayer, data, true},
		{"gzip", v1.MediaTypeImageLayerGzip, gz(data), true},
		{"xz", v1.MediaTypeImageLayer, xzBuf.Bytes(), false}, // stored uncompressed
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			b, err := s.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			desc, diffID, err := b.PutLayer(context.Background(), bytes.NewReader(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			if diffID != want || desc.MediaType != tc.mediaType {
				t.Errorf("diff ID %s, media type %s; want %s, %s", diffID, desc.MediaType, want, tc.mediaType)
			}
			stored := data
			if tc.blobIsInput {
				stored = tc.input
			}
			if desc.Digest != digest.FromBytes(stored) || desc.Size != int64(len(stored)) {
				t.Errorf("blob %s (%d bytes), want %s (%d)", desc.Digest, desc.Size, digest.FromBytes(stored), len(stored))
			}
		})
	}
}

// TestWriteImage stores a build's image: layers compressed by the store,
// an image written from a config the caller completed, unpacked layers of
// no image yet, a name given afterwards, and blobs kept past Close.
func TestWriteImage(t *testing.T) {
	s := newStore(t)
	layerTar := mkTar(t, tEnt{name: "hello", body: "world"})
	b, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	b.Keep()
	desc, diffID, err := b.CompressLayer(context.Background(), bytes.NewReader(layerTar), guntar.Gzip)
	if err != nil {
		t.Fatal(err)
	}
	if diffID != digest.FromBytes(layerTar) || desc.MediaType != v1.MediaTypeImageLayerGzip {
		t.Errorf("diff ID %s (want %s), media type %s", diffID, digest.FromBytes(layerTar), desc.MediaType)
	}
	dirs, err := s.LayerDirsOf(context.Background(), []v1.Descriptor{desc}, []digest.Digest{diffID}, HostUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dirs[0], "hello")); string(got) != "world" {
		t.Errorf("unpacked layer: hello = %q", got)
	}
	config := v1.Image{Platform: v1.Platform{Architecture: "amd64", OS: "linux"}, Config: v1.ImageConfig{Cmd: []string{"/hello"}},
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}}}
	img, err := b.WriteImage(Config{Image: config}, []v1.Descriptor{desc})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(config)
	if img.ID() != digest.FromBytes(data) || img.Name != "" {
		t.Errorf("image ID %s (want %s), name %q", img.ID(), digest.FromBytes(data), img.Name)
	}
	byDigest, err := s.ImageByDigest(img.Descriptor.Digest)
	if err != nil || byDigest.Config.Config.Cmd[0] != "/hello" {
		t.Fatalf("ImageByDigest: %v", err)
	}
	if _, err := b.Tag("made:1", img); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LayerDirs(context.Background(), "made:1", HostUnpacker{}); err != nil {
		t.Error(err)
	}
	if _, err := b.WriteImage(Config{Image: config}, nil); err == nil {
		t.Error("WriteImage accepted a config of one layer with none")
	}
	missing := v1.Descriptor{MediaType: desc.MediaType, Digest: digest.FromString("missing"), Size: 1}
	if _, err := b.WriteImage(Config{Image: config}, []v1.Descriptor{missing}); err == nil {
		t.Error("WriteImage accepted a layer the store lacks")
	}
	if _, err := s.LayerDirsOf(context.Background(), []v1.Descriptor{desc}, nil, HostUnpacker{}); err == nil {
		t.Error("LayerDirsOf accepted descriptors without diff IDs")
	}
	// A kept batch leaves what no image names, for a build's cache.
	other, _, err := b.CompressLayer(context.Background(), bytes.NewReader(mkTar(t, tEnt{name: "g", body: "g"})), guntar.Zstd)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if !s.HasBlob(other.Digest) {
		t.Error("Close removed a blob of a kept batch")
	}
}

// TestCompressLayer checks that the same tar gives the same blob with each
// compression, and that the blob decompresses to the tar.
func TestCompressLayer(t *testing.T) {
	var big bytes.Buffer
	for i := range 3000 {
		fmt.Fprintf(&big, "line %d of a file big enough for several compressed blocks\n", i*7919%3001)
	}
	layerTar := mkTar(t, tEnt{name: "big", body: strings.Repeat(big.String(), 20)}, tEnt{name: "small", body: "x"})
	for _, c := range []guntar.Compression{guntar.None, guntar.Gzip, guntar.Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			var got []v1.Descriptor
			for range 2 {
				s := newStore(t)
				b, err := s.Begin()
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				desc, diffID, err := b.CompressLayer(context.Background(), bytes.NewReader(layerTar), c)
				if err != nil {
					t.Fatal(err)
				}
				if diffID != digest.FromBytes(layerTar) {
					t.Errorf("diff ID %s, want %s", diffID, digest.FromBytes(layerTar))
				}
				rc, err := s.openBlob(desc.Digest)
				if err != nil {
					t.Fatal(err)
				}
				dr, gotC, err := guntar.Decompress(rc)
				if err != nil {
					t.Fatal(err)
				}
				data, err := io.ReadAll(dr)
				rc.Close()
				if err != nil || !bytes.Equal(data, layerTar) || gotC != c {
					t.Errorf("blob: %v, compression %s, same tar: %v", err, gotC, bytes.Equal(data, layerTar))
				}
				got = append(got, desc)
			}
			if !cmp.Equal(got[0], got[1]) {
				t.Errorf("the same tar gave %v and %v", got[0], got[1])
			}
		})
	}
}

// TestBatchCloseConcurrent checks that a batch closing while another is
// open leaves the blobs it made (the other may be using them) to Prune.
func TestBatchCloseConcurrent(t *testing.T) {
	s := newStore(t)
	a, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	desc, _, err := a.PutLayer(context.Background(), bytes.NewReader(mkTar(t, tEnt{name: "f", body: "f"})))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if !s.HasBlob(desc.Digest) {
		t.Fatal("blob removed while another batch was open")
	}
	b.Close()
	rep, err := s.Prune()
	if err != nil || rep.Blobs != 1 || s.HasBlob(desc.Digest) {
		t.Errorf("prune: %+v, %v; blob still there: %v", rep, err, s.HasBlob(desc.Digest))
	}
	// Alone, a batch cleans up after itself.
	c, _ := s.Begin()
	c.PutLayer(context.Background(), bytes.NewReader(mkTar(t, tEnt{name: "g", body: "g"})))
	c.Close()
	if entries, _ := os.ReadDir(s.blobDir()); len(entries) != 0 {
		t.Errorf("%d blobs left by a lone batch", len(entries))
	}
}

// Exclusive waits until no batch is open.
func TestExclusiveWaitsForBatches(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	closed, ranAfterClose := false, false
	done := make(chan error)
	go func() {
		done <- s.Exclusive(func() error {
			mu.Lock()
			ranAfterClose = closed
			mu.Unlock()
			return nil
		})
	}()
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	closed = true
	mu.Unlock()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !ranAfterClose {
		t.Error("Exclusive ran fn while a batch was open")
	}
}

// TestRunImage checks that what gun run reads of an image, decoded into
// small types, is what the whole configuration says.
func TestRunImage(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := v1.Image{Config: v1.ImageConfig{
		User: "app:staff", WorkingDir: "/srv", Env: []string{"A=1", "PATH=/bin"},
		Entrypoint: []string{"/entry", "--flag"}, Cmd: []string{"serve"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}}, Labels: map[string]string{"l": "v"}, StopSignal: "SIGINT",
	}}
	commitImageConfig(t, s, "full", cfg, mkTar(t, tEnt{name: "a", body: "a"}), gz(mkTar(t, tEnt{name: "b", body: "b"})))
	img, err := s.Image("full")
	if err != nil {
		t.Fatal(err)
	}
	ri, err := s.RunImage(context.Background(), resolve(t, s, "full"), HostUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := s.LayerDirs(context.Background(), "full", HostUnpacker{})
	if err != nil {
		t.Fatal(err)
	}
	c := img.Config.Config
	want := &RunImage{
		Name: img.Name, Digest: img.Descriptor.Digest, User: c.User, WorkingDir: c.WorkingDir,
		Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd, ExposedPorts: []string{"80/tcp"}, StopSignal: "SIGINT", Layers: dirs,
		// What it read: the index, the manifest and the configuration,
		// each layer's directory and its mark of not being synced yet.
		Sources: []string{
			filepath.Join(s.Root(), "index.json"),
			filepath.Join(s.Root(), "blobs", "sha256", img.Descriptor.Digest.Encoded()),
			filepath.Join(s.Root(), "blobs", "sha256", img.Manifest.Config.Digest.Encoded()),
			dirs[0], dirs[0] + ".unsynced", dirs[1], dirs[1] + ".unsynced",
		},
		Durable: ri.Durable,
	}
	if d := cmp.Diff(want, ri); d != "" {
		t.Errorf("RunImage (-from Image +got):\n%s", d)
	}
	// Durable once the layers are synced.
	s.WaitSynced()
	if ri, err := s.RunImage(context.Background(), resolve(t, s, "full"), HostUnpacker{}); err != nil || !ri.Durable {
		t.Errorf("after the syncs: %+v, %v", ri, err)
	}
	// By a prefix of its ID, as gun images shows it.
	if byID, err := s.RunImage(context.Background(), resolve(t, s, img.ID().Encoded()[:12]), HostUnpacker{}); err != nil || byID.Digest != want.Digest {
		t.Errorf("by ID: %+v, %v", byID, err)
	}
	if _, err := s.LayerDirs(context.Background(), "nothere", HostUnpacker{}); err == nil || !strings.Contains(err.Error(), "nothere") {
		t.Errorf("missing image: %v", err)
	}
}
