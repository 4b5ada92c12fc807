package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/exec"
	buildprogress "github.com/gun-tools/gun/exec/progress"
	"github.com/gun-tools/gun/guntar"
	"github.com/gun-tools/gun/registry"
	"github.com/gun-tools/gun/runtime"
	"github.com/gun-tools/gun/store"
)

// buildFlags are gun build's options, with docker's names.
type buildFlags struct {
	file, output, format, target, network, progress string
	compression                                     string
	tags, args, secrets, cacheFrom, cacheTo         []string
	noCache, pull, tlsVerify, push                  bool
	platform                                        string
}

func newBuildCmd() *cobra.Command {
	f := &buildFlags{}
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] [CONTEXT]",
		Short: "Build an image from a Gunfile",
		Long: `Build an OCI image from a Gunfile, step by step, in rootless containers.

CONTEXT (default ".") is the directory Copy takes files from, less what its
.gunignore excludes (the syntax of .dockerignore). The Gunfile is
CONTEXT/Gunfile unless -f says otherwise. Each step is cached: a rebuild
runs only the steps whose instruction, inputs or parent changed.`,
		Example: "  gun build -t hello .\n  gun build -f app.gunfile --arg VERSION=1.2 -o app.tar .",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "the `Gunfile` (default CONTEXT/Gunfile)")
	fl.StringArrayVarP(&f.tags, "tag", "t", nil, "name the image `NAME[:TAG]` in the store (repeatable)")
	fl.StringVarP(&f.output, "output", "o", "", "write the image to `FILE`")
	fl.StringVar(&f.format, "format", "oci", "format of -o: oci (an OCI archive) or rootfs (the flattened root file system as a tar)")
	fl.StringArrayVar(&f.args, "arg", nil, "set a build argument: `NAME=VALUE` (repeatable; HTTP_PROXY and the other proxy variables need no Arg: every Exec gets them)")
	fl.StringVar(&f.target, "target", "", "build only up to this `STAGE`")
	fl.BoolVar(&f.noCache, "no-cache", false, "run every step, ignoring the cache")
	fl.StringVar(&f.network, "network", "host", "network for Exec steps: host, none or private (see gun run)")
	fl.StringArrayVar(&f.secrets, "secret", nil, "give a secret to Exec Secret mounts: `id=NAME,src=FILE` or id=NAME,env=VAR (repeatable; never stored)")
	fl.StringVar(&f.progress, "progress", "auto", "progress output: auto, tty, plain or quiet")
	fl.StringVar(&f.compression, "compression", "gzip", "compression of the layers the build makes: gzip (read by every tool) or zstd (smaller, faster to unpack)")
	fl.BoolVar(&f.pull, "pull", false, "resolve the tags of registry bases again and update their pins in Gunfile.sum")
	fl.StringVar(&f.platform, "platform", "", "of a multi-platform base, the image for `OS/ARCH[/VARIANT]` (default this machine's)")
	fl.BoolVar(&f.push, "push", false, "push the image to each -t, a registry reference")
	fl.StringArrayVar(&f.cacheFrom, "cache-from", nil, "take steps missing from the store's cache from the step cache a --cache-to pushed to `REFERENCE` (repeatable)")
	fl.StringArrayVar(&f.cacheTo, "cache-to", nil, "push the build's step cache (its records and layers) to `REFERENCE` (repeatable)")
	fl.BoolVar(&f.tlsVerify, "tls-verify", true, "require https with a verified certificate of registries (false: also plain HTTP)")
	return cmd
}

func runBuild(cmd *cobra.Command, f *buildFlags, args []string) error {
	opts := exec.Options{
		Gunfile: f.file, Tags: f.tags, Output: f.output, Format: f.format,
		Target: f.target, NoCache: f.noCache,
		Pull: f.pull, Platform: f.platform,
		CacheFrom: f.cacheFrom, CacheTo: f.cacheTo,
		Args: map[string]string{}, Warn: cmd.ErrOrStderr(),
	}
	if len(args) == 1 {
		opts.Context = args[0]
	}
	if f.format != "oci" && f.format != "rootfs" {
		return &langcmd.UsageError{Err: fmt.Errorf("--format %q: want oci or rootfs", f.format)}
	}
	var err error
	if opts.Network, err = runtime.ParseNetwork(f.network); err != nil {
		return &langcmd.UsageError{Err: fmt.Errorf("--%w", err)}
	}
	switch f.compression {
	case "gzip":
		opts.Compression = guntar.Gzip
	case "zstd":
		opts.Compression = guntar.Zstd
	default:
		return &langcmd.UsageError{Err: fmt.Errorf("--compression %q: want gzip or zstd", f.compression)}
	}
	for _, a := range f.args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return &langcmd.UsageError{Err: fmt.Errorf("--arg %q: want NAME=VALUE", a)}
		}
		opts.Args[k] = v
	}
	for _, sec := range f.secrets {
		id, s, err := parseSecret(sec)
		if err != nil {
			return &langcmd.UsageError{Err: err}
		}
		if opts.Secrets == nil {
			opts.Secrets = map[string]exec.Secret{}
		}
		opts.Secrets[id] = s
	}
	mode, err := buildprogress.ParseMode(f.progress)
	if err != nil {
		return &langcmd.UsageError{Err: fmt.Errorf("--progress: %w", err)}
	}
	if opts.Root, err = cmd.Flags().GetString("root"); err != nil {
		return err
	}
	if opts.Root == "" {
		if opts.Root, err = store.DefaultRoot(); err != nil {
			return err
		}
	}
	if f.push && len(f.tags) == 0 {
		return &langcmd.UsageError{Err: errors.New("--push needs -t REFERENCE")}
	}
	for _, r := range append(f.cacheFrom, f.cacheTo...) {
		if _, err := registry.ParseRef(r); err != nil {
			return &langcmd.UsageError{Err: err}
		}
	}
	if !f.tlsVerify || f.push {
		if opts.Registry, err = registry.New(registry.Options{Insecure: !f.tlsVerify}); err != nil {
			return err
		}
	}
	prog := buildprogress.New(os.Stderr, mode)
	opts.Progress = prog
	res, err := exec.Build(cmd.Context(), opts)
	prog.Close()
	var de *exec.DiagnosticsError
	if errors.As(err, &de) {
		for _, d := range de.Diags {
			langcmd.WriteDiagnostic(cmd.ErrOrStderr(), de.File, d)
		}
		return &langcmd.ExitError{Code: 1, Err: err}
	}
	if err != nil {
		return err
	}
	if f.push {
		if err := pushTags(cmd, opts); err != nil {
			return err
		}
	}
	fmt.Fprintln(cmd.OutOrStdout(), res.Digest)
	return nil
}

// pushTags pushes the image just built to each of its -t names.
func pushTags(cmd *cobra.Command, opts exec.Options) error {
	st, err := store.Open(opts.Root)
	if err != nil {
		return err
	}
	for _, t := range opts.Tags {
		r, err := registry.ParseRef(t)
		if err != nil {
			return &langcmd.UsageError{Err: err}
		}
		img, err := st.Image(t)
		if err != nil {
			return err
		}
		if _, err := opts.Registry.Push(cmd.Context(), st, img, r); err != nil {
			return err
		}
	}
	return nil
}

// parseSecret reads --secret id=NAME,src=FILE or id=NAME,env=VAR (src may
// be written source, as Docker allows).
func parseSecret(v string) (string, exec.Secret, error) {
	var id string
	var s exec.Secret
	for _, field := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(field, "=")
		switch {
		case !ok || val == "":
			return "", s, fmt.Errorf("--secret %q: want id=NAME,src=FILE or id=NAME,env=VAR", v)
		case k == "id":
			id = val
		case k == "src" || k == "source":
			s.File = val
		case k == "env":
			s.Env = val
		default:
			return "", s, fmt.Errorf("--secret %q: unknown field %q (want id, src or env)", v, k)
		}
	}
	if id == "" || (s.File == "") == (s.Env == "") {
		return "", s, fmt.Errorf("--secret %q: want id=NAME and one of src=FILE or env=VAR", v)
	}
	return id, s, nil
}
