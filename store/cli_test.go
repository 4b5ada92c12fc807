package store_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gun-tools/gun/internal/testenv"
)

// gunBin is the gun binary built for the end-to-end tests.
var gunBin string

func TestMain(m *testing.M) {
	if bin := os.Getenv("GUN_TEST_BIN"); bin != "" {
		gunBin = bin // a gun built beforehand, e.g. to run these tests as another user
		os.Exit(m.Run())
	}
	os.Exit(testenv.RunWithGun(m, &gunBin))
}

func needTool(t *testing.T, name string) { testenv.NeedProgram(t, name) }

// gun runs the gun binary with the store root and returns its stdout, its
// stderr and its exit code.
func gun(t *testing.T, root string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(gunBin, append([]string{"--root", root}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

func mustGun(t *testing.T, root string, args ...string) string {
	t.Helper()
	out, errOut, code := gun(t, root, args...)
	if code != 0 {
		t.Fatalf("gun %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// busyboxTar makes the busybox root filesystem archive of testdata/rootfs.
func busyboxTar(t *testing.T) string {
	t.Helper()
	needTool(t, "busybox")
	p := filepath.Join(t.TempDir(), "busybox-rootfs.tar")
	run(t, "../testdata/rootfs/busybox.sh", "-t", p)
	return p
}

// tarListing describes a tar's entries, one per path, ignoring the root
// entry and "./" prefixes, so that archives of one tree compare equal.
func tarListing(t *testing.T, p string) map[string]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if name == "" {
			continue
		}
		desc := fmt.Sprintf("%c %04o %d:%d", h.Typeflag, h.Mode, h.Uid, h.Gid)
		switch h.Typeflag {
		case tar.TypeReg:
			data, _ := io.ReadAll(tr)
			desc += fmt.Sprintf(" %x", sha256.Sum256(data))
		case tar.TypeSymlink:
			desc += " -> " + h.Linkname
		case tar.TypeLink:
			desc += " => " + strings.TrimPrefix(path.Clean("/"+h.Linkname), "/")
		}
		out[name] = desc
	}
	return out
}

func TestCLI(t *testing.T) {
	root := t.TempDir()
	bb := busyboxTar(t)
	out := mustGun(t, root, "import", bb, "busybox:1.0")
	if !strings.HasPrefix(out, "busybox:1.0 ") {
		t.Errorf("import printed %q", out)
	}
	// Again: nothing changes, same ID.
	if again := mustGun(t, root, "import", bb, "busybox:1.0"); again != out {
		t.Errorf("second import printed %q, first %q", again, out)
	}
	out = mustGun(t, root, "images")
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "busybox:1.0") {
		t.Errorf("images:\n%s", out)
	}
	var info struct {
		Name   string
		ID     string
		Config struct {
			History []struct {
				CreatedBy string `json:"created_by"`
			}
		}
	}
	if err := json.Unmarshal([]byte(mustGun(t, root, "inspect", "busybox:1.0")), &info); err != nil {
		t.Fatal(err)
	}
	if info.Name != "busybox:1.0" || len(info.Config.History) != 1 || info.Config.History[0].CreatedBy != "gun import busybox-rootfs.tar" {
		t.Errorf("inspect: %+v", info)
	}

	// Save rootfs gives back the imported tree.
	flat := filepath.Join(t.TempDir(), "flat.tar")
	mustGun(t, root, "save", "--format", "rootfs", "busybox:1.0", "-o", flat)
	if diff := cmp.Diff(tarListing(t, bb), tarListing(t, flat)); diff != "" {
		t.Errorf("save --format rootfs (-imported +saved):\n%s", diff)
	}

	// Errors: exit codes and messages that name the file.
	if _, errOut, code := gun(t, root, "save", "busybox:1.0"); code != 2 || !strings.Contains(errOut, "-o FILE") {
		t.Errorf("save without -o: exit %d, %q", code, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.tar.gz")
	os.WriteFile(bad, []byte("\x1f\x8b\x08\x00garbage"), 0o644)
	if _, errOut, code := gun(t, root, "import", bad); code != 1 || !strings.Contains(errOut, bad) {
		t.Errorf("import of a bad file: exit %d, %q", code, errOut)
	}
	if _, errOut, code := gun(t, root, "inspect", "nosuch"); code != 1 || !strings.Contains(errOut, "image nosuch not found") {
		t.Errorf("inspect nosuch: exit %d, %q", code, errOut)
	}

	mustGun(t, root, "rmi", "busybox:1.0")
	if out := mustGun(t, root, "images", "-q"); out != "" {
		t.Errorf("images after rmi: %q", out)
	}
	out = mustGun(t, root, "prune")
	if !strings.HasPrefix(out, "removed 0 images without a name, 3 blobs") {
		t.Errorf("prune: %q", out)
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "blobs", "sha256")); len(entries) != 0 {
		t.Errorf("%d blobs left after prune", len(entries))
	}
}

// TestGunRootEnv checks that GUN_ROOT chooses the store when --root is not
// given.
func TestGunRootEnv(t *testing.T) {
	root := t.TempDir()
	cmd := exec.Command(gunBin, "images", "-q")
	cmd.Env = append(os.Environ(), "GUN_ROOT="+root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(root, "oci-layout")); err != nil {
		t.Errorf("GUN_ROOT not used: %v", err)
	}
}

func sha256sum(b []byte) [32]byte { return sha256.Sum256(b) }
