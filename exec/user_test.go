package exec_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestOneUserRule: a User resolves to the same ids for Workdir, Copy
// Owner, Exec, the image's user under gun run and gun run -u, by Docker's
// rule: a uid with a passwd line takes its group (1000 -> 2000, whatever
// the uid), one without runs with gid 0.
func TestOneUserRule(t *testing.T) {
	files := map[string]string{
		"passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1000:2000::/home/app:/bin/sh\n",
		"group":  "root:x:0:\nappg:x:2000:\n",
	}
	for _, tc := range []struct{ user, ids string }{
		{"1000", "1000:2000"},
		{"app", "1000:2000"},
		{"1001", "1001:0"},
		{"1001:appg", "1001:2000"},
	} {
		t.Run(strings.ReplaceAll(tc.user, ":", "_"), func(t *testing.T) {
			files["Gunfile"] = fmt.Sprintf(`Using "BUSYBOX"
Copy "passwd" "group" "/etc/"
User %q
Workdir "/work"
Copy Owner %q "group" "/copied"
Exec "echo $(id -u):$(id -g) > /work/exec-ids; touch /work/f"
`, tc.user, tc.user)
			p := newProject(t, files)
			_, built := p.buildFiles("-t", "u")
			checkFiles(t, built, map[string]string{
				"/work":          "5 0755 " + tc.ids,
				"/work/f":        "0 0644 " + tc.ids + " ",
				"/work/exec-ids": "0 0644 " + tc.ids + " " + tc.ids + "\n",
				"/copied":        "0 0644 " + tc.ids + " " + files["group"],
			})
			for _, args := range [][]string{{"run", "u"}, {"run", "-u", tc.user, "u"}} {
				r := p.gun(append(args, "sh", "-c", "echo $(id -u):$(id -g)")...)
				if r.code != 0 || r.stdout != tc.ids+"\n" {
					t.Errorf("gun %s: exit %d, %q, want %q\n%s", strings.Join(args, " "), r.code, r.stdout, tc.ids, r.stderr)
				}
			}
		})
	}
}
