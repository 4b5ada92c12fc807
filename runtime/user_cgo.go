//go:build linux && cgo

package runtime

/*
#include <stdlib.h>
#include "user.h"
*/
import "C"

import (
	"errors"
	"strings"
	"unsafe"
)

// ResolveUser resolves spec, USER[:GROUP] with names or numbers, against
// the text of an image's /etc/passwd and /etc/group (nil for a missing
// file) by Docker's rule, runc's user lookup: user.c says it. It is the C
// init's own lookup, so that a build's Workdir and Copy owners agree with
// the user its Exec steps and gun run -u run as.
func ResolveUser(spec string, passwd, group []byte) (User, error) {
	if strings.IndexByte(spec, 0) >= 0 {
		return User{}, errors.New("holds a NUL byte")
	}
	cspec := C.CString(spec)
	defer C.free(unsafe.Pointer(cspec))
	cpasswd, cgroup := cText(passwd), cText(group)
	defer C.free(unsafe.Pointer(cpasswd))
	defer C.free(unsafe.Pointer(cgroup))
	u := new(C.struct_gun_user)
	var msg [256]C.char
	if C.gun_resolve_user(cspec, cpasswd, cgroup, u, &msg[0], C.size_t(len(msg))) != 0 {
		return User{}, errors.New(C.GoString(&msg[0]))
	}
	res := User{UID: int(u.uid), GID: int(u.gid), Home: C.GoString(&u.home[0])}
	for _, g := range u.groups[:u.ngroups] {
		res.Groups = append(res.Groups, int(g))
	}
	return res, nil
}

// cText is a file's text for C: NULL for none; a NUL byte ends it there,
// as it does for the C init, which reads the file as a string.
func cText(b []byte) *C.char {
	if b == nil {
		return nil
	}
	return C.CString(string(b))
}
