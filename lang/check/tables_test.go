package check

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gun-tools/gun/lang/parser"
)

// TestSpareTables checks the buffers Check keeps for the next Check: they
// hold nothing of the checked tree, and checks running at the same time,
// each with its own or fresh buffers, report what Resolve does.
func TestSpareTables(t *testing.T) {
	names, _ := filepath.Glob("../../testdata/gunfiles/*.gunfile")
	if len(names) == 0 {
		t.Fatal("no corpus")
	}
	var srcs [][]byte
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}

	f, _ := parser.Parse("t", []byte("Arg A\nUsing \"x\" As one\nEnv B \"$A\"\nUsing one\nEnv C \"$B\"\n"))
	Check(f)
	spare := spareTables.Load()
	if spare == nil {
		t.Fatal("Check kept no buffers")
	}
	for i, s := range spare.symbols[:cap(spare.symbols)] {
		if !cmp.Equal(s, Symbol{}, cmp.AllowUnexported(Symbol{})) {
			t.Errorf("kept symbol %d is not cleared: %+v", i, s)
		}
	}
	for _, p := range append(spare.ptrs[:cap(spare.ptrs)], spare.envBuf[:cap(spare.envBuf)]...) {
		if p != nil {
			t.Errorf("kept buffer points to symbol %+v", p)
		}
	}
	if len(spare.byName) != 0 || spare.infos[0] != (StageInfo{}) || spare.stages[0] != nil || spare.envs[1] != nil {
		t.Errorf("kept buffers are not cleared: %d names, %+v, %v, %v", len(spare.byName), spare.infos[0], spare.stages[0], spare.envs[1])
	}

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range srcs {
				src := srcs[(i+g)%len(srcs)]
				f, _ := parser.Parse("t", src)
				got := Check(f)
				_, want := Resolve(f)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("Check differs from Resolve (-want +got):\n%s", diff)
					return
				}
			}
		})
	}
	wg.Wait()
}
