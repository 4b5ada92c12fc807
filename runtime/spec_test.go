package runtime

import "testing"

func TestParseNetwork(t *testing.T) {
	for _, tc := range []struct {
		name string
		want Network
		err  string
	}{
		{"host", HostNetwork, ""},
		{"none", NoNetwork, ""},
		{"", HostNetwork, `network "": want host or none`},
		{"bridge", HostNetwork, `network "bridge": want host or none`},
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
