package runtime

import (
	"bytes"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

func TestFastConfigRoundTrip(t *testing.T) {
	for _, cfg := range []*initConfig{
		{Layers: []string{"/l/a"}, Scratch: "/s", Args: []string{"true"}, Cwd: "/", Hostname: "guntainer"},
		{
			Layers: []string{"/l/a", "/l/b:c,d"}, Scratch: "/s/x", Args: []string{"sh", "-c", "", "echo ü"},
			Env: []string{"A=1", "B="}, Cwd: "/w d", User: "app:root", Hostname: "h",
			NetNS: true, ReadOnly: true, Single: true, Debug: true, KeepUpper: true, Unmasked: true, NoNewPrivs: true,
			Caps: allCaps, Seccomp: []bpf.RawInstruction{{Op: 0x20, K: 4}, {Op: 0x15, Jt: 1, Jf: 2, K: 0xc000003e}, {Op: 6, K: 0x7fff0000}},
			Groups: []uint32{0, 5, 4294967294},
		},
		{
			Layers: []string{"/" + strings.Repeat("x", 5000)}, Scratch: "/s", Args: []string{"sh"}, Cwd: "/", Hostname: "h",
			TTY: true, Copied: true, Winsize: &unix.Winsize{Row: 33, Col: 77},
			Mounts: []Mount{{Source: "/a", Target: "/b"}, {Source: "/c:d", Target: "/e f", ReadOnly: true},
				{Target: "/t", Tmpfs: true, Size: 64 << 20, Mode: 0o1777}, {Target: "/u", Tmpfs: true, Mode: 0o700}},
		},
		{
			Args: []string{"sh"}, Cwd: "/", Hostname: "h", TTY: true, Caps: 0x420, NoNewPrivs: true, Groups: []uint32{5, 6},
			OCI: &ociInit{
				Root: "/bundle/rootfs", Domainname: "d", Propagation: unix.MS_SLAVE | unix.MS_REC, UID: 1000, GID: 100,
				Umask: new(uint32(0o22)), Preserve: 2, Effective: 0x20, Permitted: 0x420, Inheritable: 1, Ambient: 0x20,
				CgroupNS: true, Rlimits: []ociRlimit{{unix.RLIMIT_NOFILE, 512, 1024}},
				Sysctls: [][2]string{{"net.ipv4.ip_forward", "1"}},
				Mounts:  []ociMount{{"proc", "/proc", "proc", unix.MS_NOSUID, 0, ""}, {"/s", "/t", "", unix.MS_BIND | unix.MS_REC, unix.MS_PRIVATE, ""}},
				Devices: []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: new(fs.FileMode(0o666)), UID: new(uint32(0)), GID: new(uint32(0))}},
				Masked:  []string{"/proc/kcore"}, Readonly: []string{"/proc/sys"},
				Namespaces:   []specs.LinuxNamespace{{Type: specs.UserNamespace}, {Type: specs.NetworkNamespace, Path: "/proc/1/ns/net"}},
				RuntimeHooks: true, HookState: `{"ociVersion":"1.3.0","id":"c"}`,
				Hooks: []ociHook{{Kind: "createContainer", Path: "/bin/sh", Timeout: 3, Args: []string{"sh", "-c", "x"}, Env: []string{"A=1"}},
					{Kind: "startContainer", Path: "/h", Args: []string{"h"}}},
			},
		},
		{Cwd: "/", OCI: &ociInit{Root: "/r", NoProcess: true}},
	} {
		b, err := fastConfig(cfg)
		if err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
		got, err := cParseConfig(b, configRun, "")
		if err != nil {
			t.Fatalf("C parse of %q: %v", b, err)
		}
		if d := cmp.Diff(cfg, &got.cfg); d != "" {
			t.Errorf("round trip (-want +got):\n%s", d)
		}
	}
}

func TestFastConfigRefusesNUL(t *testing.T) {
	cfg := &initConfig{Layers: []string{"/l/a"}, Scratch: "/s", Args: []string{"echo", "a\x00b"}, Cwd: "/", Hostname: "h"}
	if b, err := fastConfig(cfg); err == nil {
		t.Errorf("encoded an argument with a NUL byte: %q", b)
	}
}

func TestParseConfigErrors(t *testing.T) {
	good := &initConfig{Layers: []string{"/l"}, Scratch: "/s", Args: []string{"true"}, Cwd: "/", Hostname: "h"}
	b, err := fastConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "init: truncated configuration"},
		{"another gun", []byte("gun-cinit-1\x00"), "init: configuration of another version of gun"},
		{"truncated", b[:len(b)-1], "init: truncated configuration"},
		{"trailing", append(slices.Clip(b), 'x', 0), "init: malformed configuration"},
		{"flags", []byte(fastMagic + "\x0032768\x00"), "init: bad number 32768 in the configuration"},
		{"group", slices.Concat(b[:len(b)-2], []byte("1\x00-5\x00")), "init: bad group -5 in the configuration"},
		{"exec", b, "init: malformed configuration"},
		{"list", []byte(fastMagic + "\x000\x00/s\x00h\x00/\x00\x00\x00\x000\x000\x000\x00\x009999\x00"), "init: truncated configuration"},
		{"caps", []byte(fastMagic + "\x000\x00/s\x00h\x00/\x00\x00\x00\x000\x000\x00-1\x00"), "init: bad number -1 in the configuration"},
		{"filter", []byte(fastMagic + "\x000\x00/s\x00h\x00/\x00\x00\x00\x000\x000\x000\x00abc\x00"), "init: bad seccomp filter in the configuration"},
		{"filter hex", []byte(fastMagic + "\x000\x00/s\x00h\x00/\x00\x00\x00\x000\x000\x000\x0020000000040000zz\x00"), "init: bad seccomp filter in the configuration"},
	} {
		kind := configRun
		if tc.name == "exec" {
			kind = configExec // with layers and a scratch directory
		}
		if _, err := cParseConfig(tc.b, kind, ""); err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// Hooks the init cannot run: no argv[0], another kind, no state.
	for _, h := range []struct {
		hook  ociHook
		state string
	}{
		{ociHook{Kind: "createContainer", Path: "/h"}, "{}x"},
		{ociHook{Kind: "poststop", Path: "/h", Args: []string{"h"}}, "{}x"},
		{ociHook{Kind: "startContainer", Path: "h", Args: []string{"h"}}, "{}x"},
		{ociHook{Kind: "startContainer", Path: "/h", Args: []string{"h"}}, ""},
	} {
		cfg := &initConfig{Args: []string{"true"}, Cwd: "/", OCI: &ociInit{Root: "/r", Hooks: []ociHook{h.hook}, HookState: h.state}}
		b, err := fastConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cParseConfig(b, configRun, ""); err == nil || err.Error() != "init: malformed hooks in the configuration" {
			t.Errorf("hook %+v, state %q: %v", h.hook, h.state, err)
		}
	}
	// A plan's configuration has no command, and its scratch directory's
	// stand-in.
	if _, err := cParseConfig(b, configPlan, ""); err == nil {
		t.Error("a plan's configuration with a command")
	}
}

// FuzzParseConfig drives the C init's parser of its configuration
// (cinit.c's gun_parse_config) with raw bytes, as a plan's or not, and
// checks the round trip of what fastConfig writes: the C init reads the
// fields Go meant, and gun's word on a plan (verdict) brings the command.
// kind is a configKind: a container's, a plan's or an exec's.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(nil), uint8(configRun), uint16(0), "/s", "h", "/", "", "/l/a", "true", "A=1", "", "", uint16(0), uint16(0))
	f.Add([]byte(fastMagic+"\x00"), uint8(configPlan), uint16(127), "/s,x", "guntainer", "/w d", "app:root", "/l/a\n/l/b:c,d", "sh\n-c\n\necho ü",
		"A=1\nB=", "/a\t/b\tro\n/c\t/d\trw\nxxx\ttmpfs\t/t\n\ttmpfs\t/u", "0\n27", uint16(33), uint16(77))
	f.Add([]byte(fastMagic+"\x00"+"1\x00/s\x00h\x00/\x00\x00\x00\x00\x000\x000\x001\x00/l\x001\x00a\x000\x000\x000\x00"), uint8(configRun), uint16(3),
		"s", "", "w", "", "", "", "", "/a\t/b", "", uint16(1), uint16(0))
	f.Add([]byte(nil), uint8(configExec), uint16(fastTTY|fastNoNewPrivs|fastSingle), "", "", "/w", "app", "", "sh", "A=1", "", "4\n5", uint16(0), uint16(0))
	if b, err := fastConfig(&initConfig{Layers: []string{"/l"}, Scratch: planScratch, Cwd: "/", Hostname: "h"}); err == nil {
		f.Add(b, uint8(configPlan), uint16(4), planScratch, "h", "/", "1000", "/l", "", "", "", "", uint16(0), uint16(0))
	}
	if b, err := fastConfig(&initConfig{Args: []string{"sh"}, Cwd: "/", OCI: &ociInit{Root: "/r", RuntimeHooks: true, HookState: `{"id":"c"}`,
		Hooks: []ociHook{{Kind: "createContainer", Path: "/h", Timeout: 2, Args: []string{"h", "a"}, Env: []string{"A=1"}}, {Kind: "startContainer", Path: "/s", Args: []string{"s"}}}}}); err == nil {
		f.Add(b, uint8(configRun), uint16(0), "", "", "/", "", "", "", "", "", "", uint16(0), uint16(0))
	}
	if b, err := fastConfig(&initConfig{Cwd: "/", OCI: &ociInit{Root: "/r", NoProcess: true}}); err == nil {
		f.Add(b, uint8(configRun), uint16(0), "", "", "/", "", "", "", "", "", "", uint16(0), uint16(0))
	}
	f.Fuzz(func(t *testing.T, raw []byte, kindN uint8, flags uint16, scratch, hostname, cwd, user, layers, args, env, mounts, groups string,
		rows, cols uint16) {
		kind := configKind(kindN % 3)
		planned, exec := kind == configPlan, kind == configExec
		// Anything: a configuration, or an error, never a crash. An OCI
		// container's has no layers, and no command without process.
		if p, err := cParseConfig(raw, kind, ""); err == nil {
			oci, noProc := p.cfg.OCI != nil, p.cfg.OCI != nil && p.cfg.OCI.NoProcess
			if (len(p.cfg.Layers) == 0) != (exec || oci) || (len(p.cfg.Args) == 0) != (planned || noProc) {
				t.Fatalf("%q parsed as %+v", raw, p.cfg)
			}
			for i := 0; oci && i < len(p.cfg.OCI.Hooks); i++ {
				if h := p.cfg.OCI.Hooks[i]; len(h.Args) == 0 || !strings.HasPrefix(h.Path, "/") {
					t.Fatalf("%q parsed with hook %+v", raw, h)
				}
			}
		}
		cfg := &initConfig{Scratch: scratch, Hostname: hostname, Cwd: cwd, User: user,
			Layers: lines(layers), Args: lines(args), Env: lines(env)}
		for _, g := range lines(groups) {
			n, err := strconv.ParseUint(g, 10, 32)
			if err != nil || n == math.MaxUint32 {
				return
			}
			cfg.Groups = append(cfg.Groups, uint32(n))
		}
		for i, f := range configFlags(cfg) {
			*f.field = flags&(1<<i) != 0
		}
		if rows != 0 || cols != 0 {
			cfg.Winsize = &unix.Winsize{Row: rows, Col: cols}
		}
		for _, m := range lines(mounts) {
			f := strings.Split(m, "\t")
			if len(f) > 2 && f[1] == "tmpfs" {
				cfg.Mounts = append(cfg.Mounts, Mount{Target: f[len(f)-1], Tmpfs: true, Size: int64(len(f[0])) - 1, Mode: uint32(len(f[0])) * 0o1001 & 0o7777})
				continue
			}
			cfg.Mounts = append(cfg.Mounts, Mount{Source: f[0], Target: f[len(f)-1], ReadOnly: len(f) > 2 && f[1] == "ro"})
		}
		b, err := fastConfig(cfg)
		if err != nil {
			return // a NUL byte
		}
		got, err := cParseConfig(b, kind, "")
		valid := strings.HasPrefix(cfg.Scratch, "/") || (planned && cfg.Scratch == planScratch)
		valid = valid && strings.HasPrefix(cfg.Cwd, "/") && len(cfg.Layers) > 0 && (len(cfg.Args) == 0) == planned
		valid = valid && !(planned && (cfg.TTY || cfg.Copied))
		if exec {
			valid = cfg.Scratch == "" && strings.HasPrefix(cfg.Cwd, "/") && len(cfg.Layers) == 0 && len(cfg.Args) > 0 &&
				len(cfg.Mounts) == 0 && !cfg.NetNS && !cfg.ReadOnly && !cfg.Copied && !cfg.KeepUpper && !cfg.Unmasked
		}
		for _, m := range cfg.Mounts {
			valid = valid && (strings.HasPrefix(m.Source, "/") || m.Tmpfs && m.Size >= 0) && strings.HasPrefix(m.Target, "/")
		}
		if !valid {
			if err == nil {
				t.Fatalf("the C init took %+v", cfg)
			}
			return
		}
		if err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
		if d := cmp.Diff(cfg, &got.cfg); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
		upper, work := filepath.Join(cfg.Scratch, scratchUpper), filepath.Join(cfg.Scratch, scratchWork)
		want := ""
		if !exec {
			want = overlayOptions(cfg.Layers, upper, work, cfg.KeepUpper)
		}
		if got.overlay != want || got.path != DefaultPath {
			t.Fatalf("overlay %q, PATH %q; want %q, %q", got.overlay, got.path, want, DefaultPath)
		}
		if len(cfg.Args) > 0 {
			w, ok := verdict(cfg.Args)
			if !ok {
				return
			}
			args, ok, err := cParseVerdict(w)
			if !ok || err != nil || !slices.Equal(args, cfg.Args) {
				t.Fatalf("verdict %q: %q, %v, %v", w, args, ok, err)
			}
		}
	})
}

// FuzzParseVerdict drives the C init's parser of gun's word on a plan.
func FuzzParseVerdict(f *testing.F) {
	for _, args := range [][]string{{"true"}, {"sh", "-c", "", "echo ü"}} {
		w, _ := verdict(args)
		f.Add(w)
	}
	f.Add([]byte(verdictMagic + "\x00"))
	f.Add([]byte(verdictMagic + "\x001\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		args, ok, err := cParseVerdict(b)
		if ok && err == nil && len(args) == 0 {
			t.Fatalf("%q: no command", b)
		}
		if !ok && bytes.HasPrefix(b, []byte(verdictMagic+"\x00")) && len(b) > len(verdictMagic)+1 {
			t.Fatalf("%q: not taken as gun's word", b)
		}
	})
}

// lines splits s at newlines; "" has none.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
