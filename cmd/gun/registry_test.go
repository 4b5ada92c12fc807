package main

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	mathrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gun-tools/gun/internal/testenv"
)

// isolate gives gun (which inherits the test's environment) a home of its
// own, with no credentials, and a store.
func isolate(t *testing.T) (home, root string) {
	home = t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG", "GUN_ROOT"} {
		t.Setenv(v, "")
	}
	return home, filepath.Join(home, "store")
}

// importTestImage imports a one-file root filesystem into the store at root
// as name.
func importTestImage(t *testing.T, root, name string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "hello", Mode: 0o644, Size: 6, Typeflag: tar.TypeReg})
	tw.Write([]byte("hello\n"))
	tw.Close()
	p := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := gun(t, "", nil, "--root", root, "import", p, name); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
}

// TestLoginPush logs in to a registry with TLS (its CA in certs.d) and basic
// auth, pushes, and logs out.
func TestLoginPush(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{TLS: true, User: "bob", Password: "pa55-word"})
	home, root := isolate(t)
	ca, _ := os.ReadFile(reg.CAFile)
	certs := filepath.Join(home, ".config", "containers", "certs.d", reg.Host)
	os.MkdirAll(certs, 0o755)
	os.WriteFile(filepath.Join(certs, "ca.crt"), ca, 0o644)
	importTestImage(t, root, "hello:1")
	ref := reg.Host + "/me/hello:1"

	if r := gun(t, "", nil, "--root", root, "push", "hello:1", ref); r.code == 0 || !strings.Contains(r.stderr, "gun login "+reg.Host) {
		t.Fatalf("push before login: exit %d\n%s", r.code, r.stderr)
	}
	r := gun(t, "", []byte("not-it\n"), "login", "-u", "bob", "--password-stdin", reg.Host)
	if r.code == 0 || !strings.Contains(r.stderr, "401") || strings.Contains(r.stdout+r.stderr, "not-it") {
		t.Fatalf("login with a wrong password: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = gun(t, "", []byte("pa55-word\n"), "--verbose", "login", "-u", "bob", "--password-stdin", reg.Host)
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, "pa55-word") {
		t.Fatalf("login: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	authFile := filepath.Join(home, ".config", "containers", "auth.json")
	if fi, err := os.Stat(authFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v (want mode 0600)", authFile, err)
	}
	r = gun(t, "", nil, "--root", root, "--verbose", "push", "hello:1", ref)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "sha256:") || strings.Contains(r.stdout+r.stderr, "pa55-word") {
		t.Fatalf("push after login: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := gun(t, "", nil, "logout", reg.Host); r.code != 0 {
		t.Fatalf("logout: %s", r.stderr)
	}
	if r := gun(t, "", nil, "--root", root, "pull", ref); r.code == 0 {
		t.Fatal("pull after logout succeeded")
	}
}

// TestInterop: skopeo and crane see the digest gun push printed, and gun
// pulls what skopeo pushed with the digest skopeo reports.
func TestInterop(t *testing.T) {
	skopeo := testenv.NeedProgram(t, "skopeo")
	crane := testenv.NeedProgram(t, "crane")
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	_, root := isolate(t)
	importTestImage(t, root, "hello:1")
	ref := reg.Host + "/me/hello:1"
	r := gun(t, "", nil, "--root", root, "push", "hello:1", ref)
	if r.code != 0 {
		t.Fatalf("push: %s", r.stderr)
	}
	pushed := strings.TrimSpace(r.stdout)
	inspect := func(ref string) string {
		t.Helper()
		out, err := exec.Command(skopeo, "inspect", "--tls-verify=false", "docker://"+ref).Output()
		if err != nil {
			t.Fatalf("skopeo inspect %s: %v", ref, err)
		}
		var info struct{ Digest string }
		json.Unmarshal(out, &info)
		return info.Digest
	}
	if got := inspect(ref); got != pushed {
		t.Errorf("skopeo inspect: %s, gun push printed %s", got, pushed)
	}
	if out, err := exec.Command(crane, "digest", "--insecure", ref).Output(); err != nil || strings.TrimSpace(string(out)) != pushed {
		t.Errorf("crane digest: %q, %v; gun push printed %s", out, err, pushed)
	}

	// skopeo pushes an OCI archive gun saved; gun pulls it.
	archive := filepath.Join(t.TempDir(), "hello.tar")
	if r := gun(t, "", nil, "--root", root, "save", "hello:1", "-o", archive); r.code != 0 {
		t.Fatalf("save: %s", r.stderr)
	}
	sref := reg.Host + "/skopeo/hello:2"
	if out, err := exec.Command(skopeo, "copy", "--dest-tls-verify=false", "--format", "v2s2", "oci-archive:"+archive, "docker://"+sref).CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy: %v\n%s", err, out)
	}
	want := inspect(sref)
	_, other := isolate(t)
	r = gun(t, "", nil, "--root", other, "pull", sref)
	if r.code != 0 || strings.TrimSpace(r.stdout) != want {
		t.Fatalf("gun pull of skopeo's image: exit %d, %q, want %s\n%s", r.code, r.stdout, want, r.stderr)
	}
	if r := gun(t, "", nil, "--root", other, "images"); !strings.Contains(r.stdout, sref+"@"+want) {
		t.Errorf("gun images:\n%s", r.stdout)
	}
}

// TestPullMemory: a pull of a 256 MiB image streams it, keeping gun's peak
// memory under 64 MiB; a pull killed midway names nothing.
func TestPullMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1 GiB")
	}
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	home, root := isolate(t)
	p := filepath.Join(home, "big.tar")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	const size = 256 << 20
	tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	rng := mathrand.New(mathrand.NewPCG(1, 2))
	buf := make([]byte, 1<<20)
	for range size / len(buf) {
		for i := 0; i < len(buf); i += 8 {
			binary.LittleEndian.PutUint64(buf[i:], rng.Uint64())
		}
		tw.Write(buf)
	}
	if err := errors.Join(tw.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	if r := gun(t, "", nil, "--root", root, "import", p, "big:1"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	os.Remove(p)
	ref := reg.Host + "/me/big:1"
	if r := gun(t, "", nil, "--root", root, "push", "big:1", ref); r.code != 0 {
		t.Fatalf("push: %s", r.stderr)
	}
	// GNU time measures the peak: it forks gun from its own small process.
	// The test's child would not do: os/exec starts it with vfork, and
	// exec carries the parent's peak RSS (this test's, which under -race
	// and beside other tests passes 64 MiB) into the child's ru_maxrss.
	rss := filepath.Join(home, "rss")
	cmd := exec.Command(testenv.NeedProgram(t, "time"), "-o", rss, "-f", "%M", gunBin, "--root", filepath.Join(home, "other"), "pull", ref)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pull: %v\n%s", err, out)
	}
	data, err := os.ReadFile(rss)
	if err != nil {
		t.Fatal(err)
	}
	kib, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		t.Fatalf("time -f %%M wrote %q: %v", data, err)
	}
	peak := kib << 10
	t.Logf("gun pull of a %d MiB image: peak RSS %d MiB", size>>20, peak>>20)
	if peak > 64<<20 {
		t.Errorf("gun pull of a %d MiB image peaked at %d MiB, more than 64 MiB", size>>20, peak>>20)
	}

	// Killed while a blob streams in: no image, and once gun prune has
	// removed the leftovers, the pull succeeds.
	killed := filepath.Join(home, "killed")
	cmd = exec.Command(gunBin, "--root", killed, "pull", ref)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		tmps, _ := filepath.Glob(filepath.Join(killed, "blobs", "sha256", ".tmp-*"))
		if len(tmps) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pull wrote no temporary blob")
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if r := gun(t, "", nil, "--root", killed, "images", "-q"); r.code != 0 || r.stdout != "" {
		t.Errorf("after a killed pull gun images says (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := gun(t, "", nil, "--root", killed, "prune"); r.code != 0 {
		t.Fatalf("prune: %s", r.stderr)
	}
	if tmps, _ := filepath.Glob(filepath.Join(killed, "blobs", "sha256", ".tmp-*")); len(tmps) > 0 {
		t.Errorf("gun prune left %v", tmps)
	}
	if r := gun(t, "", nil, "--root", killed, "pull", ref); r.code != 0 {
		t.Fatalf("pull after the killed one: %s", r.stderr)
	}
}
