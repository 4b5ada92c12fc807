package exec_test

import (
	"bytes"
	"encoding/json"
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

// equivHeredoc is a heredoc COPY, for a buildah that reads heredocs (1.33
// and later).
const equivHeredoc = `COPY --chown=app <<EOF /srv/app/config.ini
[app]
name = demo
EOF
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
	buildah := testenv.NeedProgram(t, "buildah")
	skopeo := testenv.NeedProgram(t, "skopeo")
	testenv.NeedProgram(t, "runc")
	dockerfile := equivDockerfile
	if buildahHeredocs(t, buildah) {
		dockerfile += equivHeredoc
	} else {
		t.Log("this buildah reads no heredocs (before 1.33): the heredoc COPY is left out")
	}
	p := newProject(t, map[string]string{
		"Dockerfile":    dockerfile,
		"src/hello.txt": "hello\n",
		"secret.txt":    "s3cret",
	})
	p.copyIn(env.busybox, "busybox.tar")
	if r := p.gun("convert", "-o", "Gunfile", "Dockerfile"); r.code != 0 {
		t.Fatalf("gun convert: exit %d\n%s", r.code, r.stderr)
	}
	if r := p.gun("check", "Gunfile"); r.code != 0 {
		t.Fatalf("gun check of the converted Gunfile: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	work := filepath.Dir(p.root)
	gunRoot, gunImage := filepath.Join(work, "gun-rootfs.tar"), filepath.Join(work, "gun-image.tar")
	p.build("--secret", "id=tok,src=secret.txt", "-t", "equiv", ".")
	for _, args := range [][]string{{"-o", gunRoot, "--format", "rootfs"}, {"-o", gunImage}} {
		if r := p.gun(append([]string{"save", "equiv"}, args...)...); r.code != 0 {
			t.Fatalf("gun save %v: exit %d\n%s", args, r.code, r.stderr)
		}
	}

	// buildah, rootless, with its storage and state in the test's directory.
	bRoot, bImage := filepath.Join(work, "buildah-rootfs.tar"), filepath.Join(work, "buildah-image.tar")
	xdg := filepath.Join(work, "xdg")
	if err := os.Mkdir(xdg, 0o700); err != nil || env.user.Chown(xdg) != nil {
		t.Fatal(err)
	}
	global := []string{"--root", filepath.Join(work, "broot"), "--runroot", filepath.Join(work, "brunroot"), "--storage-driver", "overlay"}
	run := func(args ...string) {
		t.Helper()
		c := asUser(exec.Command(buildah, append(slices.Clone(global), args...)...))
		c.Dir = p.dir
		c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + work, "XDG_RUNTIME_DIR=" + xdg, "TMPDIR=" + work}
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		if err := c.Run(); err != nil {
			t.Fatalf("buildah %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	t.Cleanup(func() { run("unshare", "rm", "-rf", filepath.Join(work, "broot")) })
	run("bud", "--layers", "--format", "docker", "--isolation", "rootless", "--runtime", "runc",
		"--secret", "id=tok,src=secret.txt", "-q", "-t", "equiv", "-f", "Dockerfile", ".")
	run("push", "-q", "equiv", "docker-archive:"+bImage)
	// The root file system as the container sees it: mounted and read in
	// buildah's user namespace.
	b := strings.Join(append([]string{buildah}, global...), " ")
	run("unshare", "sh", "-ec", fmt.Sprintf(`c=$(%[1]s from -q equiv); m=$(%[1]s mount $c); tar --numeric-owner -C $m -cf %[2]s .; %[1]s rm $c >/dev/null`, b, bRoot))

	// The file systems. Two files first, so that a failure of both
	// builders alike shows too.
	gunFiles, bFiles := normRootfs(rootfs(t, gunRoot)), normRootfs(rootfs(t, bRoot))
	checkFiles(t, gunFiles, map[string]string{
		"/srv/app/greeting": "0 0644 1000:1000 hello\n",
		"/tmp/secret-stat":  "0 0644 1000:1000 0:0 400\n",
		"/from-bind":        "0 0644 0:0 hello\n",
	})
	keys := maps.Collect(maps.All(gunFiles))
	maps.Copy(keys, bFiles)
	for _, name := range slices.Sorted(maps.Keys(keys)) {
		g, bv := gunFiles[name], bFiles[name]
		if g == bv {
			continue
		}
		if why, ok := equivByDesign[name]; ok && g == "" {
			t.Logf("by design: %s is only in buildah's image (%s)", name, why)
			continue
		}
		t.Errorf("%s: gun %q, buildah %q", name, g, bv)
	}

	// The configs.
	gunCfg, bCfg := skopeoConfig(t, skopeo, "oci-archive:"+gunImage), skopeoConfig(t, skopeo, "docker-archive:"+bImage)
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
	if diff := cmp.Diff(pick(bCfg), pick(gunCfg)); diff != "" {
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
// writes ./bin, gun bin) and leaves out the root directory.
func normRootfs(files map[string]string) map[string]string {
	out := map[string]string{}
	for name, v := range files {
		if n := path.Clean(name); n != "/" {
			out[n] = v
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
