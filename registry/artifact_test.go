package registry

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gun-tools/gun/internal/testenv"
)

// TestArtifact pushes an artifact made of a config of its own type and a
// layer of the store, reads it back, pulls its layer into another store,
// and refuses an image where an artifact of that type is asked for.
func TestArtifact(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ctx := context.Background()
	src := openStore(t)
	img := makeImage(t, src, "app:1", map[string]string{"a": "layer one"})
	layer := img.Manifest.Layers[0]
	c := newClient(t, Options{})
	ref := mustRef(t, reg.Host+"/ci/cache:main")
	const typ = "application/vnd.gun.test.v1+json"
	config := []byte(`{"records": 1}`)
	d, err := c.PushArtifact(ctx, src, ref, typ, config, []v1.Descriptor{layer})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := c.PushArtifact(ctx, src, ref, typ, config, []v1.Descriptor{layer}); err != nil || again != d {
		t.Errorf("the same artifact pushed again: %s, %v; first %s", again, err, d)
	}
	if n := c.count("already in the registry"); n != 1 {
		t.Errorf("the second push found %d layers in the registry, want 1", n)
	}
	out, err := exec.Command(testenv.NeedProgram(t, "skopeo"), "inspect", "--raw", "--tls-verify=false", "docker://"+ref.String()).Output()
	if err != nil || !strings.Contains(string(out), typ) {
		t.Errorf("skopeo inspect --raw: %v\n%s", err, out)
	}

	m, got, err := c.FetchArtifact(ctx, ref, typ)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(config) || len(m.Layers) != 1 || m.Layers[0].Digest != layer.Digest {
		t.Fatalf("fetched config %q, layers %v", got, m.Layers)
	}
	dst := openStore(t)
	b, err := dst.Begin()
	if err != nil {
		t.Fatal(err)
	}
	b.Keep()
	if err := c.PullBlob(ctx, b, ref, m.Layers[0]); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if !dst.HasBlob(layer.Digest) {
		t.Error("the pulled layer is not in the store")
	}

	imgRef := mustRef(t, reg.Host+"/ci/app:1")
	if _, err := c.Push(ctx, src, img, imgRef); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.FetchArtifact(ctx, imgRef, typ); err == nil || !strings.Contains(err.Error(), "not \""+typ+"\"") {
		t.Errorf("an image fetched as an artifact: %v", err)
	}
	if _, _, err := c.FetchArtifact(ctx, mustRef(t, reg.Host+"/ci/none:1"), typ); err == nil || !strings.Contains(err.Error(), "ci/none:1") {
		t.Errorf("a missing artifact: %v", err)
	}
}
