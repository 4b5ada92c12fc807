package runtime

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gun-tools/gun/runtime/seccomp"
)

// capNames are the capabilities by number (linux/capability.h).
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
	"CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
	"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// allCaps keeps every capability the kernel has, those newer than capNames
// too.
const allCaps = ^uint64(0)

// capabilities returns the bounding set of a container, as a mask and by
// name, as Docker computes it: the default set (seccomp.DefaultCaps), or
// all of them when add holds ALL or privileged is set, or none when drop
// holds ALL; less drop, plus add. Names are those of capNames, with or
// without CAP_, in any case.
func capabilities(add, drop []string, privileged bool) (uint64, []string, error) {
	canon := func(what string, names []string) ([]string, bool, error) {
		var out []string
		all := false
		for _, n := range names {
			u := strings.ToUpper(n)
			if u == "ALL" {
				all = true
				continue
			}
			if !strings.HasPrefix(u, "CAP_") {
				u = "CAP_" + u
			}
			if !slices.Contains(capNames, u) {
				return nil, false, fmt.Errorf("%s %q: no such capability", what, n)
			}
			out = append(out, u)
		}
		return out, all, nil
	}
	adds, addAll, err := canon("--cap-add", add)
	if err != nil {
		return 0, nil, err
	}
	drops, dropAll, err := canon("--cap-drop", drop)
	if err != nil {
		return 0, nil, err
	}
	var mask uint64
	switch {
	case privileged || addAll:
		mask = allCaps
	case !dropAll:
		for _, c := range seccomp.DefaultCaps {
			mask |= 1 << slices.Index(capNames, c)
		}
	}
	if !privileged {
		for _, c := range drops {
			mask &^= 1 << slices.Index(capNames, c)
		}
		for _, c := range adds {
			mask |= 1 << slices.Index(capNames, c)
		}
	}
	var names []string
	for i, c := range capNames {
		if mask&(1<<i) != 0 {
			names = append(names, c)
		}
	}
	return mask, names, nil
}

// security sets the command's capabilities, seccomp filter and masked
// paths in cfg as spec says.
func security(spec *Spec, cfg *initConfig) error {
	caps, names, err := capabilities(spec.CapAdd, spec.CapDrop, spec.Privileged)
	if err != nil {
		return err
	}
	cfg.Caps, cfg.Unmasked, cfg.NoNewPrivs = caps, spec.Privileged, true
	switch {
	case spec.Privileged || spec.Unconfined:
	case spec.SeccompProfile != "":
		b, err := os.ReadFile(spec.SeccompProfile)
		if err != nil {
			return fmt.Errorf("seccomp profile: %w", err)
		}
		if cfg.Seccomp, err = seccomp.Load(b, names); err != nil {
			return fmt.Errorf("seccomp profile %s: %w", spec.SeccompProfile, err)
		}
	default:
		if cfg.Seccomp, err = seccomp.Default(names); err != nil {
			return err
		}
	}
	return nil
}
