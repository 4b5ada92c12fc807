package hugeheap

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gun-tools/gun/internal/testenv"
)

// TestHeapStartsOnAHugePage checks that the heap's first block is one
// transparent huge page once the package is initialised: the mapping that
// holds it has 2 MiB of anonymous huge pages.
func TestHeapStartsOnAHugePage(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err == nil && bytes.Contains(mode, []byte("[never]")) {
		err = fmt.Errorf("transparent huge pages are off: %s", bytes.TrimSpace(mode))
	}
	testenv.Need(t, "transparent huge pages (madvise or always)", err)
	if block == 0 {
		t.Fatal("the initialiser did not run")
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var in bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x ", &lo, &hi); n == 2 {
			in = lo <= block && block < hi
			continue
		}
		if in && strings.HasPrefix(line, "AnonHugePages:") {
			var kb int
			fmt.Sscanf(strings.TrimPrefix(line, "AnonHugePages:"), "%d", &kb)
			if kb < hugePage>>10 {
				t.Fatalf("the heap's first block %#x: %s, want at least %d kB", block, line, hugePage>>10)
			}
			return
		}
	}
	t.Fatalf("no mapping holds the heap's first block %#x", block)
}
