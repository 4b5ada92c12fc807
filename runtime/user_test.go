//go:build linux && cgo

package runtime

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	mobyuser "github.com/moby/sys/user"
)

func TestResolveUser(t *testing.T) {
	passwd := []byte("root:x:0:0:root:/root:/bin/sh\n_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n" +
		"  app:x:1000:1000:app:/home/app:/bin/sh  \r\nbroken:x:y:z\n")
	group := []byte("root:x:0:\nnogroup:x:65534:\napp:x:1000:\n# staff:x:51:app\nstaff:x:50:app,other\n\tvideo:x:44:app\n")
	for _, tc := range []struct {
		spec string
		want User
		err  string
	}{
		{"", User{UID: 0, GID: 0, Home: "/root"}, ""},
		{"root", User{UID: 0, GID: 0, Home: "/root"}, ""},
		{"app", User{UID: 1000, GID: 1000, Home: "/home/app", Groups: []int{50, 44}}, ""},
		{"1000", User{UID: 1000, GID: 1000, Home: "/home/app", Groups: []int{50, 44}}, ""},
		{"_apt", User{UID: 42, GID: 65534, Home: "/nonexistent"}, ""},
		// An explicit group: no supplementary groups.
		{"app:staff", User{UID: 1000, GID: 50, Home: "/home/app"}, ""},
		{"app:7", User{UID: 1000, GID: 7, Home: "/home/app"}, ""},
		{"app:50", User{UID: 1000, GID: 50, Home: "/home/app"}, ""},
		// A uid without a passwd line: gid 0, home /.
		{"4242", User{UID: 4242, GID: 0, Home: "/"}, ""},
		{"4242:4343", User{UID: 4242, GID: 4343, Home: "/"}, ""},
		{"4242:staff", User{UID: 4242, GID: 50, Home: "/"}, ""},
		// A field that is not a number is 0, as Docker reads it.
		{"broken", User{UID: 0, GID: 0, Home: ""}, ""},
		{"nosuch", User{}, `no user "nosuch" in /etc/passwd`},
		{"app:nosuch", User{}, `no group "nosuch" in /etc/group`},
		{"-1", User{}, "out of range"},
		{"2147483648", User{}, "out of range"},
		{"a\x00b", User{}, "NUL"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ResolveUser(tc.spec, passwd, group)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %+v, error %v; want an error with %q", got, err, tc.err)
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
	// Missing files: numbers only.
	if u, err := ResolveUser("5:6", nil, nil); err != nil || u.UID != 5 || u.GID != 6 || u.Home != "/" {
		t.Errorf("5:6 without files: %+v, %v", u, err)
	}
	if _, err := ResolveUser("app", nil, nil); err == nil {
		t.Error("a name resolved without /etc/passwd")
	}
}

// FuzzResolveUser drives the C lookup (user.c) through cgo and compares it
// with Docker's (github.com/moby/sys/user): the same ids, groups and home,
// or both an error, but where gun refuses more on purpose (user.c says
// where) or the inputs are outside what the C one reads (NUL bytes, lines
// Docker's scanner refuses, non-ASCII spaces at a line's ends).
func FuzzResolveUser(f *testing.F) {
	f.Add("root:x:0:0:root:/root:/bin/sh\n", "root:x:0:\n", "root")
	f.Add("app:x:1000:2000::/home/app:/bin/sh\n", "appg:x:2000:\ng:x:5:app,b\n", "app")
	f.Add("app:x:1000:2000::/home/app:/bin/sh\n", "appg:x:2000:\n", "1001")
	f.Add("app:x:1000:1000::/home/app:/bin/sh\n", "g:x:5:app,b\n", "app:g")
	f.Add("::::::\n", ":::\n", ":")
	f.Add(" a:x:+7:-1:\r\n#b:x:8:8\n", "#g:x:9:a\n g:x:9:a,a \n", "a")
	f.Fuzz(func(t *testing.T, passwd, group, spec string) {
		if strings.ContainsRune(passwd+group+spec, 0) || !linesComparable(passwd) || !linesComparable(group) {
			t.Skip()
		}
		got, err := ResolveUser(spec, []byte(passwd), []byte(group))
		want, werr := mobyuser.GetExecUser(spec, &mobyuser.ExecUser{Home: "/"}, strings.NewReader(passwd), strings.NewReader(group))
		if werr == nil && refused(want) {
			if err == nil {
				t.Fatalf("%q: %+v, want an error (Docker: %+v)", spec, got, want)
			}
			return
		}
		if (err != nil) != (werr != nil) {
			t.Fatalf("%q: error %v, Docker's %v (got %+v)", spec, err, werr, got)
		}
		if err != nil {
			return
		}
		if got.UID != want.Uid || got.GID != want.Gid || got.Home != want.Home || !equalInts(got.Groups, want.Sgids) {
			t.Fatalf("%q: %+v, Docker: %+v", spec, got, want)
		}
	})
}

// refused: what gun's lookup refuses on purpose and Docker's passes on.
func refused(u *mobyuser.ExecUser) bool {
	bad := func(id int) bool { return id < 0 || id > 1<<31-1 }
	if bad(u.Uid) || bad(u.Gid) || len(u.Sgids) > 1024 || len(u.Home) >= 4096 {
		return true
	}
	for _, g := range u.Sgids {
		if bad(g) {
			return true
		}
	}
	return false
}

// linesComparable: the file's lines are within Docker's scanner's limit,
// and trimmed alike by Unicode's white space and by ASCII's.
func linesComparable(s string) bool {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		l := sc.Bytes()
		if !bytes.Equal(bytes.TrimSpace(l), bytes.Trim(l, " \t\n\v\f\r")) {
			return false
		}
	}
	return sc.Err() == nil
}

func equalInts(a, b []int) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return cmp.Equal(a, b)
}
