package container

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// testDir opens a containers' directory of the test's own.
func testDir(t *testing.T) *Dir {
	t.Helper()
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// create records c in d and returns its lock.
func create(t *testing.T, d *Dir, c *Container) *os.File {
	t.Helper()
	lock, err := d.Create(c)
	if err != nil {
		t.Fatal(err)
	}
	return lock
}

func TestCreateGet(t *testing.T) {
	d := testDir(t)
	c := &Container{Name: "web", Image: "busybox", Command: []string{"httpd", "-f"}}
	lock := create(t, d, c)
	if len(c.ID) != 64 || c.Status != Created || c.Created.IsZero() {
		t.Fatalf("created %+v", c)
	}
	for _, ref := range []string{c.ID, "web", c.ID[:5]} {
		got, err := d.Get(ref)
		if err != nil || got.ID != c.ID || got.Status != Created || got.Unknown {
			t.Errorf("Get(%q) = %+v, %v", ref, got, err)
		}
	}
	if _, err := d.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(nope): %v", err)
	}
	if _, err := d.Create(&Container{Name: "web"}); !errors.Is(err, ErrNameInUse) || !strings.Contains(err.Error(), c.ShortID()) {
		t.Errorf("a taken name: %v", err)
	}
	if err := d.Remove(c); !errors.Is(err, ErrLive) {
		t.Errorf("Remove of a live container: %v", err)
	}
	c.Status = Running
	if err := d.Save(c); err != nil {
		t.Fatal(err)
	}
	// Its owner is gone: exited, code unknown, at once.
	lock.Close()
	got, err := d.Get("web")
	if err != nil || got.Status != Exited || !got.Unknown || got.ExitCode != -1 {
		t.Fatalf("after its owner went: %+v, %v", got, err)
	}
	if err := d.Remove(got); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get("web"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after Remove: %v", err)
	}
	// The name is free again.
	create(t, d, &Container{Name: "web"}).Close()
}

func TestBadNames(t *testing.T) {
	d := testDir(t)
	for _, n := range []string{"-x", "a/b", "a b", ".x", strings.Repeat("a", 129)} {
		if _, err := d.Create(&Container{Name: n}); err == nil || !strings.Contains(err.Error(), "invalid container name") {
			t.Errorf("name %q: %v", n, err)
		}
	}
}

// TestNameRace: of concurrent claims of one name, one wins; generated
// names and ids are distinct.
func TestNameRace(t *testing.T) {
	d := testDir(t)
	var mu sync.Mutex
	var wg sync.WaitGroup
	won, lost := 0, 0
	ids, names := map[string]bool{}, map[string]bool{}
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &Container{}
			if i%2 == 0 {
				c.Name = "one"
			}
			_, err := d.Create(c) // the locks stay held: the test's process owns them
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && c.Name == "one":
				won++
			case errors.Is(err, ErrNameInUse):
				lost++
			case err != nil:
				t.Error(err)
			}
			if err == nil {
				ids[c.ID], names[c.Name] = true, true
			}
		}()
	}
	wg.Wait()
	if won != 1 || lost != 19 || len(ids) != 21 || len(names) != 21 {
		t.Errorf("won %d, lost %d, %d ids, %d names", won, lost, len(ids), len(names))
	}
	cs, err := d.List()
	if err != nil || len(cs) != 21 {
		t.Errorf("List: %d, %v", len(cs), err)
	}
}

func TestPrune(t *testing.T) {
	d := testDir(t)
	live := &Container{Name: "live"}
	lock := create(t, d, live)
	defer lock.Close()
	dead := &Container{Name: "dead"}
	create(t, d, dead).Close()
	// What a killed gun leaves: a directory half made, a name of nothing.
	if err := os.Mkdir(d.Path()+"/.tmp-abc", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("gone", d.Path()+"/names/stale"); err != nil {
		t.Fatal(err)
	}
	removed, err := d.Prune()
	if err != nil || len(removed) != 1 || removed[0] != dead.ID {
		t.Fatalf("Prune: %v, %v", removed, err)
	}
	left, _ := os.ReadDir(d.Path())
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if fmt.Sprint(names) != fmt.Sprint([]string{live.ID, "lock", "names"}) {
		t.Errorf("left: %v", names)
	}
	if links, _ := os.ReadDir(d.Path() + "/names"); len(links) != 1 || links[0].Name() != "live" {
		t.Errorf("names left: %v", links)
	}
}

func TestWait(t *testing.T) {
	d := testDir(t)
	c := &Container{}
	lock := create(t, d, c)
	done := make(chan *Container)
	go func() {
		got, err := d.Wait(c)
		if err != nil {
			t.Error(err)
		}
		// Removed as it ended: gone by the time Wait returns.
		if _, err := d.Get(c.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after Wait: %v", err)
		}
		done <- got
	}()
	select {
	case <-done:
		t.Fatal("Wait returned while the container lives")
	case <-time.After(50 * time.Millisecond):
	}
	c.Status, c.ExitCode = Exited, 3
	if err := d.Save(c); err != nil {
		t.Fatal(err)
	}
	// Removed as it ends (--rm): the waiter still learns its exit code.
	if err := d.RemoveOwned(c, lock); err != nil {
		t.Fatal(err)
	}
	if got := <-done; got == nil || got.ExitCode != 3 || got.Unknown {
		t.Errorf("Wait: %+v", got)
	}
}

func TestLog(t *testing.T) {
	d := testDir(t)
	c := &Container{}
	lock := create(t, d, c)
	w, err := c.OpenLog(200)
	if err != nil {
		t.Fatal(err)
	}
	out, errw := w.Stream("stdout"), w.Stream("stderr")
	fmt.Fprint(out, "one\ntw")
	fmt.Fprint(errw, "oops\n")
	fmt.Fprint(out, "o\n")
	for i := 3; i <= 9; i++ {
		fmt.Fprintf(out, "line %d\n", i)
	}
	fmt.Fprint(out, "prompt> ")
	read := func(opts LogOptions) string {
		var b bytes.Buffer
		err := c.ReadLog(context.Background(), opts, func(e LogEntry) error {
			fmt.Fprintf(&b, "%s:%s", e.Stream[3:], e.Text)
			if !e.Partial {
				b.WriteString("|")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	// 200 bytes a file: the oldest lines were rotated away.
	if _, err := os.Stat(c.LogPath() + ".1"); err != nil {
		t.Fatalf("not rotated: %v", err)
	}
	all := read(LogOptions{})
	if !strings.HasSuffix(all, "out:line 8|out:line 9|out:prompt> ") || strings.Contains(all, "out:one|") {
		t.Errorf("log: %q", all)
	}
	if got := read(LogOptions{Tail: 2}); got != "out:line 8|out:line 9|out:prompt> " {
		t.Errorf("tail 2: %q", got)
	}
	// Followed: what is written later comes, and the end of its owners
	// ends it.
	var b syncBuf
	done := make(chan error)
	go func() {
		done <- c.ReadLog(context.Background(), LogOptions{Tail: 1, Follow: true, Poll: 10 * time.Millisecond}, func(e LogEntry) error {
			b.Write(e.Text)
			return nil
		})
	}()
	// Rotated on the way, several times; each line read before the next
	// is written (two rotations between two reads lose the file between).
	for i := 0; i < 20; i++ {
		fmt.Fprintf(out, "more %d\n", i)
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(b.String(), fmt.Sprintf("more %d", i)) && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
	}
	w.Close()
	lock.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for i := 0; i < 20; i++ {
		if !strings.Contains(got, fmt.Sprintf("more %d", i)) {
			t.Errorf("followed log lacks line %d: %q", i, got)
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
