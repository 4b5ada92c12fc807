package runtime

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// The container's init (cinit.c, run by the constructor (entry.c) in the
// container's pid 1) is C: it sets the container up without starting Go.
// gun sends it its configuration in a binary form, NUL-terminated strings
// in this order:
//
//	fastMagic
//	flags (decimal: fastNetNS|fastReadOnly|fastSingle|fastDebug|fastTTY|fastCopied|fastKeepUpper|fastUnmasked|fastNoNewPrivs)
//	Scratch, Hostname, Cwd, User
//	the overlay's mount options (overlayOptions; "" when they do not fit
//	a page: the C init then takes the layers one at a time; "" for an exec)
//	the default PATH
//	the outer terminal's rows and columns (decimal; 0 0 for none)
//	the bounding set (Caps, decimal)
//	the seccomp filter (Seccomp, its struct sock_filter array in hex; "" for none)
//	len(Layers), Layers...
//	len(Args), Args...
//	len(Env), Env...
//	3*len(Mounts), then Source, Target, "ro" or "rw" of each
//	len(Groups), Groups... (decimal)
//
// An exec's configuration (Exec) has no Scratch, Layers or Mounts.
//
// and, with fastOCI, the OCI container's part (ociInit, cinit.h's struct
// gun_oci): Root, Domainname, Propagation, UID, GID, Umask, Effective,
// Permitted, Inheritable, Ambient, Preserve, HookState, then the lists
// Rlimits (3 strings each), Sysctls (2), Mounts (6), Devices (7), Masked,
// Readonly, Namespaces (2) and Hooks (Kind, Path, Timeout, len(Args),
// len(Env), Args..., Env... each), each as its number of strings and the
// strings.
const fastMagic = "gun-cinit-6"

// Flags of the binary configuration; cinit.c has the same.
const (
	fastNetNS = 1 << iota
	fastReadOnly
	fastSingle
	fastDebug
	fastTTY        // a pty for the command, its master passed to gun
	fastCopied     // the root is <Scratch>/root, the layers copied (the kernel refused the overlay)
	fastKeepUpper  // cfg.KeepUpper
	fastUnmasked   // cfg.Unmasked
	fastNoNewPrivs // cfg.NoNewPrivs
	fastOCI        // cfg.OCI
	fastUmask      // cfg.OCI.Umask is set
	fastCgroupNS   // cfg.OCI.CgroupNS
	fastExec       // cfg.OCI.Exec
	fastHooks      // cfg.OCI.RuntimeHooks
	fastNoProcess  // cfg.OCI.NoProcess
)

// fastConfig returns cfg in the init's binary form.
func fastConfig(cfg *initConfig) ([]byte, error) {
	overlay := ""
	if len(cfg.Layers) > 0 {
		overlay = overlayOptions(cfg.Layers, filepath.Join(cfg.Scratch, scratchUpper), filepath.Join(cfg.Scratch, scratchWork), cfg.KeepUpper)
	}
	flags := 0
	for _, f := range configFlags(cfg) {
		if *f.field {
			flags |= f.flag
		}
	}
	if o := cfg.OCI; o != nil {
		flags |= fastOCI
		for _, f := range []struct {
			on   bool
			flag int
		}{{o.Umask != nil, fastUmask}, {o.CgroupNS, fastCgroupNS}, {o.Exec, fastExec}, {o.RuntimeHooks, fastHooks}, {o.NoProcess, fastNoProcess}} {
			if f.on {
				flags |= f.flag
			}
		}
	}
	var rows, cols uint16
	if cfg.Winsize != nil {
		rows, cols = cfg.Winsize.Row, cfg.Winsize.Col
	}
	strs := []string{fastMagic, strconv.Itoa(flags), cfg.Scratch, cfg.Hostname, cfg.Cwd, cfg.User, overlay, DefaultPath,
		strconv.Itoa(int(rows)), strconv.Itoa(int(cols)), strconv.FormatUint(cfg.Caps, 10), filterHex(cfg.Seccomp)}
	mounts := make([]string, 0, 3*len(cfg.Mounts))
	for _, m := range cfg.Mounts {
		switch {
		case m.Tmpfs:
			mounts = append(mounts, strconv.FormatInt(m.Size, 10)+":"+strconv.FormatUint(uint64(m.Mode), 8), m.Target, "tmpfs")
		case m.ReadOnly:
			mounts = append(mounts, m.Source, m.Target, "ro")
		default:
			mounts = append(mounts, m.Source, m.Target, "rw")
		}
	}
	groups := make([]string, len(cfg.Groups))
	for i, g := range cfg.Groups {
		groups[i] = strconv.FormatUint(uint64(g), 10)
	}
	lists := [][]string{cfg.Layers, cfg.Args, cfg.Env, mounts, groups}
	if o := cfg.OCI; o != nil {
		lists = append(lists, o.lists()...)
	}
	for i, l := range lists {
		if i == 5 {
			strs = append(strs, cfg.OCI.scalars()...)
		}
		strs = append(strs, strconv.Itoa(len(l)))
		strs = append(strs, l...)
	}
	b, ok := appendStrings(nil, strs...)
	if !ok {
		return nil, errors.New("container config: an argument, variable, path or name holds a NUL byte")
	}
	return b, nil
}

// configFlags pairs each flag of the binary configuration with its field
// of cfg.
func configFlags(cfg *initConfig) []struct {
	field *bool
	flag  int
} {
	return []struct {
		field *bool
		flag  int
	}{
		{&cfg.NetNS, fastNetNS}, {&cfg.ReadOnly, fastReadOnly}, {&cfg.Single, fastSingle}, {&cfg.Debug, fastDebug},
		{&cfg.TTY, fastTTY}, {&cfg.Copied, fastCopied}, {&cfg.KeepUpper, fastKeepUpper}, {&cfg.Unmasked, fastUnmasked},
		{&cfg.NoNewPrivs, fastNoNewPrivs},
	}
}

// filterHex returns prog as the kernel's struct sock_filter array (in the
// machine's byte order), in hex.
func filterHex(prog []bpf.RawInstruction) string {
	b := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		b = binary.NativeEndian.AppendUint16(b, in.Op)
		b = append(b, in.Jt, in.Jf)
		b = binary.NativeEndian.AppendUint32(b, in.K)
	}
	return hex.EncodeToString(b)
}

// overlayOptions returns the overlay mount data for the layers (bottom
// first), or "" when it does not fit the page that mount(2) takes (the
// init then gives the layers one at a time: "lowerdir+"). A volatile
// overlay ignores fsync and syncfs (Linux 5.10): a build step's (keepUpper)
// changes live until gun packs them into a layer, which is synced, and a
// step cut by a crash runs again, so dpkg's and others' syncs of every
// file need not wait for the disk.
func overlayOptions(layers []string, upper, work string, keepUpper bool) string {
	lower := make([]string, len(layers))
	for i, l := range layers {
		lower[len(layers)-1-i] = escapeOverlay(l)
	}
	data := "lowerdir=" + strings.Join(lower, ":") + ",upperdir=" + escapeOverlay(upper) + ",workdir=" + escapeOverlay(work) + ",userxattr"
	if keepUpper {
		data += ",volatile"
	}
	if len(data) >= unix.Getpagesize() {
		return ""
	}
	return data
}

// escapeOverlay escapes the characters overlayfs treats specially in paths.
func escapeOverlay(p string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`, `,`, `\,`).Replace(p)
}

// appendStrings appends strs to b, each NUL-terminated, the form of the C
// init's configuration, plans and gun's word to a planned init. ok is false
// when one of them holds a NUL.
func appendStrings(b []byte, strs ...string) (_ []byte, ok bool) {
	for _, s := range strs {
		if strings.IndexByte(s, 0) >= 0 {
			return b, false
		}
		b = append(append(b, s...), 0)
	}
	return b, true
}
