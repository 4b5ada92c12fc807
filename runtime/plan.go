package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gun-tools/gun/internal/atomicfile"
)

// A plan lets `gun run` set its container up while gun itself starts.
// After a run that the C init set up (no pty, volumes, limits or network
// namespace), gun writes what it sent into <store>/plans/<planKey of
// planArgs>: the holder's socket, the files bound on /etc, which standard
// streams are /dev/null and the C init's configuration, with planScratch
// standing for the scratch directory and without the command. The next gun
// with the same image (and options, if any) forks its init before Go
// starts (entry.c); that child reads the plan, makes a scratch directory,
// joins the holder's user namespace and sets everything up (plan.c,
// cinit.c) while gun's Go runtime starts and gun finds the image as
// always. The command runs only when the plan gun computes for this run is,
// byte for byte, the one the init used; gun's word (verdict) then brings
// the command. Else the init empties the scratch directory and exits, and
// gun starts its container as it does without a plan, then writes the new
// plan. A plan is a cache: wrong or stale, it costs time, never behaviour.
const (
	planMagic    = "gun-plan-8"
	plannedMagic = "gun-planned-1" // the prefork's first packet with a plan
	verdictMagic = "gun-go-1"      // gun's word to run a plan, with the command
	// planScratch stands for the scratch directory in a plan: a byte no
	// other string of a plan may hold.
	planScratch = "\x01"
	// planMax bounds a plan: it goes to gun in one packet.
	planMax  = 64 << 10
	plansDir = "plans"
	// planKeep bounds the plans of a store: writing one more removes the
	// least recently run (the init sets a plan's time when it runs it).
	planKeep = 256
)

// planned is a container that the prefork set up from a plan.
type planned struct {
	scratch string
	plan    []byte   // as the init read it
	lock    *os.File // the scratch directory's lock, taken
}

// verdict is gun's word to run a planned container: verdictMagic, then
// the command as the C init's configuration has lists (the count, then each
// argument, NUL-terminated). ok is false when it cannot be sent so.
func verdict(args []string) (b []byte, ok bool) {
	b, ok = appendStrings(nil, append([]string{verdictMagic, strconv.Itoa(len(args))}, args...)...)
	return b, ok && len(b) <= planMax
}

// planKey is FNV-1a (64 bits) of args, each with a NUL: plan.c has it too.
func planKey(args []string) uint64 {
	h := fnv.New64a()
	for _, a := range args {
		h.Write([]byte(a))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// planArgs returns what this process's plan is keyed by, from its command
// line, or nil when it has none. A plan holds no command, so that `gun run
// IMAGE [CMD...]` without options is keyed by IMAGE alone (after an empty
// string, which no other key starts with: it starts with an option); a
// command line with options, by everything after "run", as where its
// command starts takes parsing the options.
func planArgs(args []string) []string {
	switch {
	case len(args) < 3 || args[1] != "run":
		return nil
	case PlainRun(args[1:]):
		return []string{"", args[2]}
	}
	return args[2:]
}

// PlainRun reports whether args, a command line after the program's name,
// are `run IMAGE [CMD...]` without options: a program's own fast path (gun
// parses no options for it), and what plans are keyed by the image for
// (plan.c has the same test).
func PlainRun(args []string) bool {
	return len(args) >= 2 && args[0] == "run" && !strings.HasPrefix(args[1], "-")
}

// planPath is the plan file for args in the store dir.
func planPath(dir string, args []string) string {
	return filepath.Join(dir, plansDir, fmt.Sprintf("%016x", planKey(args)))
}

// planBytes returns the plan of a container whose configuration is cfg,
// joining the holder at sock, with the standard streams of the
// prefork flags stdio and the fast section fast (fastplan.go; nil for
// none): nil when it has none. The next container's scratch directory goes
// in the run directory of cfg's.
func planBytes(sock string, stdio int, cfg *initConfig, etc []scratchFile, fast []string) []byte {
	c := *cfg
	c.Scratch = planScratch
	c.Args = nil // gun's word brings it (verdict)
	config, err := fastConfig(&c)
	if err != nil {
		return nil
	}
	strs := []string{planMagic, sock, filepath.Dir(cfg.Scratch)}
	for _, name := range etcFiles {
		var data []byte
		for _, f := range etc {
			if f.name == name {
				data = f.data
			}
		}
		strs = append(strs, string(data))
	}
	head, ok := appendStrings(nil, append(strs, strconv.Itoa(stdio))...)
	// The scratch directory, and the overlay's upper and work directories
	// unless its options do not fit a page (the init then gives the
	// layers one at a time, and the directories in the scratch directory).
	stand := 1
	if overlayOptions(c.Layers, filepath.Join(planScratch, scratchUpper), filepath.Join(planScratch, scratchWork), c.KeepUpper) != "" {
		stand = 3
	}
	if !ok || bytes.Count(head, []byte(planScratch))+bytes.Count(config, []byte(planScratch)) != stand {
		return nil
	}
	b, ok := appendStrings(head, append([]string{strconv.Itoa(len(fast) + 1)}, fast...)...)
	if fast == nil || !ok || bytes.Contains(b[len(head):], []byte(planScratch)) {
		b = append(head, "0\x00"...)
	} else {
		b = append(b, planSum(b, config)...)
		b = append(b, 0)
	}
	b = append(b, config...)
	if len(b) > planMax {
		return nil
	}
	return b
}

// writePlan writes plan as the plan for args in the store dir, unless it
// is there already. A plan is a cache: it is replaced atomically, not
// synced, and a failure only costs the next run its head start.
func writePlan(dir string, args []string, plan []byte) error {
	path := planPath(dir, args)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, plan) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteCache(path, plan, 0o600); err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	return trimPlans(filepath.Dir(path), planKeep)
}

// trimPlans removes the least recently run plans in dir beyond keep.
func trimPlans(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) <= keep {
		return err
	}
	type plan struct {
		name string
		used time.Time
	}
	var plans []plan
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			plans = append(plans, plan{e.Name(), fi.ModTime()})
		}
	}
	slices.SortFunc(plans, func(a, b plan) int { return b.used.Compare(a.used) })
	var errs []error
	for _, p := range plans[min(keep, len(plans)):] {
		if err := os.Remove(filepath.Join(dir, p.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// holderSock returns the socket of the holder for the maps m in the
// store, or "" when containers do not join a holder.
func (rt *Runtime) holderSock(m *idMaps) string {
	if rt.dir == "" {
		return ""
	}
	sock, _ := holderPaths(rt.dir, m)
	return sock
}

// planFor returns the plan of the container cfg of spec, as s would start
// it, or nil when it has none.
func (s *Starter) planFor(spec *Spec, cfg *initConfig, etc []scratchFile, commit bool) []byte {
	if commit || spec.TTY || spec.Resources.Any() || cfg.NetNS || cfg.Copied {
		return nil
	}
	stdio, ok := preforkStdio(*spec)
	if !ok {
		return nil
	}
	sock := s.rt.holderSock(s.maps)
	if sock == "" {
		return nil
	}
	return planBytes(sock, stdio, cfg, etc, s.fastSection(spec, cfg))
}

// checkPlan reports whether the planned container is the one s is to run:
// its scratch directory is spec's (Scratch checked that it is in the
// store's run directory), and its plan is cfg's, but for the fast section
// (which the init does not read). It keeps the plan for savePlan.
func (s *Starter) checkPlan(spec *Spec, cfg *initConfig, etc []scratchFile, commit bool) bool {
	if cfg.Scratch != s.planned.scratch {
		return false
	}
	s.plan = s.planFor(spec, cfg, etc, commit)
	core := planCore(s.plan)
	return core != nil && bytes.Equal(core, planCore(s.planned.plan))
}

// savePlan writes the plan of the container s started, when its command
// line has one and it is not the one the init ran.
func (s *Starter) savePlan(spec *Spec, cfg *initConfig, etc []scratchFile, commit bool) {
	if s.planArgs == nil || s.rt.dir == "" {
		return
	}
	plan := s.plan
	if s.planned == nil {
		plan = s.planFor(spec, cfg, etc, commit)
	} else if bytes.Equal(plan, s.planned.plan) || !hasFast(plan) && bytes.Equal(planCore(plan), planCore(s.planned.plan)) {
		// A run that makes no fast section (a detached container's
		// monitor, a run whose files had just changed) leaves the one the
		// plan has: C checks its files before it trusts it.
		return
	}
	if plan == nil {
		return
	}
	if err := writePlan(s.rt.dir, s.planArgs, plan); err != nil {
		slog.Debug("run plan not saved", "error", err)
	}
}

// Scratch returns the scratch directory that the prestarted container was
// set up in from a plan, if it is in runDir, the store's run directory,
// and a function that releases its lock, to call once the directory is
// removed. ok is false when there is none and the caller makes the scratch
// directory as always (Spec.Scratch).
func (s *Starter) Scratch(runDir string) (dir string, release func(), ok bool) {
	if s.planned == nil {
		return "", nil, false
	}
	if abs, err := filepath.Abs(runDir); err != nil || filepath.Dir(s.planned.scratch) != abs {
		return "", nil, false // the plan is not run (checkPlan)
	}
	lock := s.planned.lock
	return s.planned.scratch, func() { lock.Close() }, true
}

// parsePlanned decodes the prefork's first packet with a plan:
// plannedMagic, the scratch directory and the plan, NUL-separated, with
// the scratch directory's lock attached.
func parsePlanned(b []byte, fds []int) (*planned, error) {
	if len(fds) != 1 {
		for _, fd := range fds {
			os.NewFile(uintptr(fd), "").Close()
		}
		return nil, fmt.Errorf("planned start: %d descriptors, want the lock", len(fds))
	}
	lock := os.NewFile(uintptr(fds[0]), "scratch-lock")
	parts := bytes.SplitN(b, []byte{0}, 3)
	if len(parts) != 3 || string(parts[0]) != plannedMagic || !filepath.IsAbs(string(parts[1])) {
		lock.Close()
		return nil, errors.New("planned start: malformed report")
	}
	return &planned{scratch: string(parts[1]), plan: parts[2], lock: lock}, nil
}
