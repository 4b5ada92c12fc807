// Package exec is gun's build executor: it lowers a checked Gunfile onto the
// image store and the rootless runtime, step by step, into a cached, layered
// OCI image.
//
// Every step has a cache key: its parent state's key, its canonical text
// after expansion, the Arg values it can see and, for Copy, a hash of its
// sources. Steps whose key is in the cache run nothing. Exec and Copy add a
// layer each (none when nothing changed); the other instructions change the
// image configuration. Only the stages the target needs are built, and
// stages that do not depend on each other are built in parallel.
package exec

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gun-tools/gun/exec/buildctx"
	"github.com/gun-tools/gun/exec/cache"
	"github.com/gun-tools/gun/exec/fetch"
	"github.com/gun-tools/gun/exec/graph"
	"github.com/gun-tools/gun/exec/progress"
	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/internal/memo"
	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/parser"
	"github.com/gun-tools/gun/lang/source"
	"github.com/gun-tools/gun/lang/spec"
	"github.com/gun-tools/gun/registry"
	"github.com/gun-tools/gun/runtime"
	"github.com/gun-tools/gun/store"
)

// Options says what to build and where it goes.
type Options struct {
	Gunfile string // default: Context/Gunfile
	Context string // the build context directory; default "."
	Root    string // the store's root directory

	Tags    []string          // names to tag the image with in the store
	Output  string            // write the image to this file
	Format  string            // of Output: "oci" (an OCI archive, the default) or "rootfs"
	Args    map[string]string // --arg values
	Target  string            // the stage to build; default the last
	NoCache bool              // run every step
	Network runtime.Network   // for Exec steps
	Secrets map[string]Secret // --secret values, by id
	// Compression is that of the layers the build makes: guntar.Gzip,
	// which every tool reads, or guntar.Zstd (None: uncompressed). The
	// image's ID does not depend on it, its manifest digest does.
	Compression guntar.Compression

	// Pull resolves the tags of registry bases again and updates their
	// pins in Gunfile.sum.
	Pull bool
	// Platform (os/arch[/variant]) chooses the image of a multi-platform
	// base; "" is this machine's.
	Platform string
	// Registry pulls registry bases; nil is a client with the default
	// credentials and certificates.
	Registry *registry.Client
	// CacheFrom are registry references of step caches that --cache-to
	// pushed: a step missing from the store's cache is taken from them
	// (its layer pulled) instead of run.
	CacheFrom []string
	// CacheTo are registry references to push the build's step cache to:
	// the records of every step of the stages built, and their layers.
	CacheTo []string

	// Epoch is the time written into the image (layer file times are
	// clamped to it, and "created"), so that builds are reproducible.
	// Zero means SOURCE_DATE_EPOCH when set, else the Unix epoch.
	Epoch time.Time

	Progress *progress.Progress // nil: quiet
	Warn     io.Writer          // warnings; nil: discarded
}

// Result describes a finished build.
type Result struct {
	Digest string // the image manifest's digest
	Steps  int    // steps of the stages built
	Cached int    // steps taken from the cache
	Ran    int    // Exec and Copy steps that ran
}

// DiagnosticsError is returned when the Gunfile has errors: nothing was
// built. Diags holds every diagnostic, warnings too, in source order.
type DiagnosticsError struct {
	File  *source.File
	Diags []diag.Diagnostic
}

func (e *DiagnosticsError) Error() string {
	n := 0
	for _, d := range e.Diags {
		if d.Severity == diag.Error {
			n++
		}
	}
	return fmt.Sprintf("%s: %d error(s), nothing built", e.File.Name(), n)
}

// StepError is a step that failed: it names the Gunfile position, the
// instruction, the exit code (for Exec) and the last lines of the output.
type StepError struct {
	Pos      source.Position
	Instr    string   // the step as the progress display shows it
	ExitCode int      // of an Exec; 0 when the step failed otherwise
	Tail     []string // the last lines of the step's output
	Err      error
}

func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: %s: ", e.Pos.Filename, e.Pos.Line, e.Pos.Column, firstLine(e.Instr))
	if e.ExitCode != 0 {
		fmt.Fprintf(&b, "exit code %d", e.ExitCode)
	} else {
		b.WriteString(e.Err.Error())
	}
	if len(e.Tail) > 0 {
		b.WriteString("\nlast lines of its output:")
		for _, l := range e.Tail {
			b.WriteString("\n    " + l)
		}
	}
	return b.String()
}

func (e *StepError) Unwrap() error { return e.Err }

// builder holds one build's state.
type builder struct {
	opts    Options
	rt      *runtime.Runtime // the store's
	be      backend
	file    *ast.File
	info    *check.Info
	dir     string // the Gunfile's folder
	bctx    *buildctx.Context
	cache   *cache.Cache
	memo    *memo.Memo
	sums    *fetch.SumFile
	fetcher *fetch.Fetcher
	prog    *progress.Progress
	epoch   time.Time
	globals map[string]string
	// predefined are the values of the predefined Args.
	predefined map[string]string
	// proxyEnv is what every Exec has of the proxy Args --arg gives.
	proxyEnv []string
	ids      *idMap

	regOnce sync.Once
	reg     *registry.Client
	regErr  error

	cacheFrom, cacheTo []registry.Ref
	remoteOnce         sync.Once
	remotes            []remoteCache
	// bases are the layers of the base archives, for --cache-to.
	bases []cache.Layer

	mu     sync.Mutex
	states []*state // the final state of each built stage
	res    Result
	used   map[string]bool // --arg names some Arg declared
	// exported are the entries of the build's steps, for --cache-to.
	exported map[string]cache.Entry
}

// Build builds the image opts describe.
func Build(ctx context.Context, opts Options) (*Result, error) {
	if opts.Context == "" {
		opts.Context = "."
	}
	if opts.Gunfile == "" {
		opts.Gunfile = filepath.Join(opts.Context, "Gunfile")
	}
	switch opts.Format {
	case "":
		opts.Format = "oci"
	case "oci", "rootfs":
	default:
		return nil, fmt.Errorf("output format %q: want oci or rootfs", opts.Format)
	}
	src, err := os.ReadFile(opts.Gunfile)
	if err != nil {
		return nil, err
	}
	f, ds := parser.Parse(opts.Gunfile, src)
	info, cds := check.Resolve(f)
	ds = append(ds, cds...)
	slices.SortStableFunc(ds, func(a, b diag.Diagnostic) int { return int(a.Range.Start - b.Range.Start) })
	if diag.HasErrors(ds) {
		return nil, &DiagnosticsError{File: f.Source, Diags: ds}
	}
	if len(f.Stages) == 0 {
		return nil, fmt.Errorf("%s: no Using: nothing to build", opts.Gunfile)
	}
	cacheFrom, err := parseCacheRefs(opts.CacheFrom, "cache-from")
	if err != nil {
		return nil, err
	}
	cacheTo, err := parseCacheRefs(opts.CacheTo, "cache-to")
	if err != nil {
		return nil, err
	}
	// Device nodes in a base cannot be made rootless (the runtime gives
	// containers their own /dev): one summary line instead of one each.
	var devMu sync.Mutex
	devNodes := 0
	defer func() {
		if devNodes > 0 && opts.Warn != nil {
			fmt.Fprintf(opts.Warn, "gun: warning: %d device nodes of the image were not created (not possible without root; containers get their own /dev)\n", devNodes)
		}
	}()
	rt := runtime.New(opts.Root)
	be, err := openBackend(rt, opts.Root, opts.Compression, func(msg string) {
		if strings.Contains(msg, "device node") {
			devMu.Lock()
			devNodes++
			devMu.Unlock()
			return
		}
		if opts.Warn != nil {
			fmt.Fprintf(opts.Warn, "gun: warning: %s\n", msg)
		}
	})
	if err != nil {
		return nil, err
	}
	defer be.Close()
	b := &builder{
		opts:    opts,
		rt:      rt,
		be:      be,
		file:    f,
		info:    info,
		dir:     filepath.Dir(opts.Gunfile),
		cache:   cache.Open(filepath.Join(opts.Root, "build", "steps")),
		memo:    memo.Open(filepath.Join(opts.Root, "build", "digests.json")),
		fetcher: &fetch.Fetcher{Dir: filepath.Join(opts.Root, "build", "downloads")},
		prog:    opts.Progress,
		epoch:   epoch(opts.Epoch),
		ids:     hostIDMap(rt),
		states:  make([]*state, len(f.Stages)),
		used:    map[string]bool{},

		cacheFrom: cacheFrom,
		cacheTo:   cacheTo,
	}
	if b.prog == nil {
		b.prog = progress.New(io.Discard, progress.Quiet)
	}
	if b.sums, err = fetch.ReadSumFile(filepath.Join(b.dir, fetch.SumFileName)); err != nil {
		return nil, err
	}
	if b.bctx, err = buildctx.Open(opts.Context, b.memo); err != nil {
		return nil, err
	}
	defer b.memo.Save()

	target, err := b.target()
	if err != nil {
		return nil, err
	}
	b.predefined = predefinedArgs(opts.Platform)
	b.proxyEnv = proxyEnv(opts.Args)
	b.evalGlobals()
	deps := make([][]int, len(f.Stages))
	for i := range f.Stages {
		deps[i] = b.stageDeps(i)
	}
	g, err := graph.New(deps)
	if err != nil {
		return nil, err
	}
	needed := g.Needed(target)
	for _, i := range needed {
		b.res.Steps += 1 + len(f.Stages[i].Body)
	}
	err = g.Run(ctx, needed, 0, b.buildStage)
	if err != nil {
		return nil, err
	}
	b.warnUnusedArgs()
	if err := b.sums.Write(); err != nil {
		return nil, err
	}
	final := b.states[target]
	// A base whose steps all came from a cache is imported only now,
	// and not unpacked.
	if final.layers, err = b.be.Complete(ctx, final.layers, b.diffIDs); err != nil {
		return nil, err
	}
	img := final.image()
	img.Created = &b.epoch
	digest, err := b.be.WriteImage(ctx, img, final.layers)
	if err != nil {
		return nil, err
	}
	b.res.Digest = digest
	if err := b.pushCache(ctx); err != nil {
		return nil, err
	}
	if b.opts.Output != "" {
		// The archive names the image with the first -t, as gun save
		// does; untagged it is "latest".
		name := ""
		if len(b.opts.Tags) > 0 {
			if n, err := store.NormalizeName(b.opts.Tags[0]); err == nil {
				name = n
			}
		}
		if err := b.be.Save(ctx, digest, b.opts.Output, b.opts.Format, name); err != nil {
			return nil, err
		}
	}
	for _, t := range b.opts.Tags {
		if err := b.be.Tag(ctx, t, digest); err != nil {
			return nil, err
		}
	}
	return &b.res, nil
}

// epoch returns the time the image records: t, else SOURCE_DATE_EPOCH, else
// the Unix epoch.
func epoch(t time.Time) time.Time {
	if !t.IsZero() {
		return t.UTC()
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Unix(0, 0).UTC()
}

func (b *builder) target() (int, error) {
	if b.opts.Target == "" {
		return len(b.file.Stages) - 1, nil
	}
	for i, st := range b.file.Stages {
		if st.Name() == b.opts.Target {
			return i, nil
		}
	}
	var names []string
	for _, st := range b.file.Stages {
		if st.Name() != "" {
			names = append(names, st.Name())
		}
	}
	return 0, fmt.Errorf("target stage %q not found in %s (stages: %s)", b.opts.Target, b.opts.Gunfile, strings.Join(names, ", "))
}

// stageDeps returns the earlier stages stage i uses.
func (b *builder) stageDeps(i int) []int {
	var out []int
	add := func(id *ast.Ident) {
		if id == nil {
			return
		}
		if sym := b.info.Lookup(id); sym != nil && sym.Kind == check.StageSymbol && !slices.Contains(out, sym.Stage) {
			out = append(out, sym.Stage)
		}
	}
	st := b.file.Stages[i]
	if id, ok := st.Using.Base.(*ast.Ident); ok {
		add(id)
	} else if j := b.stageBase(i); j >= 0 {
		out = append(out, j)
	}
	for _, in := range st.Body {
		switch in := in.(type) {
		case *ast.Copy:
			if in.From != nil {
				id, _ := in.From.Value.(*ast.Ident)
				add(id)
			}
		case *ast.Exec:
			for _, m := range in.Mounts {
				if o := m.Option("From"); o != nil && m.Name == "Bind" {
					id, _ := o.Value.(*ast.Ident)
					add(id)
				}
			}
		}
	}
	return out
}

// predefinedArgs returns the values of the predefined Args
// (spec.PredefinedArgs), as BuildKit gives them: BUILD* describe this
// machine, TARGET* the platform built for (--platform, else this
// machine's).
func predefinedArgs(target string) map[string]string {
	build := "linux/" + goruntime.GOARCH
	if goruntime.GOARCH == "arm" {
		build += "/v7"
	}
	if target == "" {
		target = build
	}
	m := map[string]string{}
	for prefix, platform := range map[string]string{"BUILD": build, "TARGET": target} {
		parts := append(strings.SplitN(platform, "/", 3), "", "")
		m[prefix+"PLATFORM"], m[prefix+"OS"], m[prefix+"ARCH"], m[prefix+"VARIANT"] = platform, parts[0], parts[1], parts[2]
	}
	return m
}

// proxyEnv returns the environment that BuildKit's predefined proxy Args
// (spec.ProxyArgs) given in args make: each in upper and lower case, in
// spec.ProxyArgs's order, none with an empty value. As in BuildKit, a name
// matches in any case, and of two names of one Arg the later in byte
// order wins (http_proxy over HTTP_PROXY).
func proxyEnv(args map[string]string) []string {
	vals := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(args)) {
		if a, ok := spec.ProxyArg(k); ok {
			vals[a.Name] = args[k]
		}
	}
	var env []string
	for _, a := range spec.ProxyArgs {
		if v := vals[a.Name]; v != "" {
			env = append(env, a.Name+"="+v, strings.ToLower(a.Name)+"="+v)
		}
	}
	return env
}

// evalGlobals computes the Args before the first Using.
func (b *builder) evalGlobals() {
	b.globals = map[string]string{}
	for _, in := range b.file.Prelude {
		a, ok := in.(*ast.Arg)
		if !ok || a.Name == nil {
			continue
		}
		b.globals[a.Name.Name] = b.argValue(a, b.globalValue)
	}
}

// globalValue is the value of a name that a Using base or a global Arg's
// default may use: a global Arg's, else a predefined Arg's.
func (b *builder) globalValue(n string) (string, bool) {
	if v, ok := b.globals[n]; ok {
		return v, true
	}
	v, ok := b.predefined[n]
	return v, ok
}

// stageBase returns the earlier stage that stage i's quoted Using base
// names once expanded (Using "build-${VARIANT}"), as BuildKit looks a FROM
// up among the stages after expanding it; -1 when it names an image.
func (b *builder) stageBase(i int) int {
	s, ok := b.file.Stages[i].Using.Base.(*ast.String)
	if !ok || len(s.Refs) == 0 {
		return -1
	}
	ref, err := s.Expand(b.globalValue)
	if err != nil || ref == "" {
		return -1
	}
	for j := range i {
		if b.file.Stages[j].Name() == ref {
			return j
		}
	}
	return -1
}

// argValue is an Arg's value: from --arg, else its default expanded, else
// the global Arg's or the predefined one's.
func (b *builder) argValue(a *ast.Arg, lookup func(string) (string, bool)) string {
	b.mu.Lock()
	b.used[a.Name.Name] = true
	v, ok := b.opts.Args[a.Name.Name]
	b.mu.Unlock()
	if ok {
		return v
	}
	if a.Default == nil {
		// A stage's Arg without a default takes the global Arg's
		// value, as Docker's does.
		if v, ok := b.globals[a.Name.Name]; ok {
			return v
		}
		return b.predefined[a.Name.Name] // "" for any other name
	}
	// The checker made sure every name is defined.
	v, _ = a.Default.Expand(lookup)
	return v
}

func (b *builder) warnUnusedArgs() {
	if b.opts.Warn == nil {
		return
	}
	var names []string
	for n := range b.opts.Args {
		if _, proxy := spec.ProxyArg(n); !b.used[n] && !proxy {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(b.opts.Warn, "gun: warning: --arg %s: no Arg %s in the stages built\n", n, n)
	}
}

// state is the image a stage has built so far.
type state struct {
	key     string // the cache key of the last step: names the whole state
	layers  []cache.Layer
	config  v1.ImageConfig
	health  *store.HealthConfig // Docker's Healthcheck
	shell   []string            // the Shell; nil: /bin/sh -c
	history []v1.History
	arch    string
	os      string
	vars    map[string]string // the stage's own Args and Envs, by name
	args    map[string]string // Arg values visible in the stage
}

func (s *state) clone() *state {
	c := *s
	c.layers = slices.Clone(s.layers)
	c.history = slices.Clone(s.history)
	c.config = cloneConfig(s.config)
	c.vars = map[string]string{}
	c.args = map[string]string{}
	return &c
}

// env returns the value of environment variable name in the config.
func (s *state) env(name string) (string, bool) {
	for i := len(s.config.Env) - 1; i >= 0; i-- {
		if k, v, _ := strings.Cut(s.config.Env[i], "="); k == name {
			return v, true
		}
	}
	return "", false
}

func (s *state) setEnv(name, value string) {
	kv := name + "=" + value
	for i, e := range s.config.Env {
		if k, _, _ := strings.Cut(e, "="); k == name {
			s.config.Env[i] = kv
			return
		}
	}
	s.config.Env = append(s.config.Env, kv)
}

// image returns the OCI image configuration of the state.
func (s *state) image() store.Config {
	img := store.Config{Image: v1.Image{
		Config:  s.config,
		History: s.history,
		RootFS:  v1.RootFS{Type: "layers", DiffIDs: nil},
	}, Healthcheck: s.health, Shell: s.shell}
	img.Architecture, img.OS = s.arch, s.os
	for _, l := range s.layers {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, digestOf(l.DiffID))
	}
	return img
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
