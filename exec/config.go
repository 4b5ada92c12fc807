package exec

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/store"
)

// defaultShell runs the string and script forms of commands without a
// Shell instruction.
var defaultShell = []string{"/bin/sh", "-c"}

func cloneConfig(c v1.ImageConfig) v1.ImageConfig {
	c.Env = slices.Clone(c.Env)
	c.Cmd = slices.Clone(c.Cmd)
	c.Entrypoint = slices.Clone(c.Entrypoint)
	c.Labels = maps.Clone(c.Labels)
	c.ExposedPorts = maps.Clone(c.ExposedPorts)
	c.Volumes = maps.Clone(c.Volumes)
	return c
}

// shellArgs is the shell of the state: its Shell, or /bin/sh -c.
func (s *state) shellArgs() []string {
	if len(s.shell) > 0 {
		return s.shell
	}
	return defaultShell
}

// configInstr applies the instructions that set only the image's
// configuration and say what a Dockerfile says with ENTRYPOINT, EXPOSE,
// VOLUME, STOPSIGNAL, SHELL and HEALTHCHECK. It reports false for other
// instructions.
func (r *stageRun) configInstr(in ast.Instr) (bool, error) {
	switch in := in.(type) {
	case *ast.Main:
		args, text, _ := command("Main", in.Cmd, r.s.shellArgs())
		r.configStep(in, text, func() {
			r.s.config.Cmd = args
			r.cmdSet = true
		})
	case *ast.Entrypoint:
		args, text, _ := command("Entrypoint", in.Cmd, r.s.shellArgs())
		r.configStep(in, text, func() {
			r.s.config.Entrypoint = args
			if !r.cmdSet {
				// As Docker: an entrypoint drops the base's default arguments.
				r.s.config.Cmd = nil
			}
		})
	case *ast.Expose:
		var ports []string
		for _, p := range in.Ports {
			v, err := r.value(p)
			if err != nil {
				return true, r.fail(in, "Expose", nil, 0, err)
			}
			port, err := check.ParsePort(v)
			if err != nil {
				return true, r.fail(in, "Expose", nil, 0, fmt.Errorf("port %q: %w", v, err))
			}
			ports = append(ports, port)
		}
		r.configStep(in, "Expose "+strings.Join(ports, " "), func() {
			if r.s.config.ExposedPorts == nil {
				r.s.config.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range ports {
				r.s.config.ExposedPorts[p] = struct{}{}
			}
		})
	case *ast.Volume:
		var paths []string
		for _, p := range in.Paths {
			v, err := r.expand(p)
			if err != nil {
				return true, r.fail(in, "Volume", nil, 0, err)
			}
			paths = append(paths, v)
		}
		r.configStep(in, "Volume "+quoteAll(paths), func() {
			if r.s.config.Volumes == nil {
				r.s.config.Volumes = map[string]struct{}{}
			}
			for _, p := range paths {
				r.s.config.Volumes[p] = struct{}{}
			}
		})
	case *ast.StopSignal:
		v, err := r.value(in.Signal)
		if err != nil {
			return true, r.fail(in, "StopSignal", nil, 0, err)
		}
		sig, ok := check.Signal(v)
		if !ok {
			return true, r.fail(in, "StopSignal", nil, 0, fmt.Errorf("invalid signal %q", v))
		}
		r.configStep(in, "StopSignal "+sig, func() { r.s.config.StopSignal = sig })
	case *ast.Shell:
		args, text, _ := command("Shell", in.Cmd, nil)
		r.configStep(in, text, func() { r.s.shell = args })
	case *ast.Healthcheck:
		h, text, err := r.healthcheck(in)
		if err != nil {
			return true, r.fail(in, "Healthcheck", nil, 0, err)
		}
		r.configStep(in, text, func() { r.s.health = h })
	default:
		return false, nil
	}
	return true, nil
}

// value expands a word or string value.
func (r *stageRun) value(e ast.Expr) (string, error) {
	switch v := e.(type) {
	case *ast.Ident:
		return v.Name, nil
	case *ast.String:
		return r.expand(v)
	}
	return "", fmt.Errorf("missing value")
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, " ")
}

// healthcheck returns Docker's form of a Healthcheck and its canonical
// text.
func (r *stageRun) healthcheck(in *ast.Healthcheck) (*store.HealthConfig, string, error) {
	if _, ok := in.Cmd.(*ast.Ident); ok {
		return &store.HealthConfig{Test: []string{"NONE"}}, "Healthcheck None", nil
	}
	h := &store.HealthConfig{}
	var text strings.Builder
	text.WriteString("Healthcheck")
	for _, o := range in.Options {
		v, err := r.value(o.Value)
		if err != nil {
			return nil, "", err
		}
		if o.Name == "Retries" {
			if h.Retries, err = strconv.Atoi(v); err != nil {
				return nil, "", fmt.Errorf("Retries %q: not a number", v)
			}
			text.WriteString(" Retries " + v)
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, "", fmt.Errorf("%s %q: %w", o.Name, v, err)
		}
		switch o.Name {
		case "Interval":
			h.Interval = d
		case "Timeout":
			h.Timeout = d
		case "StartPeriod":
			h.StartPeriod = d
		case "StartInterval":
			h.StartInterval = d
		}
		text.WriteString(" " + o.Name + " " + d.String())
	}
	switch c := in.Cmd.(type) {
	case *ast.String:
		h.Test = []string{"CMD-SHELL", c.Value}
		text.WriteString(" " + strconv.Quote(c.Value))
	case *ast.List:
		h.Test = []string{"CMD"}
		_, t, _ := command("", c, nil)
		for _, e := range c.Elems {
			h.Test = append(h.Test, e.Value)
		}
		text.WriteString(t)
	}
	return h, text.String(), nil
}
