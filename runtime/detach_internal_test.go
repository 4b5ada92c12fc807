//go:build linux && cgo

package runtime

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadRun: the constructor reads gun run's options as pflag does, and
// the monitor's plan is keyed by the command line without -d, --name and
// --rm (the foreground's).
func TestReadRun(t *testing.T) {
	for _, tc := range []struct {
		line               string
		detach, interative bool
		plan               string // "" when the constructor cannot tell, "-" read as not detached
	}{
		{line: "-d img true", detach: true, plan: "img true"},
		{line: "-dit img sh", detach: true, interative: true, plan: "-it img sh"},
		{line: "-itd img sh", detach: true, interative: true, plan: "-it img sh"},
		{line: "--detach --name web --rm img", detach: true, plan: "img"},
		{line: "--name=web -d=true --rm=false img", detach: true, plan: "img"},
		{line: "-dp 80:80 img", detach: true, plan: "-p 80:80 img"},
		{line: "-dp80:80 img", detach: true, plan: "-p80:80 img"},
		{line: "-p -d img", plan: "-"}, // -d is -p's value
		{line: "-pd img", plan: "-"},
		{line: "-e K=V -d --env -i -- img -d", detach: true, plan: "-e K=V --env -i -- img -d"},
		{line: "-d=false -i img", interative: true, plan: "-"},
		{line: "-id=0 img", interative: true, plan: "-"},
		{line: "--detach=false img", plan: "-"},
		{line: "-d --memory 1g --cpus=2 --verbose --root /r img", detach: true, plan: "--memory 1g --cpus=2 --verbose --root /r img"},
		{line: "img -d", plan: "-"},
		{line: "- -d", plan: "-"},
		{line: "-d"},
		{line: "-d --name"},
		{line: "-d --help img"},
		{line: "-dh img"},
		{line: "-d --nope img"},
		{line: "-dx img"},
		{line: "-d --detach=maybe img"},
	} {
		args := append([]string{"gun", "run"}, strings.Fields(tc.line)...)
		detach, interactive, plan, ok := cReadRun(args)
		if tc.plan == "" {
			if ok {
				t.Errorf("%q: read, as detach %v, plan %q; want it left to Go", tc.line, detach, plan)
			}
			continue
		}
		want := append([]string{"gun", "run"}, strings.Fields(tc.plan)...)
		if tc.plan == "-" {
			want = plan // only a monitor has one
		}
		if !ok || detach != tc.detach || interactive != tc.interative || !cmp.Equal(plan, want) {
			t.Errorf("%q: ok %v, detach %v, interactive %v, plan %q; want detach %v, interactive %v, plan %q",
				tc.line, ok, detach, interactive, plan, tc.detach, tc.interative, want)
		}
	}
}
