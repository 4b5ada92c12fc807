package guntar

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gun-tools/gun/internal/testenv"
)

// The test binary doubles as a helper that unpacks stdin into a directory,
// so that tests running as root can unpack as an unprivileged user.
func TestMain(m *testing.M) {
	if dir := os.Getenv("GUNTAR_TEST_UNPACK"); dir != "" {
		var warnings []string
		err := Unpack(context.Background(), os.Stdin, dir, UnpackOptions{
			Chown: os.Getenv("GUNTAR_TEST_CHOWN") == "1",
			Warn:  func(msg string) { warnings = append(warnings, msg) },
		})
		res := struct {
			Err      string
			Warnings []string
		}{Warnings: warnings}
		if err != nil {
			res.Err = err.Error()
		}
		json.NewEncoder(os.Stdout).Encode(res)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// unpackAs unpacks archive into a new directory as an unprivileged user:
// this process if it is not root, else the test user guntest (made by
// hack/testuser.sh) through a copy of the test binary.
func unpackAs(t *testing.T, archive []byte, chown bool) (dir string, uid int, warnings []string, err error) {
	t.Helper()
	base, err := os.MkdirTemp("", "guntar-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dir = filepath.Join(base, "root")
	if os.Geteuid() != 0 {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		err := Unpack(context.Background(), bytes.NewReader(archive), dir, UnpackOptions{
			Chown: chown,
			Warn:  func(msg string) { warnings = append(warnings, msg) },
		})
		return dir, os.Geteuid(), warnings, err
	}
	u, lerr := testenv.TestUser()
	testenv.Need(t, "test user", lerr)
	uid, gid := u.UID, u.GID
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "guntar.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	chownEnv := "0"
	if chown {
		chownEnv = "1"
	}
	cmd.Env = []string{"GUNTAR_TEST_UNPACK=" + dir, "GUNTAR_TEST_CHOWN=" + chownEnv}
	cmd.Stdin = bytes.NewReader(archive)
	u.Command(cmd)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, rerr := cmd.Output()
	if rerr != nil {
		t.Fatalf("helper as %s: %v\n%s", u.Name, rerr, stderr.Bytes())
	}
	var res struct {
		Err      string
		Warnings []string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("helper output %q: %v", out, err)
	}
	if res.Err != "" {
		err = fmt.Errorf("%s", res.Err)
	}
	return dir, uid, res.Warnings, err
}

// privArchive has what only a privileged unpack can reproduce exactly.
func privArchive(t *testing.T) []byte {
	return mkTar(t,
		tDir("./", 0o755),
		tDir("home/", 0o755),
		tDir("home/app/", 0o700).owner(1000, 1000),
		tFile("home/app/file", "mine", 0o640).owner(1000, 1000),
		tFile("bin/su", "su", 0o4755),
		tFile("bin/ping", "ping", 0o755).xattr("security.capability", "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		tNode("dev/null", tar.TypeChar, 1, 3),
		tNode("dev/fifo", tar.TypeFifo, 0, 0),
		tSymlink("home/app/link", "file").owner(1000, 1000),
		tDir("ro/", 0o500),
		tFile("ro/file", "x", 0o000),
	)
}

func TestUnpackUnprivileged(t *testing.T) {
	dir, uid, warnings, err := unpackAs(t, privArchive(t), false)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, "ro"), 0o755) // so that root can list it below
	got := snapshot(t, dir, snapOpts{owners: true})
	got["ro"] = strings.Replace(got["ro"], "dir 0755", "dir 0500", 1)
	me := fmt.Sprintf("%d:%d", uid, mustGid(t, uid))
	want := map[string]string{
		".":             "dir 0755 " + me,
		"home":          "dir 0755 " + me,
		"home/app":      "dir 0700 " + me,
		"home/app/file": `file 0640 ` + me + ` "mine"`,
		"home/app/link": "symlink 0777 " + me + " -> file",
		"bin":           "dir 0755 " + me,
		"bin/su":        `file 4755 ` + me + ` "su"`,
		"bin/ping":      `file 0755 ` + me + ` "ping"`,
		"dev":           "dir 0755 " + me,
		"dev/fifo":      "fifo 0644 " + me,
		"ro":            "dir 0500 " + me,
		"ro/file":       `file 0000 ` + me + ` "x"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unprivileged unpack (-want +got):\n%s", diff)
	}
	// The device node and the file capability need privilege: warnings.
	if len(warnings) != 2 || !strings.Contains(warnings[0]+warnings[1], "dev/null: device node 1:3 not created") ||
		!strings.Contains(warnings[0]+warnings[1], "security.capability not set") {
		t.Errorf("warnings %q, want one for dev/null and one for security.capability", warnings)
	}

	// Asking for the archive's owners without privilege is an error.
	_, _, _, err = unpackAs(t, privArchive(t), true)
	if err == nil || !strings.Contains(err.Error(), "operation not permitted") {
		t.Errorf("chown without privilege: error %v, want EPERM", err)
	}
}

func mustGid(t *testing.T, uid int) int {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		t.Fatal(err)
	}
	gid, _ := strconv.Atoi(u.Gid)
	return gid
}

func TestUnpackChownPrivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Need(t, "applying owners and creating device nodes", errors.New("needs root"))
	}
	dir := tempDir(t)
	var warnings []string
	err := Unpack(context.Background(), bytes.NewReader(privArchive(t)), dir, UnpackOptions{
		Chown: true,
		Warn:  func(msg string) { warnings = append(warnings, msg) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		".":             "dir 0755 0:0",
		"home":          "dir 0755 0:0",
		"home/app":      "dir 0700 1000:1000",
		"home/app/file": `file 0640 1000:1000 "mine"`,
		"home/app/link": "symlink 0777 1000:1000 -> file",
		"bin":           "dir 0755 0:0",
		"bin/su":        `file 4755 0:0 "su"`,
		"bin/ping":      `file 0755 0:0 "ping" security.capability="\x01\x00\x00\x02\x00 \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"`,
		"dev":           "dir 0755 0:0",
		"dev/null":      "char 0644 0:0 1:3",
		"dev/fifo":      "fifo 0644 0:0",
		"ro":            "dir 0500 0:0",
		"ro/file":       `file 0000 0:0 "x"`,
	}
	if diff := cmp.Diff(want, snapshot(t, dir, snapOpts{owners: true})); diff != "" {
		t.Errorf("privileged unpack (-want +got):\n%s", diff)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
}
