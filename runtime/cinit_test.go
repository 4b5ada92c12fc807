package runtime_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

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
		`msg="container config sent"`,
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
// image's /etc/group by Docker's rule (a uid no passwd entry has gets
// none, nor does a user given with a group), with comments, blank lines and
// a malformed entry (its gid taken as 0, as Docker has it) in the file.
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
		{"app", "1000 0 29 44\n"}, // the kernel sorts the groups
		{"app:video", "44\n"},
		{"root", "0 50\n"},
		{"1000", "1000 0 29 44\n"}, // app's uid: app's groups
		{"1234", "0\n"},            // in no passwd entry: gid 0, no groups
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
