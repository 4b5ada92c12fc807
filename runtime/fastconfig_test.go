package runtime

import (
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
		b := fastConfig(cfg)
		if b == nil {
			t.Fatalf("%+v: not for the C init", cfg)
		}
		if b[0] == '{' {
			t.Fatalf("the binary form starts like JSON: %q", b)
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

func TestFastConfigOnlyForTheCInit(t *testing.T) {
	base := func() *initConfig {
		return &initConfig{Layers: []string{"/l/a"}, Scratch: "/s", Args: []string{"true"}, Cwd: "/", Hostname: "h"}
	}
	for _, tc := range []struct {
		name string
		edit func(*initConfig)
	}{
		{"NUL in an argument", func(c *initConfig) { c.Args = []string{"echo", "a\x00b"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.edit(cfg)
			if b := fastConfig(cfg); b != nil {
				t.Errorf("sent to the C init: %q", b)
			}
		})
	}
}

func TestDecodeConfigRejects(t *testing.T) {
	good := fastConfig(&initConfig{Layers: []string{"/l"}, Scratch: "/s", Args: []string{"true"}, Cwd: "/"})
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)-3]},
		{"no final NUL", good[:len(good)-1]},
		{"another version", append([]byte("gun-cinit-0"), good[len(fastMagic):]...)},
		{"trailing string", append(append([]byte{}, good...), "x\x00"...)},
		{"bad JSON", []byte("{")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if cfg, err := decodeConfig(tc.b); err == nil {
				t.Errorf("decoded %q as %+v", tc.b, cfg)
			}
		})
	}
}
