// Package seccomp compiles seccomp profiles in Docker's format (the OCI
// runtime spec's LinuxSeccomp, as github.com/moby/profiles/seccomp reads
// and filters them) to the classic BPF program the kernel runs on every
// system call (SECCOMP_SET_MODE_FILTER).
//
// The program checks the architecture first (another one, and x86-64's x32
// ABI, get ENOSYS), then finds the syscall number's rules by a binary
// search over ranges of numbers that share them. A syscall's rules are
// tried in order, conditional ones first, each condition a full 64-bit
// comparison of an argument; a failed rule goes on to the next rule, which
// loads what it compares, so nothing depends on what a failed check left
// in the accumulator. Numbers above the profile's highest syscall get
// ENOSYS, so that a C library falls back to an older call it knows the
// profile allows (glibc's clone3 to clone), as runc does.
package seccomp

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data; the arguments are 64-bit, little-endian
// on the architectures this package knows.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// maxInstructions is the kernel's BPF_MAXINSNS.
const maxInstructions = 4096

var errnoENOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)

// rule is one conditional or unconditional rule of a syscall: the return
// value when all conditions hold.
type rule struct {
	ret   uint32
	conds []specs.LinuxSeccompArg
}

// behavior is what a syscall number does: its conditional rules in order,
// then final.
type behavior struct {
	rules []rule
	final uint32
}

func (b behavior) key() string { return fmt.Sprint(b.rules, b.final) }

// sysnum is a syscall's name and number: syscalls, the generated table of
// the architecture gun is built for, holds them sorted by name.
type sysnum struct {
	name string
	nr   uint32
}

// syscallNr returns the number of the syscall name.
func syscallNr(name string) (uint32, bool) {
	i, ok := slices.BinarySearchFunc(syscalls[:], name, func(s sysnum, name string) int { return strings.Compare(s.name, name) })
	if !ok {
		return 0, false
	}
	return syscalls[i].nr, true
}

// Compile returns the BPF program of p for the architecture gun is built
// for. Syscalls p names that this architecture does not have are ignored,
// as runc does.
func Compile(p *specs.LinuxSeccomp) ([]bpf.RawInstruction, error) {
	if nativeArch == 0 {
		return nil, errors.New("seccomp: no syscall table for this architecture")
	}
	if len(p.Flags) > 0 || p.ListenerPath != "" {
		return nil, errors.New("seccomp profile: flags and listenerPath are not supported")
	}
	defErrno := uint(unix.EPERM)
	if p.DefaultErrnoRet != nil {
		defErrno = *p.DefaultErrnoRet
	}
	defRet, err := action(p.DefaultAction, &defErrno)
	if err != nil {
		return nil, fmt.Errorf("seccomp profile: defaultAction: %w", err)
	}
	conditional := map[uint32][]rule{}
	unconditional := map[uint32]uint32{}
	for i, call := range p.Syscalls {
		ret, err := action(call.Action, call.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("seccomp profile: syscalls[%d]: %w", i, err)
		}
		rules, err := split(call.Args)
		if err != nil {
			return nil, fmt.Errorf("seccomp profile: syscalls[%d]: %w", i, err)
		}
		for _, name := range call.Names {
			nr, ok := syscallNr(name)
			if !ok {
				continue
			}
			if len(rules) == 0 {
				if _, dup := unconditional[nr]; !dup {
					unconditional[nr] = ret
				}
				continue
			}
			for _, conds := range rules {
				conditional[nr] = append(conditional[nr], rule{ret, conds})
			}
		}
	}
	top := -1
	for nr := range conditional {
		top = max(top, int(nr))
	}
	for nr := range unconditional {
		top = max(top, int(nr))
	}
	newer := errnoENOSYS
	if defRet == unix.SECCOMP_RET_ALLOW {
		newer = defRet
	}
	// Ranges of numbers that behave alike, the last one open-ended.
	var ranges []span
	add := func(lo uint32, b behavior) {
		if n := len(ranges); n > 0 && ranges[n-1].b.key() == b.key() {
			return
		}
		ranges = append(ranges, span{lo, b})
	}
	for nr := 0; nr <= top; nr++ {
		b := behavior{conditional[uint32(nr)], defRet}
		if ret, ok := unconditional[uint32(nr)]; ok {
			b.final = ret
		}
		add(uint32(nr), b)
	}
	add(uint32(top+1), behavior{final: newer})

	c := compiler{blocks: map[string]label{}, rets: map[uint32]label{}}
	c.a.op(bpf.LoadAbsolute{Off: offArch, Size: 4})
	next := c.a.newLabel()
	c.a.jump(bpf.JumpEqual, nativeArch, next, c.ret(errnoENOSYS))
	c.a.place(next)
	c.a.op(bpf.LoadAbsolute{Off: offNr, Size: 4})
	if x32Bit != 0 {
		next := c.a.newLabel()
		c.a.jump(bpf.JumpBitsSet, x32Bit, c.ret(errnoENOSYS), next)
		c.a.place(next)
	}
	c.search(ranges)
	for i := 0; i < len(c.pending); i++ { // blocks may not add blocks, but keep it simple
		c.block(c.pending[i])
	}
	vals := make([]uint32, 0, len(c.rets))
	for v := range c.rets {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, v := range vals {
		c.a.place(c.rets[v])
		c.a.op(bpf.RetConstant{Val: v})
	}
	prog, err := c.a.assemble()
	if err != nil {
		return nil, fmt.Errorf("seccomp profile: %w", err)
	}
	if len(prog) > maxInstructions {
		return nil, fmt.Errorf("seccomp profile: %d instructions, more than the kernel's %d", len(prog), maxInstructions)
	}
	return prog, nil
}

// split returns the rules (each a list of conditions that must all hold)
// of a syscall's arguments: one rule of them all, or, when one argument is
// compared more than once, one rule per comparison (an OR), as runc does.
func split(args []specs.LinuxSeccompArg) ([][]specs.LinuxSeccompArg, error) {
	if len(args) == 0 {
		return nil, nil
	}
	var seen [6]bool
	repeated := false
	for _, a := range args {
		if a.Index > 5 {
			return nil, fmt.Errorf("argument index %d, want 0 to 5", a.Index)
		}
		if _, err := compareOps(a.Op); err != nil {
			return nil, err
		}
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
	}
	if !repeated {
		return [][]specs.LinuxSeccompArg{args}, nil
	}
	rules := make([][]specs.LinuxSeccompArg, len(args))
	for i := range args {
		rules[i] = args[i : i+1]
	}
	return rules, nil
}

// action returns the filter's return value for a profile's action.
func action(a specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	data := uint(unix.EPERM)
	if errnoRet != nil {
		data = *errnoRet
	}
	if data > unix.SECCOMP_RET_DATA {
		return 0, fmt.Errorf("errnoRet %d out of range", data)
	}
	switch a {
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW, nil
	case specs.ActErrno:
		return unix.SECCOMP_RET_ERRNO | uint32(data), nil
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP, nil
	case specs.ActTrace:
		return unix.SECCOMP_RET_TRACE | uint32(data), nil
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG, nil
	case "":
		return 0, errors.New("no action")
	}
	return 0, fmt.Errorf("action %q is not supported", a)
}

// compareOps returns the jump that decides op on one 32-bit half: the
// test, and whether its true branch means the comparison fails. The
// caller handles the high half's ordering.
func compareOps(op specs.LinuxSeccompOperator) (bpf.JumpTest, error) {
	switch op {
	case specs.OpEqualTo, specs.OpNotEqual, specs.OpMaskedEqual:
		return bpf.JumpEqual, nil
	case specs.OpGreaterThan, specs.OpLessEqual:
		return bpf.JumpGreaterThan, nil
	case specs.OpGreaterEqual, specs.OpLessThan:
		return bpf.JumpGreaterOrEqual, nil
	}
	return 0, fmt.Errorf("unknown comparison %q", op)
}

type span struct {
	lo uint32
	b  behavior
}

type compiler struct {
	a       asm
	blocks  map[string]label // a behavior's code
	pending []behavior       // blocks to emit, in order
	rets    map[uint32]label
}

// ret returns the label of the instruction that returns v.
func (c *compiler) ret(v uint32) label {
	l, ok := c.rets[v]
	if !ok {
		l = c.a.newLabel()
		c.rets[v] = l
	}
	return l
}

// target returns the label of b's code.
func (c *compiler) target(b behavior) label {
	if len(b.rules) == 0 {
		return c.ret(b.final)
	}
	k := b.key()
	l, ok := c.blocks[k]
	if !ok {
		l = c.a.newLabel()
		c.blocks[k] = l
		c.pending = append(c.pending, b)
	}
	return l
}

// search emits the binary search over rs; the accumulator holds the
// syscall number.
func (c *compiler) search(rs []span) {
	if len(rs) == 1 {
		c.a.ja(c.target(rs[0].b))
		return
	}
	c.node(rs, c.a.newLabel())
}

func (c *compiler) node(rs []span, at label) {
	c.a.place(at)
	mid := len(rs) / 2
	child := func(rs []span) label {
		if len(rs) == 1 {
			return c.target(rs[0].b)
		}
		return c.a.newLabel()
	}
	left, right := child(rs[:mid]), child(rs[mid:])
	c.a.jump(bpf.JumpGreaterOrEqual, rs[mid].lo, right, left)
	if mid > 1 {
		c.node(rs[:mid], left)
	}
	if len(rs)-mid > 1 {
		c.node(rs[mid:], right)
	}
}

// block emits b's code: each rule's conditions, on to the next rule at
// the first that fails.
func (c *compiler) block(b behavior) {
	c.a.place(c.blocks[b.key()])
	for _, r := range b.rules {
		fail := c.a.newLabel()
		for i, cond := range r.conds {
			pass := c.ret(r.ret)
			if i < len(r.conds)-1 {
				pass = c.a.newLabel()
			}
			c.compare(cond, pass, fail)
			if i < len(r.conds)-1 {
				c.a.place(pass)
			}
		}
		c.a.place(fail)
	}
	c.a.op(bpf.RetConstant{Val: b.final})
}

// compare emits the 64-bit comparison of an argument: on to pass when it
// holds, to fail when not.
func (c *compiler) compare(arg specs.LinuxSeccompArg, pass, fail label) {
	off := offArgs + 8*uint32(arg.Index)
	value := arg.Value
	a := &c.a
	a.op(bpf.LoadAbsolute{Off: off + 4, Size: 4})
	hi, lo := uint32(value>>32), uint32(value)
	test, _ := compareOps(arg.Op)
	n := a.newLabel()
	switch arg.Op {
	case specs.OpEqualTo:
		a.jump(bpf.JumpEqual, hi, n, fail)
	case specs.OpNotEqual:
		a.jump(bpf.JumpEqual, hi, n, pass)
	case specs.OpMaskedEqual:
		// value is the mask, valueTwo what the masked argument must be.
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: hi})
		a.jump(bpf.JumpEqual, uint32(arg.ValueTwo>>32), n, fail)
		lo = uint32(arg.ValueTwo)
	case specs.OpGreaterThan, specs.OpGreaterEqual:
		m := a.newLabel()
		a.jump(bpf.JumpGreaterThan, hi, pass, m)
		a.place(m)
		a.jump(bpf.JumpEqual, hi, n, fail)
	case specs.OpLessThan, specs.OpLessEqual:
		m := a.newLabel()
		a.jump(bpf.JumpGreaterOrEqual, hi, m, pass)
		a.place(m)
		a.jump(bpf.JumpEqual, hi, n, fail)
	}
	a.place(n)
	a.op(bpf.LoadAbsolute{Off: off, Size: 4})
	switch arg.Op {
	case specs.OpMaskedEqual:
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: uint32(value)})
		a.jump(test, lo, pass, fail)
	case specs.OpEqualTo, specs.OpGreaterThan, specs.OpGreaterEqual:
		a.jump(test, lo, pass, fail)
	default: // NE, LT, LE: the negation of the test
		a.jump(test, lo, fail, pass)
	}
}

// Archs names the architecture Compile filters for, as seccomp profiles
// do; none when it has no syscall table.
func Archs() []string {
	switch nativeArch {
	case unix.AUDIT_ARCH_X86_64:
		return []string{string(specs.ArchX86_64)}
	case unix.AUDIT_ARCH_AARCH64:
		return []string{string(specs.ArchAARCH64)}
	}
	return nil
}
