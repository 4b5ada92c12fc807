package convert

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/gun-tools/gun/lang/source"
)

// command converts one instruction of a stage.
func (c *converter) command(n *parser.Node, in any) {
	switch in := in.(type) {
	case *instructions.EnvCommand:
		for _, kv := range in.Env {
			c.printf("Env %s %s\n", kv.Key, c.word(kv.Value, false))
			c.vars = append(c.vars, kv.Key)
			c.cur.envs = append(c.cur.envs, kv.Key)
		}
	case *instructions.LabelCommand:
		for _, kv := range in.Labels {
			c.printf("Label %s %s\n", c.word(kv.Key, false), c.word(kv.Value, false))
		}
	case *instructions.MaintainerCommand:
		c.printf("Label \"maintainer\" %s\n", str(in.Maintainer))
		c.warn(NotExact, "MAINTAINER becomes the label \"maintainer\" (Docker sets the image's author field)")
	case *instructions.WorkdirCommand:
		c.printf("Workdir %s\n", c.word(in.Path, false))
		if path.IsAbs(in.Path) {
			c.cur.workdir, c.cur.workdirKnown = path.Clean(in.Path), true
		} else {
			c.cur.workdir = path.Join(c.cur.workdir, in.Path)
		}
	case *instructions.UserCommand:
		c.printf("User %s\n", c.word(in.User, false))
		c.cur.user = in.User
	case *instructions.ExposeCommand:
		var ports []string
		for _, p := range in.Ports {
			if _, err := strconv.Atoi(p); err == nil {
				ports = append(ports, p)
			} else {
				ports = append(ports, c.word(p, false))
			}
		}
		c.printf("Expose %s\n", strings.Join(ports, " "))
	case *instructions.VolumeCommand:
		var paths []string
		for _, p := range in.Volumes {
			paths = append(paths, c.word(p, false))
		}
		c.printf("Volume %s\n", strings.Join(paths, " "))
	case *instructions.StopSignalCommand:
		c.printf("StopSignal %s\n", c.word(in.Signal, false))
	case *instructions.ShellCommand:
		c.printf("Shell %s\n", list(in.Shell))
	case *instructions.CmdCommand:
		c.printf("Main %s\n", c.cmdline(n, in.ShellDependantCmdLine))
	case *instructions.EntrypointCommand:
		c.printf("Entrypoint %s\n", c.cmdline(n, in.ShellDependantCmdLine))
	case *instructions.HealthCheckCommand:
		c.healthcheck(in)
	case *instructions.RunCommand:
		c.run(n, in)
	case *instructions.CopyCommand:
		if c.unsaid(n, "COPY", in.ExcludePatterns, in.Parents) {
			break
		}
		c.copy(n, in.SourcesAndDest, in.From, in.Chown, in.Chmod, false)
	case *instructions.AddCommand:
		c.add(n, in)
	case *instructions.OnbuildCommand:
		c.keep(n)
		c.warn(Dropped, "ONBUILD kept as a comment: gun has no triggers (write the steps in the stage that runs them)")
	default:
		c.keep(n)
		c.warn(Dropped, "%s kept as a comment: gun has no equivalent", strings.ToUpper(n.Value))
	}
}

// cmdline converts the command of CMD or ENTRYPOINT: a shell string, or
// an exec-form list.
func (c *converter) cmdline(n *parser.Node, cl instructions.ShellDependantCmdLine) string {
	if !cl.PrependShell {
		return list(cl.CmdLine)
	}
	return cmdStr(strings.Join(cl.CmdLine, " "))
}

func (c *converter) healthcheck(in *instructions.HealthCheckCommand) {
	h := in.Health
	if len(h.Test) > 0 && h.Test[0] == "NONE" {
		c.printf("Healthcheck None\n")
		return
	}
	c.printf("Healthcheck")
	for _, o := range []struct {
		name string
		d    time.Duration
	}{{"Interval", h.Interval}, {"Timeout", h.Timeout}, {"StartPeriod", h.StartPeriod}, {"StartInterval", h.StartInterval}} {
		if o.d != 0 {
			c.printf(" %s %s", o.name, o.d)
		}
	}
	if h.Retries != 0 {
		c.printf(" Retries %d", h.Retries)
	}
	switch {
	case len(h.Test) > 1 && h.Test[0] == "CMD-SHELL":
		c.printf(" %s\n", cmdStr(strings.Join(h.Test[1:], " ")))
	case len(h.Test) > 1:
		c.printf(" %s\n", list(h.Test[1:]))
	default:
		c.printf(" \"true\"\n")
		c.warn(NotExact, "HEALTHCHECK without a command")
	}
}

// unsaid keeps a COPY or ADD with --exclude or --parents as a comment and
// reports whether it did: gun's Copy cannot say which files Docker copies,
// or where (a Copy without them would copy others, elsewhere).
func (c *converter) unsaid(n *parser.Node, what string, exclude []string, parents bool) bool {
	var flags []string
	if len(exclude) > 0 {
		flags = append(flags, "--exclude")
	}
	if parents {
		flags = append(flags, "--parents")
	}
	if len(flags) == 0 {
		return false
	}
	c.keep(n)
	c.warnAt(at(flags...), Dropped, "%s %s kept as a comment: gun's Copy has no equivalent, and without it copies other files", what, strings.Join(flags, " and "))
	return true
}

// run converts RUN: its mounts, network and command.
func (c *converter) run(n *parser.Node, in *instructions.RunCommand) {
	c.printf("Exec")
	// The mounts are read when the command is expanded; their values are
	// kept as written.
	if err := in.Expand(func(w string) (string, error) { return w, nil }); err != nil {
		c.err = fmt.Errorf("RUN flags: %w", err)
		return
	}
	var mounts []*instructions.Mount
	for _, m := range instructions.GetMounts(in) {
		if m.Type == instructions.MountTypeSSH {
			c.warnAt(at("type=ssh"), DroppedOption, "RUN --mount=type=ssh left out: gun has no SSH agent forwarding")
			continue
		}
		mounts = append(mounts, m)
	}
	for _, m := range mounts {
		if len(mounts) > 1 {
			c.printf(" \\\n   ") // one mount a line
		}
		c.mount(m)
	}
	if len(mounts) > 1 {
		c.printf(" \\\n   ")
	}
	if nw := instructions.GetNetwork(in); nw != instructions.NetworkDefault {
		c.printf(" Network %s", nw)
	}
	if sec := instructions.GetSecurity(in); sec != "" && sec != "sandbox" {
		c.warnAt(at("--security"), DroppedOption, "RUN --security=%s left out: gun runs every step unprivileged", sec)
	}
	for _, f := range in.FlagsUsed {
		if f == "device" {
			c.warnAt(at("--device"), DroppedOption, "RUN --device left out: gun has no equivalent")
		}
	}
	c.undeclaredGlobals()
	cl := in.ShellDependantCmdLine
	if !cl.PrependShell {
		c.printf(" %s\n", list(cl.CmdLine))
		return
	}
	cmd := strings.Join(cl.CmdLine, " ")
	switch {
	case len(cl.Files) == 1 && isHeredocOnly(cmd):
		// RUN <<EOF: the lines are the script, RUN <<-EOF's without
		// their leading tabs (BuildKit strips them when it runs it). A
		// script with a #! line runs by its interpreter in both.
		data := cl.Files[0].Data
		if cl.Files[0].Chomp {
			data = parser.ChompHeredocContent(data)
		}
		c.printf(" %s\n", script(data))
	case len(cl.Files) > 0:
		// The heredocs are the command's input: the shell reads them too.
		text := cmd + "\n"
		for _, f := range cl.Files {
			text += f.Data + f.Name + "\n"
		}
		c.printf(" %s\n", script(text))
	case n.EndLine > n.StartLine && c.escape == '\\' && strings.Count(c.continued(n), "\n") > 1:
		// The lines as written, backslashes and all: the shell joins
		// them as Docker did. (With another escape character the
		// command is the one line Docker joined.)
		c.printf(" %s\n", script(c.continued(n)))
	default:
		c.printf(" %s\n", cmdStr(cmd))
	}
}

// undeclaredGlobals reports the global ARGs that the RUN being converted
// uses and its stage does not declare: Docker's RUN does not have them,
// and gun's Exec has every global Arg.
func (c *converter) undeclaredGlobals() {
	src := c.source(c.node)
	for i, name := range c.globals {
		if _, _, ok := refAt(src, name); ok && slices.Index(c.globals, name) == i && !slices.Contains(c.vars, name) {
			c.warnRef(name, NotExact, "$%s is a global ARG that this stage does not declare: Docker's RUN does not have it (the base image's %s or nothing), gun's Exec has every global Arg; ARG %s in the stage makes them alike", name, name, name)
		}
	}
}

// isHeredocOnly reports whether a RUN command is only a heredoc marker
// (<<EOF, <<-EOF, <<"EOF").
func isHeredocOnly(cmd string) bool {
	cmd = strings.TrimSpace(cmd)
	if !strings.HasPrefix(cmd, "<<") {
		return false
	}
	return !strings.ContainsAny(strings.Trim(cmd[2:], `-"'`), " \t")
}

// innerComments writes the comment lines of a continued instruction, which
// Docker drops from it, above it: they stay with their instruction. (A
// heredoc's lines starting with # are its text.)
func (c *converter) innerComments(n *parser.Node) {
	for line := n.StartLine + 1; line <= n.EndLine; line++ {
		c.comment(c.file.LineText(line))
	}
}

// continued returns a RUN's command as its lines were written, for a script
// block: the backslash continuations stay (the shell joins them as Docker
// did) and the comment and blank lines Docker drops from a continued
// instruction go.
func (c *converter) continued(n *parser.Node) string {
	lines := strings.Split(strings.TrimRight(c.source(n), "\r\n"), "\n")
	lines[0] = strings.TrimSpace(lines[0])[len(n.Value):]
	var out []string
	flags := true // RUN's flags come first, possibly over several lines
	for _, l := range lines {
		l = strings.TrimRight(l, "\r")
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") && len(out) > 0 {
			continue
		}
		if flags {
			for strings.HasPrefix(t, "--") {
				i := strings.IndexAny(t, " \t")
				if i < 0 {
					t = ""
					break
				}
				t = strings.TrimSpace(t[i:])
			}
			if t == "" || t == string(c.escape) {
				continue
			}
			flags = false
			l = t
		}
		out = append(out, l)
	}
	// The indentation common to the continuation lines goes.
	indent := -1
	for _, l := range out[1:] {
		lead := len(l) - len(strings.TrimLeft(l, " \t"))
		if indent < 0 || lead < indent {
			indent = lead
		}
	}
	for i := 1; i < len(out); i++ {
		out[i] = out[i][max(indent, 0):]
	}
	return strings.Join(out, "\n") + "\n"
}

func (c *converter) mount(m *instructions.Mount) {
	switch m.Type {
	case instructions.MountTypeCache:
		c.printf(" Cache %s", c.target(m.Target))
		if m.CacheID != "" && m.CacheID != m.Target {
			c.printf(" Id %s", c.word(m.CacheID, false))
		}
		if s := string(m.CacheSharing); s != "" && s != "shared" {
			c.printf(" Sharing %s", s)
		}
		// The same defaults as BuildKit's: root's, mode 0755.
		if m.UID != nil {
			c.printf(" Uid %d", *m.UID)
		}
		if m.GID != nil {
			c.printf(" Gid %d", *m.GID)
		}
		if m.Mode != nil {
			c.printf(" Mode %04o", *m.Mode)
		}
		var dropped []string
		for _, o := range []struct {
			name string
			set  bool
		}{{"from", m.From != ""}, {"source", m.Source != ""}, {"ro", m.ReadOnly}} {
			if o.set {
				dropped = append(dropped, o.name)
			}
		}
		if len(dropped) > 0 {
			c.warnAt(at("target="+m.Target, "type=cache"), DroppedOption, "cache mount at %s: %s left out (gun's cache starts empty)", m.Target, strings.Join(dropped, ", "))
		}
	case instructions.MountTypeSecret:
		c.printf(" Secret %s", c.word(m.CacheID, false))
		// With env= BuildKit makes a file only where target= says.
		if m.Target != "" && (m.Env != nil || m.Target != path.Join("/run/secrets", m.CacheID)) {
			c.printf(" Target %s", c.target(m.Target))
		}
		if m.Env != nil {
			c.printf(" Env %s", c.word(*m.Env, false))
		}
		// BuildKit's secret belongs to root unless uid and gid say
		// otherwise; gun's to the step's user.
		uid, gid := notRoot(c.cur.user)
		if m.UID != nil {
			c.printf(" Uid %d", *m.UID)
		} else if uid {
			c.printf(" Uid 0")
		}
		if m.GID != nil {
			c.printf(" Gid %d", *m.GID)
		} else if gid {
			c.printf(" Gid 0")
		}
		if m.Mode != nil {
			c.printf(" Mode %04o", *m.Mode)
		}
	case instructions.MountTypeBind:
		src := m.Source
		if src == "" {
			src = "."
		}
		c.printf(" Bind %s %s", c.word(src, false), c.target(m.Target))
		if m.From != "" {
			if c.stages[m.From] != nil {
				c.printf(" From %s", m.From)
			} else {
				c.printf(" From %s", str(m.From))
			}
		}
		if !m.ReadOnly {
			c.printf(" ReadWrite")
		}
	case instructions.MountTypeTmpfs:
		c.printf(" Tmpfs %s", c.target(m.Target))
		if m.SizeLimit > 0 {
			c.printf(" Size %d", m.SizeLimit)
		}
	default:
		c.warnAt(at("type="+string(m.Type)), DroppedOption, "RUN --mount=type=%s left out: gun has no equivalent", m.Type)
	}
}

// notRoot reports whether the user and the group of a USER, as written,
// may not be root's: those a secret of gun's would get by default where
// BuildKit's gets root's. An empty USER is the base image's, taken as
// root's.
func notRoot(user string) (uid, gid bool) {
	if user == "" {
		return false, false
	}
	u, g, _ := strings.Cut(user, ":")
	isRoot := func(s string) bool { return s == "root" || s == "0" }
	uid = !isRoot(u)
	return uid, uid || g != "" && !isRoot(g)
}

// target writes a mount's target: BuildKit takes a relative one in the
// working directory, gun wants it absolute.
func (c *converter) target(t string) string {
	if path.IsAbs(t) {
		return c.word(t, false)
	}
	abs := path.Join(c.cur.workdir, t)
	if !c.cur.workdirKnown {
		c.warnAt(at("target="+t, "dst="+t, "destination="+t), NotExact, "mount target %q is relative: written as %s, in the working directory as the Dockerfile sets it (the base image's is not known to gun convert)", t, abs)
	}
	return c.word(abs, false)
}

// copy converts COPY (and ADD's plain copies): options, sources and the
// inline files of heredocs.
func (c *converter) copy(n *parser.Node, sd instructions.SourcesAndDest, from, chown, chmod string, unpack bool) {
	opts := ""
	if from != "" {
		if i, err := strconv.Atoi(from); err == nil && i >= 0 && i < len(c.stageNames) {
			from = c.stageNames[i]
		}
		if c.stages[from] != nil {
			opts += " From " + from
		} else {
			opts += " From " + c.word(from, false)
		}
	}
	if chown != "" {
		opts += " Owner " + c.word(chown, false)
	}
	if chmod != "" {
		if _, err := strconv.ParseUint(chmod, 8, 32); err == nil {
			opts += " Mode " + chmod
		} else {
			c.warnAt(at("--chmod"), DroppedOption, "--chmod=%s left out: gun's Mode is an octal number", chmod)
		}
	}
	if unpack {
		opts += " Unpack"
	}
	dest := c.word(sd.DestPath, false)
	for _, f := range sd.SourceContents {
		d := dest
		if strings.HasSuffix(sd.DestPath, "/") {
			d = c.word(path.Join(sd.DestPath, f.Path), false)
		}
		text, expand := c.inline(f)
		if c.err != nil {
			return
		}
		if expand {
			c.printf("Copy Expand%s %s %s\n", opts, d, script(text))
		} else {
			c.printf("Copy%s %s %s\n", opts, d, script(text))
		}
	}
	if len(sd.SourcePaths) == 0 {
		return
	}
	var srcs []string
	for _, s := range sd.SourcePaths {
		if from == "" && path.IsAbs(s) {
			// BuildKit takes a context source's leading / as the
			// context's root; gun's sources are relative to it.
			if s = strings.TrimLeft(s, "/"); s == "" {
				s = "."
			}
		}
		srcs = append(srcs, c.word(s, false))
	}
	c.printf("Copy%s %s %s\n", opts, strings.Join(srcs, " "), dest)
}

// inline returns an inline file's text as Docker writes it, and whether it
// is the text of an Expand inline file. With an unquoted delimiter Docker
// processes it as BuildKit's shell lexer does with its quotes kept: every
// \x is x, and $NAME, ${NAME} and the ${NAME...} forms are expanded. Where
// variables remain, gun's Expand says them as references, with a literal $
// or \ that would read as one escaped.
func (c *converter) inline(f instructions.SourceContent) (string, bool) {
	if !f.Expand || !strings.ContainsAny(f.Data, `$\`) {
		return f.Data, false
	}
	c.heredocForms(f.Path)
	lex := shell.NewLex('\\') // whatever the escape directive says, as BuildKit
	lex.SkipProcessQuotes = true
	v, _, err := lex.ProcessWord(f.Data, env{})
	if err != nil {
		// Docker fails the build. BuildKit's error quotes the whole text
		// first: its innermost cause is enough.
		for errors.Unwrap(err) != nil {
			err = errors.Unwrap(err)
		}
		c.err = fmt.Errorf("the inline file <<%s: %s", f.Path, strings.ReplaceAll(err.Error(), "\n", `\n`))
		return "", false
	}
	// The text again, with only the variables written as references
	// still marked.
	var marked strings.Builder
	refs := false
	for i, p := range strings.Split(v, sentinel) {
		if i%2 == 0 {
			marked.WriteString(p)
		} else if ref, lit := c.variable(p, false); ref {
			marked.WriteString(sentinel + p + sentinel)
			refs = true
		} else {
			marked.WriteString(lit)
		}
	}
	t := marked.String()
	if !refs {
		return t, false
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		next := byte(0)
		if i+1 < len(t) {
			next = t[i+1]
		}
		switch {
		case t[i] == sentinel[0]:
			end := i + 1 + strings.IndexByte(t[i+1:], sentinel[0])
			b.WriteString("${" + t[i+1:end] + "}")
			i = end
			continue
		case t[i] == '$' && (next == '{' || isNameByte(next, true)):
			b.WriteByte('\\')
		case t[i] == '\\' && (next == '\\' || next == '$' || next == sentinel[0]):
			b.WriteByte('\\')
		}
		b.WriteByte(t[i])
	}
	return b.String(), true
}

// formText is what convert writes for a ${NAME...} form: what Docker makes
// of it where NAME is set to a value that the form does not change, the
// value as a reference.
func formText(form string) string {
	lex := shell.NewLex('\\')
	v, _, err := lex.ProcessWord(form, env{})
	if err != nil {
		return form
	}
	parts := strings.Split(v, sentinel)
	for i := 1; i < len(parts); i += 2 {
		parts[i] = "${" + parts[i] + "}"
	}
	return strings.Join(parts, "")
}

// heredocForms reports the ${NAME...} forms gun does not have in the
// instruction's heredoc name, at their places in the Dockerfile: Docker
// expands them as if the variable were set and not empty, as they are
// written.
func (c *converter) heredocForms(name string) {
	if c.node == nil {
		return
	}
	src := c.source(c.node)
	// The bodies follow the instruction's line, in order.
	off := strings.IndexByte(src, '\n') + 1
	for _, h := range c.node.Heredocs {
		i := strings.Index(src[off:], h.Content)
		if i < 0 {
			return
		}
		body := off + i
		off = body + len(h.Content)
		if h.Name != name {
			continue
		}
		for _, f := range varForms(h.Content, '\\') {
			start := c.file.LineStart(c.node.StartLine) + source.Pos(body+f[0])
			form := h.Content[f[0]:f[1]]
			c.warnRange(source.Range{Start: start, End: start + source.Pos(len(form))}, VariableForm,
				"the inline file <<%s uses %s, a form gun does not have (gun expands only $NAME and ${NAME}): written as %q; check the text", name, form, formText(form))
		}
	}
}

var archiveExt = []string{".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst"}

// add converts ADD: URLs are downloaded (pinned in Gunfile.sum), local
// archives unpacked, other sources copied.
func (c *converter) add(n *parser.Node, in *instructions.AddCommand) {
	if c.unsaid(n, "ADD", in.ExcludePatterns, false) {
		return
	}
	var plain, archives, urls []string
	for _, s := range in.SourcePaths {
		switch {
		case strings.HasPrefix(s, "git@") || strings.HasSuffix(s, ".git") || strings.Contains(s, ".git#"):
			c.keep(n)
			c.warn(Dropped, "ADD of a git repository kept as a comment: gun has no git sources (clone it in an Exec, or copy a checkout)")
			return
		case strings.HasPrefix(s, "http://"):
			c.warnAt(at(s), NotExact, "ADD %s: gun downloads only over https; written as https", s)
			urls = append(urls, "https://"+strings.TrimPrefix(s, "http://"))
		case strings.HasPrefix(s, "https://"):
			urls = append(urls, s)
		case isArchive(s) && (in.Unpack == nil || *in.Unpack):
			archives = append(archives, s)
		default:
			plain = append(plain, s)
		}
	}
	if in.Checksum != "" {
		c.warnAt(at("--checksum"), NotExact, "ADD --checksum=%s: gun pins downloads in Gunfile.sum instead (the first build records the digest)", in.Checksum)
	}
	for _, group := range []struct {
		srcs   []string
		unpack bool
	}{{plain, false}, {archives, true}, {urls, false}} {
		if len(group.srcs) == 0 {
			continue
		}
		sd := instructions.SourcesAndDest{DestPath: in.DestPath, SourcePaths: group.srcs}
		c.copy(n, sd, "", in.Chown, in.Chmod, group.unpack)
	}
	if len(in.SourceContents) > 0 {
		c.copy(n, instructions.SourcesAndDest{DestPath: in.DestPath, SourceContents: in.SourceContents}, "", in.Chown, in.Chmod, false)
	}
}

func isArchive(p string) bool {
	for _, e := range archiveExt {
		if strings.HasSuffix(strings.ToLower(p), e) {
			return true
		}
	}
	return false
}
