package runtime

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gun-tools/gun/internal/proc"
)

// A plan of `gun run [OPTIONS] IMAGE [CMD...]` can do more than set its
// container up while gun starts: when the C constructor can prove it
// current, it runs the container and waits for it without starting Go at
// all (entry.c's gun_fast), as bubblewrap does. For that the plan carries
// its fast section: the command line it is for (planArgs, which its file's
// name is a hash of); the identity (device, inode, mode, size,
// modification and change times) of every file gun read to make it, and
// the values of the environment variables that chose them; the image's
// entrypoint and default command, for the command line; what a detached
// container's record takes (Claim); the container's record (exec.go) but
// for the init's pid; and a checksum of the whole
// plan, so that a damaged or edited one is not run. The constructor stats
// the files and compares; any difference, a stale scratch directory in the
// store or anything unexpected, and gun's Go runs as without it (the plan
// is then checked and rewritten as always). A plan made while one of its
// files had just changed has no fast section: gun cannot tell whether it
// read the file before or after the change (git's racy index entries).
//
// Options are Go's to resolve, once: the constructor parses none. A plan
// of a command line with options is keyed by all of it, its command too,
// and holds what gun made of the options (the init's configuration, the
// standard streams) and what they read on the host (an --env-file, a
// seccomp profile, the host's variables -e KEY takes, a volume's source,
// the working directory a relative one is resolved in); the caller sets
// Spec.Fast only for options whose whole effect is that (FastRun).

// FastRun is what a plan's fast section takes from gun run: the caller sets
// it only for a command line `run [OPTIONS] IMAGE [CMD...]` whose options
// change nothing but the container's configuration and read nothing on the
// host but Files and Env.
type FastRun struct {
	// Files are those read to find the image: IMAGE as given (relative to
	// the working directory, as it was looked up) and the store's files
	// (store.RunImage's Sources); and those the options read (--env-file).
	Files []string
	// Env are the host's variables the options read (-e KEY).
	Env []string
	// Entrypoint and Cmd are the image's: the command is Entrypoint, then
	// CMD, or Cmd without one. With options, whose plan is keyed by the
	// command too, Entrypoint is the whole command and Cmd nil.
	Entrypoint, Cmd []string
	// ThisBoot: a layer is not synced yet, good for this boot only
	// (store.RunImage.Durable).
	ThisBoot bool
	// Claim is what the constructor takes to record a detached container
	// that it starts from the plan.
	Claim Claim
}

// Claim is what the constructor takes to record a detached container that
// it starts from its plan (claim.c), all of it the container package's, so
// that the C names no field of a record nor where records live.
type Claim struct {
	// Dir is the containers' directory (container.DefaultPath).
	Dir string
	// Records are the templates of the container's record
	// (container.Template): created, created with --rm, running, and
	// running with --rm.
	Records [4]string
	// Adjectives and Nouns, as many of each, make generated names
	// (container.NameWords).
	Adjectives, Nouns []string
}

// strings lays c out for a plan's fast section: Dir, Records, the number
// of words of each kind and the words; nil when it cannot.
func (c *Claim) strings() []string {
	if len(c.Adjectives) != len(c.Nouns) {
		return nil
	}
	strs := append([]string{c.Dir}, c.Records[:]...)
	return slices.Concat(strs, []string{strconv.Itoa(len(c.Nouns))}, c.Adjectives, c.Nouns)
}

// bootID is the file whose content names this boot: a plan of layers good
// for this boot only holds it among its variables (a name that starts with
// "/" is a file's content to plan.c).
const bootID = "/proc/sys/kernel/random/boot_id"

// fastEnv are the environment variables a plain gun run depends on beyond
// the plan's file name (the store's, from GUN_ROOT, XDG_DATA_HOME or
// HOME): PATH finds newuidmap and newgidmap.
var fastEnv = []string{"PATH"}

// fastRacy: a file changed this shortly before gun started may have been
// read before the change; the memo of archive digests waits as long.
const fastRacy = time.Second

// processStart is when this process started, near enough: before it read
// anything.
var processStart = time.Now()

// fastSection returns the fast section of the plan of the container cfg
// of spec, without the checksum, or nil when it has none.
func (s *Starter) fastSection(spec *Spec, cfg *initConfig) []string {
	p := spec.Fast
	if p == nil || len(s.planArgs) < 2 || cfg.Debug || s.maps == nil || s.maps.notice != "" {
		return nil
	}
	files := slices.Concat(p.Files, cfg.Layers, []string{"/proc/self/exe", "/etc/resolv.conf", "/etc/passwd", "/etc/subuid", "/etc/subgid"})
	if s.maps.helper {
		files = append(files, s.maps.newuidmap, s.maps.newgidmap)
	}
	if spec.SeccompProfile != "" && !spec.Privileged && !spec.Unconfined {
		files = append(files, spec.SeccompProfile)
	}
	since := processStart.Add(-fastRacy)
	var idents []string
	for _, f := range files {
		id, ok := fileIdentity(f, since)
		if !ok || f == "" {
			return nil
		}
		idents = append(idents, f, id)
	}
	// A volume's source needs only to exist (prepareConfig), in the
	// working directory gun found when it is relative.
	relative := false
	for _, m := range cfg.Mounts {
		if !m.Tmpfs {
			idents = append(idents, m.Source, sourceExists)
		}
	}
	for _, m := range spec.Mounts {
		relative = relative || !m.Tmpfs && !filepath.IsAbs(m.Source)
	}
	var env []string
	for _, k := range slices.Concat(fastEnv, p.Env) {
		v, ok := os.LookupEnv(k)
		env = append(env, k, envIdentity(v, ok))
	}
	if relative {
		wd, err := os.Getwd()
		if err != nil {
			return nil
		}
		env = append(env, workingDir, envIdentity(wd, true))
	}
	if p.ThisBoot {
		b, err := os.ReadFile(bootID)
		if err != nil || len(b) == 0 || len(b) > 255 {
			return nil
		}
		env = append(env, bootID, envIdentity(string(b), true))
	}
	rec, err := containerRecordJSON(cfg, proc.ID{})
	tail, ok := bytes.CutPrefix(rec, []byte(`{"Init":{"pid":0,"start":0}`))
	claim := p.Claim.strings()
	if err != nil || !ok || claim == nil {
		return nil
	}
	return fastStrings(s.planArgs, idents, env, p.Entrypoint, p.Cmd, claim, string(tail))
}

// sourceExists is the identity of a file that needs only to exist.
const sourceExists = "+"

// workingDir names, among a fast section's variables, the working
// directory as os.Getwd finds it.
const workingDir = "."

// fastStrings lays a fast section out, but for its checksum: args is the
// command line the plan is for; files and env are pairs of a name and its
// identity; claim a Claim's strings.
func fastStrings(args, files, env, entry, cmd, claim []string, record string) []string {
	strs := append([]string{strconv.Itoa(len(args))}, args...)
	strs = append(append(strs, strconv.Itoa(len(files)/2)), files...)
	strs = append(append(strs, strconv.Itoa(len(env)/2)), env...)
	strs = append(append(strs, strconv.Itoa(len(entry))), entry...)
	strs = append(append(strs, strconv.Itoa(len(cmd))), cmd...)
	return append(append(strs, claim...), record)
}

// envIdentity is how plan.c compares an environment variable: "=" and its
// value, or "-" when it is not set.
func envIdentity(v string, set bool) string {
	if !set {
		return "-"
	}
	return "=" + v
}

// fileIdentity returns how plan.c is to find path: "-" when it does not
// exist, else its device, inode, mode, size and modification and change
// times (seconds and nanoseconds) in decimal. ok is false when that cannot
// be told, or the file changed after since.
func fileIdentity(path string, since time.Time) (id string, ok bool) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "-", err == unix.ENOENT
	}
	if !time.Unix(st.Ctim.Unix()).Before(since) || !time.Unix(st.Mtim.Unix()).Before(since) {
		return "", false
	}
	return fmt.Sprintf("%d %d %d %d %d %d %d %d", st.Dev, st.Ino, st.Mode, st.Size,
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec), true
}

// planHead is the number of strings before a plan's fast section.
const planHead = 7

// splitPlan splits a plan into what comes before its fast section, the
// section (its count and strings) and the configuration after it.
func splitPlan(b []byte) (head, fast, config []byte, ok bool) {
	off := 0
	next := func() ([]byte, bool) {
		i := bytes.IndexByte(b[off:], 0)
		if i < 0 {
			return nil, false
		}
		s := b[off : off+i]
		off += i + 1
		return s, true
	}
	for range planHead {
		if _, ok := next(); !ok {
			return nil, nil, nil, false
		}
	}
	h := off
	c, ok := next()
	n, err := strconv.Atoi(string(c))
	if !ok || err != nil || n < 0 || n > len(b) {
		return nil, nil, nil, false
	}
	for range n {
		if _, ok := next(); !ok {
			return nil, nil, nil, false
		}
	}
	return b[:h], b[h:off], b[off:], true
}

// hasFast reports whether the plan b has a fast section.
func hasFast(b []byte) bool {
	_, fast, _, ok := splitPlan(b)
	return ok && string(fast) != "0\x00"
}

// planCore is a plan without its fast section: what the init sets up.
func planCore(b []byte) []byte {
	head, _, config, ok := splitPlan(b)
	if !ok {
		return nil
	}
	return slices.Concat(head, []byte("0\x00"), config)
}

// planSum is the checksum that ends a fast section: FNV-1a (64 bits) of
// the plan's bytes before it and after it, in hex.
func planSum(before, after []byte) string {
	h := fnv.New64a()
	h.Write(before)
	h.Write(after)
	return fmt.Sprintf("%016x", h.Sum64())
}
