package runtime

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/runtime/seccomp"
)

// ociInit is what an OCI bundle's config.json adds to the C init's
// configuration (cinit.h's struct gun_oci, fastconfig.go's order).
type ociInit struct {
	Root        string  // the root file system, a directory
	Domainname  string  // "" for none
	Propagation uintptr // MS_* of the root after pivot_root; 0: private
	UID, GID    uint32
	Umask       *uint32 // the additional gids are initConfig.Groups
	// Preserve is the number of descriptors (runc's --preserve-fds) the
	// process gets at 3...: the init has them after its own (ociFirstFD).
	Preserve int
	// The process's capability sets (bit n: capability n); the bounding
	// set is initConfig.Caps.
	Effective, Permitted, Inheritable, Ambient uint64
	Exec                                       bool // a process of `gun oci exec`: the namespaces joined, no setup
	CgroupNS                                   bool // a new cgroup namespace
	Rlimits                                    []ociRlimit
	Sysctls                                    [][2]string
	Mounts                                     []ociMount
	Devices                                    []specs.LinuxDevice
	Masked, Readonly                           []string
	Namespaces                                 []specs.LinuxNamespace // without the cgroup namespace's new one (CgroupNS)
	// NoProcess: config.json has no process; start fails (the runtime
	// spec's rule), the container is set up all the same.
	NoProcess bool
	// RuntimeHooks: the init stops before pivot_root for gun to run the
	// prestart and createRuntime hooks (ociMsg.Hooks).
	RuntimeHooks bool
	// Hooks are the createContainer and startContainer hooks, which the
	// init runs, each with HookState on its standard input ("" without
	// hooks).
	Hooks     []ociHook
	HookState string
}

// ociHook is a hook the init runs in the container: Kind is its list in
// config.json, createContainer or startContainer; Args has argv[0].
type ociHook struct {
	Kind, Path string
	Timeout    int // seconds; 0: none
	Args, Env  []string
}

type ociRlimit struct {
	Resource   int
	Soft, Hard uint64
}

// ociMount is a mount of config.json as mount(2) takes it: MS_BIND (with
// MS_REC) for a bind, whose Source is then a host path.
type ociMount struct {
	Source, Target, Type string
	Flags, Propagation   uintptr
	Data                 string
}

func (o *ociInit) scalars() []string {
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	umask := uint64(0)
	if o.Umask != nil {
		umask = uint64(*o.Umask)
	}
	return []string{o.Root, o.Domainname, u(uint64(o.Propagation)), u(uint64(o.UID)), u(uint64(o.GID)), u(umask),
		u(o.Effective), u(o.Permitted), u(o.Inheritable), u(o.Ambient), strconv.Itoa(o.Preserve), o.HookState}
}

// lists returns the OCI part's lists in the binary form's order.
func (o *ociInit) lists() [][]string {
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	var rlimits, sysctls, mounts, devices, ns, hooks []string
	for _, r := range o.Rlimits {
		rlimits = append(rlimits, strconv.Itoa(r.Resource), u(r.Soft), u(r.Hard))
	}
	for _, s := range o.Sysctls {
		sysctls = append(sysctls, s[0], s[1])
	}
	for _, m := range o.Mounts {
		mounts = append(mounts, m.Source, m.Target, m.Type, u(uint64(m.Flags)), u(uint64(m.Propagation)), m.Data)
	}
	for _, d := range o.Devices {
		var mode, uid, gid uint64 = 0o666, 0, 0
		if d.FileMode != nil {
			mode = uint64(d.FileMode.Perm())
		}
		if d.UID != nil {
			uid = uint64(*d.UID)
		}
		if d.GID != nil {
			gid = uint64(*d.GID)
		}
		devices = append(devices, d.Path, d.Type, strconv.FormatInt(d.Major, 10), strconv.FormatInt(d.Minor, 10), u(mode), u(uid), u(gid))
	}
	for _, n := range o.Namespaces {
		ns = append(ns, string(n.Type), n.Path)
	}
	for _, h := range o.Hooks {
		hooks = append(hooks, h.Kind, h.Path, strconv.Itoa(h.Timeout), strconv.Itoa(len(h.Args)), strconv.Itoa(len(h.Env)))
		hooks = append(append(hooks, h.Args...), h.Env...)
	}
	return [][]string{rlimits, sysctls, mounts, devices, o.Masked, o.Readonly, ns, hooks}
}

// ociSpec is an OCI bundle's configuration as gun runs it.
type ociSpec struct {
	cfg         *initConfig
	uids, gids  []IDMap // a new user namespace's id maps
	newUserNS   bool
	oomScore    *int
	cgroupsPath string // linux.cgroupsPath
	// For the hooks of create: config.json's, the container's state, and
	// the bundle, their working directory.
	hooks  *specs.Hooks
	state  specs.State
	bundle string
}

// ociConfig translates config.json field by field into the init's
// configuration. A field gun does not carry out is an error that names it.
func ociConfig(s *specs.Spec, bundle string) (*ociSpec, error) {
	if !strings.HasPrefix(s.Version, "1.") {
		return nil, fmt.Errorf("ociVersion %q: gun runs version 1 of the runtime spec", s.Version)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"solaris", s.Solaris != nil}, {"windows", s.Windows != nil}, {"vm", s.VM != nil}, {"zos", s.ZOS != nil},
		{"linux", s.Linux == nil}, {"root", s.Root == nil},
	} {
		if f.set {
			if f.name == "linux" || f.name == "root" {
				return nil, fmt.Errorf("%s: missing", f.name)
			}
			return nil, fmt.Errorf("%s: not supported by gun", f.name)
		}
	}
	o := &ociInit{}
	cfg := &initConfig{OCI: o, Hostname: s.Hostname}
	out := &ociSpec{cfg: cfg}
	if s.Process == nil {
		// Allowed until start (the runtime spec's create): the container
		// is set up, its held process runs nothing (crun's way; runc
		// refuses it at create).
		o.NoProcess, cfg.Cwd = true, "/"
	} else if err := ociProcess(s.Process, cfg, out); err != nil {
		return nil, err
	}
	if err := ociHooks(s.Hooks, o); err != nil {
		return nil, err
	}
	o.Root = s.Root.Path
	if !filepath.IsAbs(o.Root) {
		o.Root = filepath.Join(bundle, o.Root)
	}
	cfg.ReadOnly = s.Root.Readonly
	o.Domainname = s.Domainname
	for i, m := range s.Mounts {
		om, err := ociMountOf(m, bundle)
		if err != nil {
			return nil, fmt.Errorf("mounts[%d] (%s): %w", i, m.Destination, err)
		}
		o.Mounts = append(o.Mounts, om)
	}
	if err := ociLinux(s.Linux, cfg, out); err != nil {
		return nil, err
	}
	if (s.Hostname != "" || s.Domainname != "") && !slices.ContainsFunc(o.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.UTSNamespace }) {
		return nil, errors.New("hostname: needs a uts namespace")
	}
	return out, nil
}

func ociProcess(p *specs.Process, cfg *initConfig, out *ociSpec) error {
	o := cfg.OCI
	switch {
	case len(p.Args) == 0 || p.Args[0] == "":
		return errors.New("process.args: no command")
	case p.CommandLine != "":
		return errors.New("process.commandLine: not supported by gun (Windows)")
	case p.User.Username != "":
		return errors.New("process.user.username: not supported by gun (Windows)")
	case p.ApparmorProfile != "":
		return errors.New("process.apparmorProfile: not supported by gun")
	case p.SelinuxLabel != "":
		return errors.New("process.selinuxLabel: not supported by gun")
	case p.IOPriority != nil:
		return errors.New("process.ioPriority: not supported by gun")
	case p.Scheduler != nil:
		return errors.New("process.scheduler: not supported by gun")
	case p.ExecCPUAffinity != nil:
		return errors.New("process.execCPUAffinity: not supported by gun")
	case !filepath.IsAbs(p.Cwd):
		return fmt.Errorf("process.cwd %q: not an absolute path", p.Cwd)
	}
	cfg.Args, cfg.Env, cfg.Cwd, cfg.TTY = p.Args, p.Env, filepath.Clean(p.Cwd), p.Terminal
	for _, kv := range p.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("process.env: entry %q: want KEY=VALUE", kv)
		}
	}
	if p.ConsoleSize != nil {
		cfg.Winsize = &unix.Winsize{Row: uint16(p.ConsoleSize.Height), Col: uint16(p.ConsoleSize.Width)}
	}
	o.UID, o.GID, o.Umask, cfg.Groups = p.User.UID, p.User.GID, p.User.Umask, p.User.AdditionalGids
	if o.Umask != nil && *o.Umask > 0o777 {
		return fmt.Errorf("process.user.umask %#o: not a umask", *o.Umask)
	}
	if c := p.Capabilities; c != nil {
		for _, set := range []struct {
			name  string
			names []string
			mask  *uint64
		}{
			{"bounding", c.Bounding, &cfg.Caps}, {"effective", c.Effective, &o.Effective}, {"permitted", c.Permitted, &o.Permitted},
			{"inheritable", c.Inheritable, &o.Inheritable}, {"ambient", c.Ambient, &o.Ambient},
		} {
			for _, n := range set.names {
				i := slices.Index(capNames, n)
				if i < 0 {
					return fmt.Errorf("process.capabilities.%s: %q: no such capability", set.name, n)
				}
				*set.mask |= 1 << i
			}
		}
	}
	seen := map[int]bool{}
	for _, r := range p.Rlimits {
		res, ok := rlimits[r.Type]
		if !ok {
			return fmt.Errorf("process.rlimits: %q: no such resource", r.Type)
		}
		if seen[res] {
			return fmt.Errorf("process.rlimits: %s given twice", r.Type)
		}
		seen[res] = true
		o.Rlimits = append(o.Rlimits, ociRlimit{res, r.Soft, r.Hard})
	}
	cfg.NoNewPrivs = p.NoNewPrivileges
	out.oomScore = p.OOMScoreAdj
	return nil
}

var rlimits = map[string]int{
	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_DATA": unix.RLIMIT_DATA,
	"RLIMIT_STACK": unix.RLIMIT_STACK, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK,
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE, "RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
}

// mountFlags are the mount options that are flags of mount(2): set, or
// cleared when clear.
var mountFlags = map[string]struct {
	clear bool
	flag  uintptr
}{
	"async": {true, unix.MS_SYNCHRONOUS}, "atime": {true, unix.MS_NOATIME}, "bind": {false, unix.MS_BIND},
	"defaults": {false, 0}, "dev": {true, unix.MS_NODEV}, "diratime": {true, unix.MS_NODIRATIME},
	"dirsync": {false, unix.MS_DIRSYNC}, "exec": {true, unix.MS_NOEXEC}, "iversion": {false, unix.MS_I_VERSION},
	"lazytime": {false, unix.MS_LAZYTIME}, "loud": {true, unix.MS_SILENT}, "mand": {false, unix.MS_MANDLOCK},
	"noatime": {false, unix.MS_NOATIME}, "nodev": {false, unix.MS_NODEV}, "nodiratime": {false, unix.MS_NODIRATIME},
	"noexec": {false, unix.MS_NOEXEC}, "noiversion": {true, unix.MS_I_VERSION}, "nolazytime": {true, unix.MS_LAZYTIME},
	"nomand": {true, unix.MS_MANDLOCK}, "norelatime": {true, unix.MS_RELATIME}, "nostrictatime": {true, unix.MS_STRICTATIME},
	"nosuid": {false, unix.MS_NOSUID}, "rbind": {false, unix.MS_BIND | unix.MS_REC}, "relatime": {false, unix.MS_RELATIME},
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY}, "silent": {false, unix.MS_SILENT},
	"strictatime": {false, unix.MS_STRICTATIME}, "suid": {true, unix.MS_NOSUID}, "sync": {false, unix.MS_SYNCHRONOUS},
}

var propagations = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
	"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

func ociMountOf(m specs.Mount, bundle string) (ociMount, error) {
	if len(m.UIDMappings)+len(m.GIDMappings) > 0 {
		return ociMount{}, errors.New("uidMappings and gidMappings (id-mapped mounts): not supported by gun")
	}
	om := ociMount{Source: m.Source, Target: filepath.Join("/", m.Destination), Type: m.Type}
	switch m.Type {
	case "bind":
		om.Flags |= unix.MS_BIND
	case "cgroup":
		// A user namespace may not mount cgroup v1 hierarchies: the
		// container's cgroups are bound (ociSpec.cgroups, cgroupView), as
		// rootless runc does.
		om.Source = ""
	}
	var data []string
	for _, opt := range m.Options {
		if f, ok := mountFlags[opt]; ok {
			if f.clear {
				om.Flags &^= f.flag
			} else {
				om.Flags |= f.flag
			}
			continue
		}
		if p, ok := propagations[opt]; ok {
			om.Propagation = p
			continue
		}
		switch opt {
		case "remount", "tmpcopyup", "idmap", "ridmap", "copy-symlink", "rro", "rrw", "rnosuid", "rsuid", "rnodev",
			"rdev", "rnoexec", "rexec", "rnodiratime", "rdiratime", "rrelatime", "rnorelatime", "rnoatime", "ratime",
			"rstrictatime", "rnostrictatime", "nosymfollow", "rnosymfollow", "symfollow", "rsymfollow":
			return ociMount{}, fmt.Errorf("option %q: not supported by gun", opt)
		}
		data = append(data, opt)
	}
	om.Data = strings.Join(data, ",")
	if m.Type == "cgroup" && (om.Flags&unix.MS_BIND != 0 || len(data) > 0) {
		return ociMount{}, errors.New("a cgroup mount takes flags only (it binds the container's cgroups)")
	}
	if om.Flags&unix.MS_BIND != 0 {
		if len(data) > 0 {
			return ociMount{}, fmt.Errorf("option %q: not a bind mount's", data[0])
		}
		if !filepath.IsAbs(om.Source) {
			om.Source = filepath.Join(bundle, om.Source)
		}
	}
	return om, nil
}

var nsTypes = []specs.LinuxNamespaceType{
	specs.PIDNamespace, specs.NetworkNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace,
	specs.UserNamespace, specs.CgroupNamespace, specs.TimeNamespace,
}

func ociLinux(l *specs.Linux, cfg *initConfig, out *ociSpec) error {
	o := cfg.OCI
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"linux.mountLabel", l.MountLabel != ""}, {"linux.intelRdt", l.IntelRdt != nil}, {"linux.personality", l.Personality != nil},
		{"linux.timeOffsets", len(l.TimeOffsets) > 0}, {"linux.memoryPolicy", l.MemoryPolicy != nil},
		{"linux.netDevices", len(l.NetDevices) > 0},
	} {
		if f.set {
			return fmt.Errorf("%s: not supported by gun", f.name)
		}
	}
	if err := ociResources(l); err != nil {
		return err
	}
	if err := ociCgroupsPath(l.CgroupsPath); err != nil {
		return err
	}
	out.cgroupsPath = l.CgroupsPath
	seen := map[specs.LinuxNamespaceType]bool{}
	for _, n := range l.Namespaces {
		if !slices.Contains(nsTypes, n.Type) {
			return fmt.Errorf("linux.namespaces: type %q: no such namespace", n.Type)
		}
		if seen[n.Type] {
			return fmt.Errorf("linux.namespaces: %s given twice", n.Type)
		}
		seen[n.Type] = true
		switch {
		case n.Type == specs.CgroupNamespace && n.Path == "":
			o.CgroupNS = true
		case n.Type == specs.UserNamespace && n.Path == "":
			out.newUserNS = true
			o.Namespaces = append(o.Namespaces, n)
		default:
			o.Namespaces = append(o.Namespaces, n)
		}
		if n.Type == specs.NetworkNamespace && n.Path == "" {
			cfg.NetNS = true
		}
	}
	if !seen[specs.MountNamespace] {
		return errors.New("linux.namespaces: gun needs a mount namespace")
	}
	if out.newUserNS {
		if len(l.UIDMappings) == 0 || len(l.GIDMappings) == 0 {
			return errors.New("linux.uidMappings, linux.gidMappings: a new user namespace needs both")
		}
		for _, m := range l.UIDMappings {
			out.uids = append(out.uids, IDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
		}
		for _, m := range l.GIDMappings {
			out.gids = append(out.gids, IDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
		}
	} else if len(l.UIDMappings)+len(l.GIDMappings) > 0 {
		return errors.New("linux.uidMappings, linux.gidMappings: given without a new user namespace")
	}
	keys := make([]string, 0, len(l.Sysctl))
	for k := range l.Sysctl {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsAny(k, "/") || slices.Contains(strings.Split(k, "."), "..") || strings.Contains(k, "..") {
			return fmt.Errorf("linux.sysctl: %q: not a sysctl", k)
		}
		o.Sysctls = append(o.Sysctls, [2]string{k, l.Sysctl[k]})
	}
	for _, d := range l.Devices {
		if !filepath.IsAbs(d.Path) || filepath.Clean(d.Path) != d.Path || !strings.HasPrefix(d.Path, "/dev/") {
			return fmt.Errorf("linux.devices: %q: not a clean path under /dev", d.Path)
		}
		if len(d.Type) != 1 || !strings.Contains("cbup", d.Type) {
			return fmt.Errorf("linux.devices: %s: type %q", d.Path, d.Type)
		}
	}
	o.Devices = l.Devices
	if l.Seccomp != nil {
		var err error
		if cfg.Seccomp, err = seccomp.Compile(l.Seccomp); err != nil {
			return fmt.Errorf("linux.seccomp: %w", err)
		}
	}
	switch p := l.RootfsPropagation; p {
	case "":
	default:
		f, ok := propagations[p]
		if !ok {
			return fmt.Errorf("linux.rootfsPropagation %q: not a propagation", p)
		}
		o.Propagation = f
	}
	for _, p := range append(slices.Clone(l.MaskedPaths), l.ReadonlyPaths...) {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("linux.maskedPaths, linux.readonlyPaths: %q: not an absolute path", p)
		}
	}
	o.Masked, o.Readonly = l.MaskedPaths, l.ReadonlyPaths
	return nil
}

// ociResources accepts what gun can honour of linux.resources: nothing
// yet, but the device rules a user namespace keeps anyway (denying every
// device: none can be made in it; those of the container are bound).
func ociResources(l *specs.Linux) error {
	r := l.Resources
	if r == nil {
		return nil
	}
	for i, d := range r.Devices {
		if d.Allow {
			continue
		}
		if i != 0 || d.Type != "" && d.Type != "a" || d.Major != nil || d.Minor != nil {
			return fmt.Errorf("linux.resources.devices[%d]: only a first rule that denies every device is supported", i)
		}
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"memory", r.Memory != nil}, {"cpu", r.CPU != nil}, {"pids", r.Pids != nil}, {"blockIO", r.BlockIO != nil},
		{"hugepageLimits", len(r.HugepageLimits) > 0}, {"network", r.Network != nil}, {"rdma", len(r.Rdma) > 0},
		{"unified", len(r.Unified) > 0},
	} {
		if f.set {
			return fmt.Errorf("linux.resources.%s: not supported by gun's OCI runtime", f.name)
		}
	}
	return nil
}

// OCIFeatures is what gun's OCI runtime supports, as `runc features`
// reports it (the runtime spec's features document).
func OCIFeatures() *features.Features {
	yes, no := true, false
	var opts []string
	for o := range mountFlags {
		opts = append(opts, o)
	}
	for o := range propagations {
		opts = append(opts, o)
	}
	slices.Sort(opts)
	ns := make([]string, len(nsTypes))
	for i, t := range nsTypes {
		ns[i] = string(t)
	}
	return &features.Features{
		OCIVersionMin: "1.0.0", OCIVersionMax: specs.Version, Hooks: hookNames(), MountOptions: opts,
		Linux: &features.Linux{
			Namespaces: ns, Capabilities: slices.Clone(capNames),
			Cgroup: &features.Cgroup{V1: &no, V2: &no, Systemd: &no, SystemdUser: &no},
			Seccomp: &features.Seccomp{
				Enabled: &yes, Archs: seccomp.Archs(),
				Actions: []string{string(specs.ActAllow), string(specs.ActErrno), string(specs.ActKill), string(specs.ActKillThread),
					string(specs.ActKillProcess), string(specs.ActTrap), string(specs.ActTrace), string(specs.ActLog)},
				Operators: []string{string(specs.OpEqualTo), string(specs.OpNotEqual), string(specs.OpLessThan), string(specs.OpLessEqual),
					string(specs.OpGreaterThan), string(specs.OpGreaterEqual), string(specs.OpMaskedEqual)},
			},
			Apparmor: &features.Apparmor{Enabled: &no}, Selinux: &features.Selinux{Enabled: &no},
		},
	}
}
