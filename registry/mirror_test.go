package registry

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gun-tools/gun/internal/testenv"
)

// TestMirrors: a pull goes to the registry's mirror first (the image named
// and sourced as the registry's), and to the registry when the mirror is
// down.
func TestMirrors(t *testing.T) {
	upstream := testenv.StartRegistry(t, testenv.RegistryOptions{})
	mirror := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ctx := context.Background()
	src := openStore(t)
	img := makeImage(t, src, "app:1", map[string]string{"m": "mirrored"})
	pusher := newClient(t, Options{})
	if _, err := pusher.Push(ctx, src, img, mustRef(t, mirror.Host+"/team/app:1")); err != nil {
		t.Fatal(err)
	}
	ref := mustRef(t, upstream.Host+"/team/app:1")
	c := newClient(t, Options{Registries: map[string]HostConfig{upstream.Host: {Mirrors: []string{mirror.Host}}}})
	got, err := c.Pull(ctx, openStore(t), ref, PullOptions{})
	if err != nil {
		t.Fatalf("pull through the mirror (the registry does not have it): %v", err)
	}
	if got.Name != upstream.Host+"/team/app:1" || got.Source.Ref != ref.String() || got.Descriptor.Digest != img.Descriptor.Digest {
		t.Errorf("pulled through the mirror: %s from %+v", got.Name, got.Source)
	}

	if _, err := pusher.Push(ctx, src, img, ref); err != nil {
		t.Fatal(err)
	}
	mirror.Stop()
	if _, err := c.Pull(ctx, openStore(t), ref, PullOptions{}); err != nil {
		t.Fatalf("pull with the mirror down: %v", err)
	}
	if c.count("mirror "+mirror.Host) != 1 {
		t.Error("the mirror's failure was not logged")
	}
}

// TestInsecureConfig: a registry the registries file lists as insecure is
// reached over TLS it cannot verify; others are not.
func TestInsecureConfig(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{TLS: true})
	ctx := context.Background()
	src := openStore(t)
	img := makeImage(t, src, "app:1", map[string]string{"i": "insecure"})
	ref := mustRef(t, reg.Host+"/team/app:1")
	if _, err := newClient(t, Options{}).Push(ctx, src, img, ref); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("push to an unverified registry: %v", err)
	}
	conf := filepath.Join(t.TempDir(), "registries.json")
	os.WriteFile(conf, []byte(`{"registries": {"`+reg.Host+`": {"insecure": true}}}`), 0o644)
	cfg, err := LoadConfig(conf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, Options{Registries: cfg}).Push(ctx, src, img, ref); err != nil {
		t.Fatalf("push to a registry listed as insecure: %v", err)
	}
	os.WriteFile(conf, []byte(`{"registries": [}`), 0o644)
	if _, err := LoadConfig(conf); err == nil || !strings.Contains(err.Error(), conf) {
		t.Errorf("a broken registries file: %v", err)
	}
}
