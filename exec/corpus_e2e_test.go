package exec_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gun-tools/gun/internal/testenv"
	"github.com/gun-tools/gun/store"
)

// The convert corpus's project Gunfiles (convert/testdata/{python,go,node,
// nginx}.gunfile) name bases of public registries, offline here. TestCorpus
// builds each of them unchanged on stand-ins for those bases: images made
// from the Debian minbase with Debian's (or, for node, the host's) builds
// of the same tools, pushed to a loopback registry that each project's
// registries file makes docker.io's and gcr.io's mirror. Then it runs what
// it built.

// standIns makes the stand-ins, a stage each, with apt's lists and
// downloads in cache mounts that the stages share (not in their layers).
//   - python for python:3.12-slim: Debian's Python 3 and pip, python as
//     python3, without the EXTERNALLY-MANAGED mark that has Debian's pip
//     refuse to install into the system's Python (the official image's
//     Python is its own, in /usr/local, without it).
//   - golang for golang:1.22-bookworm: Go 1.22 from bookworm-backports at
//     /usr/local/go, with the official image's PATH, GOPATH and GOTOOLCHAIN.
//   - distroless for gcr.io/distroless/static-debian12:nonroot: its
//     passwd and group (nonroot is 65532) and nothing else, its user and
//     home.
//   - node for node:20-alpine: the host's node and npm (the context's
//     node and npm, which TestCorpus copies in), the user node (1000), and
//     wget, which the node project's Healthcheck runs.
//   - nginx for nginx:1.27-alpine: Debian's nginx, configured as the
//     official image is: conf.d's default.conf serving
//     /usr/share/nginx/html, no other site, the error log on stderr with
//     notices, SIGQUIT to stop.
const standIns = `Using "debian.tar.gz" As python
Exec Cache "/var/cache/apt" Sharing locked Cache "/var/lib/apt/lists" Sharing locked <<EOF
    set -e
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3-pip python-is-python3
    rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED
    EOF
Main ["python3"]

Using "debian.tar.gz" As golang
Exec Cache "/var/cache/apt" Sharing locked Cache "/var/lib/apt/lists" Sharing locked <<EOF
    set -e
    echo "deb http://deb.debian.org/debian bookworm-backports main" >/etc/apt/sources.list.d/backports.list
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends -t bookworm-backports golang-1.22-go
    ln -s /usr/lib/go-1.22 /usr/local/go
    mkdir /go
    EOF
Env GOTOOLCHAIN "local"
Env GOPATH "/go"
Env PATH "/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Workdir "/go"

Using scratch As distroless
Copy "/etc/passwd" <<EOF
    root:x:0:0:root:/root:/sbin/nologin
    nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
    nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
    EOF
Copy "/etc/group" <<EOF
    root:x:0:
    nobody:x:65534:
    nonroot:x:65532:
    EOF
Env PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
User "65532"
Workdir "/home/nonroot"

Using "debian.tar.gz" As node
Exec Cache "/var/cache/apt" Sharing locked Cache "/var/lib/apt/lists" Sharing locked <<EOF
    set -e
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends wget
    groupadd -g 1000 node
    useradd -u 1000 -g node -m -s /bin/sh node
    EOF
Copy "node" "/usr/local/bin/node"
Copy "npm" "/usr/local/lib/node_modules/npm"
Exec "ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && npm --version"
Env PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Main ["node"]

Using "debian.tar.gz" As nginx
Exec Cache "/var/cache/apt" Sharing locked Cache "/var/lib/apt/lists" Sharing locked <<EOF
    set -e
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nginx
    rm /etc/nginx/sites-enabled/default
    sed -i 's|^\(\s*error_log /var/log/nginx/error.log\);|\1 notice;|' /etc/nginx/nginx.conf
    grep -q 'error.log notice;' /etc/nginx/nginx.conf
    grep -q 'include /etc/nginx/conf.d/\*.conf;' /etc/nginx/nginx.conf
    ln -sf /dev/stdout /var/log/nginx/access.log
    ln -sf /dev/stderr /var/log/nginx/error.log
    EOF
Copy "/etc/nginx/conf.d/default.conf" <<EOF
    server {
        listen 80;
        root /usr/share/nginx/html;
    }
    EOF
Env PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Expose 80
StopSignal "SIGQUIT"
Main ["nginx", "-g", "daemon off;"]
`

// corpus is what TestCorpus's projects share: the loopback registry and
// the store the stand-ins are built in, each once, when a project first
// needs it.
type corpus struct {
	reg      *testenv.Registry
	standIns *project
	pushed   map[string]bool
}

// TestCorpus builds each project Gunfile of the convert corpus unchanged on
// its stand-in bases and runs the image. Opt-in, as the stand-ins need the
// Debian mirror (testenv.DebianArchive).
func TestCorpus(t *testing.T) {
	archive := testenv.DebianArchive(t, "build the convert corpus's projects on stand-in bases")
	c := &corpus{reg: testenv.StartRegistry(t, testenv.RegistryOptions{}), pushed: map[string]bool{}}
	c.standIns = newProject(t, map[string]string{"Gunfile": standIns})
	c.standIns.copyIn(archive, "debian.tar.gz")
	t.Run("python", c.python)
	t.Run("go", c.goServer)
	t.Run("node", c.node)
	t.Run("nginx", c.nginx)
}

// standIn builds the stand-in stage and pushes it to the registry as ref
// (a repository of docker.io or gcr.io, less the host), once.
func (c *corpus) standIn(t *testing.T, stage, ref string) {
	t.Helper()
	if c.pushed[stage] {
		return
	}
	p := *c.standIns
	p.t = t
	if stage == "node" {
		c.copyNode(t)
	}
	p.build("--target", stage, "--compression", "zstd", "-t", stage+"-standin", ".")
	if r := p.gun("push", stage+"-standin", c.reg.Host+"/"+ref); r.code != 0 {
		t.Fatalf("gun push %s: exit %d\n%s", ref, r.code, r.stderr)
	}
	c.pushed[stage] = true
}

// copyNode copies the host's node and npm into the stand-ins' context.
func (c *corpus) copyNode(t *testing.T) {
	t.Helper()
	node, err := filepath.EvalSymlinks(testenv.NeedProgram(t, "node"))
	if err != nil {
		t.Fatal(err)
	}
	npm, err := filepath.EvalSymlinks(testenv.NeedProgram(t, "npm"))
	if err != nil {
		t.Fatal(err)
	}
	// npm is npm's bin/npm-cli.js.
	for src, dst := range map[string]string{node: "node", filepath.Dir(filepath.Dir(npm)): "npm"} {
		if out, err := asUser(exec.Command("cp", "-R", src, filepath.Join(c.standIns.dir, dst))).CombinedOutput(); err != nil {
			t.Fatalf("cp %s: %v\n%s", src, err, out)
		}
	}
}

// project makes a project of the corpus's NAME.gunfile and files, whose
// registries file has the registry mirror docker.io and gcr.io.
func (c *corpus) project(t *testing.T, name string, files map[string]string) *project {
	t.Helper()
	gunfile, err := os.ReadFile("../convert/testdata/" + name + ".gunfile")
	if err != nil {
		t.Fatal(err)
	}
	files["Gunfile"] = string(gunfile)
	p := newProject(t, files)
	conf := filepath.Join(filepath.Dir(p.root), ".config", "gun")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	mirror := `{"mirrors": ["` + c.reg.Host + `"]}`
	if err := os.WriteFile(filepath.Join(conf, "registries.json"), []byte(`{"registries": {"docker.io": `+mirror+`, "gcr.io": `+mirror+`}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p.chown(filepath.Dir(p.root))
	return p
}

// checkPy is the python project's app.check: it says who it runs as and
// how the secret is mounted.
const checkPy = `import os, sys

path = sys.argv[sys.argv.index("--config") + 1]
st = os.stat(path)
with open("/tmp/check", "w") as f:
    f.write(f"{os.getuid()} {st.st_uid}:{st.st_gid} {st.st_mode & 0o777:o}\n")
`

// python: adduser with the Arg's uid, pip install in a cache mount with
// the requirements bound from the context (an empty list: the build is
// offline), Copy as the new user's Workdir, the secret mounted at Target
// owned by root (Uid 0, Gid 0, as BuildKit mounts it) and Env's
// PYTHONDONTWRITEBYTECODE kept by Python.
func (c *corpus) python(t *testing.T) {
	c.standIn(t, "python", "library/python:3.12-slim")
	p := c.project(t, "python", map[string]string{
		"requirements.txt": "# nothing to download: the build is offline\n",
		"app/__init__.py":  "",
		"app/check.py":     checkPy,
	})
	secret := filepath.Join(filepath.Dir(p.root), "pypirc")
	if err := os.WriteFile(secret, []byte("[pypi]\nusername = __token__\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.chown(secret)
	r, got := p.buildFiles("--secret", "id=pypirc,src="+secret)
	if !strings.Contains(r.stderr, "python:3.12-slim") {
		t.Errorf("the build did not name its base:\n%s", r.stderr)
	}
	checkFiles(t, got, map[string]string{
		"/app/app/check.py": "0 0644 0:0 " + checkPy,
		"/tmp/check":        "0 0644 10001:10001 10001 0:0 400\n",
	})
	if !strings.Contains(got["/etc/passwd"], "\nappuser:x:10001:") {
		t.Errorf("adduser made no appuser with uid 10001: %q", got["/etc/passwd"])
	}
	for name := range got {
		if strings.Contains(name, "__pycache__") && strings.HasPrefix(name, "/app/") {
			t.Errorf("%s: Python wrote bytecode despite PYTHONDONTWRITEBYTECODE", name)
		}
	}
}

// serverGo is the go project's cmd/server, reduced to saying which Go
// built it and who runs it.
const serverGo = `package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	fmt.Printf("%s %d:%d\n", runtime.Version(), os.Getuid(), os.Getgid())
}
`

// goServer: go mod download and a static go build in the golang stand-in,
// with the modules and the build cache in cache mounts and TARGETOS and
// TARGETARCH predefined, the binary copied into the distroless stand-in,
// run as nonroot by its name.
func (c *corpus) goServer(t *testing.T) {
	c.standIn(t, "golang", "library/golang:1.22-bookworm")
	c.standIn(t, "distroless", "distroless/static-debian12:nonroot")
	p := c.project(t, "go", map[string]string{
		"go.mod":             "module example.com/server\n\ngo 1.22\n",
		"go.sum":             "",
		"cmd/server/main.go": serverGo,
	})
	r, got := p.buildFiles("-t", "corpus-go")
	for _, base := range []string{"golang:1.22-bookworm", "gcr.io/distroless/static-debian12:nonroot"} {
		if !strings.Contains(r.stderr, base) {
			t.Errorf("the build did not name its base %s:\n%s", base, r.stderr)
		}
	}
	if !strings.HasPrefix(got["/server"], "0 0755 0:0 \x7fELF") {
		t.Errorf("/server is not the built program: %.40q", got["/server"])
	}
	for name := range got {
		if strings.HasPrefix(name, "/go/") || strings.HasPrefix(name, "/root/") || strings.HasPrefix(name, "/src") {
			t.Errorf("%s: the build stage's files reached the image", name)
		}
	}
	run := p.gun("run", "corpus-go")
	if run.code != 0 || !strings.HasPrefix(run.stdout, "go1.22.") || !strings.HasSuffix(run.stdout, " 65532:65532\n") {
		t.Errorf("gun run corpus-go: exit %d, stdout %q (want Go 1.22's, as nonroot), stderr %q", run.code, run.stdout, run.stderr)
	}
}

// npmPackage returns the npm package tarball (package/ in a .tgz) of the
// files.
func npmPackage(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// serveNPMPackage serves the tarball on 127.0.0.1 until t ends and returns
// its URL and the lockfile's integrity for it.
func serveNPMPackage(t *testing.T, tgz []byte) (url, integrity string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/corpus-health/-/corpus-health-1.0.0.tgz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(tgz)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	sum := sha512.Sum512(tgz)
	return "http://" + l.Addr().String() + "/corpus-health/-/corpus-health-1.0.0.tgz", "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// buildJS is the build script (npm run build) of the node and nginx
// projects: it copies src to dist.
const buildJS = `const fs = require("fs");
fs.mkdirSync("dist", { recursive: true });
for (const f of fs.readdirSync("src")) fs.copyFileSync("src/" + f, "dist/" + f);
`

// node: npm ci of a dependency (served on the loopback, pinned by the
// lockfile) with package.json and the lockfile bound and npm's cache in a
// cache mount, npm run build, the dependencies and dist copied into the
// final stage, run as node: it serves /health with -p, and the image's
// Healthcheck command passes in it.
func (c *corpus) node(t *testing.T) {
	needPasta(t)
	c.standIn(t, "node", "library/node:20-alpine")
	url, integrity := serveNPMPackage(t, npmPackage(t, map[string]string{
		"package.json": `{"name": "corpus-health", "version": "1.0.0", "main": "index.js"}` + "\n",
		"index.js":     "module.exports = () => `healthy ${process.getuid()}\\n`;\n",
	}))
	p := c.project(t, "node", map[string]string{
		"package.json": `{"name": "corpus-node", "version": "1.0.0", "private": true,
  "scripts": {"build": "node build.js"},
  "dependencies": {"corpus-health": "1.0.0"}}
`,
		"package-lock.json": fmt.Sprintf(`{"name": "corpus-node", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "corpus-node", "version": "1.0.0", "dependencies": {"corpus-health": "1.0.0"}},
    "node_modules/corpus-health": {"version": "1.0.0", "resolved": %q, "integrity": %q}
  }}
`, url, integrity),
		"build.js": buildJS,
		"src/index.js": `const http = require("http");
const health = require("corpus-health");
http.createServer((req, res) => {
  if (req.url !== "/health") { res.statusCode = 404; res.end(); return; }
  res.end(health());
}).listen(3000);
`,
	})
	_, got := p.buildFiles("-t", "corpus-node")
	if _, ok := got["/usr/src/app/node_modules/corpus-health/index.js"]; !ok {
		t.Error("the dependency npm ci installed is not in the image")
	}
	if _, ok := got["/usr/src/app/src/index.js"]; ok {
		t.Error("the build stage's sources reached the image")
	}
	port := freePort(t, "tcp")
	p.detach("--name", "api", "-p", fmt.Sprintf("127.0.0.1:%d:3000", port), "corpus-node")
	if got := get(t, fmt.Sprintf("http://127.0.0.1:%d/health", port)); got != "healthy 1000\n" {
		t.Errorf("/health: %q (want the dependency's answer, as node)", got)
	}
	ins := p.gun("inspect", "corpus-node")
	var img struct {
		Config store.Config `json:"config"`
	}
	if err := json.Unmarshal([]byte(ins.stdout), &img); ins.code != 0 || err != nil {
		t.Fatalf("gun inspect: exit %d, %v, %s", ins.code, err, ins.stderr)
	}
	health := img.Config.Healthcheck
	if health == nil || len(health.Test) != 2 || health.Test[0] != "CMD-SHELL" {
		t.Fatalf("Healthcheck: %+v", health)
	}
	if r := p.gun("exec", "api", "sh", "-c", health.Test[1]); r.code != 0 || r.stdout != "healthy 1000\n" {
		t.Errorf("the Healthcheck in the container: exit %d, %q, %q", r.code, r.stdout, r.stderr)
	}
	p.cleanContainers()
}

// nginx: the site built with npm in the node stand-in, served by the nginx
// stand-in with the Gunfile's inline site.conf (try_files of $uri, then
// index.html), run detached with -p, and stopped by its StopSignal,
// SIGQUIT: nginx's graceful shutdown, exit 0.
func (c *corpus) nginx(t *testing.T) {
	needPasta(t)
	c.standIn(t, "node", "library/node:20-alpine")
	c.standIn(t, "nginx", "library/nginx:1.27-alpine")
	const page = "<!doctype html><title>corpus</title><p>built by npm run build</p>\n"
	p := c.project(t, "nginx", map[string]string{
		"package.json": `{"name": "corpus-site", "version": "1.0.0", "private": true, "scripts": {"build": "node build.js"}}
`,
		"package-lock.json": `{"name": "corpus-site", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {"": {"name": "corpus-site", "version": "1.0.0"}}}
`,
		"build.js":        buildJS,
		"src/index.html":  page,
		"src/app.js":      "console.log(\"corpus\");\n",
		"src/favicon.txt": "not the default page\n",
	})
	_, got := p.buildFiles("-t", "corpus-site")
	if _, ok := got["/etc/nginx/conf.d/default.conf"]; ok {
		t.Error("/etc/nginx/conf.d/default.conf is still there")
	}
	port := freePort(t, "tcp")
	p.detach("--name", "site", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "corpus-site")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for path, want := range map[string]string{
		"/":            page,
		"/app.js":      "console.log(\"corpus\");\n",
		"/no/such/url": page, // try_files $uri /index.html
	} {
		if got := get(t, base+path); got != want {
			t.Errorf("GET %s: %q, want %q", path, got, want)
		}
	}
	if r := p.gun("stop", "-t", "30", "site"); r.code != 0 {
		t.Fatalf("gun stop: exit %d, %s", r.code, r.stderr)
	}
	if rec, ok := find(p.ps(true), "site"); !ok || rec.Status != "exited" || rec.ExitCode != 0 {
		t.Errorf("after gun stop: %+v (want nginx's graceful exit, 0)", rec)
	}
	if r := p.gun("logs", "site"); !strings.Contains(r.stderr, "signal 3 (SIGQUIT) received") {
		t.Errorf("nginx's log has no SIGQUIT:\nstdout %s\nstderr %s", r.stdout, r.stderr)
	}
	portFree(t, port)
	p.cleanContainers()
}
