package runtime

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroup is the set of cgroup directories a container is limited by: one
// on cgroup v2, one per controller on v1.
type cgroup struct {
	dirs []string
	// pidsMax is the pids.max file and pidsLimit the limit asked for: the
	// init's own threads are added to it once the init has joined, so that
	// the limit counts only the container's processes.
	pidsMax   string
	pidsLimit int64
}

// cgroupName is the name of the cgroup of the container whose scratch
// directory is scratch (<store>/run/<id>): gun-<store>-<id>, where <store>
// stands for the store's run directory, so that stale cgroups can be told
// by the absence of their run directory without touching other stores'.
func cgroupName(scratch string) string {
	runDir, id := filepath.Split(filepath.Clean(scratch))
	return cgroupPrefix(runDir) + id
}

func cgroupPrefix(runDir string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(runDir)))
	return "gun-" + hex.EncodeToString(sum[:4]) + "-"
}

// RemoveStaleCgroups removes the cgroups that containers of the store run
// directory runDir left behind when gun was killed: those whose run
// directory is gone. It looks in the cgroups this process belongs to,
// where gun creates them. A cgroup that still has processes stays (the
// kernel refuses), as does one this user may not remove. gun run calls it
// when it applies limits; gun prune calls it too.
func RemoveStaleCgroups(runDir string) (removed int, err error) {
	parents, err := cgroupParents()
	if err != nil {
		return 0, err
	}
	prefix := cgroupPrefix(runDir)
	var errs []error
	for _, p := range parents {
		entries, _ := os.ReadDir(p)
		for _, e := range entries {
			id, ok := strings.CutPrefix(e.Name(), prefix)
			if !ok || !e.IsDir() {
				continue
			}
			if _, err := os.Lstat(filepath.Join(runDir, id)); !errors.Is(err, os.ErrNotExist) {
				continue // alive, or unknown
			}
			dir := filepath.Join(p, e.Name())
			err := os.Remove(dir)
			switch {
			case err == nil:
				removed++
				slog.Debug("stale cgroup removed", "dir", dir)
			case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.EBUSY), errors.Is(err, os.ErrPermission):
			default:
				errs = append(errs, fmt.Errorf("remove stale cgroup: %w", err))
			}
		}
	}
	return removed, errors.Join(errs...)
}

// cgroupParents returns the directories gun creates containers' cgroups
// in: its own cgroup on v2 and in the v1 controllers it uses.
func cgroupParents() ([]string, error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	var dirs []string
	if mounts.v2 != "" {
		dirs = append(dirs, filepath.Join(mounts.v2, own[""]))
	}
	for _, ctl := range []string{"memory", "pids", "cpu"} {
		if mnt, ok := mounts.v1[ctl]; ok {
			if d := filepath.Join(mnt, own[ctl]); !contains(dirs, d) {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs, nil
}

// newCgroup creates and configures the cgroup(s) for the limits in r: on
// cgroup v2 when the cgroup gun runs in is delegated to it (writable, with
// the controllers available), else on cgroup v1 controllers as root. A
// limit that cannot be applied is an error.
func newCgroup(name string, r Resources) (*cgroup, error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	var needed []string
	if r.Memory > 0 {
		needed = append(needed, "memory")
	}
	if r.PidsLimit > 0 {
		needed = append(needed, "pids")
	}
	if r.CPUs > 0 {
		needed = append(needed, "cpu")
	}
	v2err := errors.New("no cgroup v2 file system is mounted")
	if mounts.v2 != "" {
		cg, err := newCgroupV2(filepath.Join(mounts.v2, own[""]), name, needed, r)
		if err == nil {
			cg.logApplied("v2", r)
			return cg, nil
		}
		slog.Debug("cgroup v2 not usable", "error", err)
		v2err = err
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("cannot apply --%s: %v; cgroup v1 controllers need root", limitFlag(needed), v2err)
	}
	cg := &cgroup{pidsLimit: r.PidsLimit}
	for _, ctl := range needed {
		mnt, ok := mounts.v1[ctl]
		if !ok {
			_ = cg.remove()
			return nil, fmt.Errorf("cannot apply --%s: %v, and no cgroup v1 %s controller is mounted", flagFor(ctl), v2err, ctl)
		}
		dir := filepath.Join(mnt, own[ctl], name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			_ = cg.remove()
			return nil, fmt.Errorf("cannot apply --%s: create cgroup: %w", flagFor(ctl), err)
		}
		cg.dirs = append(cg.dirs, dir)
		if ctl == "pids" {
			cg.pidsMax = filepath.Join(dir, "pids.max")
		}
		if err := writeV1Limits(dir, ctl, r); err != nil {
			_ = cg.remove()
			return nil, fmt.Errorf("cannot apply --%s: %w", flagFor(ctl), err)
		}
	}
	cg.logApplied("v1", r)
	return cg, nil
}

func (c *cgroup) logApplied(version string, r Resources) {
	slog.Debug("cgroup limits applied", "version", version, "dirs", c.dirs,
		"memory", r.Memory, "pids_limit", r.PidsLimit, "cpus", r.CPUs)
}

func newCgroupV2(parent, name string, needed []string, r Resources) (*cgroup, error) {
	b, err := os.ReadFile(filepath.Join(parent, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	have := strings.Fields(string(b))
	for _, ctl := range needed {
		if !contains(have, ctl) {
			return nil, fmt.Errorf("the cgroup v2 controller %s is not available in %s (it offers: %s)", ctl, parent, strings.Join(have, " "))
		}
	}
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup v2 subtree %s is not delegated to this user: %w", parent, err)
	}
	cg := &cgroup{dirs: []string{dir}, pidsLimit: r.PidsLimit, pidsMax: filepath.Join(dir, "pids.max")}
	var enable []string
	for _, ctl := range needed {
		enable = append(enable, "+"+ctl)
	}
	if err := os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte(strings.Join(enable, " ")), 0); err != nil {
		_ = cg.remove()
		return nil, fmt.Errorf("enable cgroup v2 controllers in %s: %w", parent, err)
	}
	w := func(file, v string) error {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(v), 0); err != nil {
			return fmt.Errorf("cgroup v2: set %s to %s: %w", file, v, err)
		}
		return nil
	}
	var errs []error
	if r.Memory > 0 {
		errs = append(errs, w("memory.max", strconv.FormatInt(r.Memory, 10)))
		if _, err := os.Stat(filepath.Join(dir, "memory.swap.max")); err == nil {
			errs = append(errs, w("memory.swap.max", "0"))
		}
	}
	if r.PidsLimit > 0 {
		errs = append(errs, w("pids.max", strconv.FormatInt(r.PidsLimit, 10)))
	}
	if r.CPUs > 0 {
		errs = append(errs, w("cpu.max", fmt.Sprintf("%d 100000", int64(r.CPUs*100000))))
	}
	if err := errors.Join(errs...); err != nil {
		_ = cg.remove()
		return nil, err
	}
	return cg, nil
}

func writeV1Limits(dir, ctl string, r Resources) error {
	w := func(file, v string) error {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(v), 0); err != nil {
			return fmt.Errorf("cgroup v1: set %s to %s: %w", file, v, err)
		}
		return nil
	}
	switch ctl {
	case "memory":
		v := strconv.FormatInt(r.Memory, 10)
		if err := w("memory.limit_in_bytes", v); err != nil {
			return err
		}
		// With swap accounting, no swap beyond the limit either.
		if _, err := os.Stat(filepath.Join(dir, "memory.memsw.limit_in_bytes")); err == nil {
			if err := w("memory.memsw.limit_in_bytes", v); err != nil {
				return err
			}
		}
		_ = w("memory.swappiness", "0")
	case "pids":
		return w("pids.max", strconv.FormatInt(r.PidsLimit, 10))
	case "cpu":
		if err := w("cpu.cfs_period_us", "100000"); err != nil {
			return err
		}
		return w("cpu.cfs_quota_us", strconv.FormatInt(int64(r.CPUs*100000), 10))
	}
	return nil
}

// add moves pid into the cgroup(s).
func (c *cgroup) add(pid int) error {
	for _, d := range c.dirs {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("join cgroup %s: %w", d, err)
		}
	}
	if c.pidsLimit > 0 {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			return fmt.Errorf("count init threads: %w", err)
		}
		v := strconv.FormatInt(c.pidsLimit+int64(len(tasks)), 10)
		if err := os.WriteFile(c.pidsMax, []byte(v), 0); err != nil {
			return fmt.Errorf("set %s to %s: %w", c.pidsMax, v, err)
		}
	}
	return nil
}

// remove deletes the cgroup(s) once their tasks are gone; the kernel may
// need a moment after the last one exits.
func (c *cgroup) remove() error {
	var errs []error
	for _, d := range c.dirs {
		var err error
		for i := 0; i < 500; i++ {
			if err = os.Remove(d); err == nil || errors.Is(err, os.ErrNotExist) || !errors.Is(err, syscall.EBUSY) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove cgroup: %w", err))
		}
	}
	return errors.Join(errs...)
}

type cgroupMountSet struct {
	v2 string            // cgroup2 mount point
	v1 map[string]string // controller -> mount point
}

func cgroupMounts() (cgroupMountSet, error) {
	ms := cgroupMountSet{v1: map[string]string{}}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ms, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mountpoint opts... - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		fields, rest := strings.Fields(pre), strings.Fields(post)
		if len(fields) < 5 || len(rest) < 3 {
			continue
		}
		switch rest[0] {
		case "cgroup2":
			if ms.v2 == "" {
				ms.v2 = fields[4]
			}
		case "cgroup":
			for _, o := range strings.Split(rest[2], ",") {
				if _, dup := ms.v1[o]; !dup {
					ms.v1[o] = fields[4]
				}
			}
		}
	}
	return ms, sc.Err()
}

// ownCgroups maps each v1 controller (and "" for v2) to this process's
// cgroup path.
func ownCgroups() (map[string]string, error) { return cgroupsOf("self") }

// joinContainerCgroups moves pid into the cgroups gun made for the limits
// of the container whose process target is (named gun-<store>-<id>,
// cgroupName): none when it has no limits.
func joinContainerCgroups(pid, target int) error {
	theirs, err := cgroupsOf(strconv.Itoa(target))
	if err != nil {
		return fmt.Errorf("the container's cgroups: %w", err)
	}
	var mounts *cgroupMountSet
	cg := &cgroup{}
	for ctl, path := range theirs {
		if !strings.HasPrefix(filepath.Base(path), "gun-") {
			continue
		}
		if mounts == nil {
			m, err := cgroupMounts()
			if err != nil {
				return fmt.Errorf("the container's cgroups: %w", err)
			}
			mounts = &m
		}
		mnt := mounts.v2
		if ctl != "" {
			mnt = mounts.v1[ctl]
		}
		if mnt == "" {
			return fmt.Errorf("the container's cgroup %s (%s): not mounted here", path, cmp.Or(ctl, "v2"))
		}
		if d := filepath.Join(mnt, path); !contains(cg.dirs, d) {
			cg.dirs = append(cg.dirs, d)
		}
	}
	return cg.add(pid)
}

// cgroupsOf maps each v1 controller (and "" for v2) to the cgroup path of
// the process pid ("self" for this one).
func cgroupsOf(pid string) (map[string]string, error) {
	f, err := os.Open("/proc/" + pid + "/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	own := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			own[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	return own, sc.Err()
}

func flagFor(ctl string) string {
	switch ctl {
	case "memory":
		return "memory"
	case "pids":
		return "pids-limit"
	}
	return "cpus"
}

func limitFlag(ctls []string) string {
	var f []string
	for _, c := range ctls {
		f = append(f, flagFor(c))
	}
	return strings.Join(f, ", --")
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}
