package runtime

import (
	"slices"
	"strings"
	"testing"
)

func TestParsePort(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Port
		err  string
	}{
		{"8080:80", Port{"", 8080, 80, "tcp"}, ""},
		{"127.0.0.1:8080:80/udp", Port{"127.0.0.1", 8080, 80, "udp"}, ""},
		{"[::1]:8080:80/tcp", Port{"::1", 8080, 80, "tcp"}, ""},
		{"80", Port{}, "want [IP:]HOST:CONTAINER"},
		{"8080:80/sctp", Port{}, `protocol "sctp": want tcp or udp`},
		{"host:8080:80", Port{}, `host address "host": not an IP address`},
		{"0:80", Port{}, "host port"},
		{"8080:70000", Port{}, "container port"},
		{"[::1]:8080:80", Port{"::1", 8080, 80, "tcp"}, ""},
		{"[127.0.0.1]:8080:80", Port{"127.0.0.1", 8080, 80, "tcp"}, ""},
		{"::1:8080:80", Port{}, `host address "::1": write an IPv6 address in brackets: [::1]:8080:80`},
		{"fe80::1:8080:80/udp", Port{}, "[fe80::1]:8080:80"},
		{"[::1:8080:80", Port{}, "want [IPv6]:HOST:CONTAINER"},
		{"[::1]8080:80", Port{}, "want [IPv6]:HOST:CONTAINER"},
		{"[::1]:80", Port{}, "want [IPv6]:HOST:CONTAINER"},
		{"::1]:8080:80", Port{}, "in brackets"},
		{"[::1]::80", Port{}, "host port"},
	} {
		got, err := ParsePort(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParsePort(%q): error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParsePort(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	if s := (Port{"::1", 8080, 80, "udp"}).String(); s != "[::1]:8080:80/udp" {
		t.Errorf("String: %q", s)
	}
}

func TestParseHost(t *testing.T) {
	if h, err := ParseHost("db:192.0.2.7"); err != nil || h != (Host{"db", "192.0.2.7"}) {
		t.Errorf("ParseHost: %+v, %v", h, err)
	}
	if h, err := ParseHost("db6:[2001:db8::1]"); err != nil || h != (Host{"db6", "2001:db8::1"}) {
		t.Errorf("ParseHost v6: %+v, %v", h, err)
	}
	for _, bad := range []string{"db", ":192.0.2.7", "db:name"} {
		if _, err := ParseHost(bad); err == nil {
			t.Errorf("ParseHost(%q): no error", bad)
		}
	}
}

func TestCheckPorts(t *testing.T) {
	ports := []Port{{HostPort: 1, ContainerPort: 1, Proto: "tcp"}}
	if err := PrivateNetwork.CheckPorts(ports); err != nil {
		t.Error(err)
	}
	if err := NoNetwork.CheckPorts(ports); err == nil || err.Error() != "network none: published ports need network private" {
		t.Errorf("none: %v", err)
	}
	if err := HostNetwork.CheckPorts(nil); err != nil {
		t.Error(err)
	}
}

func TestPastaArgs(t *testing.T) {
	got := pastaArgs([]Port{{"127.0.0.1", 8080, 80, "tcp"}, {"", 5353, 53, "udp"}, {"::1", 8443, 443, "tcp"}}, "/s/pasta.pid", 42)
	want := []string{"--config-net", "--quiet", "--no-map-gw", "-T", "none", "-U", "none", "--dns-forward", "169.254.1.1",
		"-P", "/s/pasta.pid", "-t", "127.0.0.1/8080:80", "-t", "::1/8443:443", "-u", "5353:53", "42"}
	if !slices.Equal(got, want) {
		t.Errorf("pastaArgs:\n got %q\nwant %q", got, want)
	}
	if got := pastaArgs(nil, "p", 1); !slices.Equal(got[len(got)-5:], []string{"-t", "none", "-u", "none", "1"}) {
		t.Errorf("no ports: %q", got)
	}
}

func TestResolvConf(t *testing.T) {
	host := []byte("nameserver 10.0.0.53\nsearch example.org\noptions ndots:2\n")
	if got := string(resolvConf(host, HostNetwork, nil)); got != string(host) {
		t.Errorf("host: %q", got)
	}
	if got := string(resolvConf(host, PrivateNetwork, nil)); got != "nameserver 169.254.1.1\nsearch example.org\noptions ndots:2\n" {
		t.Errorf("private: %q", got)
	}
	if got := string(resolvConf(host, NoNetwork, []string{"192.0.2.1", "192.0.2.2"})); got != "nameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch example.org\noptions ndots:2\n" {
		t.Errorf("--dns: %q", got)
	}
}
func TestParseNetwork(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Network
		err  string
	}{
		{"host", HostNetwork, ""},
		{"none", NoNetwork, ""},
		{"private", PrivateNetwork, ""},
		{"", HostNetwork, `network "": want host, none or private`},
		{"bridge", HostNetwork, `network "bridge": want host, none or private`},
	} {
		got, err := ParseNetwork(tc.name)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseNetwork(%q): %v, %v; want error %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want || got.String() != tc.name {
			t.Errorf("ParseNetwork(%q) = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
