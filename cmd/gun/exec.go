package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/container"
	"github.com/gun-tools/gun/runtime"
)

// execFlags are gun exec's options, with docker's names.
type execFlags struct {
	interactive, tty, privileged bool
	env                          []string
	user, workdir                string
}

func newExecCmd(g *globalFlags) *cobra.Command {
	f := &execFlags{}
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER CMD [ARG...]",
		Short: "Run a command in a running container",
		Long: `Run a command in a running container: in its namespaces and cgroup, as
its user (or --user) in its working directory (or --workdir), with its
environment, capabilities, seccomp filter and no_new_privs. The exit code
is the command's (128+N when killed by signal N; 126 when it cannot be
executed, 127 when it is not found).`,
		Args:                  cobra.MinimumNArgs(2),
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExec(cmd.Context(), g, f, args)
		},
	}
	// Everything after CONTAINER belongs to the command.
	cmd.Flags().SetInterspersed(false)
	fl := cmd.Flags()
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "pass stdin to the command")
	fl.BoolVarP(&f.tty, "tty", "t", false, "give the command a pseudo terminal")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable (`KEY=VALUE`, or KEY to take the host's)")
	fl.StringVarP(&f.user, "user", "u", "", "run as `USER[:GROUP]` (names from the container's /etc/passwd and /etc/group, or numbers)")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working `directory` inside the container (it must exist)")
	fl.BoolVar(&f.privileged, "privileged", false, "all capabilities of the container's user namespace and no seccomp filter")
	return cmd
}

func runExec(ctx context.Context, g *globalFlags, f *execFlags, args []string) error {
	st, err := openStore(g)
	if err != nil {
		return &langcmd.ExitError{Code: 125, Err: err}
	}
	scratch, err := execScratch(g, st.RunDir(), args[0])
	if err != nil {
		return &langcmd.ExitError{Code: 125, Err: err}
	}
	c, err := runtime.LoadContainer(scratch)
	if err != nil {
		return &langcmd.ExitError{Code: 125, Err: err}
	}
	init, err := c.OpenInit()
	if err != nil {
		return &langcmd.ExitError{Code: 125, Err: fmt.Errorf("container %s: not running", args[0])}
	}
	defer init.Close()
	p := runtime.Process{
		Args: args[1:], Env: c.Env, Cwd: cmp.Or(f.workdir, c.Cwd), User: cmp.Or(f.user, c.User), TTY: f.tty,
		Caps: c.Caps, NoNewPrivs: c.NoNewPrivs, Seccomp: c.Seccomp,
		Stdout: os.Stdout, Stderr: os.Stderr,
	}
	for _, e := range f.env {
		if kv, ok := envEntry(e, nil); ok {
			p.Env = append(p.Env, kv)
		}
	}
	if f.interactive {
		p.Stdin = os.Stdin
	}
	if f.privileged {
		// Every capability the kernel has, and no filter, as for run.
		p.Caps, p.Seccomp = ^uint64(0), nil
	}
	// Exec forwards SIGINT and SIGTERM to the command; gun exits when it
	// does.
	code, err := runtime.Exec(context.WithoutCancel(ctx), init, p)
	if err != nil || code != 0 {
		return &langcmd.ExitError{Code: code, Err: err}
	}
	return nil
}

// execScratch returns the scratch directory of the container ref names:
// a container of gun ps (by name, id or id prefix), else one of the
// store's run directory.
func execScratch(g *globalFlags, runDir, ref string) (string, error) {
	if d, _, err := openContainers(g); err == nil {
		if c, err := d.Get(ref); err == nil {
			if c.Status != container.Running || c.Scratch == "" {
				return "", fmt.Errorf("container %s is not running", c.Name)
			}
			return c.Scratch, nil
		}
	}
	return findContainer(runDir, ref)
}

// findContainer returns the scratch directory of the running container
// ref names in the store's run directory: its id, or a prefix of one
// id only.
func findContainer(runDir, ref string) (string, error) {
	if ref == "" || strings.ContainsAny(ref, "/\x00") || strings.HasPrefix(ref, ".") {
		return "", fmt.Errorf("container %q: no such container", ref)
	}
	entries, err := os.ReadDir(runDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var found []string
	for _, e := range entries {
		if e.Name() == ref {
			return filepath.Join(runDir, ref), nil
		}
		if strings.HasPrefix(e.Name(), ref) && !strings.HasPrefix(e.Name(), ".") {
			found = append(found, e.Name())
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("container %s: no such container", ref)
	case 1:
		return filepath.Join(runDir, found[0]), nil
	}
	return "", fmt.Errorf("container %s: ambiguous: %s", ref, strings.Join(found, ", "))
}
