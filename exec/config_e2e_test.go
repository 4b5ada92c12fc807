package exec_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gun-tools/gun/store"
)

// TestImageConfig builds every instruction that sets the image's
// configuration, reads the config back with skopeo (so that what an OCI
// tool sees is checked), and runs the image with and without
// --entrypoint.
func TestImageConfig(t *testing.T) {
	p := newProject(t, map[string]string{
		"Gunfile": `Arg ARCH "global-${TARGETARCH}"
Using "BUSYBOX" As base
Arg TARGETARCH
Arg ARCH
Exec "echo $TARGETARCH $ARCH > /arch"
Copy Mode 0755 "logshell" "/logshell"
Shell ["/logshell", "-c"]
Exec "echo from the shell > /out"
Exec <<EOF
    echo script >> /out
    EOF
Main ["base-cmd"]

Using base
Entrypoint ["/bin/echo", "entry"]
Main ["default", "args"]
Expose 8080 "53/udp" "9000-9001"
Volume "/data"
StopSignal QUIT
Healthcheck Interval 30s Timeout 5s Retries 3 "wget -q -O- http://localhost:8080/"
`,
		"logshell": "#!/bin/sh\necho \"$@\" >> /shell.log\nexec /bin/sh \"$@\"\n",
	})
	oci := filepath.Join(p.root, "..", "image.tar")
	flat := filepath.Join(p.root, "..", "rootfs.tar")
	p.build("-t", "cfg", "-o", oci, ".")
	p.build("-o", flat, "--format", "rootfs", ".")

	files := rootfs(t, flat)
	checkFiles(t, files, map[string]string{
		"/out":       "0 0644 0:0 from the shell\nscript\n",
		"/shell.log": "0 0644 0:0 -c echo from the shell > /out\n-c echo script >> /out\n\n",
	})
	if arch, want := files["/arch"], " "+goarch()+" global-"+goarch()+"\n"; !strings.HasSuffix(arch, want) {
		t.Errorf("TARGETARCH in the step and in a global Arg's default: /arch is %q, want %q", arch, want)
	}

	out, err := exec.Command("skopeo", "inspect", "--config", "--raw", "oci-archive:"+oci).Output()
	need(t, "skopeo", err)
	var img store.Config
	if err := json.Unmarshal(out, &img); err != nil {
		t.Fatal(err)
	}
	c := img.Config
	wantHealth := &store.HealthConfig{
		Test:     []string{"CMD-SHELL", "wget -q -O- http://localhost:8080/"},
		Interval: 30 * time.Second, Timeout: 5 * time.Second, Retries: 3,
	}
	if diff := cmp.Diff(wantHealth, img.Healthcheck); diff != "" {
		t.Errorf("Healthcheck (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/logshell", "-c"}, img.Shell); diff != "" {
		t.Errorf("Shell (-want +got):\n%s", diff)
	}
	var want v1.ImageConfig
	want.Entrypoint = []string{"/bin/echo", "entry"}
	want.Cmd = []string{"default", "args"}
	want.ExposedPorts = map[string]struct{}{"8080/tcp": {}, "53/udp": {}, "9000-9001/tcp": {}}
	want.Volumes = map[string]struct{}{"/data": {}}
	want.StopSignal = "SIGQUIT"
	want.Env = c.Env // the base's
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("image config (-want +got):\n%s", diff)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "cfg"}, "entry default args\n"},
		{[]string{"run", "cfg", "given"}, "entry given\n"},
		{[]string{"run", "--entrypoint", "/bin/echo", "cfg", "other"}, "other\n"},
		{[]string{"run", "--entrypoint", "/bin/echo", "cfg"}, "\n"},
	} {
		r := p.gun(tt.args...)
		if r.code != 0 || r.stdout != tt.want {
			t.Errorf("gun %s: exit %d, stdout %q, want %q (stderr %q)", strings.Join(tt.args, " "), r.code, r.stdout, tt.want, r.stderr)
		}
	}
}

func goarch() string { return goruntime.GOARCH }

// TestEnvInherited builds on an image of the store whose config sets PATH:
// Env PATH Inherited declares it, so that a later Env extends it (Docker's
// ENV PATH=/x:$PATH); a name the base's environment lacks fails the build.
func TestEnvInherited(t *testing.T) {
	p := newProject(t, map[string]string{"Gunfile": "Using \"BUSYBOX\"\nEnv PATH \"/usr/bin:/bin\"\n"})
	p.build("-t", "pathbase", ".")
	p.write(map[string]string{"Gunfile": `Using "pathbase"
Env PATH Inherited
Env PATH "/opt/app/bin:${PATH}"
Exec "echo $PATH > /path"
`})
	_, files := p.buildFiles("-t", "extended")
	checkFiles(t, files, map[string]string{"/path": "0 0644 0:0 /opt/app/bin:/usr/bin:/bin\n"})
	r := p.gun("run", "extended", "sh", "-c", "echo $PATH")
	if r.code != 0 || r.stdout != "/opt/app/bin:/usr/bin:/bin\n" {
		t.Errorf("gun run extended: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	p.write(map[string]string{"Gunfile": "Using \"pathbase\"\nEnv NOPE Inherited\nEnv X \"${NOPE}\"\n"})
	r = p.gun("build", "--progress", "plain", ".")
	if r.code == 0 || !strings.Contains(r.stderr, "Env NOPE Inherited: the base image's environment has no NOPE") {
		t.Errorf("Env NOPE Inherited on a base without NOPE: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestEmptyCommandLists builds Main [] and Entrypoint [], which clear the
// base's Cmd and Entrypoint as Docker's CMD [] and ENTRYPOINT [] do.
func TestEmptyCommandLists(t *testing.T) {
	p := newProject(t, map[string]string{"Gunfile": `Using "BUSYBOX" As base
Entrypoint ["/bin/echo", "entry"]
Main ["base-cmd"]

Using base As nocmd
Main []

Using base
Entrypoint []
`})
	config := func(name string) v1.ImageConfig {
		t.Helper()
		r := p.gun("inspect", name)
		var img struct{ Config store.Config }
		if err := json.Unmarshal([]byte(r.stdout), &img); r.code != 0 || err != nil {
			t.Fatalf("gun inspect %s: exit %d, %v, %s", name, r.code, err, r.stderr)
		}
		return img.Config.Config
	}
	p.build("-t", "nocmd", "--target", "nocmd", ".")
	if c := config("nocmd"); !cmp.Equal(c.Entrypoint, []string{"/bin/echo", "entry"}) || c.Cmd != nil {
		t.Errorf("Main []: Entrypoint %q, Cmd %q; want the base's entrypoint and no Cmd", c.Entrypoint, c.Cmd)
	}
	if r := p.gun("run", "nocmd"); r.code != 0 || r.stdout != "entry\n" {
		t.Errorf("gun run nocmd: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	p.build("-t", "noentry", ".")
	if c := config("noentry"); c.Entrypoint != nil || c.Cmd != nil {
		t.Errorf("Entrypoint []: Entrypoint %q, Cmd %q; want neither", c.Entrypoint, c.Cmd)
	}
	if r := p.gun("run", "noentry", "echo", "given"); r.code != 0 || r.stdout != "given\n" {
		t.Errorf("gun run noentry echo given: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
