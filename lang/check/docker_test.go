package check

import "testing"

// TestParseSize checks the one size grammar (Docker's --memory, go-units'
// RAMInBytes) that Tmpfs Size and gun run --memory share.
func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20},
		{"64m", 64 << 20},
		{"512MB", 512 << 20},
		{"512MiB", 512 << 20},
		{"512 m", 512 << 20},
		{"2g", 2 << 30},
		{"1t", 1 << 40},
		{"1p", 1 << 50},
		{"1.5k", 1536},
		{"64b", 64},
		{"64K", 64 << 10},
		{"", 0},
		{"0", 0},
		{"0.1", 0},
		{"-1m", 0},
		{"m", 0},
		{".5m", 0},
		{"5.m", 0},
		{"1.2.3m", 0},
		{"64x", 0},
		{"64mm", 0},
		{"64  m", 0},
		{" 64m", 0},
		{"lots", 0},
		{"9999999p", 0},
	} {
		got, err := ParseSize(tc.in)
		if tc.want == 0 && err == nil || tc.want != 0 && (err != nil || got != tc.want) {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}
