//go:build linux && cgo

package runtime

/*
#include <stdlib.h>
#include "cinit.h"
#include "detach.h"
#include "plan.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The C parsers of the init's input (cinit.c) and of plans (plan.c), through cgo: for the fuzz
// targets and round trips of the runtime's tests, which cannot use cgo.

// cParsed is a configuration as the C init reads it.
type cParsed struct {
	cfg           initConfig
	overlay, path string // the overlay's options and the default PATH
}

// configKind is what a configuration is for (cinit.h's gun_config_kind).
type configKind int

const (
	configRun  configKind = C.GUN_CONFIG_RUN
	configPlan configKind = C.GUN_CONFIG_PLAN
	configExec configKind = C.GUN_CONFIG_EXEC
)

// cParseConfig parses b, a configuration of the kind given, as the C init
// does (gun_parse_config); a plan's takes a non-empty scratch in its
// stand-in's place (gun_plan_config).
func cParseConfig(b []byte, kind configKind, scratch string) (*cParsed, error) {
	cb := cBytes(b)
	defer C.free(unsafe.Pointer(cb))
	var cfg C.struct_gun_config
	var e C.struct_gun_err
	planned := kind == configPlan
	if C.gun_parse_config(cb, C.size_t(len(b)), C.enum_gun_config_kind(kind), &cfg, &e) < 0 {
		return nil, cErr(&e)
	}
	defer C.gun_config_free(&cfg)
	if planned && scratch != "" {
		cs := C.CString(scratch)
		defer C.free(unsafe.Pointer(cs))
		if C.gun_plan_config(&cfg, cs, &e) < 0 {
			return nil, cErr(&e)
		}
	}
	p := &cParsed{overlay: C.GoString(cfg.overlay), path: C.GoString(cfg.path)}
	c := &p.cfg
	for _, f := range configFlags(c) {
		*f.field = int(cfg.flags)&f.flag != 0
	}
	c.Scratch, c.Hostname = C.GoString(cfg.scratch), C.GoString(cfg.hostname)
	c.Cwd, c.User = C.GoString(cfg.cwd), C.GoString(cfg.user)
	if cfg.rows != 0 || cfg.cols != 0 {
		c.Winsize = &unix.Winsize{Row: uint16(cfg.rows), Col: uint16(cfg.cols)}
	}
	c.Caps = uint64(cfg.caps)
	c.Seccomp = rawFilter(C.GoBytes(cfg.filter, C.int(8*int(cfg.nfilter))))
	c.Layers = cStrings(cfg.layers, cfg.nlayers)
	c.Args = cStrings(cfg.args, cfg.nargs)
	c.Env = cStrings(cfg.env, cfg.nenv)
	mounts := cStrings(cfg.mounts, cfg.nmounts)
	for i := 0; i+2 < len(mounts); i += 3 {
		if mounts[i+2] == "tmpfs" {
			sz, md, _ := strings.Cut(mounts[i], ":")
			size, err := strconv.ParseInt(sz, 10, 64)
			mode, err2 := strconv.ParseUint(md, 8, 32)
			if err != nil || err2 != nil {
				return p, fmt.Errorf("the C init took tmpfs size and mode %q", mounts[i])
			}
			c.Mounts = append(c.Mounts, Mount{Target: mounts[i+1], Tmpfs: true, Size: size, Mode: uint32(mode)})
			continue
		}
		c.Mounts = append(c.Mounts, Mount{Source: mounts[i], Target: mounts[i+1], ReadOnly: mounts[i+2] == "ro"})
	}
	for _, g := range unsafe.Slice(cfg.groups, int(cfg.ngroups)) {
		c.Groups = append(c.Groups, uint32(g))
	}
	if cfg.oci != nil {
		c.OCI = cParseOCI(cfg.oci, int(cfg.flags))
	}
	return p, nil
}

// cParseOCI is the OCI part of a configuration as the C init reads it.
func cParseOCI(o *C.struct_gun_oci, flags int) *ociInit {
	num := func(s string) uint64 { v, _ := strconv.ParseUint(s, 10, 64); return v }
	g := &ociInit{
		Root: C.GoString(o.root), Domainname: C.GoString(o.domainname), Propagation: uintptr(o.propagation),
		UID: uint32(o.uid), GID: uint32(o.gid), Effective: uint64(o.effective), Permitted: uint64(o.permitted),
		Inheritable: uint64(o.inheritable), Ambient: uint64(o.ambient), Preserve: int(o.npreserve),
		CgroupNS: flags&fastCgroupNS != 0, Exec: flags&fastExec != 0, RuntimeHooks: flags&fastHooks != 0,
		NoProcess: flags&fastNoProcess != 0, HookState: C.GoString(o.hookstate),
		Masked: cStrings(o.masked, o.nmasked), Readonly: cStrings(o.readonly, o.nreadonly),
	}
	if flags&fastUmask != 0 {
		u := uint32(o.umask)
		g.Umask = &u
	}
	l := cStrings(o.rlimits, o.nrlimits)
	for i := 0; i+2 < len(l); i += 3 {
		g.Rlimits = append(g.Rlimits, ociRlimit{int(num(l[i])), num(l[i+1]), num(l[i+2])})
	}
	l = cStrings(o.sysctls, o.nsysctls)
	for i := 0; i+1 < len(l); i += 2 {
		g.Sysctls = append(g.Sysctls, [2]string{l[i], l[i+1]})
	}
	l = cStrings(o.mounts, o.nmounts)
	for i := 0; i+5 < len(l); i += 6 {
		g.Mounts = append(g.Mounts, ociMount{l[i], l[i+1], l[i+2], uintptr(num(l[i+3])), uintptr(num(l[i+4])), l[i+5]})
	}
	l = cStrings(o.devices, o.ndevices)
	for i := 0; i+6 < len(l); i += 7 {
		mode, uid, gid := fs.FileMode(num(l[i+4])), uint32(num(l[i+5])), uint32(num(l[i+6]))
		g.Devices = append(g.Devices, specs.LinuxDevice{Path: l[i], Type: l[i+1], Major: int64(num(l[i+2])), Minor: int64(num(l[i+3])),
			FileMode: &mode, UID: &uid, GID: &gid})
	}
	l = cStrings(o.ns, o.nns)
	for i := 0; i+1 < len(l); i += 2 {
		g.Namespaces = append(g.Namespaces, specs.LinuxNamespace{Type: specs.LinuxNamespaceType(l[i]), Path: l[i+1]})
	}
	for _, h := range unsafe.Slice(o.hooks, int(o.nhooks)) {
		g.Hooks = append(g.Hooks, ociHook{Kind: C.GoString(h.kind), Path: C.GoString(h.path), Timeout: int(h.timeout),
			Args: cStrings(h.args, h.nargs), Env: cStrings(h.env, h.nenv)})
	}
	return g
}

// cParseVerdict parses b as the C init reads gun's word on a plan
// (gun_parse_verdict): ok is false when b is not gun's word.
func cParseVerdict(b []byte) (args []string, ok bool, err error) {
	cb := cBytes(b)
	defer C.free(unsafe.Pointer(cb))
	var cfg C.struct_gun_config
	var e C.struct_gun_err
	switch C.gun_parse_verdict(cb, C.size_t(len(b)), &cfg, &e) {
	case 1:
		return nil, false, nil
	case 0:
		defer C.gun_config_free(&cfg)
		return cStrings(cfg.args, cfg.nargs), true, nil
	}
	return nil, true, cErr(&e)
}

// cPlan is a plan as plan.c reads it.
type cPlan struct {
	sock, runDir, resolv, hosts, hostname string
	stdio                                 int
	config                                []byte
	// The fast section: the command line's args; files and env in pairs
	// (a name, its identity); the claim's (Claim).
	fast                         bool
	args, files, env, entry, cmd []string
	claim                        Claim
	record                       string
}

// cList reads n strings from s on, as plan.c keeps its lists.
func cList(s *C.char, n C.int) []string {
	var l []string
	for range int(n) {
		g := C.GoString(s)
		l = append(l, g)
		s = (*C.char)(unsafe.Add(unsafe.Pointer(s), len(g)+1))
	}
	return l
}

// cArgv is argv for C, and a function that frees it.
func cArgv(argv []string) ([]*C.char, func()) {
	cargv := make([]*C.char, len(argv)+1)
	for i, a := range argv {
		cargv[i] = C.CString(a)
	}
	return cargv, func() {
		for _, a := range cargv {
			C.free(unsafe.Pointer(a))
		}
	}
}

// cPlanParsed is the plan b as gun_plan_parse reads it, ok, and a function
// that frees it.
func cPlanParsed(b []byte) (p *C.struct_gun_plan, free func(), ok bool) {
	cb := cBytes(b)
	p = new(C.struct_gun_plan)
	p.buf, p.n = cb, C.size_t(len(b))
	var e C.struct_gun_err
	return p, func() { C.free(unsafe.Pointer(cb)) }, C.gun_plan_parse(p, &e) == 0
}

// cPlanWhy is why gun_plan_current, in a store "/nonexistent" (whose run
// directory no plan names), says that the plan b is not current for the
// command line argv (`gun run ...`): its first check that fails.
func cPlanWhy(b []byte, argv []string) string {
	p, free, ok := cPlanParsed(b)
	defer free()
	if !ok {
		return "not parsed"
	}
	cargv, freeArgv := cArgv(argv)
	defer freeArgv()
	root := C.CString("/nonexistent")
	defer C.free(unsafe.Pointer(root))
	env := []*C.char{nil}
	var why *C.char
	if C.gun_plan_current(p, root, C.int(len(argv)), &cargv[0], &env[0], &why) == 0 {
		return ""
	}
	return C.GoString(why)
}

// cVerdict is gun_plan_verdict of the plan b for the command line argv
// (`gun run [OPTIONS] IMAGE [CMD...]`): gun's word, or nil.
func cVerdict(b []byte, argv []string) []byte {
	p, free, ok := cPlanParsed(b)
	defer free()
	if !ok {
		return nil
	}
	cargv, freeArgv := cArgv(argv)
	defer freeArgv()
	out := make([]byte, planMax+1)
	n := C.gun_plan_verdict(p, C.int(len(argv)), &cargv[0], (*C.char)(unsafe.Pointer(&out[0])), C.size_t(len(out)))
	if n < 0 {
		return nil
	}
	return out[:n]
}

// cParsePlan parses the bytes of a plan file as plan.c does
// (gun_plan_parse).
func cParsePlan(b []byte) (*cPlan, error) {
	cb := cBytes(b)
	defer C.free(unsafe.Pointer(cb))
	p := new(C.struct_gun_plan)
	p.buf, p.n = cb, C.size_t(len(b))
	var e C.struct_gun_err
	if C.gun_plan_parse(p, &e) < 0 {
		return nil, cErr(&e)
	}
	c := &cPlan{
		sock: C.GoString(p.sock), runDir: C.GoString(p.rundir), resolv: C.GoString(p.resolv),
		hosts: C.GoString(p.hosts), hostname: C.GoString(p.hostname), stdio: int(p.stdio),
		config: C.GoBytes(unsafe.Pointer(p.config), C.int(p.nconfig)),
	}
	if p.nfast > 0 {
		c.fast = true
		c.args, c.files, c.env = cList(p.args, p.nargs), cList(p.files, 2*p.nfiles), cList(p.env, 2*p.nenv)
		c.entry, c.cmd = cList(p.entry, p.nentry), cList(p.cmd, p.ncmd)
		c.claim.Dir = C.GoString(p.ctr_dir)
		for i, r := range p.ctr_records {
			c.claim.Records[i] = C.GoString(r)
		}
		words := cList(p.words, 2*p.nwords)
		c.claim.Adjectives, c.claim.Nouns = words[:p.nwords], words[p.nwords:]
		c.record = C.GoString(p.record)
	}
	return c, nil
}

// cBytes copies b for C, with a NUL after it, as the init reads a packet.
func cBytes(b []byte) *C.char {
	p := C.malloc(C.size_t(len(b) + 1))
	copy(unsafe.Slice((*byte)(p), len(b)+1), append(b[:len(b):len(b)], 0))
	return (*C.char)(p)
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func cStrings(l **C.char, n C.int) []string {
	if n == 0 {
		return nil
	}
	var strs []string
	for _, s := range unsafe.Slice(l, int(n)) {
		strs = append(strs, C.GoString(s))
	}
	return strs
}

// cErr is a parse's failure as the init reports it.
func cErr(e *C.struct_gun_err) error {
	msg := C.GoString(&e.msg[0])
	if e.err != 0 {
		return fmt.Errorf("%s: %w", msg, syscall.Errno(e.err))
	}
	return errors.New(msg)
}

// cReadRun reads gun's command line args (args[1] is "run") as the
// constructor does for gun run -d (gun_read_run): ok is false when it
// cannot tell; plan is the monitor's plan's command line.
func cReadRun(args []string) (detach, interactive bool, plan []string, ok bool) {
	argv := make([]*C.char, len(args))
	for i, a := range args {
		argv[i] = C.CString(a)
		defer C.free(unsafe.Pointer(argv[i]))
	}
	var out **C.char
	var n C.int
	r := C.gun_read_run(C.int(len(args)), &argv[0], &out, &n)
	if r < 0 {
		return false, false, nil, false
	}
	for _, p := range unsafe.Slice(out, n) {
		plan = append(plan, C.GoString(p))
		C.free(unsafe.Pointer(p))
	}
	C.free(unsafe.Pointer(out))
	return r&1 != 0, r&2 != 0, plan, true
}
