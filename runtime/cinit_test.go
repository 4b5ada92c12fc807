package runtime_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoInit runs the behaviour tests again with GUN_INIT=go: the Go init
// sets up every container the C init does not (a pty, volumes, a build
// step's commit, a root the kernel refuses to overlay), and must behave as
// the C init does for the rest. (The tests that always use the Go init,
// TestBindMounts and TestTTY, run once.)
func TestGoInit(t *testing.T) {
	goInit = true
	defer func() { goInit = false }()
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"ExitCodes", TestExitCodes},
		{"StdioPassThrough", TestStdioPassThrough},
		{"SignalsForwardedAndScratchRemoved", TestSignalsForwardedAndScratchRemoved},
		{"ScratchRemovedAfterSIGKILL", TestScratchRemovedAfterSIGKILL},
		{"EnvironmentWorkdirUser", TestEnvironmentWorkdirUser},
		{"Hostname", TestHostname},
		{"PIDNamespace", TestPIDNamespace},
		{"ZombiesReaped", TestZombiesReaped},
		{"Network", TestNetwork},
		{"UIDMapping", TestUIDMapping},
		{"NoEscape", TestNoEscape},
		{"HostileImage", TestHostileImage},
		{"RootUnchangedAndReadOnly", TestRootUnchangedAndReadOnly},
		{"NoDescriptorsLeakIntoTheContainer", TestNoDescriptorsLeakIntoTheContainer},
		{"PrivilegesOfTheCommand", TestPrivilegesOfTheCommand},
		{"ConcurrentRuns", TestConcurrentRuns},
		{"VerboseLogsTheSteps", TestVerboseLogsTheSteps},
		{"PidsLimit", TestPidsLimit},
		{"SupplementaryGroups", TestSupplementaryGroups},
	} {
		t.Run(tc.name, tc.test)
	}
}

// TestInitChoice checks which init sets the container up: the C init
// where it can, the Go init for what only it handles and when GUN_INIT=go.
func TestInitChoice(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	vol := userDir(t, "vol")
	const cStep = `step="set up by the C init"`
	for _, tc := range []struct {
		name  string
		flags []string
		env   []string
		want  string
	}{
		{"default", nil, nil, "C"},
		{"every option the C init handles", []string{"--network", "none", "--read-only", "-u", "app:root", "--hostname", "h", "-w", "/tmp/w", "-e", "A=1"}, nil, "C"},
		{"a volume and a pty", []string{"-t", "-v", vol + ":/mnt"}, nil, "C"},
		{"GUN_INIT=go", nil, []string{"GUN_INIT=go"}, "Go"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if env.subuid < 0 && len(tc.flags) > 4 {
				requireSubIDs(t) // -u app
			}
			c := s.cmd(append(append([]string{"--verbose", "run"}, tc.flags...), env.rootfs, "sh", "-c", "echo $A")...)
			c.Env = append(c.Env, tc.env...)
			var out, errb strings.Builder
			c.Stdout, c.Stderr = &out, &errb
			if err := c.Run(); err != nil {
				t.Fatalf("gun run: %v\n%s", err, errb.String())
			}
			logged := errb.String()
			if !strings.Contains(logged, `msg="container config sent" init=`+tc.want+"\n") {
				t.Errorf("want the %s init:\n%s", tc.want, logged)
			}
			if got := strings.Contains(logged, cStep); got != (tc.want == "C") {
				t.Errorf("C init's step logged: %t, want %t:\n%s", got, tc.want == "C", logged)
			}
		})
	}
}

// TestHostileImage runs images whose /etc, /proc, /dev or /sys, or a file
// the init binds over, is a symlink out of the image: the init must
// refuse (the symlink's target does not exist inside the image, and the
// init does not create through a symlink) or, where its mounts hide the
// symlink, run; never touch the host.
func TestHostileImage(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	for _, tc := range []struct {
		name, link, target string
		refused            string // the error, or "" when the container runs
	}{
		{"absolute /etc", "etc", "MARKER", "resolve /etc in container"},
		{"relative /etc/hosts", "etc/hosts", "../../../../../../../..MARKER/hosts", "resolve /etc/hosts in container"},
		{"absolute /proc", "proc", "MARKER", "resolve /proc in container"},
		{"relative /dev", "dev", "../../../../../../../..MARKER", "resolve /dev in container"},
		{"absolute /sys", "sys", "MARKER", "resolve /sys in container"},
		{"/proc/sys under the fresh /proc", "proc/sys", "MARKER", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			marker := userDir(t, "marker")
			img := userDir(t, "img")
			if out, err := asUser(exec.Command("cp", "-a", env.rootfs+"/.", img)).CombinedOutput(); err != nil {
				t.Fatalf("copy image: %v: %s", err, out)
			}
			link := filepath.Join(img, tc.link)
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(link); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(strings.ReplaceAll(tc.target, "MARKER", marker), link); err != nil {
				t.Fatal(err)
			}
			r := s.run(t, nil, "run", img, "/bin/true")
			if tc.refused == "" && r.code != 0 {
				t.Errorf("exit %d, want 0: %s", r.code, r.stderr)
			}
			if tc.refused != "" && (r.code != 125 || !strings.Contains(r.stderr, tc.refused)) {
				t.Errorf("exit %d, want 125 and %q: %s", r.code, tc.refused, r.stderr)
			}
			if entries, err := os.ReadDir(marker); err != nil || len(entries) != 0 {
				t.Errorf("the host directory the symlink names changed: %v, %v", entries, err)
			}
			mounts, err := os.ReadFile("/proc/self/mountinfo")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(mounts), marker) {
				t.Errorf("a mount on the host names %s:\n%s", marker, mounts)
			}
			if left := s.scratchLeft(t); len(left) != 0 {
				t.Errorf("scratch left behind: %v", left)
			}
		})
	}
}

// TestOverlayRefusedRootCopied runs an image the kernel refuses as an
// overlay's lower layer (a /proc directory): the C init says so, gun copies
// the layer in the user namespace and starts the container on the copy.
// The copy holds no /bin/true, so the command is not found.
func TestOverlayRefusedRootCopied(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	r := s.run(t, nil, "--verbose", "run", "--hostname", "taken-over", "/proc/sys/user", "/bin/true")
	if r.code != 127 {
		t.Errorf("exit %d, want 127: %s", r.code, r.stderr)
	}
	checkLogged(t, r.stderr, []string{
		`msg="container config sent" init=C`,
		`copying the image's layers instead`,
		`step="root: the layers copied into `,
		`step="pivot_root into `,
		`; hostname taken-over"`,
		`start /bin/true: no such file or directory`,
	})
	if left := s.scratchLeft(t); len(left) != 0 {
		t.Errorf("scratch left behind: %v", left)
	}
}

// TestSupplementaryGroups checks the groups a named user gets from the
// image's /etc/group (a uid no passwd entry has gets none), with comments,
// blank lines and a malformed entry in the file.
func TestSupplementaryGroups(t *testing.T) {
	requireSubIDs(t)
	s := newStore(t)
	img := userDir(t, "img")
	if out, err := asUser(exec.Command("cp", "-a", env.rootfs+"/.", img)).CombinedOutput(); err != nil {
		t.Fatalf("copy image: %v: %s", err, out)
	}
	group := "# groups\nroot:x:0:\napp:x:1000:\n\n  audio:x:29:nobody,app  \nvideo:x:44:app\nstaff:x:50:root\nbad:x:notanumber:app\n"
	if err := os.WriteFile(filepath.Join(img, "etc/group"), []byte(group), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, want string
	}{
		{"app", "1000 29 44\n"},
		{"app:video", "44 29\n"},
		{"root", "0 50\n"},
		{"1000", "1000 29 44\n"}, // app's uid: app's groups
		{"1234", "0\n"},          // in no passwd entry: gid 0, no groups
		{"nobody:audio", "29\n"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			r := s.run(t, nil, "run", "-u", tc.user, img, "id", "-G")
			if r.code != 0 || r.stdout != tc.want {
				t.Errorf("id -G as %s: %q (exit %d, %s), want %q", tc.user, r.stdout, r.code, r.stderr, tc.want)
			}
		})
	}
}
