package seccomp

import (
	"encoding/binary"
	"math/rand"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

var (
	allow  = uint32(unix.SECCOMP_RET_ALLOW)
	eperm  = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	enosys = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

// run runs prog in x/net/bpf's VM on a seccomp_data. The VM loads words
// big-endian, the kernel in the machine's order: the data is laid out as
// the kernel's loads see it (each 64-bit argument low word first).
func run(t *testing.T, vm *bpf.VM, arch, nr uint32, args ...uint64) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[0:], nr)
	binary.BigEndian.PutUint32(data[4:], arch)
	for i, a := range args {
		binary.BigEndian.PutUint32(data[16+8*i:], uint32(a))
		binary.BigEndian.PutUint32(data[20+8*i:], uint32(a>>32))
	}
	ret, err := vm.Run(data)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(ret)
}

func newVM(t *testing.T, prog []bpf.RawInstruction) *bpf.VM {
	t.Helper()
	ins, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatal("the program holds an instruction x/net/bpf does not know")
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

func nr(t *testing.T, name string) uint32 {
	t.Helper()
	n, ok := syscallNr(name)
	if !ok {
		t.Fatalf("no syscall %s", name)
	}
	return n
}

func TestDefaultProfile(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the cases use x86-64's calls")
	}
	prog, err := Default(DefaultCaps)
	if err != nil {
		t.Fatal(err)
	}
	vm := newVM(t, prog)
	const vsock, newuser = 40, unix.CLONE_NEWUSER
	for _, c := range []struct {
		what string
		arch uint32
		nr   uint32
		args []uint64
		want uint32
	}{
		{"read", nativeArch, nr(t, "read"), nil, allow},
		{"keyctl", nativeArch, nr(t, "keyctl"), nil, eperm},
		{"add_key", nativeArch, nr(t, "add_key"), nil, eperm},
		{"unshare(CLONE_NEWUSER)", nativeArch, nr(t, "unshare"), []uint64{newuser}, eperm},
		{"personality(0)", nativeArch, nr(t, "personality"), []uint64{0}, allow},
		{"personality(ADDR_NO_RANDOMIZE)", nativeArch, nr(t, "personality"), []uint64{0x0040000}, eperm},
		{"personality(UNAME26)", nativeArch, nr(t, "personality"), []uint64{8}, allow},
		{"personality(0xffffffff)", nativeArch, nr(t, "personality"), []uint64{0xffffffff}, allow},
		// The high half equals personality's own number: a filter that
		// compares the low half only, or reloads the wrong word, lets it by.
		{"personality(56<<32|8)", nativeArch, nr(t, "personality"), []uint64{56<<32 | 8}, eperm},
		{"personality(135<<32|8)", nativeArch, nr(t, "personality"), []uint64{135<<32 | 8}, eperm},
		{"socket(AF_INET)", nativeArch, nr(t, "socket"), []uint64{unix.AF_INET}, allow},
		{"socket(AF_VSOCK)", nativeArch, nr(t, "socket"), []uint64{vsock}, eperm},
		{"socket(1<<32|AF_INET)", nativeArch, nr(t, "socket"), []uint64{1<<32 | unix.AF_INET}, eperm},
		{"clone(SIGCHLD)", nativeArch, nr(t, "clone"), []uint64{uint64(unix.SIGCHLD)}, allow},
		{"clone(CLONE_NEWUSER)", nativeArch, nr(t, "clone"), []uint64{newuser | uint64(unix.SIGCHLD)}, eperm},
		{"clone3", nativeArch, nr(t, "clone3"), nil, enosys},
		{"io_uring_setup", nativeArch, nr(t, "io_uring_setup"), nil, eperm},
		{"perf_event_open", nativeArch, nr(t, "perf_event_open"), nil, eperm},
		{"userfaultfd", nativeArch, nr(t, "userfaultfd"), nil, eperm},
		{"kcmp", nativeArch, nr(t, "kcmp"), nil, eperm},
		{"bpf", nativeArch, nr(t, "bpf"), nil, eperm},
		{"mount", nativeArch, nr(t, "mount"), nil, eperm},
		{"a syscall newer than the profile", nativeArch, 1000, nil, enosys},
		{"the largest number", nativeArch, 0xffffffff, nil, enosys},
		{"x32 read", nativeArch, x32Bit | nr(t, "read"), nil, enosys},
		{"i386", unix.AUDIT_ARCH_I386, 3, nil, enosys},
	} {
		if got := run(t, vm, c.arch, c.nr, c.args...); got != c.want {
			t.Errorf("%s: got %#x, want %#x", c.what, got, c.want)
		}
	}
}

// TestDefaultProgram compiles Docker's default profile for DefaultCaps and
// compares it with the committed program (hack/mkseccomp's test checks the
// generated files byte for byte).
func TestDefaultProgram(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("only amd64's program is generated")
	}
	p, err := DefaultProfile(DefaultCaps)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(defaultProgram, want) {
		t.Fatal("default_amd64.go is stale: run go generate ./runtime/seccomp")
	}
	if len(defaultProgram) > 300 {
		t.Errorf("the default program has %d instructions", len(defaultProgram))
	}
}

// reference decides a call as the profile says, to check the program by.
func reference(p *specs.LinuxSeccomp, nr uint32, args []uint64) uint32 {
	holds := func(c specs.LinuxSeccompArg) bool {
		a := args[c.Index]
		switch c.Op {
		case specs.OpEqualTo:
			return a == c.Value
		case specs.OpNotEqual:
			return a != c.Value
		case specs.OpLessThan:
			return a < c.Value
		case specs.OpLessEqual:
			return a <= c.Value
		case specs.OpGreaterThan:
			return a > c.Value
		case specs.OpGreaterEqual:
			return a >= c.Value
		case specs.OpMaskedEqual:
			return a&c.Value == c.ValueTwo
		}
		panic(c.Op)
	}
	unconditional, found := uint32(0), false
	for _, call := range p.Syscalls {
		ret, _ := action(call.Action, call.ErrnoRet)
		for _, name := range call.Names {
			if n, _ := syscallNr(name); n != nr {
				continue
			}
			if len(call.Args) == 0 {
				if !found {
					unconditional, found = ret, true
				}
				continue
			}
			rules, _ := split(call.Args)
			for _, r := range rules {
				all := true
				for _, c := range r {
					all = all && holds(c)
				}
				if all {
					return ret
				}
			}
		}
	}
	if found {
		return unconditional
	}
	ret, _ := action(p.DefaultAction, p.DefaultErrnoRet)
	return ret
}

// TestComparisons checks every comparison against the reference on values
// around its 32-bit halves, with rules enough to need long jumps.
func TestComparisons(t *testing.T) {
	ops := []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual,
		specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}
	edges := []uint64{0, 1, 7, 8, 0xffffffff, 1 << 32, 1<<32 | 7, 1<<32 | 8, 2<<32 | 8, 0xffffffff00000000, ^uint64(0)}
	rng := rand.New(rand.NewSource(1))
	pick := func() uint64 {
		v := edges[rng.Intn(len(edges))]
		if rng.Intn(3) == 0 {
			v += uint64(rng.Intn(3)) - 1
		}
		return v
	}
	errno := func(n uint) *uint { return &n }
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: errno(uint(unix.EACCES))}
	names := []string{"read", "write", "openat", "close", "personality", "socket", "ioctl", "fcntl", "mmap", "mprotect"}
	for i := 0; i < 120; i++ {
		args := []specs.LinuxSeccompArg{{Index: uint(rng.Intn(3)), Value: pick(), ValueTwo: pick(), Op: ops[rng.Intn(len(ops))]}}
		for rng.Intn(2) == 0 { // AND, or OR when an index repeats
			args = append(args, specs.LinuxSeccompArg{Index: uint(rng.Intn(3)), Value: pick(), ValueTwo: pick(), Op: ops[rng.Intn(len(ops))]})
		}
		act, ret := specs.ActAllow, errno(0)
		if rng.Intn(3) == 0 {
			act, ret = specs.ActErrno, errno(uint(100+i))
		}
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{names[rng.Intn(len(names))]}, Action: act, ErrnoRet: ret, Args: args})
	}
	p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"write"}, Action: specs.ActAllow})
	prog, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	long := false
	for _, in := range prog {
		long = long || in.Op == 0x05 // BPF_JMP|BPF_JA: a trampoline
	}
	if !long {
		t.Error("no long jump: the test does not cover them")
	}
	vm := newVM(t, prog)
	for i := 0; i < 20000; i++ {
		name := names[rng.Intn(len(names))]
		args := []uint64{pick(), pick(), pick()}
		if got, want := run(t, vm, nativeArch, nr(t, name), args...), reference(p, nr(t, name), args); got != want {
			t.Fatalf("%s(%#x, %#x, %#x): got %#x, want %#x", name, args[0], args[1], args[2], got, want)
		}
	}
}

func TestOrOnOneArgument(t *testing.T) {
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
		Names: []string{"personality"}, Action: specs.ActErrno,
		Args: []specs.LinuxSeccompArg{{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 0, Value: 2, Op: specs.OpEqualTo}},
	}}}
	prog, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	vm := newVM(t, prog)
	for arg, want := range map[uint64]uint32{0: allow, 1: eperm, 2: eperm, 3: allow, 1<<32 | 1: allow} {
		if got := run(t, vm, nativeArch, nr(t, "personality"), arg); got != want {
			t.Errorf("personality(%#x): got %#x, want %#x", arg, got, want)
		}
	}
	// The default action is allow: newer calls are allowed too.
	if got := run(t, vm, nativeArch, 1000); got != allow {
		t.Errorf("a newer call: got %#x, want allow", got)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, body := range []string{
		`{`,
		`{"defaultAction":"SCMP_ACT_NOTIFY"}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"value":1,"op":"SCMP_CMP_EQ"}]}]}`,
		`{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_ODD"}]}]}`,
	} {
		if _, err := Load([]byte(body), DefaultCaps); err == nil {
			t.Errorf("%s: no error", body)
		}
	}
}

// TestSyscallTable checks that the generated table is sorted by name, as
// syscallNr's binary search needs, and finds every name in it.
func TestSyscallTable(t *testing.T) {
	if !slices.IsSortedFunc(syscalls[:], func(a, b sysnum) int { return strings.Compare(a.name, b.name) }) {
		t.Fatal("syscalls is not sorted by name")
	}
	for _, s := range syscalls {
		if nr, ok := syscallNr(s.name); !ok || nr != s.nr {
			t.Errorf("syscallNr(%q) = %d, %v; want %d", s.name, nr, ok, s.nr)
		}
	}
	if _, ok := syscallNr("no_such_call"); ok {
		t.Error("syscallNr found no_such_call")
	}
}
