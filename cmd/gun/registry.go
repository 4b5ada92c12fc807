package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gun-tools/gun/cmd/internal/langcmd"
	"github.com/gun-tools/gun/registry"
	"github.com/gun-tools/gun/store"
)

// registryFlags are the options of the commands that talk to registries.
type registryFlags struct {
	tlsVerify bool
	progress  string
}

func (f *registryFlags) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.tlsVerify, "tls-verify", true, "require https with a verified certificate (false: also plain HTTP and unverified TLS)")
	cmd.Flags().StringVar(&f.progress, "progress", "auto", "progress output: auto (tty on a terminal, else plain), tty (a live line per blob), plain (a line per blob) or quiet")
}

// client makes a registry client that shows progress on w as --progress
// says; close ends the display.
func (f *registryFlags) client(w io.Writer) (c *registry.Client, close func(), err error) {
	opts := registry.Options{Insecure: !f.tlsVerify}
	close = func() {}
	mode := f.progress
	if mode == "auto" {
		mode = "plain"
		if fd, ok := w.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(fd.Fd())) {
			mode = "tty"
		}
	}
	switch mode {
	case "plain":
		opts.Log = func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	case "tty":
		v := newBlobView(w)
		opts.Progress, close = v.update, v.Close
	case "quiet":
	default:
		return nil, nil, &langcmd.UsageError{Err: fmt.Errorf("--progress %q: want auto, tty, plain or quiet", f.progress)}
	}
	c, err = registry.New(opts)
	return c, close, err
}

// open parses ref and opens a client and the store, for pull and push.
// The caller calls close when done, to end the progress display.
func (f *registryFlags) open(cmd *cobra.Command, g *globalFlags, ref string) (r registry.Ref, c *registry.Client, st *store.Store, close func(), err error) {
	close = func() {}
	if r, err = registry.ParseRef(ref); err != nil {
		return r, nil, nil, close, &langcmd.UsageError{Err: err}
	}
	if c, close, err = f.client(cmd.ErrOrStderr()); err != nil {
		return r, nil, nil, close, err
	}
	st, err = openStore(g)
	return r, c, st, close, err
}

func newPullCmd(g *globalFlags) *cobra.Command {
	f := &registryFlags{}
	var platform string
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] REFERENCE",
		Short: "Pull an image from a registry into the store",
		Long: `Pull an image from a registry into the store, and print its digest.

REFERENCE is normalized as Docker does: alpine:3.20 is
docker.io/library/alpine:3.20. NAME:TAG@sha256:... pulls by digest. The
image is named as Docker shows it (alpine:3.20).`,
		Example: "  gun pull debian:bookworm\n  gun pull --platform linux/arm64 localhost:5000/app:1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, c, st, done, err := f.open(cmd, g, args[0])
			defer done()
			if err != nil {
				return err
			}
			img, err := c.Pull(cmd.Context(), st, r, registry.PullOptions{Platform: platform})
			if err != nil {
				return err
			}
			done()
			fmt.Fprintln(cmd.OutOrStdout(), img.Source.Digest)
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&platform, "platform", "", "of a multi-platform image, the one for `OS/ARCH[/VARIANT]` (default this machine's)")
	return cmd
}

func newPushCmd(g *globalFlags) *cobra.Command {
	f := &registryFlags{}
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME [REFERENCE]",
		Short: "Push an image of the store to a registry",
		Long: `Push the image NAME of the store to REFERENCE (default NAME), and print
the digest of its manifest. Blobs the registry has are not sent again.`,
		Example: "  gun push app:1 localhost:5000/app:1",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, c, st, done, err := f.open(cmd, g, args[len(args)-1])
			defer done()
			if err != nil {
				return err
			}
			img, err := st.Image(args[0])
			if err != nil {
				return err
			}
			d, err := c.Push(cmd.Context(), st, img, r)
			if err != nil {
				return err
			}
			done()
			fmt.Fprintln(cmd.OutOrStdout(), d)
			return nil
		},
	}
	f.add(cmd)
	return cmd
}

func newLoginCmd() *cobra.Command {
	f := &registryFlags{}
	var user string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "login [OPTIONS] REGISTRY",
		Short: "Save credentials for a registry",
		Long: `Check a user name and password against REGISTRY and save them in the
containers auth file ($REGISTRY_AUTH_FILE, else
$XDG_RUNTIME_DIR/containers/auth.json, else ~/.config/containers/auth.json),
mode 0600, where podman finds them too.`,
		Example: "  echo \"$TOKEN\" | gun login -u me --password-stdin registry.example.com",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host := registryHost(args[0])
			in := bufio.NewReader(cmd.InOrStdin())
			tty := term.IsTerminal(int(os.Stdin.Fd()))
			if user == "" {
				if passwordStdin || !tty {
					return &langcmd.UsageError{Err: errors.New("give the user name with -u")}
				}
				fmt.Fprint(cmd.ErrOrStderr(), "Username: ")
				line, err := in.ReadString('\n')
				if err != nil {
					return fmt.Errorf("read the user name: %w", err)
				}
				user = strings.TrimSpace(line)
			}
			var password string
			switch {
			case passwordStdin:
				b, err := io.ReadAll(in)
				if err != nil {
					return fmt.Errorf("read the password: %w", err)
				}
				password = strings.TrimRight(string(b), "\r\n")
			case tty:
				fmt.Fprint(cmd.ErrOrStderr(), "Password: ")
				b, err := term.ReadPassword(int(os.Stdin.Fd()))
				fmt.Fprintln(cmd.ErrOrStderr())
				if err != nil {
					return fmt.Errorf("read the password: %w", err)
				}
				password = string(b)
			default:
				return &langcmd.UsageError{Err: errors.New("not a terminal: give the password with --password-stdin")}
			}
			if password == "" {
				return &langcmd.UsageError{Err: errors.New("empty password")}
			}
			f.progress = "quiet"
			c, _, err := f.client(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := c.Login(cmd.Context(), host, user, password); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Login to %s succeeded\n", host)
			return nil
		},
	}
	cmd.Flags().BoolVar(&f.tlsVerify, "tls-verify", true, "require https with a verified certificate")
	cmd.Flags().StringVarP(&user, "username", "u", "", "the user `name`")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	return cmd
}

func newLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout REGISTRY",
		Short: "Forget the credentials saved for a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := registry.New(registry.Options{})
			if err != nil {
				return err
			}
			return c.Logout(cmd.Context(), registryHost(args[0]))
		},
	}
}

// registryHost takes the host of a registry given as a URL too.
func registryHost(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	h, _, _ := strings.Cut(s, "/")
	return h
}
