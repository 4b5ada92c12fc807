// Package container keeps the state of a user's containers beyond one gun
// process: the record of each (id, name, image, command, status, exit code,
// the pid of its monitor, its scratch directory, ...), its output log, and the names,
// unique per user.
//
// A Dir holds, for each container, a directory named by its id with
//
//	state.json   the record (Container), replaced atomically
//	lock         flock'ed exclusively by the processes that own the
//	             container (gun run, then its monitor) while it lives
//	ctr.log      its output (LogWriter), and ctr.log.1 rotated out of it
//	attach.sock  where its monitor serves gun attach (ListenAttach)
//
// and names/NAME, a symbolic link to the id of the container that holds
// NAME. Creating and removing take Dir's own lock, so that two gun
// processes claiming one name get one winner and an ErrNameInUse.
//
// Whether a container lives is the lock's answer, never a pid's: a
// container recorded as created or running whose lock nobody holds had its
// monitor killed, and is reported as exited with an unknown exit code, at
// once (no process is waited for).
package container

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/internal/atomicfile"
	"github.com/gun-tools/gun/internal/flock"
)

// Status is a container's state.
type Status string

const (
	Created Status = "created" // recorded; its command has not started yet
	Running Status = "running" // its command started and its monitor lives
	Exited  Status = "exited"  // its command ended (or its monitor is gone)
)

// Container is a container's record.
type Container struct {
	ID    string `json:"id"` // 64 hex digits, or the id a caller chose
	Name  string `json:"name"`
	Image string `json:"image"` // as the user named it
	// ImageID is the manifest digest of the image it runs ("" for a
	// directory): gun prune keeps that image while the record is there.
	ImageID string    `json:"image_id,omitempty"`
	Command []string  `json:"command"` // what runs: the entrypoint and arguments
	Created time.Time `json:"created"`
	Started time.Time `json:"started,omitzero"`
	// Finished is when its command ended (zero while it runs, and when
	// Unknown).
	Finished time.Time `json:"finished,omitzero"`
	Status   Status    `json:"status"`
	// ExitCode is the command's exit code (128+N when signal N killed it),
	// once Exited; -1 when Unknown.
	ExitCode int `json:"exit_code"`
	// Unknown: the container's owners are gone without recording its end
	// (its monitor was killed). Status is then Exited and ExitCode -1.
	Unknown bool `json:"unknown,omitempty"`
	// Error says why the container could not start, if so.
	Error string `json:"error,omitempty"`

	// MonitorPid is the process that owns the container: the monitor of a
	// detached one, gun itself for one in the foreground.
	MonitorPid int `json:"monitor_pid,omitempty"`

	Ports      []string `json:"ports,omitempty"`       // published: [IP:]HOST:CTR/PROTO
	StopSignal string   `json:"stop_signal,omitempty"` // the image's (SIGTERM when empty)
	Store      string   `json:"store,omitempty"`       // the image store it runs from
	// Scratch is the container's scratch directory in the store, where
	// runtime.LoadContainer finds what runs: its init (which gun stop and
	// kill signal) and what gun exec needs.
	Scratch    string `json:"scratch,omitempty"`
	AutoRemove bool   `json:"auto_remove,omitempty"` // removed when it exits (--rm)
	// Detached: run by a monitor, its output kept in its log; else a
	// foreground run, whose output is gun's, recorded while it runs.
	Detached bool `json:"detached,omitempty"`
	// Interactive: its stdin is open (-i), for gun attach to pass input;
	// TTY: its command has a pty (-t).
	Interactive bool `json:"interactive,omitempty"`
	TTY         bool `json:"tty,omitempty"`

	dir string
}

// Dir returns the container's state directory.
func (c *Container) Dir() string { return c.dir }

// LogPath returns the container's log file (LogWriter).
func (c *Container) LogPath() string { return filepath.Join(c.dir, logFile) }

// Live reports whether the container's owners hold its lock: its status is
// then as recorded. A loaded container that is not live has Status Exited.
func (c *Container) Live() bool { return held(filepath.Join(c.dir, lockFile)) }

// ShortID is the id's first 12 characters, as docker shows it.
func (c *Container) ShortID() string {
	if len(c.ID) > 12 {
		return c.ID[:12]
	}
	return c.ID
}

const (
	stateFile = "state.json"
	lockFile  = "lock"
	logFile   = "ctr.log"
	namesDir  = "names"
	dirLock   = "lock"
	// tmpPrefix marks a container's directory being made, rmPrefix one
	// being removed: neither is a container.
	tmpPrefix = ".tmp-"
	rmPrefix  = ".rm-"
)

// ErrNotFound is returned for a reference that names no container.
var ErrNotFound = errors.New("no such container")

// ErrNameInUse is returned by Create for a name another container holds.
var ErrNameInUse = errors.New("is in use")

// ErrLive is returned by Remove for a container that still lives.
var ErrLive = errors.New("container is running")

// Dir is a directory of containers' state.
type Dir struct{ path string }

// RuntimeDirEnv is the environment variable that DefaultPath reads.
const RuntimeDirEnv = "XDG_RUNTIME_DIR"

// DefaultPath returns where a user's containers live: $XDG_RUNTIME_DIR/gun/
// containers (a tmpfs of the user's), else <storeRoot>/containers.
func DefaultPath(storeRoot string) string {
	if d := os.Getenv(RuntimeDirEnv); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "gun", "containers")
	}
	return filepath.Join(storeRoot, "containers")
}

// Open opens the containers' directory path, making it if it is missing.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(path, namesDir), 0o700); err != nil {
		return nil, fmt.Errorf("containers' state: %w", err)
	}
	return &Dir{path: path}, nil
}

// Path returns d's directory.
func (d *Dir) Path() string { return d.path }

// lock takes d's own lock, which Create and Remove hold.
func (d *Dir) lock() (func(), error) {
	unlock, err := flock.Lock(filepath.Join(d.path, dirLock), 0o600, unix.LOCK_EX)
	if err != nil {
		return nil, fmt.Errorf("containers' state: lock: %w", err)
	}
	return unlock, nil
}

// Create records c as a new container: it gives c an id (unless c has
// one), claims c's name (a generated one when c.Name is empty) and writes
// the record, with c.Created set and c.Status Created when not set. It
// returns the container's lock file, locked: the container lives while
// that file (or a descriptor of it that a child inherited) is open. A
// name another container holds is ErrNameInUse.
func (d *Dir) Create(c *Container) (lock *os.File, err error) {
	if c.Name != "" {
		if err := CheckName(c.Name); err != nil {
			return nil, err
		}
	}
	if c.ID == "" {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		c.ID = hex.EncodeToString(b[:])
	} else if err := checkID(c.ID); err != nil {
		return nil, err
	}
	if c.Created.IsZero() {
		c.Created = time.Now().UTC()
	}
	if c.Status == "" {
		c.Status = Created
	}
	unlock, err := d.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Lstat(filepath.Join(d.path, c.ID)); err == nil {
		return nil, fmt.Errorf("container id %s is in use", c.ID)
	}
	if c.Name == "" {
		if c.Name, err = d.freeName(c.ID); err != nil {
			return nil, err
		}
	} else if other, taken := d.nameHolder(c.Name); taken {
		return nil, fmt.Errorf("container name %q %w by container %s: remove it (gun rm) or choose another name", c.Name, ErrNameInUse, shortID(other))
	}
	// Made aside, then renamed: a container's directory always has its
	// record and its lock, held.
	tmp := filepath.Join(d.path, tmpPrefix+c.ID)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("container %s: %w", c.ID, err)
	}
	defer func() {
		if err != nil {
			if lock != nil {
				lock.Close()
				lock = nil
			}
			os.RemoveAll(tmp)
		}
	}()
	if lock, err = os.OpenFile(filepath.Join(tmp, lockFile), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600); err != nil {
		return nil, fmt.Errorf("container %s: %w", c.ID, err)
	}
	if err = flock.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return nil, fmt.Errorf("container %s: lock: %w", c.ID, err)
	}
	c.dir = tmp
	if err = c.write(); err != nil {
		return nil, err
	}
	c.dir = filepath.Join(d.path, c.ID)
	if err = os.Rename(tmp, c.dir); err != nil {
		return nil, fmt.Errorf("container %s: %w", c.ID, err)
	}
	link := filepath.Join(d.path, namesDir, c.Name)
	os.Remove(link) // a stale one (nameHolder said so)
	if err = os.Symlink(c.ID, link); err != nil {
		os.RemoveAll(c.dir)
		return nil, fmt.Errorf("container name %q: %w", c.Name, err)
	}
	return lock, nil
}

// nameHolder returns the id of the container that holds name, if any. A
// link to a container that is gone holds nothing.
func (d *Dir) nameHolder(name string) (string, bool) {
	id, err := os.Readlink(filepath.Join(d.path, namesDir, name))
	if err != nil || checkID(id) != nil {
		return "", false
	}
	if _, err := os.Stat(filepath.Join(d.path, id, stateFile)); err != nil {
		return "", false
	}
	return id, true
}

// freeName returns a generated name that no container holds.
func (d *Dir) freeName(id string) (string, error) {
	for try := 0; try < 32; try++ {
		name := generateName(try >= 8)
		if _, taken := d.nameHolder(name); !taken {
			return name, nil
		}
	}
	return "", fmt.Errorf("container %s: no free name found", shortID(id))
}

// Save replaces c's record. The record of an exited container is written
// into its lock file too, for those that Wait: they read it there, through
// their own descriptor, also after the container was removed (--rm).
func (d *Dir) Save(c *Container) error {
	if c.dir == "" {
		c.dir = filepath.Join(d.path, c.ID)
	}
	if err := c.write(); err != nil {
		return err
	}
	if c.Status != Exited {
		return nil
	}
	b, _ := json.Marshal(c)
	// Another descriptor of the lock file: closing it keeps the lock.
	if err := os.WriteFile(filepath.Join(c.dir, lockFile), b, 0o600); err != nil {
		return fmt.Errorf("container %s: write state: %w", shortID(c.ID), err)
	}
	return nil
}

// marshal returns c's record as state.json holds it.
func (c *Container) marshal() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	return append(b, '\n'), err
}

func (c *Container) write() error {
	b, err := c.marshal()
	if err != nil {
		return err
	}
	// tmpfs, normally: an atomic rename is what matters, not a flush.
	if err := atomicfile.WriteCache(filepath.Join(c.dir, stateFile), b, 0o600); err != nil {
		return fmt.Errorf("container %s: write state: %w", shortID(c.ID), err)
	}
	return nil
}

// Get finds the container ref names: by id, name or unique id prefix, in
// that order.
func (d *Dir) Get(ref string) (*Container, error) {
	if ref == "" || strings.ContainsAny(ref, "/\x00") || strings.HasPrefix(ref, ".") {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, ref)
	}
	if c, err := d.load(ref); err == nil {
		return c, nil
	}
	if id, taken := d.nameHolder(ref); taken {
		if c, err := d.load(id); err == nil {
			return c, nil
		}
	}
	ids, err := d.ids()
	if err != nil {
		return nil, err
	}
	var found []string
	for _, id := range ids {
		if strings.HasPrefix(id, ref) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
	case 1:
		return d.load(found[0])
	}
	return nil, fmt.Errorf("container %q is ambiguous: %d containers' ids start with it", ref, len(found))
}

// List returns every container, the newest first.
func (d *Dir) List() ([]*Container, error) {
	ids, err := d.ids()
	if err != nil {
		return nil, err
	}
	var cs []*Container
	for _, id := range ids {
		c, err := d.load(id)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			// Shown, so that it can be removed.
			c = &Container{ID: id, Status: Exited, ExitCode: -1, Unknown: true, Error: err.Error(), dir: filepath.Join(d.path, id)}
		}
		cs = append(cs, c)
	}
	slices.SortStableFunc(cs, func(a, b *Container) int { return b.Created.Compare(a.Created) })
	return cs, nil
}

// ids returns the ids of d's containers.
func (d *Dir) ids() ([]string, error) {
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("containers' state: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && checkID(e.Name()) == nil {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// load reads the record of container id, and marks it exited (Unknown)
// if it is not so and its lock is free.
func (d *Dir) load(id string) (*Container, error) {
	dir := filepath.Join(d.path, id)
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	c := &Container{}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("container %s: state: %w", shortID(id), err)
	}
	c.dir = dir
	if c.Status != Exited && !c.Live() {
		c.Status, c.ExitCode, c.Unknown = Exited, -1, true
	}
	return c, nil
}

// Remove removes c's record, log and name. A container that lives is
// ErrLive.
func (d *Dir) Remove(c *Container) error {
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return d.remove(c.ID, false)
}

// RemoveOwned removes c as Remove does, for its owner, whose lock (from
// Create) it closes: whoever else holds it (a child that inherited it
// unawares) does not keep c. It closes the lock once c is gone, so that
// those that Wait find it gone.
func (d *Dir) RemoveOwned(c *Container, lock *os.File) error {
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	defer lock.Close()
	return d.remove(c.ID, true)
}

// remove removes container id, under d's lock; unless owned, not while it
// lives.
func (d *Dir) remove(id string, owned bool) error {
	dir := filepath.Join(d.path, id)
	if !owned && held(filepath.Join(dir, lockFile)) {
		return fmt.Errorf("%w: %s", ErrLive, shortID(id))
	}
	gone := filepath.Join(d.path, rmPrefix+id)
	if err := os.Rename(dir, gone); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotFound, shortID(id))
		}
		return fmt.Errorf("remove container %s: %w", shortID(id), err)
	}
	d.unlinkNames(id)
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("remove container %s: %w", shortID(id), err)
	}
	return nil
}

// unlinkNames removes the names that point at id, or at nothing.
func (d *Dir) unlinkNames(id string) {
	names, _ := os.ReadDir(filepath.Join(d.path, namesDir))
	for _, n := range names {
		link := filepath.Join(d.path, namesDir, n.Name())
		if target, err := os.Readlink(link); err == nil && target == id {
			os.Remove(link)
		}
	}
}

// Prune removes every container that does not live, and what killed gun
// processes left (directories half made or half removed, names of nothing).
// It returns the ids of the containers removed.
func (d *Dir) Prune() ([]string, error) {
	unlock, err := d.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return nil, fmt.Errorf("containers' state: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		name := e.Name()
		switch {
		case !e.IsDir() || name == namesDir:
		case strings.HasPrefix(name, tmpPrefix) || strings.HasPrefix(name, rmPrefix):
			if !held(filepath.Join(d.path, name, lockFile)) {
				if err := os.RemoveAll(filepath.Join(d.path, name)); err != nil {
					errs = append(errs, err)
				}
			}
		case checkID(name) == nil:
			if held(filepath.Join(d.path, name, lockFile)) {
				continue
			}
			if err := d.remove(name, false); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, name)
		}
	}
	names, _ := os.ReadDir(filepath.Join(d.path, namesDir))
	for _, n := range names {
		if _, taken := d.nameHolder(n.Name()); !taken {
			os.Remove(filepath.Join(d.path, namesDir, n.Name()))
		}
	}
	return removed, errors.Join(errs...)
}

// held reports whether someone holds the flock of path exclusively.
func held(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	return flock.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB) == unix.EWOULDBLOCK
}

// Wait waits until c's owners are gone (its lock is free) and returns its
// record then, also when the container was removed as it ended (--rm). It
// returns at once for a container that does not live.
func (d *Dir) Wait(c *Container) (*Container, error) {
	f, err := os.OpenFile(filepath.Join(c.dir, lockFile), os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", shortID(c.ID), err)
	}
	defer f.Close()
	if err := flock.Flock(int(f.Fd()), unix.LOCK_SH); err != nil {
		return nil, fmt.Errorf("container %s: wait: %w", shortID(c.ID), err)
	}
	if b, err := io.ReadAll(f); err == nil && len(b) > 0 {
		end := &Container{}
		if json.Unmarshal(b, end) == nil && end.ID == c.ID {
			end.dir = c.dir
			return end, nil
		}
	}
	return d.load(c.ID)
}

// CheckName checks a container name as docker does: a letter or digit,
// then letters, digits, '_', '.' or '-'.
func CheckName(name string) error {
	ok := len(name) > 0 && len(name) <= 128
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || (r != '_' && r != '.' && r != '-')) {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("invalid container name %q: want a letter or digit, then letters, digits, '_', '.' or '-'", name)
	}
	return nil
}

// checkID accepts an id that names a directory of Dir's own.
func checkID(id string) error {
	if id == "" || len(id) > 128 || strings.ContainsAny(id, "/\x00") || strings.HasPrefix(id, ".") || id == namesDir {
		return fmt.Errorf("invalid container id %q", id)
	}
	return nil
}

func shortID(id string) string { return (&Container{ID: id}).ShortID() }
