package guntar

import "io/fs"

// PermBits returns m's permission bits with setuid, setgid and sticky in
// their Unix positions (07777), as a tar header's Mode holds them.
func PermBits(m fs.FileMode) int64 {
	u := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}
