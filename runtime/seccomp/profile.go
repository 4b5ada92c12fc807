package seccomp

//go:generate go run ../../hack/mkseccomp syscalls amd64 arm64
//go:generate go run ../../hack/mkseccomp default

import (
	"fmt"
	"slices"

	profiles "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// DefaultCaps are the capabilities a container has unless told otherwise,
// Docker's.
var DefaultCaps = []string{
	"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_MKNOD",
	"CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
}

// DefaultProfile returns Docker's default profile for a container whose
// bounding set holds caps (some calls are allowed with CAP_SYS_ADMIN, for
// instance).
func DefaultProfile(caps []string) (*specs.LinuxSeccomp, error) {
	p, err := profiles.GetDefaultProfile(capSpec(caps))
	if err != nil {
		return nil, fmt.Errorf("seccomp: default profile: %w", err)
	}
	return p, nil
}

// Default returns the program of Docker's default profile for caps; that
// of DefaultCaps is compiled by go generate (hack/mkseccomp).
func Default(caps []string) ([]bpf.RawInstruction, error) {
	if defaultProgram != nil && sameCaps(caps, DefaultCaps) {
		return defaultProgram, nil
	}
	p, err := DefaultProfile(caps)
	if err != nil {
		return nil, err
	}
	return Compile(p)
}

// LoadProfile reads a profile in Docker's JSON format for a container
// whose bounding set holds caps; nil when it has no default action nor
// syscalls (unconfined, as Docker reads it).
func LoadProfile(body []byte, caps []string) (*specs.LinuxSeccomp, error) {
	return profiles.LoadProfile(string(body), capSpec(caps))
}

// Load compiles a profile in Docker's JSON format for a container whose
// bounding set holds caps.
func Load(body []byte, caps []string) ([]bpf.RawInstruction, error) {
	p, err := LoadProfile(body, caps)
	if err != nil || p == nil {
		return nil, err
	}
	return Compile(p)
}

func capSpec(caps []string) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
}

func sameCaps(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
