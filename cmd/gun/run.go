package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/container"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/registry"
	"github.com/gun-tools/gun/runtime"
	"github.com/gun-tools/gun/store"
)

// runFlags are gun run's options, with docker's names.
type runFlags struct {
	interactive, tty, readOnly, rm bool
	env, envFiles, volumes         []string
	publish, addHosts, dns         []string
	workdir, user, hostname, name  string
	network, memory                string
	pidsLimit                      int64
	cpus                           float64
	entrypoint                     string
	entrypointSet                  bool // --entrypoint given (an empty one clears the image's)
	publishAll                     bool
	networkSet                     bool // --network given (else -p implies private)
	securityOpts, capAdd, capDrop  []string
	privileged                     bool
	detach                         bool
	rmSet                          bool         // --rm given
	detachReexec                   func() error // executes gun run -d again for its constructor
	platform                       string       // of an image pulled
	tlsVerify                      bool
	plain                          bool     // `gun run IMAGE [CMD...]`: no options given
	fast                           bool     // only fastFlags given
	hostEnv                        []string // the host's variables -e and --env-file read
}

// fastFlags are gun run's options whose whole effect is the container's
// configuration (which its plan holds) and that read nothing on the host
// but what runtime.FastRun and the runtime record: a command line with no
// others may run from its plan without Go. (-t, limits and networks make
// no plan; --name and -d own a container record.)
var fastFlags = map[string]bool{
	"interactive": true, "env": true, "env-file": true, "workdir": true, "user": true, "volume": true,
	"rm": true, "hostname": true, "read-only": true, "entrypoint": true, "add-host": true, "dns": true,
	"cap-add": true, "cap-drop": true, "security-opt": true, "privileged": true, "tls-verify": true, "network": true,
}

// defaultRunFlags are gun run's options when none is given.
func defaultRunFlags() *runFlags { return &runFlags{network: "host", rm: true, tlsVerify: true} }

func newRunCmd(g *globalFlags) *cobra.Command {
	f := &runFlags{}
	d := defaultRunFlags()
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [CMD [ARG...]]",
		Short: "Run a command in a new rootless container",
		Long: `Run a command in a new rootless container.

IMAGE is an image in the store (see --root); a file, imported into the
store on the fly as gun import does (a root file system tarball, plain or
compressed, an OCI archive or a docker save archive); or a directory
holding a root file system.
Without CMD, the image's default command runs (/bin/sh for an archive or
a directory). The container's scratch space is always removed when it
exits; the exit code is the command's (128+N when killed by signal N).`,
		Args:                  cobra.MinimumNArgs(1),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.entrypointSet = cmd.Flags().Changed("entrypoint")
			f.networkSet = cmd.Flags().Changed("network")
			f.rmSet = cmd.Flags().Changed("rm")
			f.detachReexec = func() error { return reexecDetached(cmd.Flags(), args) }
			f.fast = true
			cmd.Flags().Visit(func(fl *pflag.Flag) { f.fast = f.fast && fastFlags[fl.Name] })
			return runRun(cmd.Context(), g, f, args)
		},
	}
	// Everything after IMAGE belongs to the command.
	cmd.Flags().SetInterspersed(false)
	fl := cmd.Flags()
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "pass stdin to the container")
	fl.BoolVarP(&f.tty, "tty", "t", false, "give the command a pseudo terminal")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable (`KEY=VALUE`, or KEY to take the host's)")
	fl.StringArrayVar(&f.envFiles, "env-file", nil, "read environment variables from a `file` of KEY=VALUE lines")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working `directory` inside the container")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "run `program` instead of the image's entrypoint (and without its default arguments)")
	fl.StringVarP(&f.user, "user", "u", "", "run as `USER[:GROUP]` (names from the container's /etc/passwd and /etc/group, or numbers)")
	fl.StringVar(&f.hostname, "hostname", "", "the container's host `name` (default "+runtime.DefaultHostname+")")
	fl.StringArrayVarP(&f.volumes, "volume", "v", nil, "bind mount a host path: `HOST:CONTAINER[:ro]`")
	fl.BoolVar(&f.readOnly, "read-only", false, "mount the container's root file system read-only")
	fl.StringVar(&f.network, "network", d.network, "`mode`: host (the host's network), none (loopback only) or private (its own, through pasta)")
	fl.StringArrayVarP(&f.publish, "publish", "p", nil, "publish a container port on the host: `[IP:]HOST:CONTAINER[/tcp|udp]` (implies --network private)")
	fl.BoolVarP(&f.publishAll, "publish-all", "P", false, "publish the image's exposed ports on free host ports (implies --network private)")
	fl.StringArrayVar(&f.addHosts, "add-host", nil, "add `NAME:IP` to the container's /etc/hosts")
	fl.StringArrayVar(&f.dns, "dns", nil, "use the nameserver at `IP` in the container's resolv.conf")
	fl.BoolVar(&f.rm, "rm", d.rm, "remove the container when it exits (always so in the foreground)")
	fl.StringVar(&f.name, "name", "", "a `name` for the container (unique among the user's)")
	detachFlags(cmd, f)
	fl.StringVarP(&f.memory, "memory", "m", "", "memory limit in bytes, or a `size` such as 512m or 2g")
	fl.Int64Var(&f.pidsLimit, "pids-limit", 0, "allow at most `n` processes")
	fl.Float64Var(&f.cpus, "cpus", 0, "limit CPU time to `n` CPUs, such as 1.5")
	fl.StringArrayVar(&f.securityOpts, "security-opt", nil, "`seccomp=unconfined`, or seccomp=PROFILE.json (Docker's format)")
	fl.StringArrayVar(&f.capAdd, "cap-add", nil, "add a `capability` (CAP_NET_ADMIN or NET_ADMIN, or ALL)")
	fl.StringArrayVar(&f.capDrop, "cap-drop", nil, "drop a `capability` (or ALL)")
	fl.StringVar(&f.platform, "platform", "", "of an image of a registry, the one for `OS/ARCH[/VARIANT]` (pulled if the store's is another)")
	fl.BoolVar(&f.tlsVerify, "tls-verify", d.tlsVerify, "pull only over https with a verified certificate (false: also plain HTTP and unverified TLS)")
	fl.BoolVar(&f.privileged, "privileged", false, "all capabilities of the container's user namespace, no seccomp filter, nothing masked in /proc and /sys")
	return cmd
}

func runRun(ctx context.Context, g *globalFlags, f *runFlags, args []string) (err error) {
	spec := runtime.Spec{
		Cwd: f.workdir, User: f.user, Hostname: f.hostname,
		ReadOnly: f.readOnly, TTY: f.tty,
		Stdout: os.Stdout, Stderr: os.Stderr,
		Resources: runtime.Resources{PidsLimit: f.pidsLimit, CPUs: f.cpus},
	}
	if f.interactive {
		spec.Stdin = os.Stdin
	}
	if err := networkFlags(f, &spec); err != nil {
		return &langcmd.UsageError{Err: err}
	}
	if err := securityOpts(&spec, f); err != nil {
		return &langcmd.UsageError{Err: err}
	}
	if f.pidsLimit < 0 || f.cpus < 0 {
		return &langcmd.UsageError{Err: errors.New("--pids-limit and --cpus must not be negative")}
	}
	if f.memory != "" {
		n, err := check.ParseSize(f.memory)
		if err != nil {
			return &langcmd.UsageError{Err: fmt.Errorf("--memory %q: %w", f.memory, err)}
		}
		spec.Resources.Memory = n
	}
	for _, file := range f.envFiles {
		env, err := readEnvFile(file, &f.hostEnv)
		if err != nil {
			return &langcmd.UsageError{Err: err}
		}
		spec.Env = append(spec.Env, env...)
	}
	for _, e := range f.env {
		if kv, ok := envEntry(e, &f.hostEnv); ok {
			spec.Env = append(spec.Env, kv)
		}
	}
	for _, v := range f.volumes {
		m, err := parseVolume(v)
		if err != nil {
			return &langcmd.UsageError{Err: err}
		}
		spec.Mounts = append(spec.Mounts, m)
	}
	root, err := storeRoot(g)
	if err != nil {
		return &langcmd.ExitError{Code: 125, Err: err}
	}
	rt := runtime.New(root)
	own := g.monitor
	switch {
	case f.detach && own == nil && f.detachReexec != nil:
		// Not read as detached by the constructor.
		return &langcmd.ExitError{Code: 125, Err: f.detachReexec()}
	case f.detach != (own != nil):
		return &langcmd.ExitError{Code: 125, Err: errors.New("gun run: -d was misread")}
	case f.detach:
		if err := own.create(g, f, args); err != nil {
			return &langcmd.ExitError{Code: 125, Err: err}
		}
	case f.name != "":
		if own, err = claimForeground(g, f, args); err != nil {
			return &langcmd.ExitError{Code: 125, Err: err}
		}
		defer own.release()
	}
	if own != nil {
		defer func() { own.finish(err) }()
	}
	// The container's init starts now, and its id maps are written, while
	// the image is looked up and the scratch space laid out.
	starter, err := rt.Prestart(spec)
	if err != nil {
		return &langcmd.ExitError{Code: 125, Err: err}
	}
	defer starter.Close()
	st, err := openStoreIn(root, rt)
	if err != nil {
		return &langcmd.ExitError{Code: 125, Err: err}
	}
	img, err := resolveImage(ctx, st, rt, args[0], f)
	if err != nil {
		return &langcmd.ExitError{Code: 125, Err: err}
	}
	spec.Layers = img.layers
	spec.Args = img.command(f.entrypoint, f.entrypointSet, args[1:])
	if len(spec.Args) == 0 {
		return &langcmd.ExitError{Code: 125, Err: fmt.Errorf("image %s has no default command: give one", args[0])}
	}
	spec.Env = append(img.env, spec.Env...)
	if spec.Cwd == "" {
		spec.Cwd = img.workdir
	}
	if spec.User == "" {
		spec.User = img.user
	}
	if f.publishAll {
		ports, err := runtime.PublishAll(img.exposed)
		if err != nil {
			return &langcmd.ExitError{Code: 125, Err: err}
		}
		for _, p := range ports {
			fmt.Fprintf(os.Stderr, "gun: publishing %d/%s on host port %d\n", p.ContainerPort, p.Proto, p.HostPort)
		}
		spec.Ports = append(spec.Ports, ports...)
	}
	if f.plain || f.fast && own == nil {
		// The detached container's record, for the same command line with
		// -d (whose plan this is): the environment variable that chooses
		// where records live is one the plan depends on.
		fast := &runtime.FastRun{Files: slices.Concat([]string{args[0]}, img.sources, f.envFiles),
			Env: slices.Concat(f.hostEnv, []string{container.RuntimeDirEnv}), ThisBoot: !img.durable, Claim: claim(f, args, root, &spec, img)}
		if f.plain {
			fast.Entrypoint, fast.Cmd = img.entrypoint, img.cmd
		} else {
			fast.Entrypoint = spec.Args
		}
		spec.Fast = fast
	}
	if own != nil {
		ranRecord(own.c, &spec, img)
		spec.Started = own.begin
		if own.attach != nil {
			spec.Console = own.attach.setPTY
		}
		if own.mon != nil {
			spec.Winsize = own.mon.Winsize
		}
	}
	// Scratch space left by killed containers goes meanwhile (under the
	// store's run lock, which keeps it off this one).
	var staleErr error
	staleDone := make(chan struct{})
	go func() {
		runtime.StopStaleNetworks(st.RunDir())
		_, _, staleErr = st.RemoveStaleRuns()
		close(staleDone)
	}()
	defer func() {
		<-staleDone
		if staleErr != nil {
			fmt.Fprintf(os.Stderr, "gun: warning: stale scratch space: %v\n", staleErr)
		}
	}()
	if spec.Resources.Any() {
		// Stale cgroups go before a limit's is made, and only those of
		// containers whose scratch directory is gone.
		<-staleDone
	}
	// A container set up from a plan has its scratch directory.
	scratch, release, ok := starter.Scratch(st.RunDir())
	if !ok {
		var id [8]byte
		if _, err := rand.Read(id[:]); err != nil {
			return &langcmd.ExitError{Code: 125, Err: err}
		}
		if scratch, release, err = st.NewRunDir(hex.EncodeToString(id[:])); err != nil {
			return &langcmd.ExitError{Code: 125, Err: err}
		}
	}
	spec.Scratch = scratch
	if own != nil {
		own.c.Scratch = scratch
	}
	// Run forwards SIGINT and SIGTERM to the container itself and removes
	// the scratch space; gun exits when the container does.
	code, err := starter.Run(context.WithoutCancel(ctx), spec)
	release()
	if err != nil || code != 0 {
		return &langcmd.ExitError{Code: code, Err: err}
	}
	return nil
}

// securityOpts sets the spec's capabilities and seccomp filter as
// --security-opt, --cap-add, --cap-drop and --privileged say.
func securityOpts(spec *runtime.Spec, f *runFlags) error {
	spec.CapAdd, spec.CapDrop, spec.Privileged = f.capAdd, f.capDrop, f.privileged
	for _, o := range f.securityOpts {
		key, val, ok := strings.Cut(o, "=")
		if !ok {
			key, val, _ = strings.Cut(o, ":") // docker's older spelling
		}
		switch {
		case key == "seccomp" && val == "unconfined":
			spec.Unconfined, spec.SeccompProfile = true, ""
		case key == "seccomp" && val != "":
			spec.SeccompProfile, spec.Unconfined = val, false
		case key == "no-new-privileges" && (val == "" || val == "true"):
			// always so
		default:
			return fmt.Errorf("--security-opt %q: want seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges", o)
		}
	}
	return nil
}

// runImage is what gun run takes from an image.
type runImage struct {
	id              string // the manifest's digest; "" for a directory
	layers          []string
	exposed         []string
	entrypoint, cmd []string
	env             []string
	workdir, user   string
	stopSignal      string
	sources         []string // the store's files read to find it
	durable         bool     // its layers are synced
}

// command is what a container of the image runs, as Docker has it: the
// entrypoint (or --entrypoint, which drops the image's default arguments
// too), then the arguments given, else the image's default ones.
func (ri *runImage) command(entrypoint string, set bool, args []string) []string {
	entry, dflt := ri.entrypoint, ri.cmd
	if set {
		entry, dflt = nil, nil
		if entrypoint != "" {
			entry = []string{entrypoint}
		}
	}
	if len(args) == 0 {
		args = dflt
	}
	return append(slices.Clone(entry), args...)
}

// resolveImage finds IMAGE as the store resolves it (a directory is used
// as the only layer, an archive file is imported once, else an image of
// the store, else of a registry), its layers unpacked (once) inside a user
// namespace with the containers' id maps. An image of the store for
// another platform than --platform asks for is pulled again.
func resolveImage(ctx context.Context, s *store.Store, rt *runtime.Runtime, image string, f *runFlags) (*runImage, error) {
	u := rt.Unpacker(func(msg string) { fmt.Fprintf(os.Stderr, "gun: warning: %s\n", msg) })
	r, err := s.Resolve(ctx, image, store.ResolveOptions{Unpacker: u, Remote: func(ctx context.Context, ref string, local v1.Descriptor, notFound error) (v1.Descriptor, error) {
		if notFound == nil {
			if f.platform == "" {
				return local, nil
			}
			img, err := s.ImageByDigest(local.Digest)
			if err != nil {
				return local, err
			}
			if ok, err := registry.ImageIs(img, f.platform); ok || err != nil {
				return local, err
			}
			notFound = fmt.Errorf("%s: the store's image is for %s/%s, not %s", ref, img.Config.OS, img.Config.Architecture, f.platform)
		}
		return pullForRun(ctx, s, ref, notFound, f)
	}})
	if err != nil {
		return nil, err
	}
	img, err := s.RunImage(ctx, r, u)
	if err != nil {
		return nil, err
	}
	ri := &runImage{
		id: img.Digest.String(), layers: img.Layers, exposed: img.ExposedPorts, env: img.Env, workdir: img.WorkingDir, user: img.User,
		entrypoint: img.Entrypoint, cmd: img.Cmd, stopSignal: img.StopSignal, sources: img.Sources, durable: img.Durable,
	}
	if len(ri.cmd) == 0 && len(ri.entrypoint) == 0 && (r.RootDir != "" || r.Archive != "") {
		// A root file system has no configuration.
		ri.cmd = []string{"/bin/sh"}
	}
	return ri, nil
}

// pullForRun pulls the image ref names, for gun run, and returns its
// manifest (a build's or a run's pull takes no name that an image of the
// user holds). notFound is the store's error.
func pullForRun(ctx context.Context, s *store.Store, ref string, notFound error, f *runFlags) (v1.Descriptor, error) {
	r, err := registry.ParseRef(ref)
	if err != nil {
		return v1.Descriptor{}, notFound
	}
	c, err := registry.New(registry.Options{Insecure: !f.tlsVerify})
	if err != nil {
		return v1.Descriptor{}, err
	}
	img, err := c.Get(ctx, s, r, registry.PullOptions{Platform: f.platform, KeepOwned: true})
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("%w, nor in a registry: %w", notFound, err)
	}
	return img.Descriptor, nil
}

// networkFlags puts --publish, --add-host and --dns in spec and checks the
// network mode against them.
func networkFlags(f *runFlags, spec *runtime.Spec) error {
	for _, p := range f.publish {
		port, err := runtime.ParsePort(p)
		if err != nil {
			return fmt.Errorf("--publish: %w", err)
		}
		spec.Ports = append(spec.Ports, port)
	}
	for _, h := range f.addHosts {
		host, err := runtime.ParseHost(h)
		if err != nil {
			return fmt.Errorf("--add-host: %w", err)
		}
		spec.Hosts = append(spec.Hosts, host)
	}
	for _, d := range f.dns {
		ip, err := netip.ParseAddr(d)
		if err != nil {
			return fmt.Errorf("--dns %q: not an IP address", d)
		}
		spec.DNS = append(spec.DNS, ip.String())
	}
	var err error
	if spec.Network, err = runtime.ParseNetwork(f.network); err != nil {
		return fmt.Errorf("--%w", err)
	}
	if (len(spec.Ports) > 0 || f.publishAll) && !f.networkSet {
		spec.Network = runtime.PrivateNetwork
	}
	if f.publishAll && spec.Network != runtime.PrivateNetwork {
		return fmt.Errorf("--publish-all: network %s: published ports need network private", spec.Network)
	}
	return spec.Network.CheckPorts(spec.Ports)
}

// envEntry turns -e KEY=VALUE into itself and -e KEY into the host's value,
// if it has one. The host's variables it reads are added to *read, when read
// is not nil.
func envEntry(e string, read *[]string) (string, bool) {
	if strings.Contains(e, "=") {
		return e, true
	}
	if read != nil {
		*read = append(*read, e)
	}
	v, ok := os.LookupEnv(e)
	return e + "=" + v, ok
}

// readEnvFile reads KEY=VALUE lines; blank lines and # comments are skipped
// and a bare KEY takes the host's value (its name added to *read).
func readEnvFile(name string, read *[]string) ([]string, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	defer fh.Close()
	var env []string
	sc := bufio.NewScanner(fh)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimLeft(sc.Text(), " \t")
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		k, _, _ := strings.Cut(text, "=")
		if k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s:%d:1: want KEY=VALUE, found %q", name, line, text)
		}
		if kv, ok := envEntry(text, read); ok {
			env = append(env, kv)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--env-file %s: %w", name, err)
	}
	return env, nil
}

// parseVolume parses HOST:CONTAINER[:ro|rw].
func parseVolume(v string) (runtime.Mount, error) {
	parts := strings.Split(v, ":")
	var m runtime.Mount
	switch {
	case len(parts) == 3 && (parts[2] == "ro" || parts[2] == "rw"):
		m.ReadOnly = parts[2] == "ro"
	case len(parts) == 2:
	default:
		return m, fmt.Errorf("--volume %q: want HOST:CONTAINER[:ro]", v)
	}
	m.Source, m.Target = parts[0], parts[1]
	if m.Source == "" || !filepath.IsAbs(m.Target) {
		return m, fmt.Errorf("--volume %q: want a host path and an absolute container path", v)
	}
	return m, nil
}
