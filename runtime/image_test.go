package runtime_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gun-tools/gun/runtime"
	"github.com/gun-tools/gun/store"
)

// writeImageArchive writes the busybox tree as a gzipped tar with root
// owners, plus a file and a directory of the image's user app (1000).
func writeImageArchive(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(env.rootfs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(env.rootfs, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name, h.Uid, h.Gid, h.Uname, h.Gname = rel, 0, 0, "", ""
		if fi.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []*tar.Header{
		{Name: "srv/", Typeflag: tar.TypeDir, Mode: 0o755, Uid: 1000, Gid: 1000},
		{Name: "srv/app-file", Typeflag: tar.TypeReg, Mode: 0o644, Uid: 1000, Gid: 1000, Size: 4},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tw.Write([]byte("app\n")); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRunArchiveThenStoreImage(t *testing.T) {
	requireSubIDs(t)
	s := newStore(t)
	archive := filepath.Join(userDir(t, "archives"), "Busy_Box-1.0.tar.gz")
	writeImageArchive(t, archive)
	if env.cred != nil {
		if err := os.Chown(archive, int(env.cred.Uid), int(env.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	// The image's user owns its files inside, and can write them: overlay
	// copy-up works because the layer was unpacked under the same id map.
	script := `stat -c '%u:%g' /srv/app-file; echo more >>/srv/app-file; cat /srv/app-file`
	r := s.run(t, nil, "run", "-u", "app", archive, "sh", "-c", script)
	if r.code != 0 || r.stdout != "1000:1000\napp\nmore\n" {
		t.Fatalf("archive run: %+v", r)
	}
	layers, err := filepath.Glob(filepath.Join(s.root, "layers", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var unpacked []string
	for _, l := range layers {
		if !strings.HasSuffix(l, ".lock") {
			unpacked = append(unpacked, l)
		}
	}
	if len(unpacked) != 1 {
		t.Fatalf("unpacked layers: %v", layers)
	}
	if uid := ownerOf(t, filepath.Join(unpacked[0], "srv", "app-file")); uid != env.subuid+999 {
		t.Errorf("the layer's app-file belongs to %d on the host, want %d", uid, env.subuid+999)
	}
	before, err := os.Stat(unpacked[0])
	if err != nil {
		t.Fatal(err)
	}
	// The archive runs again, and by the name gun import gives it, without
	// unpacking again. (Running an archive names nothing: docs/images.md.)
	if r := s.run(t, nil, "run", "busy_box-1.0", "true"); r.code != 125 {
		t.Errorf("gun run ARCHIVE named the image after its file: %+v", r)
	}
	if r := s.run(t, nil, "import", archive, "busy_box-1.0"); r.code != 0 {
		t.Fatalf("gun import: %+v", r)
	}
	for _, image := range []string{archive, "busy_box-1.0"} {
		r = s.run(t, nil, "run", image, "cat", "/srv/app-file")
		if r.code != 0 || r.stdout != "app\n" {
			t.Fatalf("run %s: %+v", image, r)
		}
	}
	after, err := os.Stat(unpacked[0])
	if err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the layer was unpacked again (%v)", err)
	}
	if r := s.run(t, nil, "run", "no-such-image", "true"); r.code != 125 || !strings.Contains(r.stderr, "no-such-image") {
		t.Errorf("unknown image: %+v", r)
	}
}

// tarLayer is an uncompressed layer with the given files (name -> content;
// a name ending in / is a directory).
func tarLayer(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, content := range files {
		h := &tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(content))}
		if strings.HasSuffix(name, "/") {
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestManyLayersAndWhiteouts(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	// The second run must find the first's holder to run its plan: gun
	// asks the holder once per process, and under the sanitizers the
	// first run of 41 layers outlasts the tests' idle time.
	s.idle = time.Minute
	defer killHolder(t, s)
	// Enough layers that their paths overflow mount(2)'s one page of options.
	const n = 40
	var base bytes.Buffer
	layers := [][]byte{}
	tmp := filepath.Join(t.TempDir(), "base.tar.gz")
	writeImageArchive(t, tmp)
	b, err := os.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	base.Write(b)
	layers = append(layers, base.Bytes())
	for i := 1; i < n; i++ {
		layers = append(layers, tarLayer(t, map[string]string{"layers/": "", fmt.Sprintf("layers/%02d", i): "x"}))
	}
	// The top layer deletes one file of a lower layer and one of the base.
	layers = append(layers, tarLayer(t, map[string]string{"layers/.wh.01": "", "etc/.wh.group": "", "srv/.wh..wh..opq": ""}))
	st, err := store.Open(s.root)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var ls []store.Layer
	for _, l := range layers {
		desc, diffID, err := batch.PutLayer(context.Background(), bytes.NewReader(l))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, store.Layer{Descriptor: desc, DiffID: diffID})
	}
	if _, err := batch.Commit("many", v1.Image{Config: v1.ImageConfig{Cmd: []string{"sh", "-c", "ls /layers | wc -l; ls /layers | head -1; ls /srv | wc -l"}, Env: []string{"FROM_IMAGE=1"}}}, ls); err != nil {
		t.Fatal(err)
	}
	batch.Close()
	if env.cred != nil {
		if out, err := exec.Command("chown", "-R", fmt.Sprintf("%d:%d", env.cred.Uid, env.cred.Gid), s.root).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	r := s.run(t, nil, "run", "many")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if want := fmt.Sprintf("%d\n02\n0\n", n-2); r.stdout != want {
		t.Errorf("output %q, want %q", r.stdout, want)
	}
	// The next run of the image is set up from the plan the first wrote,
	// the layers given one at a time there too.
	_, written := s.planFile(t)
	time.Sleep(10 * time.Millisecond)
	if r := s.run(t, nil, "run", "many", "sh", "-c", "echo $FROM_IMAGE; test -e /etc/group || echo whited-out"); r.stdout != "1\nwhited-out\n" {
		t.Errorf("image env and whiteout: %+v", r)
	}
	if _, used := s.planFile(t); !used.After(written) {
		t.Errorf("the plan of %d layers was not run (its time %v, written %v)", n+1, used, written)
	}
	s.noScratchLeft(t)
}

func TestOnlyTheUserMappedWithoutSubordinateIDs(t *testing.T) {
	requireEnv(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to run gun as a user without /etc/subuid range (nobody)")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	if _, err := runtime.SubIDRange("/etc/subuid", "nobody", uid); err == nil {
		t.Skip("nobody has a subordinate id range here")
	}
	gid, _ := strconv.Atoi(nobody.Gid)
	dir, err := os.MkdirTemp(env.work, "nobody-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "img.tar.gz")
	writeImageArchive(t, archive)
	if err := os.Chown(archive, uid, gid); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(env.gun, "run", archive, "sh", "-c", "id -u; cat /proc/self/uid_map | tr -s ' '; stat -c %u /srv/app-file; touch /srv/new && echo writable")
	c.Env = []string{"HOME=" + dir, "GUN_ROOT=" + filepath.Join(dir, "store"), "GUN_USERNS_IDLE=" + testIdle.String()}
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	// Every file belongs to the one mapped id, container root.
	if want := fmt.Sprintf("0\n 0 %d 1\n0\nwritable\n", uid); out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	if n := strings.Count(errb.String(), "mapping only uid"); n != 1 {
		t.Errorf("the warning was given %d times, want once: %s", n, errb.String())
	}
	// Said once per user (store), and always in the debug log.
	for _, verbose := range []bool{false, true} {
		args := []string{"run", archive, "true"}
		if verbose {
			args = []string{"run", "--verbose", archive, "true"}
		}
		c := exec.Command(env.gun, args...)
		c.Env = []string{"HOME=" + dir, "GUN_ROOT=" + filepath.Join(dir, "store"), "GUN_USERNS_IDLE=" + testIdle.String()}
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("gun %v: %v: %s", args, err, out)
		}
		warned := strings.Contains(string(out), "warning: ") && strings.Contains(string(out), "mapping only uid")
		logged := strings.Contains(string(out), `msg="id maps: only the user is mapped"`)
		if warned || logged != verbose {
			t.Errorf("gun %v: warned %t, logged %t:\n%s", args, warned, logged, out)
		}
		// The holder works with maps gun writes itself.
		if verbose && !strings.Contains(string(out), "joined_holder=true") {
			t.Errorf("gun %v: the init did not join a holder's namespace:\n%s", args, out)
		}
	}
}
