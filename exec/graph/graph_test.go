package graph

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNew(t *testing.T) {
	if _, err := New([][]int{nil, {0}, {1, 0}}); err != nil {
		t.Fatal(err)
	}
	for _, deps := range [][][]int{{{0}}, {nil, {2}, nil}, {nil, {-1}}} {
		if _, err := New(deps); err == nil {
			t.Errorf("New(%v) accepted a stage using itself or a later one", deps)
		}
	}
}

func TestNeeded(t *testing.T) {
	// 0 <- 1 <- 3, 2 independent, 4 uses 2 and 3.
	g, _ := New([][]int{nil, {0}, nil, {1}, {2, 3}})
	tests := []struct {
		target int
		want   []int
	}{
		{0, []int{0}},
		{1, []int{0, 1}},
		{2, []int{2}},
		{3, []int{0, 1, 3}},
		{4, []int{0, 1, 2, 3, 4}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, g.Needed(tt.target)); diff != "" {
			t.Errorf("Needed(%d) (-want +got):\n%s", tt.target, diff)
		}
	}
}

func TestRunOrderAndParallelism(t *testing.T) {
	g, _ := New([][]int{nil, nil, {0, 1}, {2}})
	var mu sync.Mutex
	var order []int
	var running, most atomic.Int32
	// Stages 0 and 1 are independent: each waits until both run at once.
	var both sync.WaitGroup
	both.Add(2)
	err := g.Run(context.Background(), g.Needed(3), 0, func(ctx context.Context, s int) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		if s < 2 {
			both.Done()
			select {
			case <-waitCh(&both):
			case <-time.After(5 * time.Second):
				return errors.New("independent stages did not run in parallel")
			}
		}
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != 4 || order[2] != 2 || order[3] != 3 {
		t.Fatalf("order %v: stage 2 must follow 0 and 1, and 3 follow 2", order)
	}
	if most.Load() != 2 {
		t.Fatalf("at most %d stages ran at once, want 2", most.Load())
	}
}

func waitCh(wg *sync.WaitGroup) <-chan struct{} {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}

func TestRunParallelLimit(t *testing.T) {
	g, _ := New([][]int{nil, nil, nil, nil})
	var running, most atomic.Int32
	err := g.Run(context.Background(), []int{0, 1, 2, 3}, 1, func(ctx context.Context, s int) error {
		if n := running.Add(1); n > most.Load() {
			most.Store(n)
		}
		time.Sleep(5 * time.Millisecond)
		running.Add(-1)
		return nil
	})
	if err != nil || most.Load() != 1 {
		t.Fatalf("err %v, most at once %d, want 1", err, most.Load())
	}
}

func TestRunFirstErrorCancels(t *testing.T) {
	// 0 fails; 1 is independent and long-running: it must see cancellation;
	// 2 depends on 0 and must not run.
	g, _ := New([][]int{nil, nil, {0}})
	boom := errors.New("boom")
	var ran2, finished1 atomic.Bool
	err := g.Run(context.Background(), []int{0, 1, 2}, 0, func(ctx context.Context, s int) error {
		switch s {
		case 0:
			return boom
		case 1:
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Second):
				finished1.Store(true)
				return nil
			}
		default:
			ran2.Store(true)
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if ran2.Load() || finished1.Load() {
		t.Fatalf("dependent ran: %v; independent ran on uncanceled: %v", ran2.Load(), finished1.Load())
	}
}

func TestRunParentCanceled(t *testing.T) {
	g, _ := New([][]int{nil})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := g.Run(ctx, []int{0}, 0, func(ctx context.Context, s int) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
