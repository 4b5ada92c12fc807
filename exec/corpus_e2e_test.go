package exec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gun-tools/gun/internal/testenv"
)

// The convert corpus's project Gunfiles (convert/testdata) name bases of
// public registries, which are offline here. Of the four, only the python
// project's steps can all run offline: its pip install reads an empty
// requirements file. The go project's go build needs a Go toolchain image
// (golang is 800 MB; Debian's golang-go is a 250 MB install) for one small
// binary, and the node and nginx projects run npm ci and npm run build,
// which need node and npm (Debian's npm is some 300 packages) and, for
// npm ci of any dependency, npm's registry.

// pythonStandIn makes the stand-in for python:3.12-slim: the Debian
// minbase with Debian's Python 3 and pip, python as python3, and without
// the EXTERNALLY-MANAGED mark that has Debian's pip refuse to install
// into the system's Python (the official image's Python is its own, in
// /usr/local, without it).
const pythonStandIn = `Using "debian.tar.gz"
Exec "apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pip python-is-python3 && rm -rf /var/lib/apt/lists/* /usr/lib/python3.*/EXTERNALLY-MANAGED"
Main ["python3"]
`

// checkPy is the python project's app.check: it says who it runs as and
// how the secret is mounted.
const checkPy = `import os, sys

path = sys.argv[sys.argv.index("--config") + 1]
st = os.stat(path)
with open("/tmp/check", "w") as f:
    f.write(f"{os.getuid()} {st.st_uid}:{st.st_gid} {st.st_mode & 0o777:o}\n")
`

// TestCorpusPython builds the convert corpus's python Gunfile unchanged
// on a stand-in for python:3.12-slim, served by a loopback registry that
// the registries file makes docker.io's mirror: adduser with the Arg's
// uid, pip install in a cache mount with the requirements bound from the
// context, Copy as the new user's Workdir, the secret mounted at Target
// owned by root (Uid 0, Gid 0, as BuildKit mounts it) and Env's
// PYTHONDONTWRITEBYTECODE kept by Python. Opt-in, as the stand-in needs
// the Debian mirror (testenv.DebianArchive).
func TestCorpusPython(t *testing.T) {
	archive := testenv.DebianArchive(t, "build the convert corpus's python project on a stand-in base")
	reg := testenv.StartRegistry(t, testenv.RegistryOptions{})
	base := newProject(t, map[string]string{"Gunfile": pythonStandIn})
	base.copyIn(archive, "debian.tar.gz")
	base.build("-t", "python-standin", ".")
	if r := base.gun("push", "python-standin", reg.Host+"/library/python:3.12-slim"); r.code != 0 {
		t.Fatalf("gun push: exit %d\n%s", r.code, r.stderr)
	}

	gunfile, err := os.ReadFile("../convert/testdata/python.gunfile")
	if err != nil {
		t.Fatal(err)
	}
	p := newProject(t, map[string]string{
		"Gunfile":          string(gunfile),
		"requirements.txt": "# nothing to download: the build is offline\n",
		"app/__init__.py":  "",
		"app/check.py":     checkPy,
	})
	work := filepath.Dir(p.root)
	secret := filepath.Join(work, "pypirc")
	conf := filepath.Join(work, ".config", "gun")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		secret:                                 "[pypi]\nusername = __token__\n",
		filepath.Join(conf, "registries.json"): `{"registries": {"docker.io": {"mirrors": ["` + reg.Host + `"]}}}`,
	}
	for name, content := range files {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p.chown(work)
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
