package runtime_test

import (
	"strings"
	"testing"
)

// defaultAnswers are the probe's under Docker's default profile and
// capabilities.
const defaultAnswers = `keyctl: EPERM
add_key: EPERM
unshare(CLONE_NEWUSER): EPERM
personality(ADDR_NO_RANDOMIZE): EPERM
personality(56<<32|ADDR_NO_RANDOMIZE): EPERM
personality(0): ok
socket(AF_VSOCK): EPERM
socket(AF_INET6): ok
socket(AF_INET): ok
io_uring_setup: EPERM
perf_event_open: EPERM
userfaultfd: EPERM
kcmp: EPERM
clone3: ENOSYS
ptrace(PTRACE_ATTACH, 1): EPERM
getpid: ok
clone(CLONE_NEWUSER): EPERM
`

func TestSeccompDefault(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	got := s.sh(t, nil, `grep '^Seccomp:' /proc/self/status | tr -s '\t ' ' ' && probe syscalls`)
	if want := "Seccomp: 2\n" + defaultAnswers; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// The init is not filtered: only the command and its children are.
	if got := s.sh(t, nil, `grep '^Seccomp:' /proc/1/status | tr -s '\t ' ' '`); strings.TrimSpace(got) != "Seccomp: 0" {
		t.Errorf("the init: %q", got)
	}
}
