package exec_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gun-tools/gun/internal/testenv"
)

// TestRegistryBase builds on an image of a real registry: the first build
// pins its digest in Gunfile.sum, a moved tag changes nothing, the build
// works with the registry stopped, an edited pin fails naming both
// digests, and --pull updates the pin.
func TestRegistryBase(t *testing.T) {
	need(t, "test environment", env.err)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ref := reg.Host + "/tools/bb:1"
	// Another store pushes the base, and later moves its tag.
	pusher := newProject(t, map[string]string{"Gunfile": "Using \"BUSYBOX\"\nExec \"echo two > /two\"\n"})
	if r := pusher.gun("import", env.busybox, "bb"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	r := pusher.gun("push", "bb", ref)
	if r.code != 0 {
		t.Fatalf("push: %s", r.stderr)
	}
	d1 := strings.TrimSpace(r.stdout)
	if digest.Digest(d1).Validate() != nil {
		t.Fatalf("gun push printed %q, not a digest", d1)
	}

	p := newProject(t, map[string]string{"Gunfile": `Using "` + ref + `"
Exec "echo built > /built"
Main ["/bin/cat", "/built"]
`})
	first := p.build("-t", "app", ".")
	sumFile := filepath.Join(p.dir, "Gunfile.sum")
	sum, err := os.ReadFile(sumFile)
	if err != nil || string(sum) != ref+" "+d1+"\n" {
		t.Fatalf("Gunfile.sum = %q, %v; want %q", sum, err, ref+" "+d1+"\n")
	}
	if r := p.gun("run", "app"); r.code != 0 || r.stdout != "built\n" {
		t.Fatalf("run app: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	// gun build --push: skopeo sees the digest the build printed.
	pushed := reg.Host + "/built/app:1"
	built := strings.TrimSpace(p.build("--push", "-t", pushed, ".").stdout)
	if out, err := exec.Command(testenv.NeedProgram(t, "skopeo"), "inspect", "--tls-verify=false", "docker://"+pushed).Output(); err != nil || !strings.Contains(string(out), `"Digest": "`+built+`"`) {
		t.Errorf("skopeo inspect %s: %v, want digest %s\n%s", pushed, err, built, out)
	}
	if r := p.gun("images"); !strings.Contains(r.stdout, ref+"@"+d1) {
		t.Errorf("gun images does not show where the base came from:\n%s", r.stdout)
	}

	// The tag moves: the pinned build does not notice.
	moved := pusher.build("-t", "bb2", ".")
	r = pusher.gun("push", "bb2", ref)
	if r.code != 0 {
		t.Fatalf("push: %s", r.stderr)
	}
	d2 := strings.TrimSpace(r.stdout)
	if d2 == d1 || !strings.Contains(moved.stdout, d2) {
		t.Fatalf("the moved tag's digest %s (first %s; build printed %q)", d2, d1, moved.stdout)
	}
	if again := p.build("-t", "app", "."); again.stdout != first.stdout {
		t.Errorf("after the tag moved the build made %s, before %s", again.stdout, first.stdout)
	}

	// Offline, from the store.
	reg.Stop()
	if r := p.build("--no-cache", "."); r.stdout != first.stdout {
		t.Errorf("offline build made %s, want %s", r.stdout, first.stdout)
	}
	reg.Start(t)

	// An edited pin the registry does not have fails, naming both digests.
	bogus := digest.FromString("bogus").String()
	os.WriteFile(sumFile, []byte(ref+" "+bogus+"\n"), 0o644)
	r = p.gun("build", "--progress", "plain", ".")
	if r.code == 0 {
		t.Fatal("a build with a wrong pin succeeded")
	}
	for _, want := range []string{"pinned: " + bogus, "served: " + d2, "--pull"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the error does not say %q:\n%s", want, r.stderr)
		}
	}

	// --pull resolves the tag again and pins what it serves now.
	p.build("--pull", ".")
	if sum, _ := os.ReadFile(sumFile); string(sum) != ref+" "+d2+"\n" {
		t.Errorf("after --pull Gunfile.sum = %q, want the moved tag's %s", sum, d2)
	}
	if r := p.gun("run", ref, "/bin/cat", "/two"); r.code != 0 || r.stdout != "two\n" {
		t.Errorf("gun run %s: exit %d, %q\n%s", ref, r.code, r.stdout, r.stderr)
	}
}

// TestArchiveTakesNoName: an archive that a build or a run imports never
// takes or moves a name the user owns, even when its manifest holds that
// name; and gun prune does not remove the user's image afterwards.
func TestArchiveTakesNoName(t *testing.T) {
	p := newProject(t, map[string]string{"Gunfile": `Using "BUSYBOX"
Exec "echo mine > /mine"
Main ["/bin/cat", "/mine"]
`})
	p.build("-t", "bb", ".")
	// bb.tar holds another image named bb (the plain busybox).
	other := newProject(t, nil)
	if r := other.gun("import", env.busybox, "bb"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	archive := filepath.Join(p.dir, "bb.tar")
	if r := other.gun("save", "bb", "-o", archive); r.code != 0 {
		t.Fatalf("save: %s", r.stderr)
	}
	p.chown(p.dir)
	images := func() string { return p.gun("images").stdout }
	before := images()

	p.write(map[string]string{"Gunfile": "Using \"bb.tar\"\nExec \"echo built on the archive > /x\"\n"})
	p.build("-t", "derived", ".")
	if r := p.gun("run", "bb.tar", "/bin/echo", "ran"); r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("gun run bb.tar: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	// The import is listed without a name until gun prune removes it.
	if mid := images(); !regexp.MustCompile(`(?m)^<none> +[0-9a-f]{12} .* an imported archive$`).MatchString(mid) {
		t.Errorf("gun images does not list the imported archive as <none>:\n%s", mid)
	}
	if r := p.gun("prune"); r.code != 0 || !strings.HasPrefix(r.stdout, "removed 1 images without a name") {
		t.Fatalf("prune: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.gun("run", "bb"); r.code != 0 || r.stdout != "mine\n" {
		t.Errorf("gun run bb after building on and running bb.tar: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	after := images()
	if bbID(before) == "" || bbID(after) != bbID(before) {
		t.Errorf("bb changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if n := strings.Count(after, "\n"); n != 3 { // the header, bb, derived
		t.Errorf("the imports named images:\n%s", after)
	}
}

// bbID is the ID gun images shows for bb:latest.
func bbID(images string) string {
	for _, line := range strings.Split(images, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "bb:latest" {
			return f[1]
		}
	}
	return ""
}

// TestSkopeoIndex: gun pulls, builds on and runs the amd64 image of a
// two-platform index that skopeo pushed, and picks the other with
// --platform.
func TestSkopeoIndex(t *testing.T) {
	need(t, "test environment", env.err)
	skopeo := testenv.NeedProgram(t, "skopeo")
	if goruntime.GOARCH != "amd64" {
		t.Skip("the index's images are for linux/amd64 and linux/arm64")
	}
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	pusher := newProject(t, nil)
	layout := filepath.Join(pusher.dir, "layout")
	var manifests []v1.Descriptor
	for _, arch := range []string{"amd64", "arm64"} {
		pusher.write(map[string]string{"Gunfile": "Using \"BUSYBOX\"\nExec \"echo " + arch + " > /which\"\n"})
		pusher.build("-t", arch, ".")
		archive := filepath.Join(pusher.dir, arch+".tar")
		if r := pusher.gun("save", arch, "-o", archive); r.code != 0 {
			t.Fatalf("save: %s", r.stderr)
		}
		os.MkdirAll(layout, 0o755)
		if out, err := exec.Command("tar", "-xf", archive, "-C", layout).CombinedOutput(); err != nil {
			t.Fatalf("untar: %v\n%s", err, out)
		}
		var idx v1.Index
		data, _ := os.ReadFile(filepath.Join(layout, "index.json"))
		if err := json.Unmarshal(data, &idx); err != nil || len(idx.Manifests) != 1 {
			t.Fatalf("index.json of %s: %v", archive, err)
		}
		m := idx.Manifests[0]
		m.Annotations = nil
		m.Platform = &v1.Platform{OS: "linux", Architecture: arch}
		manifests = append(manifests, m)
	}
	nested, _ := json.Marshal(v1.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageIndex, Manifests: manifests})
	nd := digest.FromBytes(nested)
	os.WriteFile(filepath.Join(layout, "blobs", "sha256", nd.Encoded()), nested, 0o644)
	top, _ := json.Marshal(v1.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: v1.MediaTypeImageIndex, Manifests: []v1.Descriptor{{
		MediaType: v1.MediaTypeImageIndex, Digest: nd, Size: int64(len(nested)), Annotations: map[string]string{v1.AnnotationRefName: "multi"},
	}}})
	os.WriteFile(filepath.Join(layout, "index.json"), top, 0o644)
	ref := reg.Host + "/skopeo/multi:1"
	if out, err := exec.Command(skopeo, "copy", "--all", "--dest-tls-verify=false", "oci:"+layout+":multi", "docker://"+ref).CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy --all: %v\n%s", err, out)
	}
	raw, err := exec.Command(skopeo, "inspect", "--raw", "--tls-verify=false", "docker://"+ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect --raw: %v", err)
	}
	served := digest.FromBytes(raw) // skopeo writes the index anew

	p := newProject(t, map[string]string{"Gunfile": "Using \"" + ref + "\"\nMain [\"/bin/cat\", \"/which\"]\n"})
	p.build("-t", "app", ".")
	if sum, _ := os.ReadFile(filepath.Join(p.dir, "Gunfile.sum")); string(sum) != ref+" "+served.String()+"\n" {
		t.Errorf("Gunfile.sum = %q, want the index's digest %s", sum, served)
	}
	if r := p.gun("run", "app"); r.code != 0 || r.stdout != "amd64\n" {
		t.Fatalf("gun run app: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	// gun run --platform pulls the other image of the index, the store's
	// being amd64 (both are busybox for amd64, whose configs say amd64,
	// saying in /which which the index calls them).
	if r := p.gun("run", "--platform", "linux/arm64", ref, "/bin/cat", "/which"); r.code != 0 || r.stdout != "arm64\n" {
		t.Fatalf("gun run --platform linux/arm64: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.gun("pull", "--platform", "linux/arm64", ref); r.code != 0 || strings.TrimSpace(r.stdout) != served.String() {
		t.Fatalf("gun pull --platform linux/arm64: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.gun("save", ref, "-o", "-", "--format", "rootfs"); r.code != 0 || !strings.Contains(r.stdout, "arm64\n") {
		t.Errorf("the arm64 image's root file system has no /which saying arm64 (exit %d)\n%s", r.code, r.stderr)
	}
	r := p.gun("pull", "--platform", "linux/s390x", ref)
	if r.code == 0 || !strings.Contains(r.stderr, "linux/amd64, linux/arm64") {
		t.Errorf("a missing platform: exit %d\n%s", r.code, r.stderr)
	}
}

// TestRegistryCache: a store that never shared a file with the one that
// pushed a step cache (--cache-to) takes every step from it through the
// registry (--cache-from) and makes the same image without running one;
// a changed Copy source runs that step and those after it, not those
// before; a cache that is not there yet is a warning.
func TestRegistryCache(t *testing.T) {
	need(t, "test environment", env.err)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ref := reg.Host + "/ci/app:cache"
	files := map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec "echo one > /one"
Exec "true"
Workdir "/app"
Copy "a.txt" "/app/"
Exec "cat a.txt /one > b.txt"
Exec "true"
Main ["/bin/cat", "/app/b.txt"]
`,
		"a.txt": "first\n",
	}
	all := []string{`Exec "echo one > /one"`, `Exec "true"`, `Copy "a.txt" "/app/"`, `Exec "cat a.txt /one > b.txt"`, `Exec "true"`}

	ci1 := newProject(t, files)
	first := ci1.build("--cache-from", ref, "--cache-to", ref, ".")
	if diff := cmp.Diff(all, ran(first.stderr)); diff != "" {
		t.Errorf("the first build's steps (-want +ran):\n%s", diff)
	}
	if !strings.Contains(first.stderr, "--cache-from "+ref) {
		t.Errorf("no warning for a cache the registry does not have:\n%s", first.stderr)
	}

	ci2 := newProject(t, files)
	second := ci2.build("--cache-from", ref, "-t", "app", ".")
	if got := ran(second.stderr); len(got) != 0 {
		t.Errorf("with --cache-from on an empty store, steps ran: %q\n%s", got, second.stderr)
	}
	if second.stdout != first.stdout {
		t.Errorf("the image from the registry cache is %s, the first build's %s", second.stdout, first.stdout)
	}
	if r := ci2.gun("run", "app"); r.code != 0 || r.stdout != "first\none\n" {
		t.Errorf("gun run app: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}

	ci3 := newProject(t, files)
	ci3.write(map[string]string{"a.txt": "second\n"})
	third := ci3.build("--cache-from", ref, "-t", "app", ".")
	if diff := cmp.Diff(all[2:], ran(third.stderr)); diff != "" {
		t.Errorf("after a.txt changed (-want +ran):\n%s", diff)
	}
	if r := ci3.gun("run", "app"); r.code != 0 || r.stdout != "second\none\n" {
		t.Errorf("gun run app: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestRegistryCacheLazyBase: when every step comes from a registry cache
// (--cache-from), a build on an empty store unpacks nothing: a base
// archive (gzip, as a Debian minbase is) is hashed for its key and its
// blob stored as it is (the cache knows its diff ID), a registry base
// only pulled; the image is the cold build's. A step that must run
// unpacks the base then.
func TestRegistryCacheLazyBase(t *testing.T) {
	need(t, "test environment", env.err)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	dir, err := env.user.MkdirTemp(env.work, "lazy-")
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "base.tar.gz")
	gzipFile(t, env.busybox, archive)
	pusher := newProject(t, nil)
	if r := pusher.gun("import", env.busybox, "bb"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	image := reg.Host + "/tools/bb:1"
	if r := pusher.gun("push", "bb", image); r.code != 0 {
		t.Fatalf("push: %s", r.stderr)
	}
	for _, base := range []string{archive, image} {
		t.Run(filepath.Base(base), func(t *testing.T) {
			cacheRef := reg.Host + "/ci/" + strings.NewReplacer(".", "-", ":", "-").Replace(filepath.Base(base)) + ":cache"
			files := map[string]string{"Gunfile": "Using \"" + base + "\"\nExec \"echo one > /one\"\nMain [\"/bin/cat\", \"/one\"]\n"}
			cold := newProject(t, files).build("--cache-to", cacheRef, ".")
			if got := ran(cold.stderr); len(got) != 1 {
				t.Fatalf("the cold build ran %q\n%s", got, cold.stderr)
			}

			p := newProject(t, files)
			warm := p.build("--cache-from", cacheRef, "-t", "app", ".")
			if got := ran(warm.stderr); len(got) != 0 {
				t.Errorf("with --cache-from, steps ran: %q\n%s", got, warm.stderr)
			}
			if warm.stdout != cold.stdout {
				t.Errorf("the image from the cache is %s, the cold build's %s", warm.stdout, cold.stdout)
			}
			if u := unpacked(t, p.root); len(u) != 0 {
				t.Errorf("a build whose steps all came from the cache unpacked %q", u)
			}
			// The cache gave the archive's diff ID: it was not imported
			// (decompressed), only stored.
			if r := p.gun("images"); strings.Contains(r.stdout, "an imported archive") {
				t.Errorf("the archive was imported:\n%s", r.stdout)
			}
			if r := p.gun("run", "app"); r.code != 0 || r.stdout != "one\n" {
				t.Errorf("gun run app: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
			}

			// A step after the cached one runs on the base, unpacked now.
			p = newProject(t, map[string]string{"Gunfile": files["Gunfile"] + "Exec \"cat /one /one > /two\"\n"})
			more := p.build("--cache-from", cacheRef, "-t", "more", ".")
			if diff := cmp.Diff([]string{`Exec "cat /one /one > /two"`}, ran(more.stderr)); diff != "" {
				t.Errorf("steps that ran (-want +got):\n%s", diff)
			}
			if r := p.gun("run", "more", "/bin/cat", "/two"); r.code != 0 || r.stdout != "one\none\n" {
				t.Errorf("gun run: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// gzipFile writes src compressed with gzip to dst, readable by the test user.
func gzipFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(zw.Close(), out.Close(), os.Chmod(dst, 0o644)); err != nil {
		t.Fatal(err)
	}
}

// openGzip opens the gzip file, closed when the test ends, and returns its
// decompressed stream.
func openGzip(t *testing.T, file string) io.Reader {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return zr
}

// unpacked lists the layers unpacked in the store at root.
func unpacked(t *testing.T, root string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(root, "layers", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(dirs, func(d string) bool {
		fi, err := os.Stat(d)
		return err != nil || !fi.IsDir()
	})
}

// TestPodmanPull: rootless podman pulls an image gun built and pushed, sees
// the manifest digest gun printed, and runs it (with --network host and
// runc: crun refuses this machine's hybrid cgroups) with its Env, Workdir
// and Main.
func TestPodmanPull(t *testing.T) {
	need(t, "test environment", env.err)
	podman := testenv.NeedProgram(t, "podman")
	testenv.NeedProgram(t, "runc")
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	ref := reg.Host + "/gun/hello:1"
	p := newProject(t, map[string]string{"Gunfile": `Using "BUSYBOX"
Env GREETING "hello from gun"
Workdir "/srv"
Exec "echo built > made"
Main ["/bin/sh", "-c", "echo $GREETING in $(pwd), $(cat made)"]
`})
	pushed := strings.TrimSpace(p.build("--push", "-t", ref, ".").stdout)

	// podman's run root must be a short path.
	dir, err := env.user.MkdirTemp("/tmp", "gp-")
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: podman's store, then its pause process,
	// then the directory.
	t.Cleanup(func() { os.RemoveAll(dir) })
	testenv.StopPodmanPause(t, dir+"/x")
	t.Cleanup(func() {
		asUser(exec.Command(podman, "--root", dir+"/r", "--runroot", dir+"/rr", "unshare", "rm", "-rf", dir+"/r")).Run()
	})
	pod := func(args ...string) (string, error) {
		c := asUser(exec.Command(podman, append([]string{"--root", dir + "/r", "--runroot", dir + "/rr", "--storage-driver", "overlay",
			"--events-backend", "file", "--cgroup-manager", "cgroupfs", "--runtime", "runc"}, args...)...))
		c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir, "XDG_RUNTIME_DIR=" + dir + "/x"}
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		if err := c.Run(); err != nil {
			return out.String(), fmt.Errorf("podman %s: %v\n%s", strings.Join(args, " "), err, errb.String())
		}
		return out.String(), nil
	}
	if err := os.Mkdir(dir+"/x", 0o700); err != nil || env.user.Chown(dir+"/x") != nil {
		t.Fatal(err)
	}
	if _, err := pod("pull", "-q", "--tls-verify=false", ref); err != nil {
		t.Fatal(err)
	}
	if got, err := pod("image", "inspect", "--format", "{{.Digest}}", ref); err != nil || strings.TrimSpace(got) != pushed {
		t.Errorf("podman sees digest %q (%v), gun printed %s", got, err, pushed)
	}
	if got, err := pod("run", "--rm", "--network", "host", ref); err != nil || got != "hello from gun in /srv, built\n" {
		t.Errorf("podman run: %q, %v", got, err)
	}
}

// TestRunTLSVerify: gun run pulls from a registry whose certificate it
// cannot verify only with --tls-verify=false.
func TestRunTLSVerify(t *testing.T) {
	need(t, "test environment", env.err)
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{TLS: true})
	ref := reg.Host + "/tls/bb:1"
	p := newProject(t, nil)
	if r := p.gun("import", env.busybox, "bb"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	if r := p.gun("push", "--tls-verify=false", "bb", ref); r.code != 0 {
		t.Fatalf("push: %s", r.stderr)
	}
	other := newProject(t, nil)
	if r := other.gun("run", ref, "/bin/echo", "ran"); r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("gun run from a registry it cannot verify: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
	if r := other.gun("run", "--tls-verify=false", ref, "/bin/echo", "ran"); r.code != 0 || r.stdout != "ran\n" {
		t.Errorf("gun run --tls-verify=false: exit %d, %q\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestSkopeoDebian: an image that tools other than gun made (umoci turns a
// Debian minbase root file system into an OCI layout, skopeo pushes it) is
// pulled, built on and run by gun, and the image gun builds runs apt's
// dpkg from the base.
func TestSkopeoDebian(t *testing.T) {
	need(t, "test environment", env.err)
	skopeo := testenv.NeedProgram(t, "skopeo")
	umoci := testenv.NeedProgram(t, "umoci")
	archive := testenv.DebianArchive(t, "pull, build on and run a Debian image skopeo pushed")
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	dir := t.TempDir()
	layer := filepath.Join(dir, "rootfs.tar")
	out, err := os.Create(layer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, openGzip(t, archive)); err != nil {
		t.Fatalf("gunzip %s: %v", archive, err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	layout := filepath.Join(dir, "layout")
	for _, args := range [][]string{
		{"init", "--layout", layout},
		{"new", "--image", layout + ":deb"},
		{"raw", "add-layer", "--image", layout + ":deb", layer},
		{"config", "--image", layout + ":deb", "--config.cmd", "/bin/bash"},
	} {
		if out, err := exec.Command(umoci, args...).CombinedOutput(); err != nil {
			t.Fatalf("umoci %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ref := reg.Host + "/debian/minbase:12"
	if out, err := exec.Command(skopeo, "copy", "--dest-tls-verify=false", "oci:"+layout+":deb", "docker://"+ref).CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy: %v\n%s", err, out)
	}
	raw, err := exec.Command(skopeo, "inspect", "--raw", "--tls-verify=false", "docker://"+ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect --raw: %v", err)
	}
	served := digest.FromBytes(raw)

	p := newProject(t, map[string]string{"Gunfile": "Using \"" + ref + "\"\n" +
		"Exec \"dpkg-query -W -f '${Version}' dpkg > /dpkg-version\"\n" +
		"Main [\"/bin/cat\", \"/etc/debian_version\", \"/dpkg-version\"]\n"})
	if r := p.gun("pull", ref); r.code != 0 || strings.TrimSpace(r.stdout) != served.String() {
		t.Fatalf("gun pull %s: exit %d, %q, want %s\n%s", ref, r.code, r.stdout, served, r.stderr)
	}
	p.build("-t", "deb-app", ".")
	r := p.gun("run", "deb-app")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "12.") || lines[1] == "" {
		t.Fatalf("gun run deb-app: exit %d, %q (want bookworm's 12.x and dpkg's version)\n%s", r.code, r.stdout, r.stderr)
	}
	if r := p.gun("run", ref, "/bin/bash", "-c", "echo $BASH_VERSION"); r.code != 0 || !strings.HasPrefix(r.stdout, "5.") {
		t.Errorf("gun run %s bash: exit %d, %q\n%s", ref, r.code, r.stdout, r.stderr)
	}
}
