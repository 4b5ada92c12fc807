package exec_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarOf writes a tar of the given headers; a regular file's content is its
// Linkname field's text, moved into the body.
func tarOf(t *testing.T, zip bool, hdrs ...tar.Header) string {
	t.Helper()
	var b bytes.Buffer
	var w = &b
	var zw *gzip.Writer
	tw := tar.NewWriter(w)
	if zip {
		zw = gzip.NewWriter(w)
		tw = tar.NewWriter(zw)
	}
	for _, h := range hdrs {
		body := ""
		if h.Typeflag == tar.TypeReg {
			body, h.Linkname = h.Linkname, ""
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		zw.Close()
	}
	return b.String()
}

// TestCopyUnpack builds Copy Unpack (Docker's ADD of a local archive): a
// gzipped tar keeps its owners, modes and hardlinks, Owner and Mode replace
// them, and a hostile archive's paths and links stay in the destination
// directory. A Copy of context files with several names keeps them as
// hardlinks too.
func TestCopyUnpack(t *testing.T) {
	app := tarOf(t, true,
		tar.Header{Typeflag: tar.TypeDir, Name: "app/", Mode: 0o750, Uid: 1000, Gid: 1000},
		tar.Header{Typeflag: tar.TypeReg, Name: "app/run", Mode: 0o755, Uid: 1000, Gid: 1000, Linkname: "echo hi\n"},
		tar.Header{Typeflag: tar.TypeReg, Name: "app/locked", Mode: 0, Linkname: "x"},
		tar.Header{Typeflag: tar.TypeSymlink, Name: "app/link", Linkname: "run", Mode: 0o777},
		tar.Header{Typeflag: tar.TypeLink, Name: "app/run2", Linkname: "app/run", Uid: 1000, Gid: 1000},
		tar.Header{Typeflag: tar.TypeReg, Name: "../../escape", Mode: 0o644, Linkname: "e"},
		tar.Header{Typeflag: tar.TypeReg, Name: "/abs", Mode: 0o644, Linkname: "a"},
		tar.Header{Typeflag: tar.TypeDir, Name: "etc/", Mode: 0o755},
		tar.Header{Typeflag: tar.TypeSymlink, Name: "evil", Linkname: "/etc", Mode: 0o777},
		tar.Header{Typeflag: tar.TypeReg, Name: "evil/pwned", Mode: 0o644, Linkname: "p"},
	)
	plain := tarOf(t, false,
		tar.Header{Typeflag: tar.TypeReg, Name: "conf", Mode: 0o600, Uid: 5, Gid: 5, Linkname: "c"},
	)
	p := newProject(t, map[string]string{
		"Gunfile": `Using "BUSYBOX"
Copy Unpack "app.tar.gz" "/opt/x/"
Copy Unpack Owner "7:7" Mode 0640 "plain.tar" "/srv"
Copy "linked" "/linked/"
`,
		"linked/a":   "same\n",
		"app.tar.gz": app,
		"plain.tar":  plain,
		"notes.txt":  "not an archive\n",
	})
	if err := os.Link(filepath.Join(p.dir, "linked", "a"), filepath.Join(p.dir, "linked", "b")); err != nil {
		t.Fatal(err)
	}
	_, files := p.buildFiles()
	checkFiles(t, files, map[string]string{
		"/opt/x/app/run2":   "1 0755 1000:1000 => /opt/x/app/run",
		"/linked/a":         "0 0644 0:0 same\n",
		"/linked/b":         "1 0644 0:0 => /linked/a",
		"/opt/x":            "5 0755 0:0",
		"/opt/x/app":        "5 0750 1000:1000",
		"/opt/x/app/run":    "0 0755 1000:1000 echo hi\n",
		"/opt/x/app/locked": "0 0000 0:0 x",
		"/opt/x/app/link":   "2 0777 0:0 -> run",
		"/opt/x/escape":     "0 0644 0:0 e",
		"/opt/x/abs":        "0 0644 0:0 a",
		"/opt/x/evil":       "2 0777 0:0 -> /etc",
		"/opt/x/etc/pwned":  "0 0644 0:0 p",
		"/srv/conf":         "0 0640 7:7 c",
	})
	checkAbsent(t, files, "an archive entry left its destination", "/escape", "/abs", "/etc/pwned", "/pwned")
	if got := ran(p.build(".").stderr); len(got) != 0 {
		t.Errorf("a rebuild ran %q", got)
	}

	p.write(map[string]string{"Gunfile": "Using \"BUSYBOX\"\nCopy Unpack \"notes.txt\" \"/n/\"\n"})
	r := p.gun("build", "--progress", "plain", ".")
	if r.code == 0 || !strings.Contains(r.stderr, "Gunfile:2:1: Copy Unpack \"notes.txt\" \"/n/\": Copy Unpack notes.txt: not an archive") {
		t.Errorf("Unpack of a text file: exit %d, stderr %q", r.code, r.stderr)
	}
}
