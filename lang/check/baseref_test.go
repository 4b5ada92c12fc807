package check

import "testing"

func TestUnpinnedBase(t *testing.T) {
	for in, want := range map[string]string{
		"debian:latest":              "debian latest",
		"quay.io/org/app":            "quay.io/org/app untagged",
		"localhost:5000/app":         "localhost:5000/app untagged",
		"localhost:5000/app:latest":  "localhost:5000/app latest",
		"library/debian":             "library/debian untagged",
		"debian":                     "",
		"debian:12":                  "",
		"quay.io/org/app:1.2":        "",
		"quay.io/org/app@sha256:abc": "",
		"base.tar":                   "",
		"dir/base.tar.gz":            "",
		"./rootfs":                   "",
		"https://example.com/a/b":    "",
		"Upper/case":                 "",
		"localhost:5000/app:1":       "",
		"x":                          "",
	} {
		name, latest, ok := unpinnedBase(in)
		got := ""
		if ok {
			got = name + map[bool]string{true: " latest", false: " untagged"}[latest]
		}
		if got != want {
			t.Errorf("unpinnedBase(%q) = %q, want %q", in, got, want)
		}
	}
}
