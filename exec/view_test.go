package exec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// layer writes a layer directory in overlay form: "name/" a directory,
// "name->target" a symlink, "name=content" a file, "-name" a whiteout,
// "name/!" an opaque directory.
func layer(t *testing.T, entries ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, e := range entries {
		var err error
		switch {
		case strings.HasSuffix(e, "/!"):
			p := filepath.Join(dir, strings.TrimSuffix(e, "/!"))
			os.MkdirAll(p, 0o755)
			err = unix.Setxattr(p, "user.overlay.opaque", []byte("y"), 0)
		case strings.HasSuffix(e, "/"):
			err = os.MkdirAll(filepath.Join(dir, e), 0o755)
		case strings.HasPrefix(e, "-"):
			p := filepath.Join(dir, e[1:])
			os.MkdirAll(filepath.Dir(p), 0o755)
			err = unix.Mknod(p, unix.S_IFCHR, 0)
		case strings.Contains(e, "->"):
			name, target, _ := strings.Cut(e, "->")
			p := filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			err = os.Symlink(target, p)
		default:
			name, content, _ := strings.Cut(e, "=")
			p := filepath.Join(dir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Skipf("cannot make layer entry %q here: %v", e, err)
		}
	}
	return dir
}

func TestView(t *testing.T) {
	bottom := layer(t, "usr/bin/", "bin->usr/bin", "usr/bin/sh=sh", "etc/passwd=root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n",
		"etc/group=root:x:0:\nstaff:x:50:\n", "opt/old/a=a", "opt/old/b=b", "gone=x", "d/x=x", "abs->/etc/passwd", "loop->loop")
	top := layer(t, "-gone", "opt/old/!", "opt/old/c=c", "usr/bin/vi=vi", "d=now a file", "rel->../etc")
	v := newView([]string{bottom, top})

	tests := []struct {
		path       string
		followLast bool
		want       string
	}{
		{"/bin/sh", true, "/usr/bin/sh"},
		{"/bin", false, "/bin"},
		{"/bin", true, "/usr/bin"},
		{"/abs", true, "/etc/passwd"},
		{"/rel/passwd", true, "/etc/passwd"},
		{"/../../bin/vi", true, "/usr/bin/vi"},
		{"/missing/bin/x", true, "/missing/bin/x"},
	}
	for _, tt := range tests {
		got, err := v.resolve(tt.path, tt.followLast)
		if err != nil || got != tt.want {
			t.Errorf("resolve(%q, %v) = %q, %v; want %q", tt.path, tt.followLast, got, err, tt.want)
		}
	}
	if _, err := v.resolve("/loop", true); err == nil {
		t.Error("a symlink loop resolved")
	}

	exists := map[string]bool{"/gone": false, "/opt/old/a": false, "/opt/old/c": true, "/usr/bin/sh": true, "/usr/bin/vi": true, "/d/x": false, "/d": true, "/": true}
	for p, want := range exists {
		if _, _, err := v.lstat(p); (err == nil) != want {
			t.Errorf("lstat(%q): err %v, want exists=%v", p, err, want)
		}
	}
	names, err := v.readDir("/opt/old")
	if err != nil || !cmp.Equal(names, []string{"c"}) {
		t.Errorf("readDir of an opaque dir = %q, %v; want [c]", names, err)
	}
	names, _ = v.readDir("/")
	if want := []string{"abs", "bin", "d", "etc", "loop", "opt", "rel", "usr"}; !cmp.Equal(names, want) {
		t.Errorf("readDir(/) = %q, want %q", names, want)
	}
	if !v.isDir("/bin") || v.isDir("/d") || v.isDir("/nope") {
		t.Error("isDir wrong for a symlink to a dir, a file over a dir, or a missing path")
	}

	owners := []struct {
		spec     string
		uid, gid int
		err      string
	}{
		{"", 0, 0, ""},
		{"app", 1000, 1001, ""},
		{"app:staff", 1000, 50, ""},
		{"1234", 1234, 0, ""},
		{"1234:7", 1234, 7, ""},
		{"app:99", 1000, 99, ""},
		{"nobody", 0, 0, `Owner "nobody": no user "nobody" in /etc/passwd`},
		{"app:wheel", 0, 0, `Owner "app:wheel": no group "wheel" in /etc/group`},
	}
	for _, o := range owners {
		uid, gid, err := owner(v, "Owner", o.spec)
		if o.err != "" {
			if err == nil || !strings.Contains(err.Error(), o.err) {
				t.Errorf("owner(%q) error = %v, want %q", o.spec, err, o.err)
			}
			continue
		}
		if err != nil || uid != o.uid || gid != o.gid {
			t.Errorf("owner(%q) = %d:%d, %v; want %d:%d", o.spec, uid, gid, err, o.uid, o.gid)
		}
	}
}
