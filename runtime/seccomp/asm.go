package seccomp

import (
	"errors"

	"golang.org/x/net/bpf"
)

// label names an instruction yet to be placed.
type label int

type item struct {
	ins    bpf.Instruction // nil: a jump
	test   bpf.JumpTest
	val    uint32
	jt, jf label
	always bool // an unconditional jump to jt
}

// asm lays out a program of forward jumps to labels. A conditional jump
// reaches at most 255 instructions; assemble puts an unconditional jump
// (which reaches anywhere) after one that must go farther.
type asm struct {
	items []item
	at    []int // the index in items of each label, -1 until placed
}

func (a *asm) newLabel() label {
	a.at = append(a.at, -1)
	return label(len(a.at) - 1)
}

func (a *asm) place(l label)        { a.at[l] = len(a.items) }
func (a *asm) op(i bpf.Instruction) { a.items = append(a.items, item{ins: i}) }
func (a *asm) ja(l label)           { a.items = append(a.items, item{always: true, jt: l}) }
func (a *asm) jump(t bpf.JumpTest, v uint32, jt, jf label) {
	a.items = append(a.items, item{test: t, val: v, jt: jt, jf: jf})
}

func (a *asm) assemble() ([]bpf.RawInstruction, error) {
	for a.trampoline() {
	}
	prog := make([]bpf.Instruction, len(a.items))
	for i, it := range a.items {
		switch {
		case it.ins != nil:
			prog[i] = it.ins
		case it.always:
			d, err := a.skip(i, it.jt)
			if err != nil {
				return nil, err
			}
			prog[i] = bpf.Jump{Skip: uint32(d)}
		default:
			t, err := a.skip(i, it.jt)
			if err != nil {
				return nil, err
			}
			f, err := a.skip(i, it.jf)
			if err != nil {
				return nil, err
			}
			prog[i] = bpf.JumpIf{Cond: it.test, Val: it.val, SkipTrue: uint8(t), SkipFalse: uint8(f)}
		}
	}
	return bpf.Assemble(prog)
}

func (a *asm) skip(i int, l label) (int, error) {
	if a.at[l] < 0 {
		return 0, errors.New("internal error: a jump to an unplaced label")
	}
	d := a.at[l] - i - 1
	if d < 0 {
		return 0, errors.New("internal error: a backward jump")
	}
	return d, nil
}

// trampoline gives the first conditional jump that cannot reach its
// target an unconditional jump to it, and reports whether there was one.
func (a *asm) trampoline() bool {
	for i, it := range a.items {
		if it.ins != nil || it.always {
			continue
		}
		for _, t := range []*label{&it.jt, &it.jf} {
			if a.at[*t]-i-1 <= 255 {
				continue
			}
			for l, at := range a.at {
				if at > i {
					a.at[l]++
				}
			}
			a.items = append(a.items[:i+1], append([]item{{always: true, jt: *t}}, a.items[i+1:]...)...)
			*t = a.newLabel()
			a.at[*t] = i + 1
			a.items[i] = it
			return true
		}
	}
	return false
}
