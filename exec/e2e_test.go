package exec_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gun-tools/gun/internal/testenv"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// The end-to-end tests run the real gun binary as the test user
// (testenv.TestUser: the unprivileged guntest as root, so that the rootless
// path is what is tested).
var env struct {
	work    string // a directory the test user owns
	gun     string // the gun binary
	busybox string // a busybox root-filesystem tar
	user    *testenv.User
	uid     int
	gid     int
	err     error // a missing prerequisite
}

// holderIdle has the user namespace holders the tests' stores start leave
// soon after the last build (the default is 10 s).
const holderIdle = "GUN_USERNS_IDLE=2s"

func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		env.err = err
	}
	code := m.Run()
	if env.work != "" && os.Getenv("GUN_TEST_KEEP") == "" {
		os.RemoveAll(env.work)
	}
	os.Exit(code)
}

func setup() error {
	var err error
	if env.user, err = testenv.TestUser(); err != nil {
		return err
	}
	env.uid, env.gid = env.user.UID, env.user.GID
	if env.work, err = env.user.MkdirTemp("/tmp", "gun-exec-test-"); err != nil {
		return err
	}
	if env.gun, err = testenv.BuildGun(env.work); err != nil {
		return err
	}
	env.busybox = filepath.Join(env.work, "busybox.tar")
	if out, err := exec.Command("../testdata/rootfs/busybox.sh", "-t", env.busybox).CombinedOutput(); err != nil {
		return fmt.Errorf("make busybox root: %v\n%s", err, out)
	}
	return os.Chmod(env.busybox, 0o644)
}

func need(t *testing.T, what string, err error) {
	t.Helper()
	testenv.Need(t, what, err)
}

func asUser(c *exec.Cmd) *exec.Cmd { return env.user.Command(c) }

// project is a build context with a Gunfile, and a store, owned by the test
// user.
type project struct {
	t    *testing.T
	dir  string   // the context
	root string   // the store
	env  []string // more of gun's environment
}

func newProject(t *testing.T, files map[string]string) *project {
	t.Helper()
	need(t, "test environment", env.err)
	base, err := os.MkdirTemp(env.work, strings.ReplaceAll(t.Name(), "/", "_")+"-")
	if err != nil {
		t.Fatal(err)
	}
	p := &project{t: t, dir: filepath.Join(base, "ctx"), root: filepath.Join(base, "store")}
	for _, d := range []string{p.dir, p.root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p.write(files)
	p.chown(base)
	return p
}

func (p *project) chown(dir string) {
	if err := env.user.Chown(dir); err != nil {
		p.t.Fatal(err)
	}
}

func (p *project) write(files map[string]string) {
	for name, content := range files {
		full := filepath.Join(p.dir, name)
		os.MkdirAll(filepath.Dir(full), 0o755)
		content = strings.ReplaceAll(content, "BUSYBOX", env.busybox)
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
	p.chown(p.dir)
}

// copyIn copies the file src into the context as name, as the test user
// (cp: an archive of hundreds of MB is not read into memory).
func (p *project) copyIn(src, name string) {
	p.t.Helper()
	if out, err := asUser(exec.Command("cp", src, filepath.Join(p.dir, name))).CombinedOutput(); err != nil {
		p.t.Fatalf("cp %s: %v\n%s", src, err, out)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

// command is the gun binary run with args as the test user in the context
// directory, with the project's store.
func (p *project) command(args ...string) *exec.Cmd {
	c := asUser(exec.Command(env.gun, args...))
	c.Dir = p.dir
	c.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GUN_ROOT=" + p.root, "HOME=" + filepath.Dir(p.root), holderIdle}, p.env...)
	return c
}

// gun runs the gun binary as the test user in the context directory.
func (p *project) gun(args ...string) result {
	p.t.Helper()
	c := p.command(args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	return r
}

// build runs gun build with plain progress and fails the test on an error.
func (p *project) build(args ...string) result {
	p.t.Helper()
	r := p.gun(append([]string{"build", "--progress", "plain"}, args...)...)
	if r.code != 0 {
		p.t.Fatalf("gun build %v: exit %d\n%s", args, r.code, r.stderr)
	}
	return r
}

// buildFiles builds the project (gun build ARGS -o FILE --format rootfs .)
// and returns the root file system's files, as rootfs reads them.
func (p *project) buildFiles(args ...string) (result, map[string]string) {
	p.t.Helper()
	flat := filepath.Join(p.root, "..", "rootfs.tar")
	r := p.build(append(args, "-o", flat, "--format", "rootfs", ".")...)
	return r, rootfs(p.t, flat)
}

var stepLine = regexp.MustCompile(`(?m)^#(\d+) \[[^\]]*\] (.*)$`)
var doneLine = regexp.MustCompile(`(?m)^#(\d+) (DONE|CACHED|ERROR)`)

// steps returns each step's instruction and whether it ran (DONE) or came
// from the cache (CACHED), from plain progress output.
func steps(out string) []string {
	text := map[string]string{}
	var order []string
	for _, m := range stepLine.FindAllStringSubmatch(out, -1) {
		if _, ok := text[m[1]]; !ok {
			order = append(order, m[1])
		}
		text[m[1]] = m[2]
	}
	state := map[string]string{}
	for _, m := range doneLine.FindAllStringSubmatch(out, -1) {
		state[m[1]] = m[2]
	}
	var res []string
	for _, id := range order {
		res = append(res, state[id]+" "+text[id])
	}
	return res
}

// ran lists the Exec and Copy steps that ran.
func ran(out string) []string {
	var res []string
	for _, s := range steps(out) {
		if rest, ok := strings.CutPrefix(s, "DONE "); ok && (strings.HasPrefix(rest, "Exec") || strings.HasPrefix(rest, "Copy")) {
			res = append(res, rest)
		}
	}
	return res
}

// rootfs reads a flattened root-filesystem tar into path -> "type mode
// uid:gid [content|-> symlink target|=> hardlink target]".
func rootfs(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		name := "/" + strings.TrimSuffix(h.Name, "/")
		v := fmt.Sprintf("%c %04o %d:%d", h.Typeflag, h.Mode&0o7777, h.Uid, h.Gid)
		switch h.Typeflag {
		case tar.TypeReg:
			b, _ := io.ReadAll(tr)
			v += " " + string(b)
		case tar.TypeSymlink:
			v += " -> " + h.Linkname
		case tar.TypeLink:
			v += " => " + path.Clean("/"+h.Linkname)
		}
		out[name] = v
	}
}

func TestBuildEveryInstruction(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `# every instruction
Arg GREETING "hello"
Using "BUSYBOX"
Arg WHO "world"
Env APP_HOME "/app"
Workdir "${APP_HOME}"
Copy "hello.txt" "conf" "./"
Copy Owner "app:app" Mode 0640 "hello.txt" "/etc/secret.txt"
Copy Owner "1000" "hello.txt" "/home/app/numeric.txt"
Copy "hello.txt" "/tmp"
Copy Owner "app" "conf" "/etc/"
Exec "echo $GREETING $WHO > greeting && mkdir -p /data && rm /bin/vi"
Exec ["/bin/sh", "-c", "chown 1000:1000 /data && ln -s /app/greeting /data/link"]
Exec <<EOF
    echo one > /data/script
    echo two >> /data/script
    EOF
User "app"
Label "org.example.name" "demo"
Main ["/bin/cat", "greeting"]
`,
		"hello.txt":      "hi\n",
		"conf/a.conf":    "a\n",
		"conf/skip.log":  "log\n",
		"conf/sub/b.txt": "b\n",
		".gunignore":     "conf/*.log\n",
	})
	oci := filepath.Join(p.root, "..", "image.tar")
	flat := filepath.Join(p.root, "..", "rootfs.tar")
	r := p.build("-t", "demo:1", "-o", oci, ".")
	digest := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("stdout %q: want the image digest", r.stdout)
	}
	p.build("-o", flat, "--format", "rootfs", ".")

	// gun save writes the same bytes as gun build -o, for both formats.
	for _, c := range []struct{ built, format string }{{oci, "oci"}, {flat, "rootfs"}} {
		saved := filepath.Join(p.root, "..", "saved-"+c.format+".tar")
		if r := p.gun("save", "--format", c.format, "-o", saved, "demo:1"); r.code != 0 {
			t.Fatalf("gun save --format %s: exit %d\n%s", c.format, r.code, r.stderr)
		}
		a, errA := os.ReadFile(c.built)
		b, errB := os.ReadFile(saved)
		if err := errors.Join(errA, errB); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("--format %s: gun build -o wrote %d bytes (sha256 %x), gun save %d bytes (sha256 %x): want the same archive",
				c.format, len(a), sha256.Sum256(a), len(b), sha256.Sum256(b))
		}
	}

	files := rootfs(t, flat)
	want := map[string]string{
		"/app/greeting":         "0 0644 0:0 hello world\n",
		"/app/hello.txt":        "0 0644 0:0 hi\n",
		"/app/a.conf":           "0 0644 0:0 a\n",
		"/app/sub/b.txt":        "0 0644 0:0 b\n",
		"/etc/secret.txt":       "0 0640 1000:1000 hi\n",
		"/home/app/numeric.txt": "0 0644 1000:1000 hi\n",
		"/data":                 "5 0755 1000:1000",
		"/data/link":            "2 0777 0:0 -> /app/greeting",
		"/data/script":          "0 0644 0:0 one\ntwo\n",
		"/tmp":                  "5 1777 0:0",
		"/tmp/hello.txt":        "0 0644 0:0 hi\n", // into an existing directory
		"/etc":                  "5 0755 0:0",      // an existing directory keeps its owner
		"/etc/a.conf":           "0 0644 1000:1000 a\n",
		"/etc/sub":              "5 0755 1000:1000",

		"/root": "5 0700 0:0",
	}
	checkFiles(t, files, want)
	checkAbsent(t, files, "want it absent", "/bin/vi", "/app/skip.log", "/app/conf", "/etc/resolv.conf", "/etc/hosts")
	if _, ok := files["/bin/sh"]; !ok {
		t.Error("/bin/sh missing: the base layer is not in the image")
	}

	// The OCI archive, read by skopeo.
	out, err := exec.Command("skopeo", "inspect", "--config", "oci-archive:"+oci).Output()
	need(t, "skopeo", err)
	var img v1.Image
	if err := json.Unmarshal(out, &img); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"APP_HOME=/app"}, img.Config.Env); diff != "" {
		t.Errorf("Env (-want +got):\n%s", diff)
	}
	if img.Config.WorkingDir != "/app" || img.Config.User != "app" || img.Config.Labels["org.example.name"] != "demo" {
		t.Errorf("config %+v", img.Config)
	}
	if diff := cmp.Diff([]string{"/bin/cat", "greeting"}, img.Config.Cmd); diff != "" {
		t.Errorf("Cmd (-want +got):\n%s", diff)
	}
	if img.Created == nil || !img.Created.Equal(time.Unix(0, 0)) {
		t.Errorf("created %v, want the Unix epoch", img.Created)
	}
	var lines []string
	for _, h := range img.History {
		lines = append(lines, h.Comment)
	}
	if len(img.History) < 3 || img.History[len(img.History)-1].CreatedBy != `Main ["/bin/cat", "greeting"]` ||
		img.History[len(img.History)-1].Comment != "Gunfile:20" {
		t.Errorf("history does not name the Gunfile lines: %q", lines)
	}

	// umoci unpacks it, and the default command runs in it with gun run.
	ocidir := filepath.Join(p.root, "..", "oci")
	os.MkdirAll(ocidir, 0o755)
	if out, err := exec.Command("tar", "-C", ocidir, "-xf", oci).CombinedOutput(); err != nil {
		t.Fatalf("untar: %v\n%s", err, out)
	}
	bundle := filepath.Join(p.root, "..", "bundle")
	p.chown(ocidir)
	uc := asUser(exec.Command("umoci", "unpack", "--rootless", "--image", ocidir+":1", bundle))
	if out, err := uc.CombinedOutput(); err != nil {
		need(t, "umoci", fmt.Errorf("%v\n%s", err, out))
	}
	run := p.gun(append([]string{"run", "-w", img.Config.WorkingDir, "-u", img.Config.User, filepath.Join(bundle, "rootfs")}, img.Config.Cmd...)...)
	if run.code != 0 || run.stdout != "hello world\n" {
		t.Errorf("gun run of the default command: exit %d, stdout %q, stderr %q", run.code, run.stdout, run.stderr)
	}
	// The tagged image in the store, run by name: its default command, and
	// its user, working directory, environment and files.
	run = p.gun("run", "demo:1")
	if run.code != 0 || run.stdout != "hello world\n" {
		t.Errorf("gun run demo:1: exit %d, stdout %q, stderr %q", run.code, run.stdout, run.stderr)
	}
	run = p.gun("run", "demo:1", "sh", "-c", "id -u; id -g; pwd; echo $APP_HOME; cat /etc/secret.txt; stat -c '%u:%g %a' /data /etc/secret.txt")
	if want := "1000\n1000\n/app\n/app\nhi\n1000:1000 755\n1000:1000 640\n"; run.code != 0 || run.stdout != want {
		t.Errorf("gun run demo:1 sh: exit %d, stdout %q, want %q; stderr %q", run.code, run.stdout, want, run.stderr)
	}
}

func TestCache(t *testing.T) {
	gunfile := `Using "BUSYBOX"
Exec "echo one > /one"
Copy "a.txt" "/a.txt"
Exec "cat /a.txt /one > /both"
Copy "b.txt" "/b.txt"
Exec "echo %s > /three"
`
	p := newProject(t, map[string]string{
		"Gunfile": fmt.Sprintf(gunfile, "three"),
		"a.txt":   "a", "b.txt": "b",
	})
	first := p.build(".")
	if got := ran(first.stderr); len(got) != 5 {
		t.Fatalf("cold build ran %q, want all 5 steps", got)
	}
	// Nothing changed: nothing runs.
	second := p.build(".")
	if got := ran(second.stderr); len(got) != 0 {
		t.Fatalf("rebuild ran %q, want nothing", got)
	}
	if a, b := lastLine(first.stdout), lastLine(second.stdout); a != b {
		t.Errorf("cached rebuild gave %s, cold build %s", b, a)
	}
	// A changed context file: its Copy and what follows rerun, nothing before.
	p.write(map[string]string{"b.txt": "B"})
	r := p.build(".")
	if diff := cmp.Diff([]string{`Copy "b.txt" "/b.txt"`, `Exec "echo three > /three"`}, ran(r.stderr)); diff != "" {
		t.Errorf("after editing b.txt (-want +got):\n%s", diff)
	}
	// An edited step reruns from itself on.
	p.write(map[string]string{"Gunfile": fmt.Sprintf(gunfile, "THREE")})
	r = p.build(".")
	if diff := cmp.Diff([]string{`Exec "echo THREE > /three"`}, ran(r.stderr)); diff != "" {
		t.Errorf("after editing the last step (-want +got):\n%s", diff)
	}
	// Comments and blank lines are not part of any step.
	p.write(map[string]string{"Gunfile": "# a comment\n\n" + strings.ReplaceAll(fmt.Sprintf(gunfile, "THREE"), "\n", "\n\n")})
	if got := ran(p.build(".").stderr); len(got) != 0 {
		t.Errorf("reformatting the Gunfile ran %q", got)
	}
	// A file .gunignore excludes does not invalidate anything.
	p.write(map[string]string{".gunignore": "notes\n", "notes": "x"})
	if got := ran(p.build(".").stderr); len(got) != 0 {
		t.Errorf("adding an ignored file ran %q", got)
	}
	// --no-cache runs everything.
	if got := ran(p.build("--no-cache", ".").stderr); len(got) != 5 {
		t.Errorf("--no-cache ran %q, want all 5 steps", got)
	}
	// gun prune keeps the layers a named image uses, so its steps stay
	// cached; once the image is removed, prune trims them.
	p.build("-t", "keep", ".")
	if r := p.gun("prune"); r.code != 0 {
		t.Fatalf("gun prune: %s", r.stderr)
	}
	if got := ran(p.build(".").stderr); len(got) != 0 {
		t.Errorf("after prune with the image kept, the build ran %q", got)
	}
	if r := p.gun("rmi", "keep"); r.code != 0 {
		t.Fatalf("gun rmi: %s", r.stderr)
	}
	if r := p.gun("prune"); r.code != 0 || !strings.Contains(r.stdout, "dropped 5 build cache entries") {
		t.Errorf("gun prune after rmi: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := ran(p.build(".").stderr); len(got) != 5 {
		t.Errorf("after pruning the cache the build ran %q, want all 5 steps", got)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

func TestMultiStageTargetArg(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Arg VERSION "1.0"
Arg CHANNEL "stable"
Using "BUSYBOX" As build
Exec "mkdir -p /out && echo built $VERSION > /out/app && chmod 755 /out/app"

Using "BUSYBOX" As unused
Exec "echo this stage is not needed > /x"

Using "BUSYBOX" As final
Copy From build "/out/app" "/usr/local/bin/app"
Exec "cat /usr/local/bin/app > /version"
Arg CHANNEL
Exec "echo $CHANNEL > /channel"
`,
	})
	r, files := p.buildFiles("--arg", "VERSION=2.5", "--arg", "NOPE=1")
	if !strings.Contains(r.stderr, "gun: warning: --arg NOPE: no Arg NOPE in the stages built") {
		t.Errorf("no warning for an --arg no stage declares:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "not needed") || strings.Contains(r.stderr, "[unused") {
		t.Errorf("the unused stage was built:\n%s", r.stderr)
	}
	// A stage's Arg without a default takes the global's value, as in Docker.
	if got, want := files["/channel"], "0 0644 0:0 stable\n"; got != want {
		t.Errorf("/channel = %q, want %q", got, want)
	}
	if got, want := files["/version"], "0 0644 0:0 built 2.5\n"; got != want {
		t.Errorf("/version = %q, want %q", got, want)
	}
	if got, want := files["/usr/local/bin/app"], "0 0755 0:0 built 2.5\n"; got != want {
		t.Errorf("/usr/local/bin/app = %q, want %q", got, want)
	}
	// --target builds only up to that stage.
	r, files = p.buildFiles("--target", "build")
	if strings.Contains(r.stderr, "[final") {
		t.Errorf("--target build built the final stage:\n%s", r.stderr)
	}
	if _, ok := files["/version"]; ok {
		t.Error("--target build: the image has the final stage's /version")
	}
	if got, want := files["/out/app"], "0 0755 0:0 built 1.0\n"; got != want {
		t.Errorf("--target build: /out/app = %q, want %q (the Arg's default)", got, want)
	}
	if r := p.gun("build", "--target", "nope", "."); r.code == 0 || !strings.Contains(r.stderr, `target stage "nope" not found`) {
		t.Errorf("unknown target: exit %d, %s", r.code, r.stderr)
	}
}

// TestUsingStageByArg builds on a stage that a quoted Using base names once
// expanded, as BuildKit resolves FROM build-${VARIANT}: the stage chosen by
// the Arg's default or --arg (and by a predefined Arg), not an image; the
// stage not chosen is not built.
func TestUsingStageByArg(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Arg VARIANT "b"
Using "BUSYBOX" As base-a
Exec "echo a > /which"

Using "BUSYBOX" As base-b
Exec "echo b > /which"

Using "BUSYBOX" As os-linux
Exec "echo $((6 * 7)) > /os"

Using "os-${TARGETOS}" As os

Using "base-${VARIANT}"
Copy From os "/os" "/os"
Exec "cat /which > /got"
`,
	})
	r, files := p.buildFiles()
	if got, want := files["/got"], "0 0644 0:0 b\n"; got != want {
		t.Errorf("/got = %q, want %q (the Arg's default)", got, want)
	}
	if got, want := files["/os"], "0 0644 0:0 42\n"; got != want {
		t.Errorf("/os = %q, want %q (the stage of the predefined TARGETOS)", got, want)
	}
	if strings.Contains(r.stderr, "[base-a") {
		t.Errorf("the stage not chosen was built:\n%s", r.stderr)
	}
	_, files = p.buildFiles("--arg", "VARIANT=a")
	if got, want := files["/got"], "0 0644 0:0 a\n"; got != want {
		t.Errorf("--arg VARIANT=a: /got = %q, want %q", got, want)
	}
}

func TestFailingStep(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec "echo fine"
Exec "echo first line; echo last words >&2; exit 3"
Exec "echo never"
`,
	})
	r := p.gun("build", "--progress", "quiet", "-t", "broken", ".")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"Gunfile:3:1: ",
		`Exec "echo first line; echo last words >&2; exit 3"`,
		"exit code 3",
		"    first line\n    last words",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("error does not contain %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "sha256:") {
		t.Error("a failed build printed an image digest")
	}
}

func TestCheckErrorsStopTheBuild(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exce "echo typo"
`,
	})
	r := p.gun("build", ".")
	if r.code != 1 || !strings.Contains(r.stderr, "Gunfile:2:1: error:") || strings.Contains(r.stderr, "#1") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestInterrupt(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec "echo started; sleep 60"
`,
	})
	c := asUser(exec.Command(env.gun, "build", "--progress", "plain", "-t", "stopped", "."))
	c.Dir = p.dir
	c.Env = []string{"PATH=/usr/bin:/bin", "GUN_ROOT=" + p.root, holderIdle}
	var out bytes.Buffer
	pr, pw := io.Pipe()
	c.Stderr = io.MultiWriter(&out, pw)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan bool)
	go func() {
		buf := make([]byte, 4096)
		var seen strings.Builder
		for {
			n, err := pr.Read(buf)
			seen.Write(buf[:n])
			if strings.Contains(seen.String(), "started") {
				started <- true
				io.Copy(io.Discard, pr)
				return
			}
			if err != nil {
				started <- false
				return
			}
		}
	}()
	select {
	case ok := <-started:
		if !ok {
			t.Fatalf("the step did not start:\n%s", out.String())
		}
	case <-time.After(30 * time.Second):
		c.Process.Kill()
		t.Fatalf("the step did not start in 30s:\n%s", out.String())
	}
	t0 := time.Now()
	c.Process.Signal(os.Interrupt)
	done := make(chan error)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		c.Process.Kill()
		t.Fatal("gun build did not stop within 20s of SIGINT")
	}
	pw.Close()
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("stopping took %v", d)
	}
	if c.ProcessState.ExitCode() == 0 {
		t.Error("an interrupted build exited 0")
	}
	if !strings.Contains(out.String(), `Gunfile:2:1: Exec "echo started; sleep 60": interrupted`) {
		t.Errorf("the error does not say which step was interrupted:\n%s", out.String())
	}
	// No scratch space, no image, no tag.
	runs, _ := os.ReadDir(filepath.Join(p.root, "run"))
	for _, e := range runs {
		if e.IsDir() {
			t.Errorf("scratch space left behind: run/%s", e.Name())
		}
	}
	if b, err := os.ReadFile(filepath.Join(p.root, "index.json")); err == nil && strings.Contains(string(b), "stopped") {
		t.Errorf("an interrupted build tagged its image: %s", b)
	}
}

func TestReproducible(t *testing.T) {
	gunfile := map[string]string{
		"Gunfile": `Using "BUSYBOX"
Copy "f" "/f"
Exec "mkdir -p /a/b && echo x > /a/b/c && date > /a/time-independent-but-content && rm /a/time-independent-but-content"
Env X "y"
`,
		"f": "content",
	}
	p1, p2 := newProject(t, gunfile), newProject(t, gunfile)
	d1 := lastLine(p1.build(".").stdout)
	time.Sleep(1100 * time.Millisecond) // file times differ between the builds
	d2 := lastLine(p2.build(".").stdout)
	if d1 != d2 {
		t.Errorf("two cold builds gave %s and %s", d1, d2)
	}
}

// TestReproducibleCompressed builds with each layer compression twice:
// each gives identical manifests (so identical blobs) and the same image
// ID as the other; a cached rebuild with the other compression gives that
// compression's image without running a step.
func TestReproducibleCompressed(t *testing.T) {
	gunfile := map[string]string{"Gunfile": "Using \"BUSYBOX\"\nExec \"seq 1 50000 > /numbers\"\nCopy \"f\" \"/f\"\n", "f": "content"}
	digests := map[string]string{}
	ids := map[string]bool{}
	for _, c := range []string{"gzip", "zstd"} {
		p1, p2 := newProject(t, gunfile), newProject(t, gunfile)
		d1 := lastLine(p1.build("--compression", c, "-t", "r", ".").stdout)
		d2 := lastLine(p2.build("--compression", c, ".").stdout)
		if d1 != d2 {
			t.Errorf("%s: two cold builds gave %s and %s", c, d1, d2)
		}
		digests[c] = d1
		img := p1.inspect("r")
		ids[img.ID] = true
		for _, l := range img.Manifest.Layers[1:] {
			if want := "application/vnd.oci.image.layer.v1.tar+" + c; l.MediaType != want {
				t.Errorf("%s: layer %s", c, l.MediaType)
			}
		}
		other := map[string]string{"gzip": "zstd", "zstd": "gzip"}[c]
		r := p1.build("--compression", other, "-t", "r", ".")
		if got := ran(r.stderr); len(got) != 0 {
			t.Errorf("%s then %s: steps ran: %v", c, other, got)
		}
		if again := p1.inspect("r"); again.ID != img.ID || again.Manifest.Layers[1].MediaType != "application/vnd.oci.image.layer.v1.tar+"+other {
			t.Errorf("%s then %s: image %s with %s layers, want %s with %s ones", c, other, again.ID, again.Manifest.Layers[1].MediaType, img.ID, other)
		}
	}
	if digests["gzip"] == digests["zstd"] || len(ids) != 1 {
		t.Errorf("manifests %v for image IDs %v: want two manifests of one image", digests, ids)
	}
}

// TestImageIDsUnchanged builds recipes whose image IDs, or the diff IDs of
// the layers gun made, were recorded with gun at commit c01807c (before the
// store compressed layers): the layer pipeline and its compression must
// not change what an image is.
func TestImageIDsUnchanged(t *testing.T) {
	scratch := map[string]string{
		"Gunfile": `Using scratch
Copy "f" "/f"
Copy Owner "7:8" Mode 0750 "d" "/opt/d"
Workdir "/w"
Env X "y"
Label "l" "v"
Main ["/f"]
`,
		"f": "content\n", "d/sub/one": "one\n", "d/two": "#!/bin/sh\n",
	}
	// The busybox base depends on the host's busybox: only the layers
	// gun makes are compared.
	busybox := map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec "mkdir -p /a/b && echo x > /a/b/c && rm /bin/true && ln -s /a/b/c /a/l"
Copy "f" "/a/f"
Workdir "/a/w"
`,
		"f": "content\n",
	}
	for _, c := range []string{"gzip", "zstd"} {
		p := newProject(t, scratch)
		if err := os.Chmod(filepath.Join(p.dir, "d", "two"), 0o755); err != nil {
			t.Fatal(err)
		}
		p.build("--compression", c, "-t", "s", ".")
		if got, want := p.inspect("s").ID, "sha256:149277c6159781db041a26b9b071fc1c136626ee3635634ae5daa5a00f3175fd"; got != want {
			t.Errorf("%s: scratch recipe: image ID %s, want %s", c, got, want)
		}
		p = newProject(t, busybox)
		p.build("--compression", c, "-t", "b", ".")
		want := []string{
			"sha256:dc0914741f0d0cbe1a74a0d5eab5bbf0626f2c3af1d8709899d444ef20a737bc",
			"sha256:099f1733d829a1d0e7356b809069a68e34d7d5c26a8ffaeaf62f9b581e7112dc",
			"sha256:fe5b735182a2420e4c20e6ef064b9a84b19b9086fc38a2f7ad16ad40b2f6f438",
		}
		var got []string
		for _, d := range p.inspect("b").Config.RootFS.DiffIDs[1:] {
			got = append(got, d.String())
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: busybox recipe: diff IDs of gun's layers (-want +got):\n%s", c, diff)
		}
	}
}

// inspected is what gun inspect prints.
type inspected struct {
	ID       string      `json:"id"`
	Digest   string      `json:"digest"`
	Manifest v1.Manifest `json:"manifest"`
	Config   v1.Image    `json:"config"`
}

// inspect returns gun inspect's view of the image name.
func (p *project) inspect(name string) inspected {
	p.t.Helper()
	r := p.gun("inspect", name)
	var img inspected
	if err := json.Unmarshal([]byte(r.stdout), &img); r.code != 0 || err != nil {
		p.t.Fatalf("gun inspect %s: exit %d, %v\n%s", name, r.code, err, r.stderr)
	}
	return img
}

// The original tool's first example builds from a local base archive (a
// gzipped busybox root filesystem standing in for the Alpine one) and runs.
func TestOriginalExample(t *testing.T) {
	src, err := os.ReadFile("../testdata/examples/resolv.gunfile")
	if err != nil {
		t.Fatal(err)
	}
	p := newProject(t, map[string]string{"Gunfile": string(src)})
	gz := asUser(exec.Command("sh", "-c", `gzip -c "$1" > "$2"`, "sh", env.busybox, filepath.Join(p.dir, "alpine-minirootfs-3.14.0-x86_64.tar.gz")))
	if out, err := gz.CombinedOutput(); err != nil {
		t.Fatalf("gzip: %v\n%s", err, out)
	}
	p.build("-t", "example", ".")
	if r := p.gun("run", "example", "echo", "runs"); r.code != 0 || r.stdout != "runs\n" {
		t.Errorf("gun run example: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// gun run and gun build find an archive by its remembered digest: after
// one import, neither reads it again.
func TestArchiveImportedOnce(t *testing.T) {
	p := newProject(t, map[string]string{"Gunfile": "Using \"BUSYBOX\"\nExec \"echo x > /x\"\n"})
	time.Sleep(1100 * time.Millisecond) // a file changed within the last second is hashed again
	want := []string{"archive imported", "archive found by its digest", "archive found by its digest"}
	for i, args := range [][]string{{"run", env.busybox, "true"}, {"run", env.busybox, "true"}, {"build", "."}} {
		r := p.gun(append([]string{"--verbose"}, args...)...)
		if r.code != 0 {
			t.Fatalf("gun %v: exit %d\n%s", args, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, want[i]) {
			t.Errorf("gun %v: no %q in the debug log:\n%s", args, want[i], r.stderr)
		}
	}
}

func TestSourceDateEpoch(t *testing.T) {
	p := newProject(t, map[string]string{"Gunfile": "Using \"BUSYBOX\"\nExec \"echo x > /x\"\n"})
	oci := filepath.Join(p.root, "..", "image.tar")
	c := asUser(exec.Command(env.gun, "build", "--progress", "quiet", "-o", oci, "."))
	c.Dir = p.dir
	c.Env = []string{"PATH=/usr/bin:/bin", "GUN_ROOT=" + p.root, "SOURCE_DATE_EPOCH=1700000000", holderIdle}
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command("skopeo", "inspect", "--config", "oci-archive:"+oci).Output()
	need(t, "skopeo", err)
	var img v1.Image
	if err := json.Unmarshal(out, &img); err != nil {
		t.Fatal(err)
	}
	if img.Created == nil || img.Created.Unix() != 1700000000 {
		t.Errorf("created = %v, want SOURCE_DATE_EPOCH 1700000000", img.Created)
	}
}

func TestURLBasePinned(t *testing.T) {
	base, err := os.ReadFile(env.busybox)
	need(t, "busybox base", err)
	var served atomic[[]byte]
	served.store(base)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(served.load())
	}))
	defer srv.Close()
	p := newProject(t, map[string]string{
		"Gunfile": `Using "` + srv.URL + `/busybox.tar"
Exec "echo ok > /ok"
`,
	})
	// The test server's certificate, trusted by the gun process.
	cert := filepath.Join(p.root, "..", "ca.pem")
	var pemb bytes.Buffer
	pem.Encode(&pemb, &pem.Block{Type: "CERTIFICATE", Bytes: srv.TLS.Certificates[0].Certificate[0]})
	os.WriteFile(cert, pemb.Bytes(), 0o644)
	_ = tls.VersionTLS12
	build := func(args ...string) result {
		c := asUser(exec.Command(env.gun, append([]string{"build", "--progress", "plain"}, args...)...))
		c.Dir = p.dir
		c.Env = []string{"PATH=/usr/bin:/bin", "GUN_ROOT=" + p.root, "SSL_CERT_FILE=" + cert, holderIdle}
		var o, e bytes.Buffer
		c.Stdout, c.Stderr = &o, &e
		err := c.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return result{o.String(), e.String(), code}
	}
	r := build(".")
	if r.code != 0 {
		t.Fatalf("build from a URL: exit %d\n%s", r.code, r.stderr)
	}
	sum, err := os.ReadFile(filepath.Join(p.dir, "Gunfile.sum"))
	if err != nil || !strings.HasPrefix(string(sum), srv.URL+"/busybox.tar sha256:") {
		t.Fatalf("Gunfile.sum = %q, %v", sum, err)
	}
	// The download is gone and the server's file changed: the build fails
	// loudly, naming the URL and both digests.
	os.RemoveAll(filepath.Join(p.root, "build", "downloads"))
	served.store(append(append([]byte(nil), base...), 0))
	r = build(".")
	if r.code == 0 {
		t.Fatal("a changed download was accepted")
	}
	for _, want := range []string{srv.URL + "/busybox.tar", "expected: sha256:", "got:      sha256:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("error does not contain %q:\n%s", want, r.stderr)
		}
	}
}

// atomic is a tiny mutex-free holder for the test server's body.
type atomic[T any] struct{ v chan T }

func (a *atomic[T]) store(v T) {
	if a.v == nil {
		a.v = make(chan T, 1)
	} else {
		<-a.v
	}
	a.v <- v
}

func (a *atomic[T]) load() T {
	v := <-a.v
	a.v <- v
	return v
}

func TestBasesFromStoreAndOCIArchive(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Env FROM_BASE "yes"
Exec "echo base > /base.txt"
`,
	})
	oci := filepath.Join(p.dir, "base-oci.tar")
	p.build("-t", "mybase", "-o", oci, ".")
	p.write(map[string]string{"Gunfile": `Using "mybase"
Exec "cat /base.txt > /from-store; echo $FROM_BASE >> /from-store"

Using "base-oci.tar" As fromarchive
Exec "cat /base.txt > /from-archive"

Using "mybase"
Copy From fromarchive "/from-archive" "/"
Copy From "base-oci.tar" "/base.txt" "/copied-from-image.txt"
Exec "cat /from-archive /copied-from-image.txt"
Main ["/bin/cat", "/from-archive"]
`})
	p.build("-t", "derived", ".")
	r := p.gun("run", "derived")
	if r.code != 0 || r.stdout != "base\n" {
		t.Errorf("gun run derived: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = p.gun("run", "derived", "sh", "-c", "echo $FROM_BASE; cat /copied-from-image.txt")
	if r.code != 0 || r.stdout != "yes\nbase\n" {
		t.Errorf("env from the base and Copy From an image: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestScratchAndNetworkNone(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX" As tools
Exec "ls /sys/class/net > /nets"

Using scratch
Copy From tools "/bin/busybox" "/bin/busybox"
Copy From tools "/nets" "/nets"
Main ["/bin/busybox", "cat", "/nets"]
`,
	})
	p.build("--network", "none", "-t", "tiny", ".")
	r := p.gun("run", "tiny")
	if r.code != 0 || r.stdout != "lo\n" {
		t.Errorf("gun run tiny: exit %d, stdout %q (want only lo with --network none), stderr %q", r.code, r.stdout, r.stderr)
	}
	r = p.gun("run", "tiny", "/bin/busybox", "ls", "/")
	if r.code != 0 || strings.Contains(r.stdout, "usr") || !strings.Contains(r.stdout, "nets") {
		t.Errorf("a scratch image has more than it was given: %q", r.stdout)
	}
}

// TestBuildStepConfined: a build step runs under Docker's default seccomp
// profile and capabilities, as gun run does by default.
func TestBuildStepConfined(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec "grep -E '^(CapEff|Seccomp):' /proc/self/status > /confined"
Main ["cat", "/confined"]
`,
	})
	p.build("-t", "confined", ".")
	r := p.gun("run", "--privileged", "confined")
	if want := "CapEff:\t00000000a80425fb\nSeccomp:\t2\n"; r.code != 0 || r.stdout != want {
		t.Errorf("a build step's confinement: exit %d, stdout %q (want %q), stderr %q", r.code, r.stdout, want, r.stderr)
	}
}

// A build step's overlay is volatile (its syncs do not wait for the disk:
// the step's changes are synced as a layer); a container's under gun run
// is not.
func TestBuildStepOverlayVolatile(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec "grep ' / ' /proc/self/mountinfo > /step-root; sync"
`,
	})
	p.build("-t", "volatile", ".")
	r := p.gun("run", "volatile", "cat", "/step-root")
	if r.code != 0 || !strings.Contains(r.stdout, "overlay") || !strings.Contains(r.stdout, "volatile") {
		t.Errorf("the build step's root: exit %d, %q (want a volatile overlay), stderr %q", r.code, r.stdout, r.stderr)
	}
	r = p.gun("run", "volatile", "grep", " / ", "/proc/self/mountinfo")
	if r.code != 0 || !strings.Contains(r.stdout, "overlay") || strings.Contains(r.stdout, "volatile") {
		t.Errorf("gun run's root: exit %d, %q (want an overlay, not volatile), stderr %q", r.code, r.stdout, r.stderr)
	}
}

// A build step that outlasts the user namespace holder's idle time commits
// its layer in the namespace it ran in: the build starts one holder, not a
// second one for the commit.
func TestLongStepOneHolder(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec "sleep 3; echo long > /long"
`,
	})
	p.env = append(p.env, "GUN_USERNS_IDLE=1s")
	r := p.gun("--verbose", "build", "--progress", "plain", "-t", "long", ".")
	if r.code != 0 {
		t.Fatalf("gun build: exit %d\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stderr, `msg="user namespace holder started"`); n != 1 {
		t.Errorf("the build started %d user namespace holders, want 1:\n%s", n, r.stderr)
	}
	if r := p.gun("run", "long", "cat", "/long"); r.code != 0 || r.stdout != "long\n" {
		t.Errorf("the step's file: exit %d, %q, %s", r.code, r.stdout, r.stderr)
	}
}

// TestDebianAPT builds from a Debian minbase archive and installs a package
// with apt as a rootless user: the original tool's broken case (apt drops
// privileges to _apt, which must be mapped). Opt-in, as it needs the Debian
// mirror: GUN_TEST_DEBIAN names a minbase .tar.gz, or "build" takes the
// one testdata/rootfs/debian.sh makes (once, as root, with debootstrap).
func TestDebianAPT(t *testing.T) {
	archive := testenv.DebianArchive(t, "build with apt in a Debian base")
	p := newProject(t, map[string]string{
		"Gunfile": `Using "debian.tar.gz"
Exec "apt-get update -qq && apt-get install -y -qq --no-install-recommends hello"
Main ["hello"]
`,
	})
	p.copyIn(archive, "debian.tar.gz")
	p.build("-t", "hello-debian", ".")
	if r := p.gun("run", "hello-debian"); r.code != 0 || r.stdout != "Hello, world!\n" {
		t.Errorf("gun run hello-debian: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// The cached rebuild runs nothing and does not read the base archive.
	if got := ran(p.build("-t", "hello-debian", ".").stderr); len(got) != 0 {
		t.Errorf("rebuild ran %q", got)
	}
}

// A directory Workdir creates belongs to the stage's User, as docker makes
// it, so that the user's Exec steps can write in it; one that exists keeps
// its owner.
func TestWorkdirOwnedByUser(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
User "app"
Workdir "/srv/app/data"
Exec "touch made"
Workdir "/tmp"
User "1000:50"
Workdir "/numeric"
User "root"
Workdir "/rooted"
`,
	})
	_, files := p.buildFiles()
	want := map[string]string{
		"/srv":               "5 0755 1000:1000",
		"/srv/app":           "5 0755 1000:1000",
		"/srv/app/data":      "5 0755 1000:1000",
		"/srv/app/data/made": "0 0644 1000:1000 ",
		"/tmp":               "5 1777 0:0",
		"/numeric":           "5 0755 1000:50",
		"/rooted":            "5 0755 0:0",
	}
	checkFiles(t, files, want)

	p.write(map[string]string{"Gunfile": "Using \"BUSYBOX\"\nUser \"nobody-here\"\nWorkdir \"/w\"\n"})
	r := p.gun("build", "--progress", "plain", ".")
	if r.code == 0 || !strings.Contains(r.stderr, `User "nobody-here": no user "nobody-here" in /etc/passwd`) {
		t.Errorf("Workdir with an unknown User: exit %d, stderr %q", r.code, r.stderr)
	}
}

// A script block shows as its first line and line count, in the progress
// display and in the failing step's error, not as one escaped string.
func TestFailingScriptBlock(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Exec <<EOF
    echo starting
    echo broken >&2
    exit 4
    EOF
`,
	})
	r := p.gun("build", "--progress", "plain", ".")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"] Exec <<EOF echo starting … (3 lines)\n",
		"Gunfile:2:1: Exec <<EOF echo starting … (3 lines): exit code 4\n",
		"    starting\n    broken",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("output does not contain %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, `\n`) {
		t.Errorf("output shows an escaped newline:\n%s", r.stderr)
	}
}

// An Exec script block whose first line is #! runs by that interpreter,
// as the step's user, from /dev/pipes/DELIM, which stays out of the layer;
// the stage's Shell does not run it. Under #!/bin/sh -e a failing command
// fails the step.
func TestShebangScript(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Shell ["/bin/false"]
User "app"
Exec <<AWK
    #!/usr/bin/awk -f
    BEGIN { print "awk" > "/tmp/awk" }
    AWK
Exec <<EOF
    #!/bin/sh
    echo "$0 $(id -u)" > /tmp/sh
    EOF
`,
	})
	_, files := p.buildFiles()
	checkFiles(t, files, map[string]string{
		"/tmp/awk": "0 0644 1000:1000 awk\n",
		"/tmp/sh":  "0 0644 1000:1000 /dev/pipes/EOF 1000\n",
	})
	checkAbsent(t, files, "the script's mount point is in /dev, the container's", "/dev/pipes", "/dev/pipes/EOF")

	p.write(map[string]string{"Gunfile": `Using "BUSYBOX"
Exec <<EOF
    #!/bin/sh -e
    false
    touch /after
    EOF
`})
	if r := p.gun("build", "--progress", "plain", "."); r.code != 1 {
		t.Fatalf("#!/bin/sh -e with a failing command: exit %d, want 1\n%s", r.code, r.stderr)
	}
}

// checkAbsent fails t for each of names that files has, saying why that is
// wrong.
func checkAbsent(t *testing.T, files map[string]string, why string, names ...string) {
	t.Helper()
	for _, name := range names {
		if v, ok := files[name]; ok {
			t.Errorf("%s is in the image (%q): %s", name, v, why)
		}
	}
}

// checkFiles fails t for each file of want whose listing (rootfs's form)
// in files differs; files may have more.
func checkFiles(t *testing.T, files, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if got := files[name]; got != w {
			t.Errorf("%s: got %q, want %q", name, got, w)
		}
	}
}

// A script block whose #! line names an interpreter the image lacks fails
// the build with an error at that line naming the interpreter; one that is
// there but cannot be loaded (a script whose own interpreter is missing) is
// named as that.
func TestShebangMissingInterpreter(t *testing.T) {
	// fake is an interpreter whose own interpreter is missing.
	const fake = `Using "BUSYBOX"
Exec "printf '#!/no/such/sh\\n' > /bin/fake && chmod +x /bin/fake"
`
	tests := []struct{ name, gunfile, want string }{
		{"a missing interpreter", `Using "BUSYBOX"
Exec <<PY
    #!/usr/bin/python3
    print("hello")
    PY
`, "Gunfile:3:5: Exec <<PY #!/usr/bin/python3 … (2 lines): interpreter /usr/bin/python3 of the script is not in the image\n"},
		{"an interpreter that cannot be loaded", fake + `Workdir "/bin"
Exec <<EOF
    #!fake
    EOF
`, "Gunfile:5:5: Exec <<EOF #!fake: interpreter fake of the script cannot be run: start /dev/pipes/EOF: no such file or directory\n"},
		// An absolute #! path is the image's, whatever the working directory.
		{"an absolute one that cannot be loaded, with a Workdir", fake + `Workdir "/tmp"
Exec <<EOF
    #!/bin/fake
    EOF
`, "Gunfile:5:5: Exec <<EOF #!/bin/fake: interpreter /bin/fake of the script cannot be run: start /dev/pipes/EOF: no such file or directory\n"},
	}
	p := newProject(t, nil)
	for _, tt := range tests {
		p.write(map[string]string{"Gunfile": tt.gunfile})
		r := p.gun("build", "--progress", "plain", ".")
		if r.code != 1 || !strings.HasSuffix(r.stderr, tt.want) {
			t.Errorf("%s: exit %d, want 1 and the error %q:\n%s", tt.name, r.code, tt.want, r.stderr)
		}
	}
}
