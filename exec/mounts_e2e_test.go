package exec_test

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/internal/testenv"
)

// TestMounts builds Exec steps with each mount and Network none, as the
// test user, and checks what the steps saw and what the layers hold.
func TestMounts(t *testing.T) {
	secret := newSecret()
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec Cache "/cache" Sharing locked "echo run >> /cache/runs && wc -l < /cache/runs > /seen"
Exec Secret "tok" "wc -c < /run/secrets/tok > /len && stat -c '%a %u' /run/secrets/tok > /mode"
Exec Bind "src" "/mnt" "cat /mnt/hello.txt > /copied && ! touch /mnt/new 2>/dev/null"
Exec Network none "ls /sys/class/net > /nets"
Exec Tmpfs "/scratch" "echo x > /scratch/f && test -f /scratch/f"
`,
		"src/hello.txt": "hello\n",
		"secret.txt":    secret,
	})
	r, files := p.buildFiles("--verbose", "--secret", "id=tok,src=secret.txt")
	checkFiles(t, files, map[string]string{
		"/seen":   "0 0644 0:0 1\n",
		"/len":    "0 0644 0:0 " + strconv.Itoa(len(secret)) + "\n",
		"/mode":   "0 0644 0:0 400 0\n",
		"/copied": "0 0644 0:0 hello\n",
		"/nets":   "0 0644 0:0 lo\n",
	})
	checkAbsent(t, files, "a mount's content reached a layer", "/cache/runs", "/scratch/f", "/mnt/hello.txt", "/run/secrets/tok/x")
	if v := files["/run/secrets/tok"]; v != "" && v != "0 0000 0:0 " && !strings.HasPrefix(v, "0 ") {
		t.Errorf("the secret's mount point is %q", v)
	}
	output := r.stdout + r.stderr

	// The cache is kept: a second run of the step sees the first's file.
	// Changing the bound file runs the Bind step again.
	p.write(map[string]string{"src/hello.txt": "again\n"})
	r2, files := p.buildFiles("--no-cache", "--secret", "id=tok,src=secret.txt")
	output += r2.stdout + r2.stderr
	checkFiles(t, files, map[string]string{"/seen": "0 0644 0:0 2\n", "/copied": "0 0644 0:0 again\n"})

	// A cached step needs no secret; a step that runs does. Neither the
	// cache's content, which the last build changed, nor the secret counts
	// in a step's key: nothing runs.
	r3, _ := p.buildFiles()
	output += r3.stdout + r3.stderr
	if got := ran(r3.stderr); len(got) != 0 {
		t.Errorf("a rebuild without the secret, after the cache changed, ran %q", got)
	}
	p.write(map[string]string{"Gunfile": `Using "BUSYBOX"
Exec Secret "tok" "test -s /run/secrets/tok"
`})
	r4 := p.gun("build", "--progress", "plain", ".")
	if r4.code == 0 || !strings.Contains(r4.stderr, `no secret "tok"`) {
		t.Errorf("a build without the secret: exit %d, stderr %q", r4.code, r4.stderr)
	}

	// The secret's bytes are nowhere: not in the output, not in any file
	// of the store (blobs, layers, cache records, history).
	if strings.Contains(output, secret) {
		t.Error("the secret is in gun build's output")
	}
	noSecret(t, p, secret)
}

// newSecret returns a secret no file has before the test.
func newSecret() string {
	var raw [12]byte
	rand.Read(raw[:])
	return "s3cr3t-" + hex.EncodeToString(raw[:])
}

// noSecret fails t when the secret is in a file of the project's store or
// context but secret.txt.
func noSecret(t *testing.T, p *project, secret string) {
	t.Helper()
	err := filepath.WalkDir(filepath.Dir(p.root), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || path == filepath.Join(p.dir, "secret.txt") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err == nil && bytes.Contains(data, []byte(secret)) {
			t.Errorf("the secret is in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSecretForUser mounts a secret for a step of a non-root user: owned
// by the user, mode 0400, and with Uid, Gid and Mode as they say; its
// bytes reach the steps' files only.
func TestSecretForUser(t *testing.T) {
	secret := newSecret()
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
User "app"
Exec Secret "tok" "wc -c < /run/secrets/tok > /tmp/len && stat -c '%a %u %g' /run/secrets/tok > /tmp/mode"
Exec Secret "tok" Uid 0 Gid 1000 Mode 0440 Target "/etc/tok" "wc -c < /etc/tok > /tmp/len2 && stat -c '%a %u %g' /etc/tok > /tmp/mode2"
Exec Secret "fromenv" "wc -c < /run/secrets/fromenv > /tmp/len3"
Exec Secret "fromenv" Env "TOK" "printf %s \"\$TOK\" | wc -c > /tmp/len4 && ! test -e /run/secrets/fromenv && echo nofile > /tmp/nofile"
Exec Secret "tok" Env "T" Target "/etc/t" "test \"\$T\" = \"\$(cat /etc/t)\" && echo same > /tmp/same"
Exec "echo \"[\$TOK\$T]\" > /tmp/after"
`,
		"secret.txt": secret,
	})
	// The second secret comes from gun's environment (env=VAR).
	envSecret := newSecret() + "-env"
	p.env = append(p.env, "GUN_TEST_SECRET="+envSecret)
	r, files := p.buildFiles("--secret", "id=tok,src=secret.txt", "--secret", "id=fromenv,env=GUN_TEST_SECRET")
	n := strconv.Itoa(len(secret)) + "\n"
	checkFiles(t, files, map[string]string{
		"/tmp/len":   "0 0644 1000:1000 " + n,
		"/tmp/mode":  "0 0644 1000:1000 400 1000 1000\n",
		"/tmp/len2":  "0 0644 1000:1000 " + n,
		"/tmp/mode2": "0 0644 1000:1000 440 0 1000\n",
		"/tmp/len3":  "0 0644 1000:1000 " + strconv.Itoa(len(envSecret)) + "\n",
		// Env: the variable, and no file unless Target says where.
		"/tmp/len4":   "0 0644 1000:1000 " + strconv.Itoa(len(envSecret)) + "\n",
		"/tmp/nofile": "0 0644 1000:1000 nofile\n",
		"/tmp/same":   "0 0644 1000:1000 same\n",
		// Only the step with the mount has the variable.
		"/tmp/after": "0 0644 1000:1000 []\n",
	})
	for _, sec := range []string{secret, envSecret} {
		if strings.Contains(r.stdout+r.stderr, sec) {
			t.Error("a secret is in gun build's output")
		}
		noSecret(t, p, sec)
	}
}

// TestCacheOwner mounts caches for a step of a non-root user: one made
// with Uid, Gid and Mode is the user's, who writes to it, and keeps its
// content and owner in the next build; one without them is made as
// BuildKit makes it, root's with mode 0755, which the user cannot write to.
func TestCacheOwner(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
User "app"
Exec Cache "/cache" Uid 1000 Gid 1000 Mode 0750 Cache "/rootcache" "echo run >> /cache/runs && wc -l < /cache/runs > /tmp/runs && stat -c '%a %u %g' /cache /rootcache > /tmp/modes && ! touch /rootcache/x 2>/dev/null"
`,
	})
	_, files := p.buildFiles()
	checkFiles(t, files, map[string]string{
		"/tmp/runs":  "0 0644 1000:1000 1\n",
		"/tmp/modes": "0 0644 1000:1000 750 1000 1000\n755 0 0\n",
	})
	checkAbsent(t, files, "a cache's content reached a layer", "/cache/runs")
	_, files = p.buildFiles("--no-cache")
	checkFiles(t, files, map[string]string{
		"/tmp/runs":  "0 0644 1000:1000 2\n",
		"/tmp/modes": "0 0644 1000:1000 750 1000 1000\n755 0 0\n",
	})
}

// TestInlineFile builds Copy "<dest>" <<EOF: its text, mode and owner, in
// a new directory; a change of the text runs it again.
func TestInlineFile(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Workdir "/etc"
Copy Owner "1000:1000" "new/app.conf" <<EOF
    port = 80
      indented $HOME
    EOF
Copy Mode 0600 "/motd" <<EOF
    hi
    EOF
`,
	})
	_, files := p.buildFiles()
	checkFiles(t, files, map[string]string{
		"/etc/new":          "5 0755 1000:1000",
		"/etc/new/app.conf": "0 0644 1000:1000 port = 80\n  indented $HOME\n",
		"/motd":             "0 0600 0:0 hi\n",
	})
	r := p.build(".")
	if got := ran(r.stderr); len(got) != 0 {
		t.Errorf("a rebuild ran %q", got)
	}
}

// TestInlineFileExpand builds Copy Expand "<dest>" <<EOF: references to an
// Arg set with --arg, a stage Env and an Env of the stage it is built on are
// expanded once, \$ and \\ are escapes and other backslashes and a lone $
// text; Owner and Mode apply. The cache key holds the text written: the same
// --arg is a cache hit, and so is another spelling of the same text; another
// --arg reruns the Copy.
func TestInlineFileExpand(t *testing.T) {
	gunfile := func(ref string) string {
		return `Arg VERSION "1.0"
Using "BUSYBOX" As base
Env BASE_DIR "/opt/base"

Using base
Env HOME_DIR "/opt/app"
Env PRICE "\$9"
Copy Expand Owner "1000:1000" Mode 0640 "/etc/app.conf" <<EOF
    version=` + ref + `
    home=$HOME_DIR base=$BASE_DIR price=$PRICE
    literal \$HOME_DIR \\ \\$HOME_DIR $ \n \q$
    EOF
Exec "cat /etc/app.conf > /seen"
`
	}
	p := newProject(t, map[string]string{"Gunfile": gunfile("${VERSION}")})
	conf := func(version string) string {
		return "version=" + version + "\nhome=/opt/app base=/opt/base price=$9\nliteral $HOME_DIR \\ \\/opt/app $ \\n \\q$\n"
	}
	_, files := p.buildFiles("--arg", "VERSION=2.0")
	checkFiles(t, files, map[string]string{
		"/etc/app.conf": "0 0640 1000:1000 " + conf("2.0"),
		"/seen":         "0 0644 0:0 " + conf("2.0"),
	})

	r := p.build("--arg", "VERSION=2.0", ".")
	if got := ran(r.stderr); len(got) != 0 {
		t.Errorf("a rebuild with the same --arg ran %q", got)
	}
	p.write(map[string]string{"Gunfile": gunfile("$VERSION")})
	r = p.build("--arg", "VERSION=2.0", ".")
	if got := ran(r.stderr); len(got) != 0 {
		t.Errorf("a rebuild that writes the same text another way ran %q", got)
	}
	r, files = p.buildFiles("--arg", "VERSION=3.0")
	if got := ran(r.stderr); len(got) == 0 || !strings.HasPrefix(got[0], `Copy "/etc/app.conf" <<EOF`) {
		t.Errorf("a rebuild with another --arg ran %q, want the Copy first", got)
	}
	checkFiles(t, files, map[string]string{
		"/etc/app.conf": "0 0640 1000:1000 " + conf("3.0"),
		"/seen":         "0 0644 0:0 " + conf("3.0"),
	})
}

// TestMountPointsLeftOut builds a step with every kind of mount and the
// same step without them: the two images' file systems are equal, so the
// mount points the init made (and the directories made only to hold them)
// are not in the layer, while what the step wrote beside them is.
func TestMountPointsLeftOut(t *testing.T) {
	const cmd = `echo x > /out && touch /a/kept`
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec Tmpfs "/a/b" Cache "/c/d" Secret "s" Bind "src" "/mnt/src/in" Bind "one.txt" "/etc/one.txt" "` + cmd + `"
`,
		"src/hello.txt": "hello\n",
		"one.txt":       "one\n",
		"secret.txt":    "secret\n",
	})
	with := filepath.Join(p.root, "..", "with.tar")
	p.build("--secret", "id=s,src=secret.txt", "-o", with, "--format", "rootfs", ".")
	p.write(map[string]string{"Gunfile": "Using \"BUSYBOX\"\nExec \"mkdir /a && " + cmd + "\"\n"})
	without := filepath.Join(p.root, "..", "without.tar")
	p.build("-o", without, "--format", "rootfs", ".")
	got, want := rootfs(t, with), rootfs(t, without)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the image built with mounts differs from the one without (-without +with):\n%s", diff)
	}
	if got["/a/kept"] == "" {
		t.Error("/a/kept, written beside a mount point, is not in the image")
	}
}

// TestBindFromAndReadWrite binds a directory of an earlier stage made by
// two layers (one deletes a file), a file of it, and, with ReadWrite, a
// copy of a stage's directory and of a context directory: the steps see
// the merged tree, writes land in the copies only, and the bound stage
// counts in the step's key.
func TestBindFromAndReadWrite(t *testing.T) {
	gunfile := func(v string) string {
		return `Using "BUSYBOX" As build
Exec "mkdir -p /out/sub && echo one > /out/a && echo deep > /out/sub/b"
Exec "echo ` + v + ` > /out/c && rm /out/a"

Using "BUSYBOX"
Exec Bind "/out" "/in" From build "ls /in > /list && cat /in/c /in/sub/b > /got && ! touch /in/x 2>/dev/null"
Exec Bind "out" "/rw" From build ReadWrite "echo new > /rw/c && cat /rw/c > /rwgot"
Exec Bind "src" "/ctx" ReadWrite "echo changed > /ctx/hello.txt && cat /ctx/hello.txt > /ctxgot"
Exec Bind "/out/sub/b" "/one" From build "cat /one > /filegot"
`
	}
	p := newProject(t, map[string]string{"Gunfile": gunfile("two"), "src/hello.txt": "hello\n"})
	_, files := p.buildFiles()
	checkFiles(t, files, map[string]string{
		"/list":    "0 0644 0:0 c\nsub\n",
		"/got":     "0 0644 0:0 two\ndeep\n",
		"/rwgot":   "0 0644 0:0 new\n",
		"/ctxgot":  "0 0644 0:0 changed\n",
		"/filegot": "0 0644 0:0 deep\n",
	})
	checkAbsent(t, files, "a mount point or a mount's content reached a layer", "/in", "/rw", "/ctx", "/one", "/out")
	if b, err := os.ReadFile(filepath.Join(p.dir, "src", "hello.txt")); err != nil || string(b) != "hello\n" {
		t.Errorf("the context file after a ReadWrite bind: %q, %v", b, err)
	}
	if got := ran(p.build(".").stderr); len(got) != 0 {
		t.Errorf("a rebuild ran %q", got)
	}
	p.write(map[string]string{"Gunfile": gunfile("three")})
	r, files := p.buildFiles()
	if got := ran(r.stderr); len(got) != 5 || !strings.HasPrefix(got[1], `Exec Bind "/out" "/in" From "build"`) {
		t.Errorf("after a change of the bound stage, ran %q, want its step and every step from the first bind of it", got)
	}
	checkFiles(t, files, map[string]string{"/got": "0 0644 0:0 three\ndeep\n"})

	// A change of a bound context file runs its step again, and the ones
	// after it.
	p.write(map[string]string{"src/hello.txt": "hello again\n"})
	if got := ran(p.build(".").stderr); len(got) != 2 || !strings.HasPrefix(got[0], `Exec Bind "src" "/ctx"`) {
		t.Errorf("after a change of a bound context file, ran %q, want its step and the one after it", got)
	}
}

// TestTmpfsSize mounts a real tmpfs, capped by Size: 2 MiB do not fit in
// one of 1 MiB, and fit in one without a cap. Its directory has mode 1777,
// or Mode.
func TestTmpfsSize(t *testing.T) {
	const fill = `grep ' /t ' /proc/mounts | cut -d ' ' -f 1,3; if head -c 2097152 /dev/zero > /t/big 2>/dev/null; then echo fits; else echo full; fi`
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec Tmpfs "/t" Size 1m "(` + fill + `) > /capped"
Exec Tmpfs "/t" "(` + fill + `) > /free; stat -c %a /t > /mode"
Exec Tmpfs "/t" Mode 0750 Size 1m "stat -c %a /t > /mode750"
`,
	})
	_, files := p.buildFiles()
	checkFiles(t, files, map[string]string{
		"/capped":  "0 0644 0:0 tmpfs tmpfs\nfull\n",
		"/free":    "0 0644 0:0 tmpfs tmpfs\nfits\n",
		"/mode":    "0 0644 0:0 1777\n",
		"/mode750": "0 0644 0:0 750\n",
	})
	checkAbsent(t, files, "the tmpfs mount point reached a layer", "/t")
}

// TestAptCacheMount builds a Debian recipe whose apt step keeps
// /var/cache/apt and /var/lib/apt in Cache mounts, then changes a step
// above it: the second run of the apt step downloads no package and no
// package index (the .deb the first run fetched is in the store's cache
// before it), and neither image holds the caches' content. Opt-in, as it
// needs the Debian mirror (testenv.DebianArchive).
func TestAptCacheMount(t *testing.T) {
	archive := testenv.DebianArchive(t, "build an apt recipe with cache mounts in a Debian base")
	gunfile := func(v string) string {
		return `Using "debian.tar.gz"
Exec "echo ` + v + ` > /version"
Exec Cache "/var/cache/apt" Sharing locked Cache "/var/lib/apt" Sharing locked "apt-get update && apt-get install -y --no-install-recommends hello"
`
	}
	p := newProject(t, map[string]string{"Gunfile": gunfile("one")})
	p.copyIn(archive, "debian.tar.gz")
	r, files := p.buildFiles()
	if !debFetch.MatchString(r.stderr) {
		t.Fatalf("the first build fetched no hello package:\n%s", r.stderr)
	}
	checkAptImage(t, files, archive)
	debs, err := filepath.Glob(filepath.Join(p.root, "build", "caches", "*", "archives", "hello_*.deb"))
	if err != nil || len(debs) != 1 {
		t.Fatalf("the apt cache after the first build holds %q (%v), want one hello .deb", debs, err)
	}

	p.write(map[string]string{"Gunfile": gunfile("two")})
	r, files = p.buildFiles()
	if got := ran(r.stderr); len(got) != 2 {
		t.Fatalf("after a change above the apt step, ran %q, want it and the apt step", got)
	}
	for _, l := range strings.Split(r.stderr, "\n") {
		if debFetch.MatchString(l) || strings.HasPrefix(l, "#3 Get:") && strings.Contains(l, "Packages") {
			t.Errorf("the second apt run downloaded what the cache holds: %s", l)
		}
	}
	if !strings.Contains(r.stderr, "Need to get 0 B/") {
		t.Errorf("the second apt run did not find the package in its cache:\n%s", r.stderr)
	}
	checkAptImage(t, files, archive)
}

// debFetch matches apt's line for a download of the hello package.
var debFetch = regexp.MustCompile(`(?m)^#\d+ Get:\d+ \S+ \S+ \S+ hello `)

// checkAptImage checks that hello was installed and that the image has
// nothing under /var/cache/apt and /var/lib/apt that the base archive does
// not have: what apt fetched stayed in the cache mounts.
func checkAptImage(t *testing.T, files map[string]string, archive string) {
	t.Helper()
	if _, ok := files["/usr/bin/hello"]; !ok {
		t.Error("/usr/bin/hello is not in the image")
	}
	base := tarNames(t, archive)
	for name := range files {
		if (strings.HasPrefix(name, "/var/cache/apt/") || strings.HasPrefix(name, "/var/lib/apt/")) && !base[name] {
			t.Errorf("%s, of a cache mount, is in the image", name)
		}
	}
}

// tarNames returns the paths in a .tar.gz, as rootfs names them.
func tarNames(t *testing.T, file string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	tr := tar.NewReader(openGzip(t, file))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		names[path.Clean("/"+h.Name)] = true
	}
}
