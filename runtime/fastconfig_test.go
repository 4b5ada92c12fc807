package runtime

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestFastConfigRoundTrip(t *testing.T) {
	for _, cfg := range []*initConfig{
		{Layers: []string{"/l/a"}, Scratch: "/s", Args: []string{"true"}, Cwd: "/", Hostname: "guntainer"},
		{
			Layers: []string{"/l/a", "/l/b:c,d"}, Scratch: "/s/x", Args: []string{"sh", "-c", "", "echo ü"},
			Env: []string{"A=1", "B="}, Cwd: "/w d", User: "app:root", Hostname: "h",
			NetNS: true, ReadOnly: true, Single: true, Debug: true, KeepUpper: true,
		},
		{
			Layers: []string{"/" + strings.Repeat("x", 5000)}, Scratch: "/s", Args: []string{"sh"}, Cwd: "/", Hostname: "h",
			TTY: true, Copied: true, Winsize: &unix.Winsize{Row: 33, Col: 77},
			Mounts: []Mount{{Source: "/a", Target: "/b"}, {Source: "/c:d", Target: "/e f", ReadOnly: true}},
		},
	} {
		b, err := fastConfig(cfg)
		if err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
		got, err := decodeConfig(b)
		if err != nil {
			t.Fatalf("decode %q: %v", b, err)
		}
		if d := cmp.Diff(cfg, got, cmp.AllowUnexported(initConfig{})); d != "" {
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

// decodeConfig decodes the init's configuration as cinit.c's parse_config
// reads it, for the tests of fastConfig.
func decodeConfig(b []byte) (*initConfig, error) {
	cfg := &initConfig{}
	if len(b) == 0 || b[len(b)-1] != 0 {
		return nil, errors.New("decode configuration: truncated")
	}
	strs := strings.Split(string(b[:len(b)-1]), "\x00")
	next := func() string {
		if len(strs) == 0 {
			return ""
		}
		s := strs[0]
		strs = strs[1:]
		return s
	}
	if len(strs) < 14 || next() != fastMagic {
		return nil, errors.New("decode configuration: not one of this gun")
	}
	flags, err := strconv.Atoi(next())
	if err != nil {
		return nil, fmt.Errorf("decode configuration: flags: %w", err)
	}
	cfg.NetNS, cfg.ReadOnly = flags&fastNetNS != 0, flags&fastReadOnly != 0
	cfg.Single, cfg.Debug = flags&fastSingle != 0, flags&fastDebug != 0
	cfg.KeepUpper = flags&fastKeepUpper != 0
	cfg.TTY, cfg.Copied = flags&fastTTY != 0, flags&fastCopied != 0
	cfg.Scratch, cfg.Hostname, cfg.Cwd, cfg.User = next(), next(), next(), next()
	next() // the overlay's options and the default PATH: fastConfig's own
	next()
	rows, err1 := strconv.ParseUint(next(), 10, 16)
	cols, err2 := strconv.ParseUint(next(), 10, 16)
	if err1 != nil || err2 != nil {
		return nil, errors.New("decode configuration: bad window size")
	}
	if rows != 0 || cols != 0 {
		cfg.Winsize = &unix.Winsize{Row: uint16(rows), Col: uint16(cols)}
	}
	var mounts []string
	for _, l := range []*[]string{&cfg.Layers, &cfg.Args, &cfg.Env, &mounts} {
		n, err := strconv.Atoi(next())
		if err != nil || n < 0 || n > len(strs) {
			return nil, errors.New("decode configuration: bad list length")
		}
		*l = append([]string(nil), strs[:n]...)
		strs = strs[n:]
	}
	if len(strs) != 0 {
		return nil, errors.New("decode configuration: trailing data")
	}
	if len(mounts)%3 != 0 {
		return nil, errors.New("decode configuration: bad mount list")
	}
	for i := 0; i < len(mounts); i += 3 {
		cfg.Mounts = append(cfg.Mounts, Mount{Source: mounts[i], Target: mounts[i+1], ReadOnly: mounts[i+2] == "ro"})
	}
	return cfg, nil
}
