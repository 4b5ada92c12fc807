package exec_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gun-tools/gun/internal/testenv"
	"github.com/gun-tools/gun/store"
)

// equivDockerfile uses every Dockerfile feature gun covers. Its first
// stage is the busybox tar added to scratch, so that both builders start
// from the same files.
const equivDockerfile = `# syntax=docker/dockerfile:1
ARG GREETING=hello
FROM scratch AS base
ADD busybox.tar /

FROM base AS build
ARG GREETING
ENV APP_HOME=/srv/app
WORKDIR $APP_HOME
RUN --mount=type=cache,target=/cache echo "$GREETING" > greeting && echo cached >> /cache/x
RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > secret-len
RUN --mount=type=bind,source=src,target=/mnt cp /mnt/hello.txt copied.txt
RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/f && test -f /scratch/f && \
    mkdir bin && echo 'echo tool' > bin/tool && chmod 755 bin/tool

FROM base
SHELL ["/bin/sh", "-c"]
COPY --from=build --chown=1000:1000 /srv/app /srv/app
COPY --from=1 /srv/app/greeting /greeting-by-index
COPY --chown=app:app src/hello.txt /srv/app/hello.txt
RUN --mount=type=bind,from=build,source=/srv/app,target=/b cat /b/greeting > /from-bind
USER app
WORKDIR /srv/app
RUN --mount=type=secret,id=tok stat -c '%u:%g %a' /run/secrets/tok > /tmp/secret-stat
ENV MODE=prod PATH=/srv/app/bin:$PATH
LABEL org.opencontainers.image.title="demo" version=1
EXPOSE 8080 53/udp
VOLUME /data
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=3s CMD test -f /srv/app/greeting
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /srv/app/greeting"]
`

// The differences between the two images that are by design, with their
// reasons: buildah leaves the files and directories it made to mount on
// (its /etc/hosts and /etc/resolv.conf, the secrets' directory) in the
// image; BuildKit and gun do not.
var equivByDesign = map[string]string{
	"/etc/hosts":       "buildah's mount point",
	"/etc/resolv.conf": "buildah's mount point",
	"/run":             "made by buildah for its mount point /run/secrets",
	"/run/secrets":     "buildah's mount point",
}

// TestBuildahEquivalence converts a Dockerfile that uses every feature
// gun covers with gun convert, builds the Gunfile with gun and the
// Dockerfile with rootless buildah bud --layers, and compares the two
// images: every file's type, mode, owner, content and link target, and
// the config. Only the differences of equivByDesign are allowed, and the
// label buildah adds (io.buildah.version).
func TestBuildahEquivalence(t *testing.T) {
	need(t, "test environment", env.err)
	p := newProject(t, map[string]string{
		"Dockerfile":    equivDockerfile,
		"src/hello.txt": "hello\n",
		"secret.txt":    "s3cret",
	})
	p.copyIn(env.busybox, "busybox.tar")
	imgs := buildBoth(t, p, debianBuildah(t), "--secret", "id=tok,src=secret.txt")

	// The file systems. Two files first, so that a failure of both
	// builders alike shows too.
	gunFiles, bFiles := imgs.files(t)
	checkFiles(t, gunFiles, map[string]string{
		"/srv/app/greeting": "0 0644 1000:1000 hello\n",
		"/tmp/secret-stat":  "0 0644 1000:1000 0:0 400\n",
		"/from-bind":        "0 0644 0:0 hello\n",
	})
	compareFiles(t, gunFiles, bFiles, func(name, g, b string) string {
		if why, ok := equivByDesign[name]; ok && g == "" {
			return "by design: only in buildah's image (" + why + ")"
		}
		return ""
	})
	compareConfigs(t, imgs)
}

// equivHeredocDockerfile has every heredoc form: RUN's with and without
// a #! line (a shell's and awk's), with <<- (tabs stripped) and a quoted
// delimiter, several in one RUN; COPY's with --chown and --chmod, several
// into a directory, and with the variables Docker expands in them (a
// global ARG, a stage ARG that the build sets, an ENV, an ENV of the
// parent stage, escapes); and ADD's with --chmod and a variable.
const equivHeredocDockerfile = `# syntax=docker/dockerfile:1
ARG GLOBAL=global
FROM scratch AS base
ADD busybox.tar /
ENV PARENT=parent

FROM base
ARG GLOBAL
ARG NAME=demo
ENV GREETING=hello
WORKDIR /srv/app
RUN <<EOF
echo "$GREETING $NAME" > plain
echo 'single $GREETING' >> plain
EOF
RUN <<-EOF
	cat > tabbed <<X
	tab-stripped
	X
	EOF
RUN <<EOF
#!/bin/sh -e
echo "shebang $GREETING" > shebang
echo "$0" > zero
EOF
RUN <<AWK
#!/usr/bin/awk -f
BEGIN { print "awk" > "/srv/app/awk" }
AWK
RUN <<"EOF"
echo "quoted $GREETING" > quoted
EOF
RUN cat <<A > a.txt && cat <<-B > b.txt && sh <<'C'
first $GREETING
A
	second
	B
echo "third $GREETING" > c.txt
C
COPY <<EOF /etc/app.conf
[app]
name = demo
price = \$5
EOF
COPY --chown=app --chmod=600 <<EOF config.ini
[app]
EOF
ADD --chmod=640 <<EOF added.txt
added $NAME
EOF
COPY <<A <<B /srv/app/dir/
alpha
A
beta
B
COPY --chown=app:app <<-A <<"B" /srv/app/two/
	tabbed alpha
	A
beta $GREETING
B
COPY <<EOF /etc/vars.conf
global=$GLOBAL name=${NAME} greeting=$GREETING parent=${PARENT}
EOF
COPY --chmod=600 <<EOF /etc/escapes.conf
dollar=\$GREETING braced=\${NAME} backslash=\\ before=\\$NAME
lone=$ digit=$5 "quotes" 'stay' \n is n
EOF
COPY <<'EOF' /etc/quoted.conf
$GREETING \$NAME \\ stay
EOF
`

// heredocEscapes are the COPY heredocs of equivHeredocDockerfile in which
// buildah keeps the backslash of an escape (\$, \\, \n), where BuildKit
// and gun process it (containers/buildah#5422): imagebuilder expands them
// with BuildKit's lexer told to keep escapes (RawEscapes), dockerfile2llb
// with one that processes them.
var heredocEscapes = map[string]bool{"/etc/app.conf": true, "/etc/escapes.conf": true}

// unescape processes the escapes of a buildah heredoc file as BuildKit
// does: every \x is x.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// buildahScript is the name buildah gives a RUN heredoc's script file.
var buildahScript = regexp.MustCompile(`/dev/pipes/buildahheredoc\d+`)

// TestBuildahEquivalenceHeredoc builds equivHeredocDockerfile with a
// buildah that reads heredocs (heredocBuildah) and its conversion with
// gun, and compares the two images as TestBuildahEquivalence does.
func TestBuildahEquivalenceHeredoc(t *testing.T) {
	need(t, "test environment", env.err)
	b := needHeredocBuildah(t)
	p := newProject(t, map[string]string{"Dockerfile": equivHeredocDockerfile})
	p.copyIn(env.busybox, "busybox.tar")
	imgs := buildBoth(t, p, b, "--arg", "NAME=set")
	gunFiles, bFiles := imgs.files(t)
	checkFiles(t, gunFiles, map[string]string{
		"/srv/app/plain":      "0 0644 0:0 hello set\nsingle $GREETING\n",
		"/srv/app/tabbed":     "0 0644 0:0 tab-stripped\n",
		"/srv/app/shebang":    "0 0644 0:0 shebang hello\n",
		"/srv/app/zero":       "0 0644 0:0 /dev/pipes/EOF\n",
		"/srv/app/awk":        "0 0644 0:0 awk\n",
		"/srv/app/quoted":     "0 0644 0:0 quoted hello\n",
		"/srv/app/a.txt":      "0 0644 0:0 first hello\n",
		"/srv/app/b.txt":      "0 0644 0:0 second\n",
		"/srv/app/c.txt":      "0 0644 0:0 third hello\n",
		"/etc/app.conf":       "0 0644 0:0 [app]\nname = demo\nprice = $5\n",
		"/srv/app/config.ini": "0 0600 1000:1000 [app]\n",
		"/srv/app/added.txt":  "0 0640 0:0 added set\n",
		"/srv/app/dir/A":      "0 0644 0:0 alpha\n",
		"/srv/app/dir/B":      "0 0644 0:0 beta\n",
		"/srv/app/two/A":      "0 0644 1000:1000 tabbed alpha\n",
		"/srv/app/two/B":      "0 0644 1000:1000 beta $GREETING\n",
		"/etc/vars.conf":      "0 0644 0:0 global=global name=set greeting=hello parent=parent\n",
		"/etc/escapes.conf":   "0 0600 0:0 dollar=$GREETING braced=${NAME} backslash=\\ before=\\set\nlone=$ digit= \"quotes\" 'stay' n is n\n",
		"/etc/quoted.conf":    "0 0644 0:0 $GREETING \\$NAME \\\\ stay\n",
	})
	compareFiles(t, gunFiles, bFiles, func(name, g, b string) string {
		if name == "/srv/app/zero" && buildahScript.ReplaceAllString(b, "/dev/pipes/EOF") == g {
			return "buildah runs a RUN <<EOF script with a #! line as /dev/pipes/buildahheredocN; BuildKit and gun as /dev/pipes/EOF"
		}
		if heredocEscapes[name] && unescape(b) == g {
			return "buildah keeps the backslash of an escape (\\$, \\\\, \\n) in a COPY heredoc; BuildKit and gun process it (containers/buildah#5422, open)"
		}
		return ""
	})
	compareConfigs(t, imgs)
}

// equivImages are the archives buildBoth writes: each builder's image and
// its root file system.
type equivImages struct {
	gunRoot, gunImage         string // a rootfs tar, an OCI archive
	buildahRoot, buildahImage string // a tar of the mounted root, a docker archive
}

// files returns the two root file systems, normRootfs's listings.
func (imgs equivImages) files(t *testing.T) (gun, buildah map[string]string) {
	t.Helper()
	return normRootfs(rootfs(t, imgs.gunRoot)), normRootfs(rootfs(t, imgs.buildahRoot))
}

// buildah is a buildah program and the containers.conf it runs with.
type buildah struct {
	path string
	conf string // the containers.conf, or "" for the system's
}

// debianBuildah is Debian's buildah (1.28 in Debian 12): it reads no
// heredocs.
func debianBuildah(t *testing.T) buildah {
	return buildah{path: testenv.NeedProgram(t, "buildah")}
}

// heredocBuildah is the buildah that hack/buildah.sh builds from source
// (.ci/run installs it), to compare the heredoc forms with.
const heredocBuildah = "/usr/local/libexec/gun-ci/buildah"

// heredocBuildahConf is its containers.conf. Debian 12 has no netavark,
// the network backend it looks for by default, and its pasta (the
// default for a rootless RUN's network) fails with it ("Couldn't open
// network namespace"): it uses CNI (built in with the tag cni) and
// slirp4netns.
const heredocBuildahConf = `[network]
network_backend = "cni"
default_rootless_network_cmd = "slirp4netns"
`

// needHeredocBuildah returns heredocBuildah, as testenv.Need does when it
// is not installed or reads no heredocs.
func needHeredocBuildah(t *testing.T) buildah {
	t.Helper()
	_, err := os.Stat(heredocBuildah)
	if err == nil && !buildahHeredocs(t, heredocBuildah) {
		err = errors.New("it reads no heredocs (before 1.33)")
	}
	testenv.Need(t, heredocBuildah+" (hack/buildah.sh builds it, .ci/run installs it)", err)
	return buildah{path: heredocBuildah, conf: heredocBuildahConf}
}

// buildBoth builds p's Dockerfile with rootless bud --layers of b and the
// Gunfile gun convert makes of it with gun build, both with the build
// options args (gun's and buildah's alike, as --secret; gun's --arg is
// buildah's --build-arg), and saves both images.
func buildBoth(t *testing.T, p *project, b buildah, args ...string) equivImages {
	t.Helper()
	testenv.NeedProgram(t, "skopeo")
	testenv.NeedProgram(t, "runc")
	if r := p.gun("convert", "-o", "Gunfile", "Dockerfile"); r.code != 0 {
		t.Fatalf("gun convert: exit %d\n%s", r.code, r.stderr)
	}
	if r := p.gun("check", "Gunfile"); r.code != 0 {
		t.Fatalf("gun check of the converted Gunfile: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	work := filepath.Dir(p.root)
	imgs := equivImages{
		gunRoot: filepath.Join(work, "gun-rootfs.tar"), gunImage: filepath.Join(work, "gun-image.tar"),
		buildahRoot: filepath.Join(work, "buildah-rootfs.tar"), buildahImage: filepath.Join(work, "buildah-image.tar"),
	}
	p.build(append(slices.Clone(args), "-t", "equiv", ".")...)
	for _, save := range [][]string{{"-o", imgs.gunRoot, "--format", "rootfs"}, {"-o", imgs.gunImage}} {
		if r := p.gun(append([]string{"save", "equiv"}, save...)...); r.code != 0 {
			t.Fatalf("gun save %v: exit %d\n%s", save, r.code, r.stderr)
		}
	}

	// buildah, rootless, with its storage and state in the test's directory.
	xdg := filepath.Join(work, "xdg")
	if err := os.Mkdir(xdg, 0o700); err != nil || env.user.Chown(xdg) != nil {
		t.Fatal(err)
	}
	global := []string{"--root", filepath.Join(work, "broot"), "--runroot", filepath.Join(work, "brunroot"), "--storage-driver", "overlay"}
	benv := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + work, "XDG_RUNTIME_DIR=" + xdg, "TMPDIR=" + work}
	if b.conf != "" {
		conf := filepath.Join(work, "containers.conf")
		if err := os.WriteFile(conf, []byte(b.conf), 0o644); err != nil {
			t.Fatal(err)
		}
		benv = append(benv, "CONTAINERS_CONF="+conf)
	}
	run := func(args ...string) {
		t.Helper()
		c := asUser(exec.Command(b.path, append(slices.Clone(global), args...)...))
		c.Dir = p.dir
		c.Env = benv
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		if err := c.Run(); err != nil {
			t.Fatalf("buildah %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	t.Cleanup(func() { run("unshare", "rm", "-rf", filepath.Join(work, "broot")) })
	bargs := slices.Clone(args)
	for i, a := range bargs {
		if a == "--arg" {
			bargs[i] = "--build-arg"
		}
	}
	run(append(append([]string{"bud", "--layers", "--format", "docker", "--isolation", "rootless", "--runtime", "runc"}, bargs...),
		"-q", "-t", "equiv", "-f", "Dockerfile", ".")...)
	run("push", "-q", "equiv", "docker-archive:"+imgs.buildahImage)
	// The root file system as the container sees it: mounted and read in
	// buildah's user namespace.
	cmd := strings.Join(append([]string{b.path}, global...), " ")
	run("unshare", "sh", "-ec", fmt.Sprintf(`c=$(%[1]s from -q equiv); m=$(%[1]s mount $c); tar --numeric-owner -C $m -cf %[2]s .; %[1]s rm $c >/dev/null`, cmd, imgs.buildahRoot))
	return imgs
}

// compareFiles fails t for every path whose listing (rootfs's form)
// differs between gun's image and buildah's, unless allowed gives a reason
// for that difference; the allowed ones are logged, by reason.
func compareFiles(t *testing.T, gunFiles, bFiles map[string]string, allowed func(name, gun, buildah string) string) {
	t.Helper()
	keys := maps.Collect(maps.All(gunFiles))
	maps.Copy(keys, bFiles)
	why := map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(keys)) {
		g, b := gunFiles[name], bFiles[name]
		if g == b {
			continue
		}
		if r := allowed(name, g, b); r != "" {
			why[r] = append(why[r], name)
			continue
		}
		t.Errorf("%s: gun %s, buildah %s", name, shortListing(g), shortListing(b))
	}
	for _, r := range slices.Sorted(maps.Keys(why)) {
		t.Logf("%s: %s", strings.Join(why[r], " "), r)
	}
}

// shortListing quotes a listing of rootfs's form, a long one as its
// length and digest.
func shortListing(v string) string {
	if len(v) <= 200 {
		return strconv.Quote(v)
	}
	return fmt.Sprintf("%q... (%d bytes, sha256 %x)", v[:40], len(v), sha256.Sum256([]byte(v)))
}

// compareConfigs fails t if the two images' configs differ in what a
// Dockerfile sets, but for the label buildah adds (io.buildah.version).
func compareConfigs(t *testing.T, imgs equivImages) {
	t.Helper()
	skopeo := testenv.NeedProgram(t, "skopeo")
	gunCfg, bCfg := skopeoConfig(t, skopeo, "oci-archive:"+imgs.gunImage), skopeoConfig(t, skopeo, "docker-archive:"+imgs.buildahImage)
	delete(bCfg.Config.Labels, "io.buildah.version")
	type fields struct {
		Entrypoint, Cmd, Env, Shell  []string
		WorkingDir, User, StopSignal string
		ExposedPorts, Volumes        map[string]struct{}
		Labels                       map[string]string
		Healthcheck                  *store.HealthConfig
	}
	// Env compares as a set: its order differs by design (buildah adds
	// the default PATH of a scratch image when it commits, after the
	// stage's ENVs; BuildKit, and the converted Gunfile, when the stage
	// starts).
	pick := func(c *store.Config) fields {
		i := c.Config
		return fields{i.Entrypoint, i.Cmd, slices.Sorted(slices.Values(i.Env)), c.Shell, i.WorkingDir, i.User, i.StopSignal, i.ExposedPorts, i.Volumes, i.Labels, c.Healthcheck}
	}
	// An empty list or map is one left out (buildah writes empty ones).
	if diff := cmp.Diff(pick(bCfg), pick(gunCfg), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("the image configs differ (-buildah +gun):\n%s", diff)
	}
}

// buildahHeredocs reports whether buildah reads heredocs (1.33 and later).
func buildahHeredocs(t *testing.T, buildah string) bool {
	t.Helper()
	out, err := exec.Command(buildah, "--version").Output()
	if err != nil {
		t.Fatalf("buildah --version: %v", err)
	}
	m := regexp.MustCompile(`version (\d+)\.(\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("buildah --version: %q", out)
	}
	major, _ := strconv.Atoi(string(m[1]))
	minor, _ := strconv.Atoi(string(m[2]))
	return major > 1 || major == 1 && minor >= 33
}

// normRootfs names rootfs's entries by their clean absolute paths (GNU tar
// writes ./bin, gun bin) and leaves out the root directory. The names of a
// file with several are listed alike, as the file they name followed by
// all its names: which name a tar stores the content under depends on the
// order it reads a directory in.
func normRootfs(files map[string]string) map[string]string {
	out := map[string]string{}
	for name, v := range files {
		if n := path.Clean(name); n != "/" {
			out[n] = v
		}
	}
	names := map[string][]string{}
	for name, v := range out {
		if _, target, ok := strings.Cut(v, " => "); ok && v[0] == tar.TypeLink {
			names[target] = append(names[target], name)
		}
	}
	for target, links := range names {
		all := slices.Sorted(slices.Values(append(links, target)))
		v := out[target] + " (hardlinks " + strings.Join(all, " ") + ")"
		for _, name := range all {
			out[name] = v
		}
	}
	return out
}

// skopeoConfig reads an image archive's config as skopeo sees it.
func skopeoConfig(t *testing.T, skopeo, ref string) *store.Config {
	t.Helper()
	out, err := exec.Command(skopeo, "inspect", "--config", "--raw", ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect %s: %v", ref, err)
	}
	var c store.Config
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatalf("%s's config: %v", ref, err)
	}
	return &c
}

// equivDebianDockerfile installs a package with apt over Debian's mirror
// on a debootstrap minbase, apt's downloads in a cache mount, then works
// as an unprivileged user of the base in a directory WORKDIR makes.
const equivDebianDockerfile = `# syntax=docker/dockerfile:1
FROM scratch AS base
ADD debian.tar.gz /

FROM base
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \
    apt-get update -qq && apt-get install -y -qq --no-install-recommends hello
USER www-data
WORKDIR /srv/app
COPY --chown=www-data app.conf ./
RUN hello > greeting && id > id
ENV PATH=/srv/app/bin:$PATH
CMD ["hello"]
`

// TestBuildahEquivalenceDebian builds equivDebianDockerfile with rootless
// buildah bud --layers and its conversion with gun build, and compares
// the two images as TestBuildahEquivalence does. The differences it
// allows are named in debianAllowed. Opt-in, as it needs the Debian mirror
// (testenv.DebianArchive).
func TestBuildahEquivalenceDebian(t *testing.T) {
	archive := testenv.DebianArchive(t, "compare an apt recipe built by buildah and by gun")
	p := newProject(t, map[string]string{
		"Dockerfile": equivDebianDockerfile,
		"app.conf":   "name = demo\n",
	})
	p.copyIn(archive, "debian.tar.gz")
	imgs := buildBoth(t, p, debianBuildah(t))
	gunFiles, bFiles := imgs.files(t)
	checkFiles(t, gunFiles, map[string]string{
		"/srv/app":          "5 0755 33:33",
		"/srv/app/greeting": "0 0644 33:33 Hello, world!\n",
		"/srv/app/id":       "0 0644 33:33 uid=33(www-data) gid=33(www-data) groups=33(www-data)\n",
		"/srv/app/app.conf": "0 0644 33:33 name = demo\n",
	})
	if !strings.HasPrefix(gunFiles["/usr/bin/hello"], "0 0755 0:0 \x7fELF") {
		t.Error("apt installed no /usr/bin/hello in gun's image")
	}
	base := tarNames(t, archive)
	for name := range gunFiles {
		if strings.HasPrefix(name, "/var/cache/apt/") && !base[name] {
			t.Errorf("%s, of the cache mount, is in gun's image", name)
		}
	}
	compareFiles(t, gunFiles, bFiles, func(name, g, b string) string {
		return debianAllowed(name, g, b, base)
	})
	if g, b := gunFiles[debianRelease], bFiles[debianRelease]; g != b {
		t.Logf("the mirror's %s changed between the two builds: run the test again", debianRelease)
	}
	compareConfigs(t, imgs)
}

// debianRelease is the release file apt-get update fetched.
const debianRelease = "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease"

// logTime matches the times apt and dpkg write in their logs.
var logTime = regexp.MustCompile(`\d{4}-\d\d-\d\d {1,2}\d\d:\d\d:\d\d`)

// debianAllowed returns why the Debian images may differ at name (gun's
// listing g, buildah's b), or "" if they may not.
func debianAllowed(name, g, b string, base map[string]bool) string {
	switch {
	case name == "/etc/hosts" && g == "":
		return "by design: only in buildah's image (buildah's mount point)"
	case (name == "/var/cache/apt" || strings.HasPrefix(name, "/var/cache/apt/")) && b == "" && base[name]:
		return "only in gun's image, as in the base: buildah drops the base's files at a cache mount's target (containers/buildah#4927, open), BuildKit and gun keep them"
	case name == "/var/log/apt/history.log" || name == "/var/log/apt/term.log" || name == "/var/log/dpkg.log":
		if logTime.ReplaceAllString(g, "TIME") == logTime.ReplaceAllString(b, "TIME") {
			return "differs only in the times apt and dpkg log"
		}
	}
	return ""
}
