//go:build linux && cgo

package runtime

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCConstants checks that the C sources (the constructor, the C init and
// the plan) and the Go code agree on the numbers and names they share.
func TestCConstants(t *testing.T) {
	src := map[string]string{}
	for _, f := range []string{"entry.c", "cinit.c", "plan.c", "plan.h", "scratch.h"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src[f] = string(b)
	}
	for _, tc := range []struct {
		file, pattern, want string
	}{
		{"entry.c", `GUN_SYNC_FD = (\d+)`, strconv.Itoa(syncFD)},
		{"entry.c", `GUN_NS_FD = (\d+)`, strconv.Itoa(nsFD)},
		{"entry.c", `#define GUN_PREFORK_MAGIC "([^"]*)"`, preforkMagic},
		{"entry.c", `#define GUN_PLANNED_MAGIC "([^"]*)"`, plannedMagic},
		{"entry.c", `PREFORK_NET = (\d+)`, strconv.Itoa(preforkNet)},
		{"entry.c", `PREFORK_NULL_STDIN = (\d+)`, strconv.Itoa(preforkNullStdin)},
		{"entry.c", `PREFORK_NULL_STDOUT = (\d+)`, strconv.Itoa(preforkNullStdout)},
		{"entry.c", `PREFORK_NULL_STDERR = (\d+)`, strconv.Itoa(preforkNullStderr)},
		{"entry.c", `"(gun:init)", "gun:unpack", "gun:rm", "gun:commit", "gun:copy"`, entryInit},
		{"entry.c", `"gun:init", "(gun:unpack)", "gun:rm", "gun:commit", "gun:copy"`, entryUnpack},
		{"entry.c", `"gun:init", "gun:unpack", "(gun:rm)", "gun:commit", "gun:copy"`, entryRemove},
		{"entry.c", `"gun:init", "gun:unpack", "gun:rm", "(gun:commit)", "gun:copy"`, entryCommit},
		{"entry.c", `"gun:init", "gun:unpack", "gun:rm", "gun:commit", "(gun:copy)"`, entryCopy},
		{"cinit.c", `F_TTY = (\d+)`, strconv.Itoa(fastTTY)},
		{"cinit.c", `F_COPIED = (\d+)`, strconv.Itoa(fastCopied)},
		{"entry.c", `strcmp\(argv\[0\], "(gun:holder)"\)`, entryHolder},
		{"entry.c", `gun_has_suffix\(argv\[0\], n, "([^"]*)"`, mapsSuffix},
		{"entry.c", `strncmp\(\*e, "(_GUN_JOIN)=", 10\)`, joinEnv},
		{"cinit.c", `static const char magic\[\] = "([^"]*)"`, fastMagic},
		{"plan.h", `#define GUN_VERDICT_MAGIC "([^"]*)"`, verdictMagic},
		{"cinit.c", `F_NETNS = (\d+)`, strconv.Itoa(fastNetNS)},
		{"cinit.c", `F_READONLY = (\d+)`, strconv.Itoa(fastReadOnly)},
		{"cinit.c", `F_SINGLE = (\d+)`, strconv.Itoa(fastSingle)},
		{"cinit.c", `F_DEBUG = (\d+)`, strconv.Itoa(fastDebug)},
		{"cinit.c", `F_KEEP_UPPER = (\d+)`, strconv.Itoa(fastKeepUpper)},
		{"cinit.c", `F_UNMASKED = (\d+)`, strconv.Itoa(fastUnmasked)},
		{"cinit.c", `F_OCI = (\d+)`, strconv.Itoa(fastOCI)},
		{"cinit.c", `F_UMASK = (\d+)`, strconv.Itoa(fastUmask)},
		{"cinit.c", `F_CGROUPNS = (\d+)`, strconv.Itoa(fastCgroupNS)},
		{"cinit.c", `F_EXEC = (\d+)`, strconv.Itoa(fastExec)},
		{"cinit.c", `F_HOOKS = (\d+)`, strconv.Itoa(fastHooks)},
		{"cinit.c", `F_NOPROC = (\d+)`, strconv.Itoa(fastNoProcess)},
		{"cinit.c", `F_ALL = (\d+)`, strconv.Itoa(fastNoProcess<<1 - 1)},
		{"cinit.c", `HOLD_FD = (\d+)`, strconv.Itoa(ociHoldFD)},
		{"entry.c", `strcmp\(argv\[0\], "(gun:oci)"\)`, entryOCI},
		{"plan.c", `plan_magic\[\] = "([^"]*)"`, planMagic},
		{"plan.c", `"%s/plans/%016llx"`, ""},
		{"plan.h", `#define PLAN_SCRATCH "\\x(\d\d)"`, fmt.Sprintf("%02x", planScratch[0])},
		{"plan.h", `PLAN_MAX = (\d+) << 10`, strconv.Itoa(planMax >> 10)},
		{"scratch.h", `#define SCRATCH_UPPER "([^"]*)"`, scratchUpper},
		{"scratch.h", `#define SCRATCH_WORK "([^"]*)"`, scratchWork},
		{"scratch.h", `#define SCRATCH_ROOT "([^"]*)"`, scratchRoot},
		{"scratch.h", `#define SCRATCH_ETC_FILES (.*)`, `"` + strings.Join(etcFiles, `", "`) + `"`},
		{"scratch.h", `#define SCRATCH_CONTAINER "([^"]*)"`, scratchContainer},
		{"entry.c", `strcmp\(argv\[0\], "(gun:exec)"\)`, entryExec},
		{"entry.c", `char \*args\[\] = \{"(gun:finish)"`, entryFinish},
		{"cinit.c", `INIT_FD = (\d+)`, strconv.Itoa(execInitFD)},
		{"cinit.c", `F_NO_NEW_PRIVS = (\d+)`, strconv.Itoa(fastNoNewPrivs)},
	} {
		m := regexp.MustCompile(tc.pattern).FindStringSubmatch(src[tc.file])
		switch {
		case m == nil:
			t.Errorf("%s: no %s", tc.file, tc.pattern)
		case len(m) > 1 && m[1] != tc.want:
			t.Errorf("%s: %s is %q, the Go code's %q", tc.file, tc.pattern, m[1], tc.want)
		}
	}
	if plansDir != "plans" {
		t.Errorf("plans directory %q; plan.c reads plans/", plansDir)
	}
}
