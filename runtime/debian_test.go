package runtime_test

import (
	"strings"
	"testing"

	"github.com/gun-tools/gun/internal/testenv"
)

func TestDebianAPT(t *testing.T) {
	requireSubIDs(t)
	archive := testenv.DebianArchive(t, "run apt in a Debian container")
	s := newStore(t)
	// apt drops privileges to _apt (uid 42) for downloads: that user must be
	// mapped. The host network and resolv.conf make the mirror reachable.
	r := s.run(t, nil, "run", archive, "sh", "-c", `runuser -u _apt -- id -un && apt-get update -qq && apt-get install -y -qq --no-install-recommends hello >/dev/null && hello`)
	if r.code != 0 || !strings.HasSuffix(r.stdout, "_apt\nHello, world!\n") {
		t.Errorf("exit %d, output %q\n%s", r.code, r.stdout, r.stderr)
	}
}
