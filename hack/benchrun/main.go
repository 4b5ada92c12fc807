// Command benchrun times commands start to exit in interleaved rounds, one
// run of each per round, so that a load that comes and goes on a shared
// machine hits every command alike, and prints each one's median, minimum
// and mean, the median of its minor page faults (of the command and the
// children it waited for: a count that the load hardly changes, and which
// costs much on a virtual machine), and the ratios asked for.
//
// Each command is treated alike: the order of the commands turns by one
// each round, so that each runs after each of the others as often, and
// before the warm-up the page cache of each command's program is dropped,
// so that each is read from disk as after a reboot. How a file came into
// the cache changes the page faults of every start: gun as the linker wrote
// it took about 120 fewer per run than a copy of the same file (280 against
// 405), which made one build look a third cheaper than itself.
//
//	benchrun [-runs N] [-warmup N] [-ratios a/b,...] NAME=COMMAND...
//
// COMMAND is split on white space; leading K=V words are set in its
// environment (as env(1) would, without running env); stdin is empty,
// output is discarded.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

type command struct {
	name  string
	env   []string // nil: benchrun's own
	args  []string
	times []time.Duration
	// faults are the minor page faults of each timed run: of the command
	// and the children it waited for. They hardly depend on the machine's
	// load, which the times do.
	faults []int64
}

func run() error {
	runs := flag.Int("runs", 100, "timed runs of each command")
	warmup := flag.Int("warmup", 5, "untimed runs of each command first")
	ratios := flag.String("ratios", "", "comma-separated `a/b` pairs of names to print the ratios of")
	flag.Parse()
	var cmds []*command
	byName := map[string]*command{}
	for _, a := range flag.Args() {
		name, line, ok := strings.Cut(a, "=")
		if !ok || name == "" || len(strings.Fields(line)) == 0 {
			return fmt.Errorf("%q: want NAME=COMMAND", a)
		}
		c := &command{name: name, args: strings.Fields(line)}
		for len(c.args) > 1 && strings.Contains(c.args[0], "=") {
			c.env = append(c.env, c.args[0])
			c.args = c.args[1:]
		}
		if c.env != nil {
			c.env = append(os.Environ(), c.env...)
		}
		cmds = append(cmds, c)
		byName[name] = c
	}
	if len(cmds) == 0 {
		return fmt.Errorf("no commands")
	}
	for _, c := range cmds {
		if err := dropCache(c.args[0]); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	for round := -*warmup; round < *runs; round++ {
		for i := range cmds {
			c := cmds[(i+round+*warmup)%len(cmds)]
			d, faults, err := timeOne(c)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if round >= 0 {
				c.times = append(c.times, d)
				c.faults = append(c.faults, faults)
			}
		}
	}
	for _, c := range cmds {
		slices.Sort(c.times)
		slices.Sort(c.faults)
		fmt.Printf("%-14s median %6.2f ms  min %6.2f ms  mean %6.2f ms  page faults %5d  (%d runs)\n",
			c.name, ms(median(c.times)), ms(c.times[0]), ms(mean(c.times)), c.faults[len(c.faults)/2], len(c.times))
	}
	if *ratios == "" {
		return nil
	}
	for _, r := range strings.Split(*ratios, ",") {
		an, bn, _ := strings.Cut(r, "/")
		a, b := byName[an], byName[bn]
		if a == nil || b == nil {
			return fmt.Errorf("ratio %q: no such commands", r)
		}
		fmt.Printf("%s = %.2f (medians), %.2f (minima), %.2f (means)\n", r,
			ms(median(a.times))/ms(median(b.times)), ms(a.times[0])/ms(b.times[0]), ms(mean(a.times))/ms(mean(b.times)))
	}
	return nil
}

func timeOne(cmd *command) (time.Duration, int64, error) {
	c := exec.Command(cmd.args[0], cmd.args[1:]...)
	c.Env = cmd.env
	// A pipe, not /dev/null, for stdin: runc chowns its stdio.
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(""), io.Discard, io.Discard
	start := time.Now()
	err := c.Run()
	d := time.Since(start)
	var faults int64
	if c.ProcessState == nil {
		return d, 0, err
	}
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		faults = ru.Minflt
	}
	return d, faults, err
}

// dropCache writes the program prog (as exec finds it) back and drops it
// from the page cache.
func dropCache(prog string) error {
	path, err := exec.LookPath(prog)
	if err != nil {
		return err
	}
	if path, err = filepath.EvalSymlinks(path); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("drop %s from the page cache: %w", path, err)
	}
	return nil
}

func median(ts []time.Duration) time.Duration { return ts[len(ts)/2] }

func mean(ts []time.Duration) time.Duration {
	var sum time.Duration
	for _, t := range ts {
		sum += t
	}
	return sum / time.Duration(len(ts))
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
