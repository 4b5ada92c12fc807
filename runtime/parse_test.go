package runtime

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSubID(t *testing.T) {
	const file = "# ranges\nother:100000:65536\nalice:200000:65536\n1001:300000:1000\nbad:x:1\n"
	for _, tc := range []struct {
		name, user, uid string
		want            IDMap
		err             string
	}{
		{"by name", "alice", "1000", IDMap{ContainerID: 1, HostID: 200000, Size: 65536}, ""},
		{"by uid", "bob", "1001", IDMap{ContainerID: 1, HostID: 300000, Size: 1000}, ""},
		{"missing", "carol", "1002", IDMap{}, "file does not exist"},
		{"malformed", "bad", "7", IDMap{}, `subuid:5: malformed range "bad:x:1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSubID(strings.NewReader(file), "subuid", tc.user, tc.uid)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Error(d)
			}
		})
	}
}

func FuzzParseSubID(f *testing.F) {
	f.Add("alice:100000:65536\n", "alice")
	f.Add("alice:-1:5\n", "alice")
	f.Fuzz(func(t *testing.T, file, name string) {
		m, err := parseSubID(strings.NewReader(file), "subuid", name, "1000")
		if err == nil && (m.HostID < 0 || m.Size <= 0) {
			t.Errorf("bad range accepted: %+v", m)
		}
	})
}

func TestOverlayOptions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		layers    []string
		keepUpper bool
		data      string
	}{
		{"one layer", []string{"/s/l/a"}, false, "lowerdir=/s/l/a,upperdir=/u,workdir=/w,userxattr"},
		{"top first", []string{"/s/l/a", "/s/l/b"}, false, "lowerdir=/s/l/b:/s/l/a,upperdir=/u,workdir=/w,userxattr"},
		{"escaped", []string{"/s/a:b,c"}, false, `lowerdir=/s/a\:b\,c,upperdir=/u,workdir=/w,userxattr`},
		{"build step", []string{"/s/l/a"}, true, "lowerdir=/s/l/a,upperdir=/u,workdir=/w,userxattr,volatile"},
		{"too long for mount(2)", []string{"/" + strings.Repeat("x", 5000)}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if data := overlayOptions(tc.layers, "/u", "/w", tc.keepUpper); data != tc.data {
				t.Errorf("got %q, want %q", data, tc.data)
			}
		})
	}
}

func TestUserName(t *testing.T) {
	for _, tc := range []struct {
		uid  int
		want string
	}{
		{0, "root"},
		{2147483646, "2147483646"}, // no such user: the number
	} {
		if got := userName(tc.uid); got != tc.want {
			t.Errorf("userName(%d) = %q, want %q", tc.uid, got, tc.want)
		}
	}
	// The same as the C library's lookup for the current user.
	if u, err := user.LookupId(strconv.Itoa(os.Getuid())); err == nil {
		if got := userName(os.Getuid()); got != u.Username {
			t.Errorf("userName(%d) = %q, want %q", os.Getuid(), got, u.Username)
		}
	}
}

// A holder serves one store and one id mapping: a changed /etc/subuid or
// another store gets another socket.
func TestHolderPathsKeyedByStoreAndMaps(t *testing.T) {
	a := &idMaps{uids: []IDMap{{ContainerID: 0, HostID: 1001, Size: 1}, {ContainerID: 1, HostID: 300000, Size: 65536}}, gids: []IDMap{{ContainerID: 0, HostID: 1001, Size: 1}, {ContainerID: 1, HostID: 300000, Size: 65536}}}
	b := &idMaps{uids: []IDMap{{ContainerID: 0, HostID: 1001, Size: 1}, {ContainerID: 1, HostID: 400000, Size: 65536}}, gids: []IDMap{{ContainerID: 0, HostID: 1001, Size: 1}, {ContainerID: 1, HostID: 300000, Size: 65536}}}
	sockA, lockA := holderPaths("/s", a)
	if filepath.Dir(sockA) != "/s/userns" || strings.TrimSuffix(sockA, ".sock") != strings.TrimSuffix(lockA, ".lock") {
		t.Errorf("socket %s and lock %s", sockA, lockA)
	}
	if again, _ := holderPaths("/s", a); again != sockA {
		t.Errorf("the same maps give %s, then %s", sockA, again)
	}
	if sockB, _ := holderPaths("/s", b); sockB == sockA {
		t.Errorf("other maps give the same socket %s", sockA)
	}
	if other, _ := holderPaths("/t", a); filepath.Dir(other) != "/t/userns" {
		t.Errorf("another store's socket is %s", other)
	}
}
