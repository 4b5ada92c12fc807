package container

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestTemplate: a template with its holes filled is the record, every
// field of it, created and running.
func TestTemplate(t *testing.T) {
	created, started := time.Date(2026, 12, 6, 1, 2, 3, 400500600, time.UTC), time.Date(2026, 12, 6, 1, 2, 4, 0, time.UTC)
	want := Container{
		ID: strings.Repeat("ab", 32), Name: "web", Image: "busy\"box", ImageID: "sha256:00", Command: []string{"sh", "-c", "echo \"<&>\"\n\x01\x7f"},
		Created: created, Status: Created, Ports: []string{"8080->80/tcp"}, StopSignal: "SIGINT", Store: "/s\\t",
		Scratch: "/s/run/0a", AutoRemove: true, Detached: true, Interactive: true, TTY: true,
	}
	for _, running := range []bool{false, true} {
		c, holes := want, 5
		if running {
			c.Status, c.Started, c.MonitorPid, holes = Running, started, 4321, 7
		}
		tmpl, err := Template(c)
		if err != nil {
			t.Fatal(err)
		}
		quote := func(v any) string { b, _ := json.Marshal(v); return string(b) }
		filled := strings.NewReplacer(
			"\x02i", quote(c.ID), "\x02n", quote(c.Name), "\x02d", quote(c.Scratch), "\x02a", quote(c.Command),
			"\x02c", quote(c.Created), "\x02s", quote(c.Started), "\x02p", "4321").Replace(tmpl)
		var got Container
		if err := json.Unmarshal([]byte(filled), &got); err != nil {
			t.Fatalf("%v in %q", err, filled)
		}
		if d := cmp.Diff(c, got, cmpopts.IgnoreUnexported(Container{})); d != "" {
			t.Errorf("running %v (-want +got):\n%s", running, d)
		}
		if strings.Count(tmpl, "\x02") != holes {
			t.Errorf("holes in %q", tmpl)
		}
	}
	// A value written as a hole's stand-in.
	if _, err := Template(Container{Image: "\x02i"}); err == nil {
		t.Error("a template of a record whose image is a stand-in")
	}
}
