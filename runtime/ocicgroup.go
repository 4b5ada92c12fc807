package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// cgroupRoot is where the host's cgroup file systems are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// ociCgroupsPath checks linux.cgroupsPath: a path of cgroups (absolute:
// from each hierarchy's root; relative: from gun's own cgroup).
func ociCgroupsPath(p string) error {
	if p == "" {
		return nil
	}
	if slices.Contains(strings.Split(p, "/"), "..") || strings.ContainsRune(p, 0) {
		return fmt.Errorf("linux.cgroupsPath %q: not a cgroup path", p)
	}
	return nil
}

// cgroupHierarchies maps the mount point of each cgroup hierarchy under
// /sys/fs/cgroup (or of the cgroup2 file system at /sys/fs/cgroup itself)
// to this process's cgroup in it.
func cgroupHierarchies() (map[string]string, error) {
	ms, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	h := map[string]string{}
	for ctl, mnt := range ms.v1 {
		if p, ok := own[ctl]; ok && (mnt == cgroupRoot || filepath.Dir(mnt) == cgroupRoot) {
			h[mnt] = p
		}
	}
	if p, ok := own[""]; ok && ms.v2 != "" && (ms.v2 == cgroupRoot || filepath.Dir(ms.v2) == cgroupRoot) {
		h[ms.v2] = p
	}
	return h, nil
}

// placeCgroups makes the cgroup linux.cgroupsPath names in every hierarchy
// where this user may (cgroup v2's when delegated, a v1 hierarchy's when
// writable) and returns them, with the hierarchies (mount points) where it
// could not. hier maps mount points to gun's own cgroups; the placed ones
// are changed to the container's.
func placeCgroups(path string, hier map[string]string) (placed *cgroup, unplaced []string) {
	placed = &cgroup{}
	mnts := make([]string, 0, len(hier))
	for m := range hier {
		mnts = append(mnts, m)
	}
	slices.Sort(mnts)
	for _, mnt := range mnts {
		rel := path
		if !filepath.IsAbs(path) {
			rel = filepath.Join(hier[mnt], path)
		}
		dir := filepath.Join(mnt, rel)
		if err := os.MkdirAll(dir, 0o755); err != nil || unix.Access(filepath.Join(dir, "cgroup.procs"), unix.W_OK) != nil {
			unplaced = append(unplaced, mnt)
			continue
		}
		placed.dirs = append(placed.dirs, dir)
		hier[mnt] = filepath.Clean("/" + rel)
	}
	return placed, unplaced
}

// cgroupView returns the mounts that make config.json's cgroup mount m:
// the container's own cgroups of the host, as rootless runc binds them
// where a user namespace may mount no cgroup v1 file system. On cgroup v2
// alone, the container's cgroup is bound at m's target; else a tmpfs there
// holds a directory per hierarchy (cpu, memory, ..., unified), each the
// container's cgroup of it. With ro, all of it is read-only. hier maps
// the hierarchies' mount points to the container's cgroups.
func cgroupView(m ociMount, hier map[string]string) ([]ociMount, error) {
	if len(hier) == 0 {
		return nil, errors.New("no cgroup file system is mounted under " + cgroupRoot)
	}
	fsFlags := m.Flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY)
	bind := func(mnt, target string) ociMount {
		return ociMount{Source: filepath.Join(mnt, hier[mnt]), Target: target, Type: "bind", Flags: unix.MS_BIND | fsFlags | m.Flags&unix.MS_RDONLY}
	}
	if _, ok := hier[cgroupRoot]; ok {
		v := bind(cgroupRoot, m.Target)
		v.Propagation = m.Propagation
		return []ociMount{v}, nil
	}
	tmpfs := ociMount{Source: "cgroup", Target: m.Target, Type: "tmpfs", Flags: fsFlags, Propagation: m.Propagation, Data: "mode=755"}
	view := []ociMount{tmpfs}
	mnts := make([]string, 0, len(hier))
	for mnt := range hier {
		mnts = append(mnts, mnt)
	}
	slices.Sort(mnts)
	for _, mnt := range mnts {
		view = append(view, bind(mnt, filepath.Join(m.Target, filepath.Base(mnt))))
	}
	if m.Flags&unix.MS_RDONLY != 0 {
		// The tmpfs too, once its mount points are made.
		tmpfs.Flags |= unix.MS_REMOUNT | unix.MS_RDONLY
		tmpfs.Propagation = 0
		view = append(view, tmpfs)
	}
	return view, nil
}

// cgroups places the container in linux.cgroupsPath where it may (a
// warning names the hierarchies where not) and replaces config.json's
// cgroup mounts by their views of the container's cgroups. The cgroup it
// returns (nil without a cgroupsPath) is for the container's process to
// join.
func (s *ociSpec) cgroups() (*cgroup, error) {
	o := s.cfg.OCI
	view := slices.ContainsFunc(o.Mounts, func(m ociMount) bool { return m.Type == "cgroup" })
	if s.cgroupsPath == "" && !view {
		return nil, nil
	}
	hier, err := cgroupHierarchies()
	if err != nil {
		return nil, fmt.Errorf("cgroups: %w", err)
	}
	var placed *cgroup
	if s.cgroupsPath != "" {
		var unplaced []string
		placed, unplaced = placeCgroups(s.cgroupsPath, hier)
		if len(unplaced) > 0 {
			slog.Warn("linux.cgroupsPath: this user may not make cgroups there: the container is not placed in these hierarchies",
				"cgroupsPath", s.cgroupsPath, "hierarchies", strings.Join(unplaced, " "))
		}
	}
	var mounts []ociMount
	for i, m := range o.Mounts {
		if m.Type != "cgroup" {
			mounts = append(mounts, m)
			continue
		}
		v, err := cgroupView(m, hier)
		if err != nil {
			if placed != nil {
				_ = placed.remove()
			}
			return nil, fmt.Errorf("mounts[%d] (%s): %w", i, m.Target, err)
		}
		mounts = append(mounts, v...)
	}
	o.Mounts = mounts
	return placed, nil
}

// RemoveOCICgroups removes the cgroups a container of an OCI bundle was
// placed in (OCIProcess.Cgroups), once its processes are gone.
func RemoveOCICgroups(dirs []string) error { return (&cgroup{dirs: dirs}).remove() }
