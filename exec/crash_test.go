package exec_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// verifyStore checks that the store at root is consistent: every blob in
// blobs/sha256 matches its digest, and index.json parses and names only
// images whose manifest, config and layers are all there. Temporary files
// (named with a leading dot) are allowed unless clean is set. It returns
// the index.
func verifyStore(t *testing.T, root string, clean bool) v1.Index {
	t.Helper()
	blobs := filepath.Join(root, "blobs", "sha256")
	entries, err := os.ReadDir(blobs)
	if err != nil {
		t.Fatalf("store blobs: %v", err)
	}
	have := map[string]bool{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			if clean {
				t.Errorf("temporary file left in the store: blobs/sha256/%s", e.Name())
			}
			continue
		}
		sum, err := fileSHA256(filepath.Join(blobs, e.Name()))
		if err != nil {
			t.Errorf("blob %s: %v", e.Name(), err)
			continue
		}
		if sum != e.Name() {
			t.Errorf("blob %s holds content with digest %s", e.Name(), sum)
			continue
		}
		have["sha256:"+sum] = true
	}
	readJSON := func(digest string, v any) bool {
		if !have[digest] {
			t.Errorf("the store names blob %s, which is missing", digest)
			return false
		}
		b, err := os.ReadFile(filepath.Join(blobs, strings.TrimPrefix(digest, "sha256:")))
		if err == nil {
			err = json.Unmarshal(b, v)
		}
		if err != nil {
			t.Errorf("blob %s: %v", digest, err)
			return false
		}
		return true
	}
	var idx v1.Index
	b, err := os.ReadFile(filepath.Join(root, "index.json"))
	if err == nil {
		err = json.Unmarshal(b, &idx)
	}
	if err != nil {
		t.Fatalf("index.json: %v", err)
	}
	for _, d := range idx.Manifests {
		var m v1.Manifest
		if !readJSON(d.Digest.String(), &m) {
			continue
		}
		var c v1.Image
		readJSON(m.Config.Digest.String(), &c)
		for _, l := range m.Layers {
			if !have[l.Digest.String()] {
				t.Errorf("image %s names layer %s, which is missing", d.Annotations[v1.AnnotationRefName], l.Digest)
			}
		}
	}
	if clean {
		// No temporary files or directories anywhere else either, and no
		// scratch directory of a killed build.
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			if strings.HasPrefix(d.Name(), ".") { // every temporary file gun writes
				t.Errorf("temporary file left in the store: %s", rel)
			}
			if filepath.Dir(rel) == "run" && d.IsDir() {
				t.Errorf("scratch space left in the store: %s", rel)
			}
			if d.IsDir() && strings.Count(rel, "/") >= 2 && strings.HasPrefix(rel, "layers/") {
				return filepath.SkipDir // an unpacked layer: the image's own files
			}
			return nil
		})
	}
	return idx
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// tagged returns the digest index.json gives the image named name, or "".
func tagged(idx v1.Index, name string) string {
	for _, d := range idx.Manifests {
		if n := d.Annotations[v1.AnnotationRefName]; n == name || strings.HasSuffix(n, "/"+name) || strings.HasPrefix(n, name+":") {
			return d.Digest.String()
		}
	}
	return ""
}

// listed runs gun images -q and fails the test if it does not work.
func (p *project) listed() []string {
	p.t.Helper()
	r := p.gun("images", "-q")
	if r.code != 0 {
		p.t.Fatalf("gun images: exit %d\n%s", r.code, r.stderr)
	}
	return strings.Fields(r.stdout)
}

const crashGunfile = `Using "BUSYBOX"
Exec "echo one > /one"
Exec "mkdir /many && for i in $(seq 4000); do echo file $i > /many/$i; done"
Exec "echo three > /three"
`

// A gun build killed with SIGKILL at any moment leaves the store readable
// and consistent, with no partial image tagged; gun prune removes what it
// left, and a rebuild gives the same image as a clean build.
func TestKilledBuild(t *testing.T) {
	ref := newProject(t, map[string]string{"Gunfile": crashGunfile})
	t0 := time.Now()
	want := lastLine(ref.build(".").stdout)
	took := time.Since(t0)

	p := newProject(t, map[string]string{"Gunfile": crashGunfile})
	for i := 1; i <= 5; i++ {
		delay := took * time.Duration(i) / 6
		out := p.killBuild(delay, "--no-cache", "-t", "killed", ".")
		t.Logf("killed after %v: %s", delay, lastLine(out))
		idx := verifyStore(t, p.root, false)
		if d := tagged(idx, "killed"); d != "" && d != want {
			t.Errorf("killed after %v: the tag names %s, want the complete image %s or none\n%s", delay, d, want, out)
		}
		for _, name := range p.listed() {
			if strings.Contains(name, "killed") && tagged(idx, "killed") != want {
				t.Errorf("killed after %v: gun images lists a partial image %s", delay, name)
			}
		}
		if t.Failed() {
			t.Fatalf("after a kill at %v of %v:\n%s", delay, took, out)
		}
	}
	// What a kill in the middle of writing a build-cache record, the digest
	// memo, a base record or a download leaves (the windows are too short
	// to hit by timing): prune removes these too.
	for _, f := range []string{"build/steps/.0123.tmp1", "build/.digests.json.tmp1", "archives/.tmp-0123", "archives/.digests.json.tmp1", "build/downloads/.download1"} {
		f = filepath.Join(p.root, f)
		if err := errors.Join(os.MkdirAll(filepath.Dir(f), 0o755), os.WriteFile(f, []byte("part"), 0o644)); err != nil {
			t.Fatal(err)
		}
	}
	p.chown(p.root)
	r := p.gun("prune")
	if r.code != 0 {
		t.Fatalf("gun prune: exit %d\n%s", r.code, r.stderr)
	}
	t.Logf("gun prune: %s", r.stdout)
	verifyStore(t, p.root, true)
	if got := lastLine(p.build("-t", "final", ".").stdout); got != want {
		t.Errorf("rebuild after the kills gave %s, a clean build %s", got, want)
	}
	if got := lastLine(p.build("--no-cache", ".").stdout); got != want {
		t.Errorf("rebuild without the cache gave %s, a clean build %s", got, want)
	}
	verifyStore(t, p.root, false)
}

// killBuild starts gun build with args, SIGKILLs it and everything it
// started after delay, and returns its progress output.
func (p *project) killBuild(delay time.Duration, args ...string) string {
	p.t.Helper()
	c := asUser(exec.Command(env.gun, append([]string{"build", "--progress", "plain"}, args...)...))
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	c.SysProcAttr.Setpgid = true
	c.Dir = p.dir
	c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GUN_ROOT=" + p.root, "HOME=" + filepath.Dir(p.root), holderIdle}
	var out strings.Builder
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		p.t.Fatal(err)
	}
	time.Sleep(delay)
	c.Process.Kill()
	syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	c.Wait()
	// Wait until no gun process (such as the one a step runs in) is left
	// before looking at the store.
	for range 100 {
		if !gunRunning() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Sprintf("killed after %v:\n%s", delay, out.String())
}

// gunRunning reports whether a process of the gun binary under test runs,
// other than a user namespace holder (which outlives gun by design, touches
// no store file and exits when idle).
func gunRunning() bool {
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || exe != env.gun {
			continue
		}
		if cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); !bytes.HasPrefix(cmdline, []byte("gun:holder\x00")) {
			return true
		}
	}
	return false
}

// A full disk stops the build with an error that says so and names what
// was being written; nothing partial is tagged, the store stays
// consistent, and a build that fits succeeds in it afterwards.
func TestFullDisk(t *testing.T) {
	p := newProject(t, map[string]string{"Gunfile": ""})
	if os.Geteuid() != 0 {
		need(t, "mount a small tmpfs as the store", errors.New("needs root"))
	}
	opts := fmt.Sprintf("size=24m,mode=0755,uid=%d,gid=%d", env.uid, env.gid)
	if err := syscall.Mount("tmpfs", p.root, "tmpfs", 0, opts); err != nil {
		need(t, "mount a small tmpfs as the store", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(p.root, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", p.root, err)
		}
	})
	// The step fits in the free space (about 20 MB after the base), but its
	// changes and the layer made of them do not. (The layer streams into the
	// store as its changes are packed, and they are removed once packed:
	// up to some MB of it in flight, the file must be more than half the
	// space.)
	small := `Using "BUSYBOX"
Exec "echo small > /small"
`
	p.write(map[string]string{"Gunfile": small + `Exec "head -c 16000000 /dev/urandom > /big"
`})
	r := p.gun("build", "--progress", "plain", "-t", "full", ".")
	if r.code == 0 {
		t.Fatalf("a build that does not fit succeeded:\n%s", r.stderr)
	}
	msg := r.stderr[strings.Index(r.stderr, "\ngun: ")+1:]
	for _, w := range []string{`gun: Gunfile:3:1: Exec "head -c 16000000`, "no space left on device", p.root + "/"} {
		if !strings.Contains(msg, w) {
			t.Errorf("the error does not say %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "exit code") {
		t.Errorf("gun's own failure reported as the command's exit code:\n%s", msg)
	}
	t.Logf("the build's error:\n%s", msg)
	idx := verifyStore(t, p.root, false)
	if d := tagged(idx, "full"); d != "" {
		t.Errorf("the failed build tagged %s", d)
	}
	for _, name := range p.listed() {
		if strings.Contains(name, "full") {
			t.Errorf("gun images lists %s after the failed build", name)
		}
	}
	if r := p.gun("prune"); r.code != 0 {
		t.Fatalf("gun prune: exit %d\n%s", r.code, r.stderr)
	}
	verifyStore(t, p.root, true)
	p.write(map[string]string{"Gunfile": small})
	p.build("-t", "fits", ".")
	if idx := verifyStore(t, p.root, false); tagged(idx, "fits") == "" {
		t.Errorf("the build that fits is not tagged: %+v", idx.Manifests)
	}
}
