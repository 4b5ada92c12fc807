package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The C init (cinit.c, run by the constructor (entry.c) in the
// container's pid 1) sets up every container without starting Go. gun
// sends it its configuration in a binary form, NUL-terminated strings in
// this order:
//
//	fastMagic
//	flags (decimal: fastNetNS|fastReadOnly|fastSingle|fastDebug|fastTTY|fastCopied|fastKeepUpper)
//	Scratch, Hostname, Cwd, User
//	the overlay's mount options (overlayOptions; "" when they do not fit
//	a page: the C init then takes the layers one at a time)
//	the default PATH
//	the outer terminal's rows and columns (decimal; 0 0 for none)
//	len(Layers), Layers...
//	len(Args), Args...
//	len(Env), Env...
//	3*len(Mounts), then Source, Target, "ro" or "rw" of each
//
// A JSON configuration (its first byte '{') goes to the Go init. The C init
// also leaves a binary one to the Go init when the kernel refuses the
// overlay (the Go init copies the layers instead), so both decode it.
const fastMagic = "gun-cinit-2"

// Flags of the binary configuration; cinit.c has the same.
const (
	fastNetNS = 1 << iota
	fastReadOnly
	fastSingle
	fastDebug
	fastTTY       // a pty for the command, its master passed to gun
	fastCopied    // the root is <Scratch>/root, the layers copied (the kernel refused the overlay)
	fastKeepUpper // cfg.KeepUpper
)

// initModeEnv set to "go" in gun's environment has every container set up
// by the Go init (for tests and debugging).
const initModeEnv = "GUN_INIT"

// fastConfig returns cfg in the C init's binary form, or nil when only
// the Go init can run it.
func fastConfig(cfg *initConfig) []byte {
	overlay := overlayOptions(cfg.Layers, filepath.Join(cfg.Scratch, "upper"), filepath.Join(cfg.Scratch, "work"))
	flags := 0
	for _, f := range []struct {
		set  bool
		flag int
	}{
		{cfg.NetNS, fastNetNS}, {cfg.ReadOnly, fastReadOnly}, {cfg.Single, fastSingle}, {cfg.Debug, fastDebug},
		{cfg.TTY, fastTTY}, {cfg.Copied, fastCopied}, {cfg.KeepUpper, fastKeepUpper},
	} {
		if f.set {
			flags |= f.flag
		}
	}
	var rows, cols uint16
	if cfg.Winsize != nil {
		rows, cols = cfg.Winsize.Row, cfg.Winsize.Col
	}
	strs := []string{fastMagic, strconv.Itoa(flags), cfg.Scratch, cfg.Hostname, cfg.Cwd, cfg.User, overlay, DefaultPath,
		strconv.Itoa(int(rows)), strconv.Itoa(int(cols))}
	mounts := make([]string, 0, 3*len(cfg.Mounts))
	for _, m := range cfg.Mounts {
		mode := "rw"
		if m.ReadOnly {
			mode = "ro"
		}
		mounts = append(mounts, m.Source, m.Target, mode)
	}
	for _, l := range [][]string{cfg.Layers, cfg.Args, cfg.Env, mounts} {
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
	if len(strs) < 14 || next() != fastMagic {
		return nil, errors.New("decode configuration: not one of this gun")
	}
	flags, err := strconv.Atoi(next())
	if err != nil {
		return nil, fmt.Errorf("decode configuration: flags: %w", err)
	}
	cfg.NetNS, cfg.ReadOnly = flags&fastNetNS != 0, flags&fastReadOnly != 0
	cfg.Single, cfg.Debug = flags&fastSingle != 0, flags&fastDebug != 0
	cfg.KeepUpper = flags&fastKeepUpper != 0
	cfg.TTY, cfg.Copied = flags&fastTTY != 0, flags&fastCopied != 0
	cfg.Scratch, cfg.Hostname, cfg.Cwd, cfg.User = next(), next(), next(), next()
	next() // the overlay's options and the default PATH: the Go init knows them
	next()
	rows, err1 := strconv.ParseUint(next(), 10, 16)
	cols, err2 := strconv.ParseUint(next(), 10, 16)
	if err1 != nil || err2 != nil {
		return nil, errors.New("decode configuration: bad window size")
	}
	if rows != 0 || cols != 0 {
		cfg.Winsize = &unix.Winsize{Row: uint16(rows), Col: uint16(cols)}
	}
	var mounts []string
	for _, l := range []*[]string{&cfg.Layers, &cfg.Args, &cfg.Env, &mounts} {
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
	if len(mounts)%3 != 0 {
		return nil, errors.New("decode configuration: bad mount list")
	}
	for i := 0; i < len(mounts); i += 3 {
		cfg.Mounts = append(cfg.Mounts, Mount{Source: mounts[i], Target: mounts[i+1], ReadOnly: mounts[i+2] == "ro"})
	}
	return cfg, nil
}

// useCInit reports whether gun may send the C init its configuration:
// GUN_INIT=go says no.
func useCInit() bool { return os.Getenv(initModeEnv) != "go" }
