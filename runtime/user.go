package runtime

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// execUser is who the command runs as.
type execUser struct {
	uid, gid int
	groups   []int
	home     string
}

// resolveUser resolves USER[:GROUP] (names or numbers) against the
// container's passwd and group files, as docker does: a numeric user absent
// from passwd runs with gid 0 and home "/".
func resolveUser(spec, passwdFile, groupFile string) (execUser, error) {
	name, group, hasGroup := strings.Cut(spec, ":")
	if name == "" {
		name = "0"
	}
	passwd := readColonFile(passwdFile)
	u := execUser{home: "/"}
	found := false
	for _, f := range passwd {
		if len(f) < 7 {
			continue
		}
		if f[0] == name || f[2] == name {
			uid, err1 := strconv.Atoi(f[2])
			gid, err2 := strconv.Atoi(f[3])
			if err1 != nil || err2 != nil {
				continue
			}
			u.uid, u.gid, u.home, found = uid, gid, f[5], true
			name = f[0]
			break
		}
	}
	if !found {
		uid, err := strconv.Atoi(name)
		if err != nil || uid < 0 {
			return u, fmt.Errorf("user %q: no such user in the container's /etc/passwd", name)
		}
		u.uid = uid
	}
	groups := readColonFile(groupFile)
	if hasGroup {
		gid := -1
		for _, f := range groups {
			if len(f) >= 3 && (f[0] == group || f[2] == group) {
				gid, _ = strconv.Atoi(f[2])
				break
			}
		}
		if gid < 0 {
			n, err := strconv.Atoi(group)
			if err != nil || n < 0 {
				return u, fmt.Errorf("group %q: no such group in the container's /etc/group", group)
			}
			gid = n
		}
		u.gid = gid
	}
	if found {
		for _, f := range groups {
			if len(f) < 4 {
				continue
			}
			for _, m := range strings.Split(f[3], ",") {
				if m == name {
					if gid, err := strconv.Atoi(f[2]); err == nil && gid != u.gid {
						u.groups = append(u.groups, gid)
					}
				}
			}
		}
	}
	return u, nil
}

// readColonFile reads an /etc/passwd-style file; a missing file is empty.
func readColonFile(path string) [][]string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	return parseColonFile(f)
}

func parseColonFile(r io.Reader) [][]string {
	var out [][]string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out
}
