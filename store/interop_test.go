package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gun-tools/gun/internal/testenv"
)

// treeListing describes a directory tree as tarListing describes an
// archive (without hardlink detection: busybox's tree has none).
func treeListing(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%04o %d:%d", st.Mode&0o7777, st.Uid, st.Gid)
		switch {
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc = fmt.Sprintf("0 %s %x", desc, sha256sum(data))
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			desc = "2 " + desc + " -> " + target
		case fi.IsDir():
			desc = "5 " + desc
		default:
			desc = "? " + desc
		}
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInteropOut checks that skopeo and umoci read what gun save writes.
func TestInteropOut(t *testing.T) {
	needTool(t, "skopeo")
	needTool(t, "umoci")
	root := t.TempDir()
	bb := busyboxTar(t)
	mustGun(t, root, "import", bb, "example.com/busybox:1.0")
	work := t.TempDir()
	archive := filepath.Join(work, "busybox-oci.tar")
	mustGun(t, root, "save", "example.com/busybox:1.0", "-o", archive)

	var info struct {
		Architecture, Os string
		Layers           []string
	}
	if err := json.Unmarshal([]byte(run(t, "skopeo", "inspect", "oci-archive:"+archive)), &info); err != nil {
		t.Fatal(err)
	}
	if info.Os != "linux" || len(info.Layers) != 1 {
		t.Errorf("skopeo inspect: %+v", info)
	}
	// skopeo copy to a layout, and umoci unpacks both that and gun's own
	// archive (extracted: umoci reads layouts) to the original tree.
	layout := filepath.Join(work, "layout")
	run(t, "skopeo", "copy", "oci-archive:"+archive, "oci:"+layout+":copied")
	extracted := filepath.Join(work, "extracted")
	os.Mkdir(extracted, 0o755)
	run(t, "tar", "-C", extracted, "-xf", archive)
	want := tarListing(t, bb)
	for _, image := range []string{layout + ":copied", extracted + ":1.0"} {
		bundle := filepath.Join(t.TempDir(), "bundle")
		args := []string{"unpack", "--image", image, bundle}
		if os.Geteuid() != 0 {
			args = append([]string{"unpack", "--rootless"}, args[1:]...)
		}
		run(t, "umoci", args...)
		got := treeListing(t, filepath.Join(bundle, "rootfs"))
		if os.Geteuid() != 0 {
			testenv.Need(t, "comparing owners", errors.New("needs root"))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("umoci unpack %s (-imported +unpacked):\n%s", image, diff)
		}
	}
}

// TestInteropIn imports what skopeo writes, as an OCI archive, a docker
// archive and an OCI layout, and checks that each holds the same tree and
// runs.
func TestInteropIn(t *testing.T) {
	needTool(t, "skopeo")
	root := t.TempDir()
	bb := busyboxTar(t)
	mustGun(t, root, "import", bb, "busybox:orig")
	work := t.TempDir()
	src := filepath.Join(work, "src.tar")
	mustGun(t, root, "save", "busybox:orig", "-o", src)
	want := tarListing(t, bb)
	cases := []struct {
		dest, importArg, name string
		flags                 []string
	}{
		{"oci-archive:" + work + "/sk-oci.tar:skopeo/oci:1", work + "/sk-oci.tar", "skopeo/oci:1", nil},
		{"oci-archive:" + work + "/sk-zstd.tar:skopeo/zstd:1", work + "/sk-zstd.tar", "skopeo/zstd:1",
			[]string{"--dest-compress-format", "zstd"}},
		{"docker-archive:" + work + "/sk-docker.tar:skopeo/docker:2", work + "/sk-docker.tar", "skopeo/docker:2", nil},
		{"oci:" + work + "/sk-layout:3", work + "/sk-layout", "sk-layout:3", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"copy"}, tc.flags...), "oci-archive:"+src, tc.dest)
			run(t, "skopeo", args...)
			out := mustGun(t, root, "import", tc.importArg)
			if want := tc.name + " "; len(out) < len(want) || out[:len(want)] != want {
				t.Errorf("import printed %q, want the name %s", out, tc.name)
			}
			flat := filepath.Join(t.TempDir(), "flat.tar")
			mustGun(t, root, "save", "--format", "rootfs", tc.name, "-o", flat)
			if diff := cmp.Diff(want, tarListing(t, flat)); diff != "" {
				t.Errorf("(-original +imported):\n%s", diff)
			}
			// And it runs.
			out = mustGun(t, root, "run", tc.name, "/bin/cat", "/etc/hostname")
			if out != "guntainer\n" {
				t.Errorf("gun run %s cat /etc/hostname: %q", tc.name, out)
			}
		})
	}
}
