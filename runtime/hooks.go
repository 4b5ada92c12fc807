package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// HookError is the failure of one of config.json's hooks: create and start
// fail with it, and the container is stopped.
type HookError struct{ Msg string }

func (e *HookError) Error() string { return e.Msg }

// hookOutputMax is how much of a failed hook's output its error quotes.
const hookOutputMax = 2048

// RunHooks runs the hooks of config.json's list kind ("poststart", ...) in
// their order, in this process's namespaces (the runtime namespace), each
// with the container's state st as JSON on its standard input, exactly
// its env (nothing inherited), its args as argv (argv[0] included; the
// path alone when there are none) and dir as its working directory. A
// hook that does not end within its timeout is killed. A failure is a
// *HookError that quotes the hook's output: the first ends the run, or,
// with warn, each goes to warn and the rest run all the same.
func RunHooks(kind string, hooks []specs.Hook, st *specs.State, dir string, warn func(error)) error {
	if len(hooks) == 0 {
		return nil
	}
	state, err := json.Marshal(st)
	if err != nil {
		return err
	}
	for i, h := range hooks {
		if err := runHook(h, state, dir); err != nil {
			herr := &HookError{fmt.Sprintf("hooks.%s[%d] (%s): %v", kind, i, h.Path, err)}
			if warn == nil {
				return herr
			}
			warn(herr)
		}
	}
	return nil
}

func runHook(h specs.Hook, state []byte, dir string) error {
	ctx := context.Background()
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	out := &capped{max: hookOutputMax}
	cmd := exec.CommandContext(ctx, h.Path)
	cmd.Args, cmd.Env, cmd.Dir = h.Args, h.Env, dir
	if len(cmd.Args) == 0 {
		cmd.Args = []string{h.Path}
	}
	if cmd.Env == nil {
		cmd.Env = []string{} // nil would be gun's own environment
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(state), out, out
	// A child the hook left holding its output does not hold gun.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("killed after its timeout of %d s%s", *h.Timeout, out.quote())
	}
	if err != nil {
		return fmt.Errorf("%w%s", err, out.quote())
	}
	return nil
}

// capped keeps the first max bytes written to it.
type capped struct {
	b   []byte
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if n := min(len(p), c.max-len(c.b)); n > 0 {
		c.b = append(c.b, p[:n]...)
	}
	return len(p), nil
}

// quote is the output, as an error's end.
func (c *capped) quote() string {
	s := string(bytes.TrimSpace(c.b))
	if s == "" {
		return ""
	}
	return ": " + s
}

// hookList is config.json's hooks of one kind, by its name there.
type hookList struct {
	name  string
	hooks []specs.Hook
}

// hookLists are config.json's hooks in the order the runtime spec runs
// them.
func hookLists(h *specs.Hooks) []hookList {
	if h == nil {
		return nil
	}
	return []hookList{{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime}, {"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer}, {"poststart", h.Poststart}, {"poststop", h.Poststop}}
}

// ociHooks checks config.json's hooks and gives the init those it runs in
// the container (createContainer, startContainer); the runtime's
// (prestart, createRuntime) make it stop for gun before pivot_root.
func ociHooks(h *specs.Hooks, o *ociInit) error {
	for _, l := range hookLists(h) {
		for i, hk := range l.hooks {
			switch {
			case !filepath.IsAbs(hk.Path):
				return fmt.Errorf("hooks.%s[%d].path %q: not an absolute path", l.name, i, hk.Path)
			case hk.Timeout != nil && *hk.Timeout <= 0:
				return fmt.Errorf("hooks.%s[%d].timeout %d: not a number of seconds above 0", l.name, i, *hk.Timeout)
			}
			if l.name != "createContainer" && l.name != "startContainer" {
				continue
			}
			c := ociHook{Kind: l.name, Path: hk.Path, Args: hk.Args, Env: hk.Env}
			if len(c.Args) == 0 {
				c.Args = []string{hk.Path}
			}
			if hk.Timeout != nil {
				c.Timeout = *hk.Timeout
			}
			o.Hooks = append(o.Hooks, c)
		}
	}
	o.RuntimeHooks = h != nil && len(h.Prestart)+len(h.CreateRuntime) > 0
	return nil
}

// hookState is the state the init's hooks read (status created), without
// the pid: the init puts in its own, the pid the container sees.
func hookState(st specs.State) (string, error) {
	st.Pid, st.Status = 0, specs.StateCreated
	b, err := json.Marshal(st) // {"ociVersion":...}: the init splices "pid":N, after the {
	return string(b), err
}

// hookNames are the kinds of hooks gun runs (features' hooks).
func hookNames() []string {
	var n []string
	for _, l := range hookLists(&specs.Hooks{}) {
		n = append(n, l.name)
	}
	return n
}
