package runtime_test

import (
	"os"
	"os/exec"
	"path/filepath"
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

// TestSeccompOptions runs the probe unconfined, under a profile of ours
// and privileged. Unconfined, it answers as on the host (where the test
// user runs it outside any container); the profile denies keyctl with
// EXDEV, personality with ADDR_NO_RANDOMIZE set (a masked comparison) with
// EACCES, and socket for AF_VSOCK or AF_INET6 (two rules on one argument:
// either) with EOPNOTSUPP.
func TestSeccompOptions(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	out, err := asUser(exec.Command(filepath.Join(env.rootfs, "bin", "probe"), "syscalls")).Output()
	if err != nil {
		t.Fatalf("probe on the host: %v", err)
	}
	host := string(out)
	unconfined := s.sh(t, []string{"--security-opt", "seccomp=unconfined"}, `grep '^Seccomp:' /proc/self/status | tr -s '\t ' ' ' && probe syscalls`)
	if want := "Seccomp: 0\n" + host; unconfined != want {
		t.Errorf("unconfined: got\n%s\nwant (the host's)\n%s", unconfined, want)
	}
	profile := filepath.Join(userDir(t, "profile"), "profile.json")
	if err := os.WriteFile(profile, []byte(testProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	got := s.sh(t, []string{"--security-opt", "seccomp=" + profile}, `grep '^Seccomp:' /proc/self/status | tr -s '\t ' ' ' && probe syscalls`)
	want := "Seccomp: 2\n" + replaceAnswers(host, map[string]string{
		"keyctl": "EXDEV", "personality(ADDR_NO_RANDOMIZE)": "EACCES", "personality(56<<32|ADDR_NO_RANDOMIZE)": "EACCES",
		"socket(AF_VSOCK)": "ENOTSUP", "socket(AF_INET6)": "ENOTSUP",
	})
	if got != want {
		t.Errorf("profile: got\n%s\nwant\n%s", got, want)
	}
	// Privileged: no filter, every capability, nothing masked; the init
	// is still out of the command's reach.
	got = s.sh(t, []string{"--privileged"}, `grep -E '^(Seccomp|CapEff):' /proc/self/status | tr -s '\t ' ' ' && grep -c ' /proc/kcore ' /proc/self/mountinfo; probe syscalls | grep ptrace`)
	if want := "CapEff: 000001ffffffffff\nSeccomp: 0\n0\nptrace(PTRACE_ATTACH, 1): EPERM\n"; got != want {
		t.Errorf("privileged: got\n%s\nwant\n%s", got, want)
	}
	r := s.run(t, nil, "run", "--security-opt", "seccomp="+profile+".missing", env.rootfs, "true")
	if r.code != 125 || !strings.Contains(r.stderr, "profile.json.missing") {
		t.Errorf("a missing profile: %+v", r)
	}
	if err := os.WriteFile(profile, []byte(`{"defaultAction": "SCMP_ACT_NOTIFY"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r = s.run(t, nil, "run", "--security-opt", "seccomp="+profile, env.rootfs, "true")
	if r.code != 125 || !strings.Contains(r.stderr, profile+": ") || !strings.Contains(r.stderr, "SCMP_ACT_NOTIFY") {
		t.Errorf("a bad profile: %+v", r)
	}
}

const testProfile = `{
	"defaultAction": "SCMP_ACT_ALLOW",
	"syscalls": [
		{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18},
		{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
		 "args": [{"index": 0, "value": 262144, "valueTwo": 262144, "op": "SCMP_CMP_MASKED_EQ"}]},
		{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95,
		 "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 10, "op": "SCMP_CMP_EQ"}]}
	]
}`

// replaceAnswers replaces the probe's answers for some calls.
func replaceAnswers(answers string, repl map[string]string) string {
	lines := strings.Split(answers, "\n")
	for i, l := range lines {
		if name, _, ok := strings.Cut(l, ": "); ok && repl[name] != "" {
			lines[i] = name + ": " + repl[name]
		}
	}
	return strings.Join(lines, "\n")
}

func TestCapabilityOptions(t *testing.T) {
	requireEnv(t)
	s := newStore(t)
	caps := `grep -E '^CapEff:' /proc/self/status | tr -s '\t ' ' '`
	if got := s.sh(t, []string{"--cap-drop", "ALL"}, caps); got != "CapEff: 0000000000000000\n" {
		t.Errorf("--cap-drop ALL: %q", got)
	}
	if got := s.sh(t, []string{"--cap-drop", "ALL", "--cap-add", "net_raw"}, caps); got != "CapEff: 0000000000002000\n" {
		t.Errorf("--cap-drop ALL --cap-add net_raw: %q", got)
	}
	// NET_RAW is in the default set: dropped, a raw socket is refused. (In
	// a network namespace of the container's: the host's belongs to the
	// host's user namespace.)
	if got := s.sh(t, []string{"--network", "none", "--cap-drop", "NET_RAW"}, `probe rawsocket`); got != "EPERM\n" {
		t.Errorf("--cap-drop NET_RAW, raw socket: %q", got)
	}
	if got := s.sh(t, []string{"--network", "none", "--cap-drop", "ALL", "--cap-add", "CAP_NET_RAW"}, `probe rawsocket`); got != "ok\n" {
		t.Errorf("--cap-add NET_RAW, raw socket: %q", got)
	}
	got := s.sh(t, []string{"--cap-drop", "CHOWN"}, `touch /tmp/f && chown 1:1 /tmp/f 2>&1; echo $?`)
	if !strings.Contains(got, "Operation not permitted") || !strings.HasSuffix(got, "1\n") {
		t.Errorf("chown after --cap-drop CHOWN: %q", got)
	}
	if got := s.sh(t, nil, `touch /tmp/f && chown 1:1 /tmp/f && stat -c %u /tmp/f`); got != "1\n" {
		t.Errorf("chown: %q", got)
	}
	r := s.run(t, nil, "run", "--cap-add", "CAP_FLY", env.rootfs, "true")
	if r.code != 125 || !strings.Contains(r.stderr, `--cap-add "CAP_FLY": no such capability`) {
		t.Errorf("an unknown capability: %+v", r)
	}
}
