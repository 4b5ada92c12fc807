package exec_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// layerIDRecipe exercises what a committed layer holds: new files and
// directories, hardlinks, symlinks, a fifo, owners, setuid, a time beyond
// the epoch, whiteouts, an opaque directory, a change to an image file,
// a step that only makes a directory (no layer), and the /etc stand-ins the
// init binds on (left out).
const layerIDRecipe = `Using "base.tar"
Exec "mkdir -p /a/b && echo x > /a/b/c && ln /a/b/c /a/hard && ln -s b/c /a/sym && mkfifo /a/fifo && chmod 4755 /a/b/c && chown 1000:1000 /a/b && touch -d '2100-01-01 00:00:00' /a/future"
Exec "rm /bin/vi && rm -rf /home/app && mkdir -p /home/app/new && echo y > /home/app/new/f && echo more >> /etc/passwd"
Exec "mkdir /onlydirs"
Exec "touch /a/b/c && rm /a/hard && cat /etc/hosts > /dev/null"
Workdir "/w"
Copy "f" "/w/f"
`

// Recorded from a build of layerIDRecipe by gun at c01807c, before layers
// were packed outside the container's init: the image ID (the config's
// digest), the base layer's diff ID it was built on, and the digest of the
// config with that diff ID replaced by "BASE" (the base archive holds the
// host's busybox, so its diff ID depends on the host's busybox-static).
const (
	recordedImageID    = "sha256:ba7460ca56e6e04f764a7823461ec430a681a3d9ec8e3bb2a2fe99726c4f26ce"
	recordedBaseDiffID = "sha256:af15102f37ac47d8020217b46b9d52435c88fbcd4d006c06302813f7cbe5f9c6"
	recordedConfigSum  = "d8e06638d01bd67173f18f9e63e740bb5b38ef9ee89728b867a91b40f4e455ed"
)

var recordedStepDiffIDs = []string{
	"sha256:2977841b2f737c9e87691ec05beb6c4f45c0ab7de45fb1744fe768487958e4b1",
	"sha256:a7747c2385e7993c337813380c9d3f4fe5d0af8d689b87d47cf3dedbf7556601",
	"sha256:ac55084089671840d5789910152c2ef01f9135644b80ece053c77c8063470557",
	"sha256:ad225af9d16e29a3f3e72f353559e7c42c4c3adc29fccc8ff3e551997530de2d",
	"sha256:646c743ee0465d081228a207b834defb4fde138692e5c178da40e31f019a00c5",
}

// TestImageIDUnchanged builds layerIDRecipe on a reproducible busybox base
// and compares the image with the one gun built before: the same layers
// (diff IDs) and the same config.
func TestImageIDUnchanged(t *testing.T) {
	p := newProject(t, map[string]string{"Gunfile": layerIDRecipe, "f": "hello\n"})
	base := filepath.Join(p.dir, "base.tar")
	script := `set -e
tree=$(mktemp -d)
"$1" "$tree/r"
find "$tree/r" -exec touch -h -d @0 {} +
tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$tree/r" -cf "$2" .
touch -d @0 "$2"
rm -rf "$tree"`
	abs, err := filepath.Abs("../testdata/rootfs/busybox.sh")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("sh", "-c", script, "sh", abs, base).CombinedOutput(); err != nil {
		need(t, "busybox base", fmt.Errorf("%v\n%s", err, out))
	}
	p.chown(p.dir)
	p.build("-t", "rec", ".")
	r := p.gun("inspect", "rec")
	var info struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || r.code != 0 {
		t.Fatalf("gun inspect rec: exit %d, %v\n%s", r.code, err, r.stderr)
	}
	config, err := os.ReadFile(filepath.Join(p.root, "blobs", "sha256", info.ID[len("sha256:"):]))
	if err != nil {
		t.Fatal(err)
	}
	var img v1.Image
	if err := json.Unmarshal(config, &img); err != nil {
		t.Fatal(err)
	}
	ids := img.RootFS.DiffIDs
	if len(ids) == 0 {
		t.Fatalf("config without layers: %s", config)
	}
	var steps []string
	for _, d := range ids[1:] {
		steps = append(steps, d.String())
	}
	if d := cmp.Diff(recordedStepDiffIDs, steps); d != "" {
		t.Errorf("the steps' layers changed (-recorded +built):\n%s", d)
	}
	normal := bytes.ReplaceAll(config, []byte(ids[0].String()), []byte("BASE"))
	if got := fmt.Sprintf("%x", sha256.Sum256(normal)); got != recordedConfigSum {
		t.Errorf("the config (its base's diff ID aside) changed:\n%s", config)
	}
	if ids[0].String() == recordedBaseDiffID && info.ID != recordedImageID {
		t.Errorf("image ID %s, recorded %s", info.ID, recordedImageID)
	}
	if ids[0].String() != recordedBaseDiffID {
		t.Logf("this host's busybox base (%s) is not the recorded one: the image ID is compared with its base's diff ID aside", ids[0])
	}
}
