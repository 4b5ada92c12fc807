package exec

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/exec/progress"
	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/shell"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/runtime"
)

// stageRun is one stage being built.
type stageRun struct {
	b     *builder
	index int
	name  string // for progress: the stage's name, or its number
	n, m  int    // step counter and count
	s     *state
	// cmdSet says that the stage set Main: an Entrypoint after it keeps it.
	cmdSet bool
}

func (b *builder) buildStage(ctx context.Context, i int) error {
	st := b.file.Stages[i]
	r := &stageRun{b: b, index: i, name: st.Name(), m: 1 + len(st.Body)}
	if r.name == "" && len(b.file.Stages) > 1 {
		r.name = "stage " + strconv.Itoa(i+1)
	}
	if err := r.using(ctx, st.Using); err != nil {
		return err
	}
	for _, in := range st.Body {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.instr(ctx, in); err != nil {
			return err
		}
	}
	b.mu.Lock()
	b.states[i] = r.s
	b.mu.Unlock()
	return nil
}

// lookup resolves a name in a string gun expands: the stage's own Args and
// Envs, then the environment it inherited, then the global Args.
func (r *stageRun) lookup(name string) (string, bool) {
	if v, ok := r.s.vars[name]; ok {
		return v, true
	}
	if v, ok := r.s.env(name); ok {
		return v, true
	}
	v, ok := r.b.globals[name]
	return v, ok
}

func (r *stageRun) expand(s *ast.String) (string, error) {
	if s == nil {
		return "", nil
	}
	return s.Expand(r.lookup)
}

// step starts the progress display of the next step.
func (r *stageRun) step(text string) *progress.Step {
	r.n++
	return r.b.prog.Step(r.name, r.n, r.m, text)
}

func (r *stageRun) fail(in ast.Node, text string, st *progress.Step, exit int, err error) error {
	if st != nil {
		st.Done(err)
	}
	pos := in.Span().Start
	if at, ok := errors.AsType[*atError](err); ok {
		pos = at.pos
	}
	e := &StepError{
		Pos:      r.b.file.Source.Position(pos),
		Instr:    text,
		ExitCode: exit,
		Err:      err,
	}
	if st != nil {
		e.Tail = st.Tail()
	}
	return e
}

// history records what made the last state change.
func (r *stageRun) history(in ast.Node, text string, empty bool) {
	pos := r.b.file.Source.Position(in.Span().Start)
	r.s.history = append(r.s.history, v1.History{
		Created:    &r.b.epoch,
		CreatedBy:  text,
		Comment:    fmt.Sprintf("%s:%d", pathBase(pos.Filename), pos.Line),
		EmptyLayer: empty,
	})
}

func pathBase(p string) string { return path.Base(strings.ReplaceAll(p, "\\", "/")) }

// configStep applies a change to the image configuration: no layer.
func (r *stageRun) configStep(in ast.Node, text string, apply func()) {
	st := r.step(text)
	apply()
	r.s.key = cache.Key(r.s.key, text)
	r.history(in, text, true)
	st.Running()
	st.Done(nil)
}

// layerStep is a step that may add a layer: from the cache when key is in
// it, else made by run (which returns nil when nothing changed). text is
// the step's canonical text (its history entry), show how the progress
// display and errors name it.
func (r *stageRun) layerStep(ctx context.Context, in ast.Node, text, show, key string, st *progress.Step, run func() (*cache.Layer, int, error)) error {
	if !r.b.opts.NoCache {
		e, ok := r.b.cache.Get(key)
		if ok && e.Layer != nil && !r.b.be.HasLayer(*e.Layer) {
			ok = false
		}
		if !ok {
			e, ok = r.b.fromRemote(ctx, key)
		}
		if ok {
			if e.Layer != nil {
				l, err := r.b.be.Recompress(ctx, *e.Layer)
				if err != nil {
					return r.fail(in, show, st, 0, err)
				}
				e.Layer = &l
			}
			r.b.export(key, e)
			r.apply(in, text, key, e.Layer)
			st.Cached()
			r.b.count(true)
			return nil
		}
	}
	st.Running()
	layer, exit, err := run()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted: %w", ctx.Err())
		}
		return r.fail(in, show, st, 0, err)
	}
	if exit != 0 {
		return r.fail(in, show, st, exit, fmt.Errorf("exit code %d", exit))
	}
	e := cache.Entry{Layer: layer, Created: r.b.epoch}
	if err := r.b.cache.Put(key, e); err != nil {
		return r.fail(in, show, st, 0, err)
	}
	r.b.export(key, e)
	r.apply(in, text, key, layer)
	st.Done(nil)
	r.b.count(false)
	return nil
}

func (b *builder) count(cached bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cached {
		b.res.Cached++
	} else {
		b.res.Ran++
	}
}

func (r *stageRun) apply(in ast.Node, text, key string, layer *cache.Layer) {
	r.s.key = key
	if layer != nil {
		r.s.layers = append(r.s.layers, *layer)
	}
	r.history(in, text, layer == nil)
}

func (r *stageRun) instr(ctx context.Context, in ast.Instr) error {
	switch in := in.(type) {
	case *ast.Exec:
		return r.exec(ctx, in)
	case *ast.Copy:
		if in.Content != nil {
			return r.inlineCopy(ctx, in)
		}
		return r.copy(ctx, in)
	case *ast.Workdir:
		return r.workdir(ctx, in)
	case *ast.Env:
		if in.Inherited != nil {
			name := in.Name.Name
			if _, ok := r.s.env(name); !ok {
				return r.fail(in, "Env "+name+" Inherited", nil, 0, fmt.Errorf("the base image's environment has no %s", name))
			}
			r.configStep(in, "Env "+name+" Inherited", func() {})
			return nil
		}
		v, err := r.expand(in.Value)
		if err != nil {
			return r.fail(in, "Env", nil, 0, err)
		}
		name := in.Name.Name
		r.configStep(in, "Env "+name+" "+strconv.Quote(v), func() {
			r.s.setEnv(name, v)
			r.s.vars[name] = v
		})
	case *ast.Arg:
		name := in.Name.Name
		v := r.b.argValue(in, r.lookup)
		r.configStep(in, "Arg "+name+"="+strconv.Quote(v), func() {
			r.s.vars[name] = v
			r.s.args[name] = v
		})
	case *ast.User:
		v, err := r.expand(in.Name)
		if err != nil {
			return r.fail(in, "User", nil, 0, err)
		}
		r.configStep(in, "User "+strconv.Quote(v), func() { r.s.config.User = v })
	case *ast.Label:
		k, err := r.expand(in.Key)
		if err != nil {
			return r.fail(in, "Label", nil, 0, err)
		}
		v, err := r.expand(in.Value)
		if err != nil {
			return r.fail(in, "Label", nil, 0, err)
		}
		r.configStep(in, "Label "+strconv.Quote(k)+" "+strconv.Quote(v), func() {
			if r.s.config.Labels == nil {
				r.s.config.Labels = map[string]string{}
			}
			r.s.config.Labels[k] = v
		})
	default:
		if ok, err := r.configInstr(in); ok {
			return err
		}
		name, _ := in.Keyword()
		return r.fail(in, name, nil, 0, fmt.Errorf("instruction %s cannot be built", name))
	}
	return nil
}

// command returns the argv of an Exec, Main or Entrypoint command (the
// string and script forms run by shell), its canonical text and how to
// show it on one line: the canonical text, but for a script block its first
// line and line count (`Exec <<EOF apt-get update … (3 lines)`). Commands
// are not expanded by gun: the shell does it.
func command(kw string, cmd ast.Expr, shell []string) (args []string, text, show string) {
	switch c := cmd.(type) {
	case *ast.String:
		v := c.Value
		text = kw + " " + strconv.Quote(v)
		args = append(slices.Clone(shell), v)
		if c.Heredoc == "" {
			return args, text, text
		}
		return args, text, kw + " <<" + c.Heredoc + " " + scriptSummary(v)
	case *ast.List:
		var quoted []string
		for _, e := range c.Elems {
			args = append(args, e.Value)
			quoted = append(quoted, strconv.Quote(e.Value))
		}
		text = kw + " [" + strings.Join(quoted, ", ") + "]"
		return args, text, text
	}
	return nil, kw, kw
}

// scriptSummary shows a script by its first non-blank line and its number
// of lines.
func scriptSummary(script string) string {
	lines := strings.Split(strings.TrimRight(script, "\n"), "\n")
	first := ""
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			first = l
			break
		}
	}
	unit := "lines"
	if len(lines) == 1 {
		unit = "line"
	}
	if len(lines) == 1 && first != "" {
		return first
	}
	return fmt.Sprintf("%s … (%d %s)", first, len(lines), unit)
}

// argsKey lists the Arg values an Exec sees, for its cache key.
func (r *stageRun) argsKey() string {
	all := r.execArgs()
	keys := slices.Sorted(maps.Keys(all))
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strconv.Quote(all[k]) + "\n")
	}
	return b.String()
}

// execArgs are the Args in an Exec's environment: the global ones and the
// stage's own.
func (r *stageRun) execArgs() map[string]string {
	all := maps.Clone(r.b.globals)
	maps.Copy(all, r.s.args)
	return all
}

// execEnv is an Exec's environment: the Args, then the image's Env, which
// wins over an Arg of the same name. The proxy variables --arg gives come
// after it (and win, as in BuildKit), but are no Args: they count nowhere.
func (r *stageRun) execEnv() []string {
	args := r.execArgs()
	var env []string
	for _, k := range slices.Sorted(maps.Keys(args)) {
		if _, ok := r.s.env(k); !ok {
			env = append(env, k+"="+args[k])
		}
	}
	return append(env, r.s.config.Env...)
}

func (r *stageRun) exec(ctx context.Context, in *ast.Exec) error {
	args, text, show := command("Exec", in.Cmd, r.s.shellArgs())
	mounts, err := r.mounts(ctx, in, false)
	if err != nil {
		return r.fail(in, show, nil, 0, err)
	}
	if mounts.key != "" {
		// The mounts as written count, with the content of the context
		// paths bound; never a cache's content or a secret.
		text = "Exec" + mounts.key + strings.TrimPrefix(text, "Exec")
		show = "Exec" + mounts.key + strings.TrimPrefix(show, "Exec")
	}
	st := r.step(show)
	keyParts := []string{r.s.key, text, r.argsKey()}
	if len(mounts.context) > 0 {
		h, err := r.b.bctx.Hash(mounts.context)
		if err != nil {
			return r.fail(in, show, st, 0, err)
		}
		keyParts = append(keyParts, "context:"+h)
	}
	keyParts = append(keyParts, mounts.sources...)
	if len(in.Mounts) > 0 {
		keyParts = append(keyParts, stubRule)
	}
	script := shebang(in.Cmd)
	if script != nil {
		keyParts = append(keyParts, shebangRule)
	}
	key := cache.Key(keyParts...)
	network := r.b.opts.Network
	if mounts.network != nil {
		network = *mounts.network
	}
	return r.layerStep(ctx, in, text, show, key, st, func() (*cache.Layer, int, error) {
		mounts, err := r.mounts(ctx, in, true)
		defer mounts.release()
		if err != nil {
			return nil, 0, err
		}
		dirs, err := r.b.layerDirs(ctx, r.s.layers)
		if err != nil {
			return nil, 0, err
		}
		cwd := r.s.config.WorkingDir
		if cwd == "" {
			cwd = "/"
		}
		stub := stubs(newView(dirs), mounts.mounts)
		if script != nil {
			// Under /dev, a tmpfs of the container's: no stub.
			prog, err := r.scriptMount(mounts, script)
			if err != nil {
				return nil, 0, err
			}
			args = []string{prog}
		}
		l, code, err := r.b.be.Run(ctx, dirs, runtime.Spec{
			Args:    args,
			Env:     slices.Concat(r.execEnv(), r.b.proxyEnv, mounts.env),
			Cwd:     cwd,
			User:    r.s.config.User,
			Mounts:  mounts.mounts,
			Stubs:   stub,
			Network: network,
			Stdout:  st,
			Stderr:  st,
		}, r.b.epoch)
		if err != nil && code == 127 && script != nil {
			err = r.interpreterError(newView(dirs), cwd, script, err)
		}
		return l, code, err
	})
}

// interpreterError is the error of a script block that could not start for
// a missing file (the runtime's 127): the script is there, so its #! line's
// interpreter is not, or cannot be loaded. It is at the #! line.
func (r *stageRun) interpreterError(v *view, cwd string, script *ast.String, err error) error {
	interp, _ := shell.Interpreter(script.Value)
	if interp == "" {
		return err
	}
	p := interp
	if !path.IsAbs(p) {
		p = path.Join(cwd, p) // the kernel reads it from the working directory
	}
	if p, rerr := v.resolve(p, true); rerr == nil {
		if _, _, lerr := v.lstat(p); lerr != nil {
			err = fmt.Errorf("interpreter %s of the script is not in the image", interp)
		} else {
			err = fmt.Errorf("interpreter %s of the script cannot be run: %w", interp, err)
		}
	}
	return &atError{pos: script.ValuePos(r.b.file.Source.Source(), 0), err: err}
}

// atError is an error at a place inside a step's instruction, which the
// step's error names instead of the instruction's start.
type atError struct {
	pos source.Pos
	err error
}

func (e *atError) Error() string { return e.err.Error() }
func (e *atError) Unwrap() error { return e.err }

func (r *stageRun) workdir(ctx context.Context, in *ast.Workdir) error {
	v, err := r.expand(in.Path)
	if err != nil {
		return r.fail(in, "Workdir", nil, 0, err)
	}
	if !path.IsAbs(v) {
		base := r.s.config.WorkingDir
		if base == "" {
			base = "/"
		}
		v = path.Join(base, v)
	}
	v = path.Clean(v)
	text := "Workdir " + strconv.Quote(v)
	st := r.step(text)
	r.s.config.WorkingDir = v
	key := cache.Key(r.s.key, text)
	if r.s.config.User != "" {
		key = cache.Key(key, ownerRule)
	}
	// The directory is made when the state does not have it.
	return r.layerStep(ctx, in, text, text, key, st, func() (*cache.Layer, int, error) {
		dirs, err := r.b.layerDirs(ctx, r.s.layers)
		if err != nil {
			return nil, 0, err
		}
		l, err := r.b.mkdirLayer(ctx, newView(dirs), v, r.s.config.User)
		return l, 0, err
	})
}
