package parser

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPile checks the chunk allocator behind parts and lists: slices do not
// overlap, appending to one leaves its neighbours alone, and a reserved
// slice that outgrew its room is still kept whole.
func TestPile(t *testing.T) {
	var p pile[int]
	a := p.copy([]int{1, 2, 3})
	r := p.reserve(2)
	r = append(r, 4, 5)
	b := p.commit(r)
	r = append(p.reserve(1), 6, 7, 8) // more than reserved
	c := p.commit(r)
	_ = append(a, 99)
	if diff := cmp.Diff([][]int{{1, 2, 3}, {4, 5}, {6, 7, 8}}, [][]int{a, b, c}); diff != "" {
		t.Errorf("slices mismatch (-want +got):\n%s", diff)
	}
	if e := p.copy(nil); e == nil || len(e) != 0 {
		t.Errorf("copy(nil) = %#v, want an empty non-nil slice", e)
	}
}
