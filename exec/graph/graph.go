// Package graph orders the stages of a multi-stage build: which stages a
// target needs, and running them with each stage after the stages it uses
// and independent stages in parallel.
package graph

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Graph holds, for each stage i, the earlier stages Deps[i] it uses (as its
// base or as the source of a Copy From). Stages may only use earlier ones,
// so the graph has no cycles; New checks it.
type Graph struct {
	Deps [][]int
}

// New returns the graph of deps, or an error when a stage uses itself or a
// later stage.
func New(deps [][]int) (*Graph, error) {
	for i, ds := range deps {
		for _, d := range ds {
			if d < 0 || d >= i {
				return nil, fmt.Errorf("stage %d uses stage %d: only earlier stages can be used", i, d)
			}
		}
	}
	return &Graph{Deps: deps}, nil
}

// Needed returns target and every stage it needs, directly or not, in
// ascending order.
func (g *Graph) Needed(target int) []int {
	seen := map[int]bool{}
	var visit func(int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		for _, d := range g.Deps[i] {
			visit(d)
		}
	}
	visit(target)
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// Run calls fn for each of stages (as Needed returns them), each once all
// the stages it uses have returned, with at most parallel calls at a time
// (parallel < 1 means no limit). The first error cancels the context the
// other calls got, no new call starts, and Run returns that error once all
// running calls have returned.
func (g *Graph) Run(ctx context.Context, stages []int, parallel int, fn func(ctx context.Context, stage int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if parallel < 1 {
		parallel = len(stages)
	}
	sem := make(chan struct{}, max(parallel, 1))
	done := make(map[int]chan struct{}, len(stages))
	for _, s := range stages {
		done[s] = make(chan struct{})
	}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	for _, s := range stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, d := range g.Deps[s] {
				ch, ok := done[d]
				if !ok {
					fail(fmt.Errorf("stage %d needs stage %d, which is not being built", s, d))
					return
				}
				select {
				case <-ch:
				case <-ctx.Done():
					return
				}
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			if err := fn(ctx, s); err != nil {
				fail(err)
				return
			}
			close(done[s])
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
