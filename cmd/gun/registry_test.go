package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
// memory under 64 MiB.
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
}

// TestPullKilled: gun pull killed (SIGKILL) while a blob streams in names
// nothing and stores no part of a blob as a blob, but keeps what it received in the store's
// partial area: the next pull asks the registry for the rest only (an
// HTTP range, seen by a fault proxy that stalled the first pull's blob),
// and gun prune removes such leftovers.
func TestPullKilled(t *testing.T) {
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	home, root := isolate(t)
	p := filepath.Join(home, "noise.tar")
	noise := make([]byte, 4<<20)
	mathrand.NewChaCha8([32]byte{3}).Read(noise)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "noise", Mode: 0o644, Size: int64(len(noise)), Typeflag: tar.TypeReg})
	tw.Write(noise)
	tw.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := gun(t, "", nil, "--root", root, "import", p, "noise:1"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	if r := gun(t, "", nil, "--root", root, "push", "noise:1", reg.Host+"/me/noise:1"); r.code != 0 {
		t.Fatalf("push: %s", r.stderr)
	}
	// The layer's blob (the only large one) stops after 1 MiB for the
	// pulls that stall says; its ranges are recorded.
	const sent = 1 << 20
	var mu sync.Mutex
	var ranges []string
	stall := true
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	host := testenv.FaultProxy(t, reg.Host, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/sha256:") {
			return false
		}
		rec := httptest.NewRecorder()
		httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: reg.Host}).ServeHTTP(rec, r)
		if rec.Body.Len() < 2<<20 && r.Header.Get("Range") == "" {
			return false
		}
		mu.Lock()
		ranges = append(ranges, r.Header.Get("Range"))
		stop := stall
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		if !stop {
			w.Write(rec.Body.Bytes())
			return true
		}
		w.Write(rec.Body.Bytes()[:sent])
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	ref := host + "/me/noise:1"
	other := filepath.Join(home, "other")
	kill := func() string {
		t.Helper()
		cmd := exec.Command(gunBin, "--root", other, "pull", "--tls-verify=false", ref)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var partial string
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
			ps, _ := filepath.Glob(filepath.Join(other, "partial", "*"))
			if len(ps) == 1 {
				if fi, err := os.Stat(ps[0]); err == nil && fi.Size() == sent {
					partial = ps[0]
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("the pull received no %d bytes in the partial area: %v", sent, ps)
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if r := gun(t, "", nil, "--root", other, "images", "-q"); r.code != 0 || r.stdout != "" {
			t.Errorf("after a killed pull gun images says (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
		}
		// Only whole blobs (the config, perhaps) are in the store.
		blobs, _ := filepath.Glob(filepath.Join(other, "blobs", "sha256", "*"))
		for _, b := range blobs {
			data, err := os.ReadFile(b)
			if sum := sha256.Sum256(data); err != nil || hex.EncodeToString(sum[:]) != filepath.Base(b) {
				t.Errorf("a killed pull left blob %s, not whole (%v)", b, err)
			}
		}
		return partial
	}

	partial := kill()
	if r := gun(t, "", nil, "--root", other, "prune"); r.code != 0 || !strings.Contains(r.stdout, " 1 leftovers") {
		t.Fatalf("prune: exit %d, %q, %s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(partial); err == nil {
		t.Errorf("gun prune left %s", partial)
	}

	partial = kill()
	mu.Lock()
	stall, ranges = false, nil
	mu.Unlock()
	r := gun(t, "", nil, "--root", other, "--verbose", "pull", "--tls-verify=false", ref)
	if r.code != 0 {
		t.Fatalf("pull after the killed one: %s", r.stderr)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("resuming at byte %d", sent)) {
		t.Errorf("the pull does not say it resumed:\n%s", r.stderr)
	}
	mu.Lock()
	if want := []string{fmt.Sprintf("bytes=%d-", sent)}; !slices.Equal(ranges, want) {
		t.Errorf("the pull after the killed one asked for the layer with ranges %q, want %q", ranges, want)
	}
	mu.Unlock()
	if _, err := os.Stat(partial); err == nil {
		t.Errorf("the pull left %s", partial)
	}
	if r := gun(t, "", nil, "--root", other, "images", "-q"); r.code != 0 || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("gun images -q after the pull: exit %d, %q", r.code, r.stdout)
	}
}
