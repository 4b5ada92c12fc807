package runtime

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/gun-tools/gun/guntar"
)

// IDMap is one line of a user namespace's uid_map or gid_map.
type IDMap = guntar.IDMapping

// idMaps is how the container's ids are mapped onto the host's.
type idMaps struct {
	uids, gids []IDMap
	// helper is true when newuidmap/newgidmap must write the maps (an
	// unprivileged user with subordinate ranges); false when gun writes
	// them itself.
	helper bool
	// single is true when only the user's own ids are mapped; setgroups is
	// then denied in the container.
	single bool
	// newuidmap and newgidmap are the helpers' paths, with helper.
	newuidmap, newgidmap string
	// notice, with single, says why (Runtime.maps gives it).
	notice string
}

// key names the mapping, so that caches of files owned under different
// mappings are kept apart.
func (m *idMaps) key() string {
	var b strings.Builder
	for i, l := range [][]IDMap{m.uids, m.gids} {
		if i > 0 {
			b.WriteByte('_')
		}
		for j, e := range l {
			if j > 0 {
				b.WriteByte('-')
			}
			fmt.Fprintf(&b, "%d.%d.%d", e.ContainerID, e.HostID, e.Size)
		}
	}
	return b.String()
}

func (m *idMaps) sysUIDs() []syscall.SysProcIDMap { return sysMaps(m.uids) }
func (m *idMaps) sysGIDs() []syscall.SysProcIDMap { return sysMaps(m.gids) }

func sysMaps(l []IDMap) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(l))
	for i, e := range l {
		out[i] = syscall.SysProcIDMap{ContainerID: e.ContainerID, HostID: e.HostID, Size: e.Size}
	}
	return out
}

var (
	mapsOnce   sync.Once
	mapsCached *idMaps
	mapsErr    error
)

// hostMaps returns the id maps for containers of the current user, worked
// out once per process. With newuidmap/newgidmap and ranges in /etc/subuid
// and /etc/subgid, container root is the user and 1..N the range; otherwise
// only the user is mapped, and the maps' notice says why.
func hostMaps() (*idMaps, error) {
	mapsOnce.Do(func() {
		mapsCached, mapsErr = computeMaps()
		if m := mapsCached; mapsErr == nil && debugEnabled() {
			how := "written by gun"
			if m.helper {
				how = "written by " + m.newuidmap + " and " + m.newgidmap
			}
			slog.Debug("id maps chosen", "uid_map", formatMaps(m.uids), "gid_map", formatMaps(m.gids), "how", how, "only_the_user", m.single)
		}
	})
	return mapsCached, mapsErr
}

func computeMaps() (*idMaps, error) {
	uid, gid := os.Getuid(), os.Getgid()
	name := userName(uid)
	subu, erru := SubIDRange("/etc/subuid", name, uid)
	subg, errg := SubIDRange("/etc/subgid", name, uid)
	m := &idMaps{}
	if erru == nil && errg == nil && subu.Size > 0 && subg.Size > 0 {
		m.uids = []IDMap{{ContainerID: 0, HostID: uid, Size: 1}, {ContainerID: 1, HostID: subu.HostID, Size: subu.Size}}
		m.gids = []IDMap{{ContainerID: 0, HostID: gid, Size: 1}, {ContainerID: 1, HostID: subg.HostID, Size: subg.Size}}
		if uid == 0 {
			return m, nil // root writes any map itself
		}
		if u, err := exec.LookPath("newuidmap"); err == nil {
			if g, err := exec.LookPath("newgidmap"); err == nil {
				m.helper = true
				m.newuidmap, m.newgidmap = u, g
				return m, nil
			}
		}
		m.notice = fmt.Sprintf("newuidmap/newgidmap not found (Debian package uidmap); mapping only uid %d and gid %d to root in containers", uid, gid)
	} else {
		why := "no range for " + name + " in /etc/subuid and /etc/subgid"
		for _, err := range []error{erru, errg} {
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				why = err.Error()
			}
		}
		m.notice = fmt.Sprintf("%s; mapping only uid %d and gid %d to root in containers, so images with other users may fail", why, uid, gid)
	}
	m.uids = []IDMap{{ContainerID: 0, HostID: uid, Size: 1}}
	m.gids = []IDMap{{ContainerID: 0, HostID: gid, Size: 1}}
	m.single = true
	return m, nil
}

// userName returns the name of uid, or the number when it has none. It
// reads /etc/passwd first: the C library's lookup (through NSS) costs more,
// and every container start asks.
func userName(uid int) string {
	id := strconv.Itoa(uid)
	if b, err := os.ReadFile("/etc/passwd"); err == nil {
		for line := range strings.Lines(string(b)) {
			f := strings.SplitN(line, ":", 4)
			if len(f) == 4 && f[2] == id && f[0] != "" {
				return f[0]
			}
		}
	}
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return id
}

// Warn receives the runtime's one-time warnings. It prints to stderr by
// default.
var Warn = func(msg string) { fmt.Fprintf(os.Stderr, "gun: warning: %s\n", msg) }

// The notice that only the user is mapped leaves this marker in the store's
// directory, if any, so that it is given once, not on every run. The debug
// log has it every time.
const singleMapMarker = "notice-only-the-user-mapped"

func warnSingle(storeDir, msg string) {
	slog.Debug("id maps: only the user is mapped", "why", msg)
	if storeDir != "" {
		if err := os.MkdirAll(storeDir, 0o755); err == nil {
			f, err := os.OpenFile(filepath.Join(storeDir, singleMapMarker), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if errors.Is(err, os.ErrExist) {
				return // said before
			}
			if err == nil {
				_, _ = f.WriteString(msg + "\n")
				f.Close()
			}
		}
	}
	Warn(msg)
}

// SubIDRange returns the first range for the user (by name or uid) in a
// subordinate id file such as /etc/subuid. The returned map's HostID is the
// range's start and Size its count. A file without one gives an error
// that is os.ErrNotExist.
func SubIDRange(file, name string, uid int) (IDMap, error) {
	f, err := os.Open(file)
	if err != nil {
		return IDMap{}, err
	}
	defer f.Close()
	r, err := parseSubID(f, file, name, strconv.Itoa(uid))
	if err != nil {
		return IDMap{}, err
	}
	return r, nil
}

func parseSubID(r io.Reader, file, name, uid string) (IDMap, error) {
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, ":")
		if len(f) != 3 || (f[0] != name && f[0] != uid) {
			continue
		}
		start, err1 := strconv.Atoi(f[1])
		count, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || start < 0 || count <= 0 {
			return IDMap{}, fmt.Errorf("%s:%d: malformed range %q", file, line, text)
		}
		return IDMap{ContainerID: 1, HostID: start, Size: count}, nil
	}
	if err := sc.Err(); err != nil {
		return IDMap{}, fmt.Errorf("read %s: %w", file, err)
	}
	return IDMap{}, fmt.Errorf("%s: %w", file, os.ErrNotExist)
}

// writeMapsWithHelper runs newuidmap and newgidmap for pid, concurrently.
func writeMapsWithHelper(pid int, m *idMaps) error {
	args := func(l []IDMap) []string {
		a := []string{strconv.Itoa(pid)}
		for _, e := range l {
			a = append(a, strconv.Itoa(e.ContainerID), strconv.Itoa(e.HostID), strconv.Itoa(e.Size))
		}
		return a
	}
	ucmd := exec.Command(m.newuidmap, args(m.uids)...)
	gcmd := exec.Command(m.newgidmap, args(m.gids)...)
	var uout, gout strings.Builder
	ucmd.Stdout, ucmd.Stderr = &uout, &uout
	gcmd.Stdout, gcmd.Stderr = &gout, &gout
	if err := ucmd.Start(); err != nil {
		return fmt.Errorf("newuidmap: %w", err)
	}
	gerr := gcmd.Start()
	uerr := ucmd.Wait()
	if gerr == nil {
		gerr = gcmd.Wait()
	}
	if uerr != nil {
		return fmt.Errorf("newuidmap %v: %w: %s", args(m.uids), uerr, strings.TrimSpace(uout.String()))
	}
	if gerr != nil {
		return fmt.Errorf("newgidmap %v: %w: %s", args(m.gids), gerr, strings.TrimSpace(gout.String()))
	}
	return nil
}

// formatMaps writes maps as uid_map does, one "inside outside count" a
// line, lines separated by commas.
func formatMaps(l []IDMap) string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %d %d", e.ContainerID, e.HostID, e.Size)
	}
	return b.String()
}
