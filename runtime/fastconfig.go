package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The C init (cinit.c, run by the constructor (entry.c) in the
// container's pid 1) sets up the common container without starting Go: no
// pty, no volumes. gun sends it its configuration in a binary
// form, NUL-terminated strings in this order:
//
//	fastMagic
//	flags (decimal: fastNetNS|fastReadOnly|fastSingle|fastDebug|fastKeepUpper)
//	Scratch, Hostname, Cwd, User
//	the overlay's mount options (overlayOptions)
//	the default PATH
//	len(Layers), Layers...
//	len(Args), Args...
//	len(Env), Env...
//
// A JSON configuration (its first byte '{') goes to the Go init. The C init
// also leaves a binary one to the Go init when the kernel refuses the
// overlay (the Go init copies the layers instead), so both decode it.
const fastMagic = "gun-cinit-1"

// Flags of the binary configuration; cinit.c has the same.
const (
	fastNetNS = 1 << iota
	fastReadOnly
	fastSingle
	fastDebug
)

// fastKeepUpper: cfg.KeepUpper.
const fastKeepUpper = 1 << 6

// initModeEnv set to "go" in gun's environment has every container set up
// by the Go init (for tests and debugging).
const initModeEnv = "GUN_INIT"

// fastConfig returns cfg in the C init's binary form, or nil when only
// the Go init can run it.
func fastConfig(cfg *initConfig) []byte {
	if cfg.TTY || len(cfg.Mounts) > 0 {
		return nil
	}
	overlay := overlayOptions(cfg.Layers, filepath.Join(cfg.Scratch, "upper"), filepath.Join(cfg.Scratch, "work"))
	if overlay == "" {
		return nil // the C init has no fsconfig path for many layers
	}
	flags := 0
	for _, f := range []struct {
		set  bool
		flag int
	}{{cfg.NetNS, fastNetNS}, {cfg.ReadOnly, fastReadOnly}, {cfg.Single, fastSingle}, {cfg.Debug, fastDebug}, {cfg.KeepUpper, fastKeepUpper}} {
		if f.set {
			flags |= f.flag
		}
	}
	strs := []string{fastMagic, strconv.Itoa(flags), cfg.Scratch, cfg.Hostname, cfg.Cwd, cfg.User, overlay, DefaultPath}
	for _, l := range [][]string{cfg.Layers, cfg.Args, cfg.Env} {
		strs = append(strs, strconv.Itoa(len(l)))
		strs = append(strs, l...)
	}
	b, ok := appendStrings(nil, strs...)
	if !ok {
		return nil // the Go init reports it as it always did
	}
	return b
}

// appendStrings appends strs to b, each NUL-terminated, the form of the C
// init's configuration, plans and gun's word to a planned init. ok is false
// when one of them holds a NUL.
func appendStrings(b []byte, strs ...string) (_ []byte, ok bool) {
	for _, s := range strs {
		if strings.IndexByte(s, 0) >= 0 {
			return b, false
		}
		b = append(append(b, s...), 0)
	}
	return b, true
}

// decodeConfig decodes the init's configuration, JSON or binary.
func decodeConfig(b []byte) (*initConfig, error) {
	cfg := &initConfig{}
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, cfg); err != nil {
			return nil, fmt.Errorf("decode message: %w", err)
		}
		return cfg, nil
	}
	if len(b) == 0 || b[len(b)-1] != 0 {
		return nil, errors.New("decode configuration: truncated")
	}
	strs := strings.Split(string(b[:len(b)-1]), "\x00")
	next := func() string {
		if len(strs) == 0 {
			return ""
		}
		s := strs[0]
		strs = strs[1:]
		return s
	}
	if len(strs) < 11 || next() != fastMagic {
		return nil, errors.New("decode configuration: not one of this gun")
	}
	flags, err := strconv.Atoi(next())
	if err != nil {
		return nil, fmt.Errorf("decode configuration: flags: %w", err)
	}
	cfg.NetNS, cfg.ReadOnly = flags&fastNetNS != 0, flags&fastReadOnly != 0
	cfg.Single, cfg.Debug = flags&fastSingle != 0, flags&fastDebug != 0
	cfg.KeepUpper = flags&fastKeepUpper != 0
	cfg.Scratch, cfg.Hostname, cfg.Cwd, cfg.User = next(), next(), next(), next()
	next() // the overlay's options and the default PATH: the Go init knows them
	next()
	for _, l := range []*[]string{&cfg.Layers, &cfg.Args, &cfg.Env} {
		n, err := strconv.Atoi(next())
		if err != nil || n < 0 || n > len(strs) {
			return nil, errors.New("decode configuration: bad list length")
		}
		*l = append([]string(nil), strs[:n]...)
		strs = strs[n:]
	}
	if len(strs) != 0 {
		return nil, errors.New("decode configuration: trailing data")
	}
	return cfg, nil
}

// useCInit reports whether gun may send the C init its configuration:
// GUN_INIT=go says no.
func useCInit() bool { return os.Getenv(initModeEnv) != "go" }
