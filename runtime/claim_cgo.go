//go:build linux && cgo

package runtime

/*
#include <stdlib.h>
#include "claim.h"
*/
import "C"

import (
	"errors"
	"slices"
	"strings"
	"unsafe"
)

// claim.c through cgo, for the runtime's tests, which cannot use cgo.

// cClaimed is a container that claim.c recorded.
type cClaimed struct {
	ID, Name string
	ctr      *C.struct_gun_ctr
	free     []unsafe.Pointer
}

// cClaim records a container as claim.c does for a detached run that
// starts from a plan whose fast section has cl: named name (generated when
// ""), with --rm when rm, its command args, its scratch directory scratch;
// then, when running, its command running.
func cClaim(cl Claim, name string, rm bool, args []string, scratch string, running bool) (*cClaimed, error) {
	r := &cClaimed{}
	str := func(s string) *C.char {
		p := C.CString(s)
		r.free = append(r.free, unsafe.Pointer(p))
		return p
	}
	bytes := func(strs []string) *C.char {
		b := C.CBytes([]byte(strings.Join(strs, "\x00") + "\x00"))
		r.free = append(r.free, b)
		return (*C.char)(b)
	}
	p := (*C.struct_gun_plan)(C.calloc(1, C.sizeof_struct_gun_plan))
	c := (*C.struct_gun_ctr)(C.calloc(1, C.sizeof_struct_gun_ctr))
	r.free = append(r.free, unsafe.Pointer(p), unsafe.Pointer(c))
	p.nfast, p.ctr_dir = 1, str(cl.Dir)
	for i, t := range cl.Records {
		p.ctr_records[i] = str(t)
	}
	p.nwords, p.words = C.int(len(cl.Adjectives)), bytes(slices.Concat(cl.Adjectives, cl.Nouns))
	c.plan, c.scratch, c.args, c.nargs, c.auto_remove = p, str(scratch), bytes(args), C.int(len(args)), cBool(rm)
	if name != "" {
		c.name = str(name)
	}
	if C.gun_ctr_claim(c) < 0 {
		r.release()
		return nil, errors.New("claim.c: the container not recorded")
	}
	r.ctr, r.ID, r.Name = c, C.GoString(&c.id[0]), C.GoString(c.name)
	if running && C.gun_ctr_running(c) < 0 {
		r.Remove()
		return nil, errors.New("claim.c: the container not recorded running")
	}
	return r, nil
}

// Remove removes the container as claim.c does when its start fails.
func (r *cClaimed) Remove() {
	C.gun_ctr_remove(r.ctr)
	r.release()
}

func (r *cClaimed) release() {
	for _, p := range r.free {
		C.free(p)
	}
	r.free = nil
}

// cCheckName is claim.c's check of a container name.
func cCheckName(name string) bool {
	s := C.CString(name)
	defer C.free(unsafe.Pointer(s))
	return C.gun_ctr_check_name(s) == 0
}
