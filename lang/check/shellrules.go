package check

import (
	"fmt"
	"path"
	"strings"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/shell"
	"github.com/gun-tools/gun/lang/source"
)

// call is a simple command of a script, seen through sudo: its program's
// base name and its words, the program first.
type call struct {
	words []shell.Word
	name  string // "" when the program is not literal text
}

// newCall returns the command cmd runs; sudo reports itself and is skipped.
func (c *checker) newCall(s *ast.String, cmd shell.Cmd) call {
	cl := call{words: cmd.Words}
	for len(cl.words) > 0 {
		w := cl.words[0]
		if !w.Literal {
			return cl
		}
		cl.name = path.Base(w.Lit)
		if cl.name != "sudo" {
			return cl
		}
		c.report(diag.Warning, diag.Sudo, c.wordRange(s, w),
			"sudo in a build step: steps already run as the stage's User; set User root before the step (and back after) instead")
		// Skip sudo's options.
		cl.words = cl.words[1:]
		for len(cl.words) > 0 && strings.HasPrefix(cl.words[0].Lit, "-") {
			cl.words = cl.words[1:]
		}
		cl.name = ""
	}
	return cl
}

// arg returns word i as literal text, or "".
func (cl call) arg(i int) string {
	if i >= len(cl.words) {
		return ""
	}
	return cl.words[i].Lit
}

// has reports whether one of the words is one of the flags (a long flag may
// carry its value after '=').
func (cl call) has(flags ...string) bool {
	for i := 1; i < len(cl.words); i++ {
		a := cl.arg(i)
		for _, f := range flags {
			if a == f || strings.HasPrefix(f, "--") && strings.HasPrefix(a, f+"=") {
				return true
			}
		}
	}
	return false
}

// hasShort reports whether a group of short options (-qy) holds letter.
func (cl call) hasShort(letter byte) bool {
	for i := 1; i < len(cl.words); i++ {
		a := cl.arg(i)
		if len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.IndexByte(a[1:], letter) >= 0 {
			return true
		}
	}
	return false
}

// subcommand returns the first word that is not an option, skipping the
// values of the options in valued, and its index.
func (cl call) subcommand(valued ...string) (string, int) {
	for i := 1; i < len(cl.words); i++ {
		a := cl.arg(i)
		switch {
		case a == "":
			return "", -1
		case strings.HasPrefix(a, "-"):
			for _, v := range valued {
				if a == v {
					i++
				}
			}
		default:
			return a, i
		}
	}
	return "", -1
}

// operands yields the words after index from that are not options,
// skipping the values of the options in valued, with their indexes.
func (cl call) operands(from int, valued []string, yield func(string, int)) {
	for i := from + 1; i < len(cl.words); i++ {
		a := cl.arg(i)
		switch {
		case a == "":
			// Not literal: nothing to judge.
		case strings.HasPrefix(a, "-"):
			for _, v := range valued {
				if a == v {
					i++
				}
			}
		default:
			yield(a, i)
		}
	}
}

func (c *checker) wordRange(s *ast.String, w shell.Word) source.Range {
	return c.shellRange(s, w.Start, w.End)
}

// insertAfter is a fix that inserts text after word w.
func (c *checker) insertAfter(s *ast.String, w shell.Word, title, text string) []diag.Fix {
	p := c.valuePos(s, w.End)
	return []diag.Fix{{Title: title, Edits: []diag.Edit{{Range: source.Range{Start: p, End: p}, NewText: text}}}}
}

// scriptFacts is what the rules learn about a script while walking it.
type scriptFacts struct {
	aptUpdate    *shell.Word // the word update of apt-get update
	aptInstall   bool        // apt-get install or upgrade
	listsRemoved bool        // rm ... /var/lib/apt/lists
	pipefail     bool        // set -o pipefail
	pipNoCache   bool        // the script sets PIP_NO_CACHE_DIR
	// rpmInstall[m] is the first install word of yum, dnf or zypper (see
	// rpmManagers), and rpmCleaned[m] says the script cleans its cache.
	rpmInstall [3]*shell.Word
	rpmCleaned [3]bool
}

// rpmManagers are the package managers G319 and G320 are about, with the
// command that cleans each one's cache and the cache's directory.
var rpmManagers = [3]struct {
	name, clean, cache string
	kind               laterKind
}{
	{"yum", "yum clean all", "/var/cache/yum", yumCache},
	{"dnf", "dnf clean all", "/var/cache/dnf", dnfCache},
	{"zypper", "zypper clean --all", "/var/cache/zypp", zypperCache},
}

// shellRules applies the rules about commands to the script s of the
// instruction instr: those about build steps to an Exec's.
func (c *checker) shellRules(s *ast.String, sc *shell.Script, instr string) {
	if instr != "Exec" {
		// Main, Entrypoint and Healthcheck run from the image.
		if instr == "Main" {
			c.mainForm(s, sc)
		}
		return
	}
	facts := scriptFacts{pipefail: c.sh.pipefail}
	for _, v := range sc.Vars {
		if v.Def && v.Name == "PIP_NO_CACHE_DIR" {
			facts.pipNoCache = true
		}
	}
	for i, cmd := range sc.Cmds {
		cl := c.newCall(s, cmd)
		if i == 0 && cl.name == "cd" {
			c.report(diag.Warning, diag.CdFirst, c.wordRange(s, cl.words[0]),
				"the step starts with cd: set the directory with Workdir, which later steps keep, instead")
		}
		if cmd.PipeTo && i+1 < len(sc.Cmds) {
			c.pipe(s, cl, c.newCall(s, sc.Cmds[i+1]), &facts)
		}
		c.command1(s, cl, &facts)
	}
	if u := facts.aptUpdate; u != nil {
		switch {
		case !facts.aptInstall:
			c.report(diag.Warning, diag.AptUpdateAlone, c.wordRange(s, *u),
				"apt-get update alone in a step: its index is cached with the step and goes stale; update and install in one step")
		case !facts.listsRemoved:
			d := c.report(diag.Info, diag.AptListsKept, c.wordRange(s, *u),
				"the apt lists this step fetches stay in the image: remove them in the same step with rm -rf /var/lib/apt/lists/*")
			d.Fixes = c.appendCommand(s, "rm -rf /var/lib/apt/lists/*")
		}
	}
	for m, w := range facts.rpmInstall {
		if w != nil && !facts.rpmCleaned[m] {
			c.sh.later = append(c.sh.later, later{rpmManagers[m].kind, c.wordRange(s, *w)})
		}
	}
	if s.Heredoc != "" && sc.Stmts > 1 && !c.sh.errexit && !errexit(sc) {
		d := c.report(diag.Warning, diag.NoSetE, c.shellRange(s, 0, firstLineEnd(s.Value)),
			"a script block runs on after a failing command: start it with set -e so that the step fails with it")
		at := 0
		if strings.HasPrefix(s.Value, "#!") && firstLineEnd(s.Value) < len(s.Value) {
			at = firstLineEnd(s.Value) + 1 // after the #! line
		}
		p := c.valuePos(s, at)
		line := c.info.File.Source.LineStart(c.info.File.Source.Line(p))
		indent := string(c.src()[line:p])
		d.Fixes = []diag.Fix{{Title: "add set -e", Edits: []diag.Edit{{Range: source.Range{Start: p, End: p}, NewText: "set -e\n" + indent}}}}
	}
}

func firstLineEnd(v string) int {
	if i := strings.IndexByte(v, '\n'); i >= 0 {
		return i
	}
	return len(v)
}

// appendCommand is a fix that runs cmd at the end of the script s.
func (c *checker) appendCommand(s *ast.String, cmd string) []diag.Fix {
	src := c.src()
	title := "add " + cmd
	if s.Heredoc == "" {
		p := c.valuePos(s, len(s.Value))
		return []diag.Fix{{Title: title, Edits: []diag.Edit{{Range: source.Range{Start: p, End: p}, NewText: " && " + cmd}}}}
	}
	// Before the closing delimiter's line, indented as it is.
	p := c.valuePos(s, len(s.Value))
	indent := 0
	for int(p)+indent < len(src) && (src[int(p)+indent] == ' ' || src[int(p)+indent] == '\t') {
		indent++
	}
	return []diag.Fix{{Title: title, Edits: []diag.Edit{{Range: source.Range{Start: p, End: p}, NewText: string(src[p:int(p)+indent]) + cmd + "\n"}}}}
}

// errexit reports whether the script's first statement is a set command
// that turns on errexit.
func errexit(sc *shell.Script) bool {
	if len(sc.Cmds) == 0 || sc.Cmds[0].Stmt != 0 {
		return false
	}
	e, _ := setOptions(call{words: sc.Cmds[0].Words})
	return e
}

// setOptions returns the errexit and pipefail options a set command turns on.
func setOptions(cl call) (errexit, pipefail bool) {
	if cl.arg(0) != "set" {
		return false, false
	}
	return shellOptions(1, len(cl.words), cl.arg)
}

// shellOptions returns the errexit and pipefail options that the
// arguments [from, to) of set, or of a shell, turn on (-e, -o pipefail,
// -euo pipefail, ...).
func shellOptions(from, to int, arg func(int) string) (errexit, pipefail bool) {
	for i := from; i < to; i++ {
		a := arg(i)
		if len(a) < 2 || a[0] != '-' || a[1] == '-' {
			continue
		}
		if strings.IndexByte(a, 'e') > 0 {
			errexit = true
		}
		if strings.IndexByte(a, 'o') > 0 && i+1 < to {
			switch arg(i + 1) {
			case "errexit":
				errexit = true
			case "pipefail":
				pipefail = true
			}
		}
	}
	return errexit, pipefail
}

// command1 applies the rules about one command.
func (c *checker) command1(s *ast.String, cl call, facts *scriptFacts) {
	switch cl.name {
	case "set":
		if _, p := setOptions(cl); p {
			facts.pipefail = true
		}
	case "apt-get", "apt":
		sub, i := cl.subcommand("-o", "-c", "-t")
		if i < 0 {
			return
		}
		w := cl.words[i]
		switch sub {
		case "update":
			facts.aptUpdate = &cl.words[i]
		case "install":
			facts.aptInstall = true
			if !cl.has("-y", "--yes", "--assume-yes", "-qq", "-q=2") && !cl.hasShort('y') {
				d := c.report(diag.Warning, diag.AptNoYes, c.wordRange(s, w),
					"%s install without -y: it stops to ask for confirmation, and a build cannot answer", cl.name)
				d.Fixes = c.insertAfter(s, w, "add -y", " -y")
			}
			if !cl.has("--no-install-recommends") && !strings.Contains(s.Value, "Install-Recommends") {
				d := c.report(diag.Info, diag.AptRecommends, c.wordRange(s, w),
					"%s install without --no-install-recommends also installs the recommended packages, which an image rarely needs", cl.name)
				d.Fixes = c.insertAfter(s, w, "add --no-install-recommends", " --no-install-recommends")
			}
		case "upgrade", "dist-upgrade", "full-upgrade":
			facts.aptInstall = true
			c.report(diag.Warning, diag.AptUpgrade, c.wordRange(s, w),
				"%s %s in a build makes the image depend on the day it is built: use a newer base image instead", cl.name, sub)
		}
	case "rm":
		for i := 1; i < len(cl.words); i++ {
			if strings.HasPrefix(cl.arg(i), "/var/lib/apt/lists") {
				facts.listsRemoved = true
			}
			for m, pm := range rpmManagers {
				if strings.HasPrefix(cl.arg(i), pm.cache) {
					facts.rpmCleaned[m] = true
				}
			}
		}
	case "apk":
		sub, i := cl.subcommand("-X", "--repository", "-p", "--root", "--repositories-file")
		if sub != "add" {
			return
		}
		w := cl.words[i]
		if !cl.has("--no-cache") && !strings.Contains(s.Value, "/var/cache/apk") {
			d := c.add(diag.Info, diag.ApkCache, c.wordRange(s, w), "apk add without --no-cache keeps the package index in the image")
			d.Fixes = c.insertAfter(s, w, "add --no-cache", " --no-cache")
		}
		cl.operands(i, []string{"-X", "--repository", "-t", "--virtual", "-p", "--root", "--repositories-file"}, func(pkg string, j int) {
			if !strings.ContainsAny(pkg, "=<>~") && !strings.HasSuffix(pkg, ".apk") {
				c.unpinned(s, cl.words[j], "apk add", pkg, "=")
			}
		})
	case "pip", "pip3":
		c.pip(s, cl, 0, facts)
	case "python", "python3":
		if cl.arg(1) == "-m" && (cl.arg(2) == "pip" || cl.arg(2) == "pip3") {
			c.pip(s, cl, 2, facts)
		}
	case "npm":
		sub, i := cl.subcommand()
		if sub != "install" && sub != "i" && sub != "add" || !cl.has("-g", "--global") {
			return
		}
		cl.operands(i, nil, func(pkg string, j int) {
			if strings.LastIndexByte(pkg, '@') <= 0 && !strings.ContainsAny(pkg, "/:") {
				c.unpinned(s, cl.words[j], "npm install -g", pkg, "@")
			}
		})
	case "curl", "wget":
		k := curl
		if cl.name == "wget" {
			k = wget
		}
		c.sh.later = append(c.sh.later, later{k, c.wordRange(s, cl.words[0])})
	case "yum", "dnf", "microdnf", "zypper":
		c.rpm(s, cl, facts)
	case "useradd":
		c.useradd(s, cl)
	}
}

// unpinned reports package pkg of command what, which sep would pin.
func (c *checker) unpinned(s *ast.String, w shell.Word, what, pkg, sep string) {
	// Concatenated, not formatted: a file can have thousands.
	c.add(diag.Info, diag.UnpinnedPackage, c.wordRange(s, w),
		what+" "+pkg+" without a version: the image changes when the package does; pin it as "+pkg+sep+"<version>")
}

// pip checks pip install; the program's words start at cl.words[at].
func (c *checker) pip(s *ast.String, cl call, at int, facts *scriptFacts) {
	sub := call{words: cl.words[at:]}
	name, i := sub.subcommand()
	if name != "install" {
		return
	}
	if !sub.has("--no-cache-dir") && !facts.pipNoCache {
		c.sh.later = append(c.sh.later, later{pipCache, c.wordRange(s, sub.words[i])})
	}
	if sub.has("-r", "--requirement", "-e", "--editable", "-c", "--constraint") {
		return
	}
	valued := []string{"-i", "--index-url", "--extra-index-url", "-t", "--target", "--prefix", "-f", "--find-links", "--root"}
	sub.operands(i, valued, func(pkg string, j int) {
		if !strings.ContainsAny(pkg, "=<>~@!/") && !strings.HasSuffix(pkg, ".whl") && pkg != "." {
			c.unpinned(s, sub.words[j], "pip install", pkg, "==")
		}
	})
}

// rpmValued are the options of yum, dnf and zypper that take a value.
var rpmValued = []string{"-c", "--config", "-d", "--debuglevel", "-e", "--errorlevel", "-x", "--exclude",
	"--installroot", "--releasever", "--enablerepo", "--disablerepo", "--repo", "--repoid", "--setopt",
	"-R", "--root", "-D", "--reposd-dir", "-C", "--cache-dir", "--pkg-cache-dir", "-r", "--from"}

// rpm checks yum, dnf and zypper commands: install without -y (G319), the
// package cache (G320, judged at the end of the script) and pins (G309).
func (c *checker) rpm(s *ast.String, cl call, facts *scriptFacts) {
	m := 0
	switch cl.name {
	case "dnf", "microdnf":
		m = 1
	case "zypper":
		m = 2
	}
	sub, i := cl.subcommand(rpmValued...)
	if i < 0 {
		return
	}
	w := cl.words[i]
	install := false
	switch sub {
	case "clean", "cc":
		facts.rpmCleaned[m] = true
		return
	case "install", "in", "groupinstall", "localinstall", "reinstall", "update", "up", "upgrade", "downgrade", "dist-upgrade", "dup":
		install = true
	case "remove", "rm", "erase", "autoremove":
	default:
		return
	}
	if install && facts.rpmInstall[m] == nil {
		facts.rpmInstall[m] = &cl.words[i]
	}
	// microdnf never asks.
	yes := cl.name == "microdnf" || cl.has("-y", "--assumeyes", "--no-confirm") || cl.hasShort('y')
	if cl.name == "zypper" {
		yes = yes || cl.has("-n", "--non-interactive") || cl.hasShort('n')
	}
	if !yes {
		d := c.add(diag.Warning, diag.RpmNoYes, c.wordRange(s, w),
			cl.name+" "+sub+" without -y: it stops to ask for confirmation, and a build cannot answer")
		d.Fixes = c.insertAfter(s, w, "add -y", " -y")
	}
	if sub != "install" && sub != "in" {
		return
	}
	what, sep := cl.name+" install", "-"
	if cl.name == "zypper" {
		sep = "="
	}
	cl.operands(i, rpmValued, func(pkg string, j int) {
		if !rpmPinned(pkg, sep) {
			c.unpinned(s, cl.words[j], what, pkg, sep)
		}
	})
}

// rpmPinned reports whether a package argument names a version, a file or
// something other than a package name: pkg-1.2 (for zypper pkg=1.2),
// pkg>=1.2, ./x.rpm, @group, /usr/bin/x, pkgconfig(x), glob*.
func rpmPinned(pkg, sep string) bool {
	if strings.ContainsAny(pkg, "=<>/()*@") || strings.HasSuffix(pkg, ".rpm") {
		return true
	}
	if sep == "-" {
		for i := 0; i+1 < len(pkg); i++ {
			if pkg[i] == '-' && '0' <= pkg[i+1] && pkg[i+1] <= '9' {
				return true
			}
		}
	}
	return false
}

// judgeLater applies a rule about the command s that looks beyond it.
func (c *checker) judgeLater(s *ast.String, l later) {
	switch l.kind {
	case curl, wget:
		c.fetcher(l.kind == wget, l.r)
	case pipCache:
		if c.lookup("PIP_NO_CACHE_DIR", false) != nil || c.cacheMounted(".cache/pip", "/root/.cache/pip") {
			return
		}
		d := c.add(diag.Info, diag.PipCache, l.r,
			"pip install without --no-cache-dir keeps the downloaded packages in the image")
		d.Fixes = []diag.Fix{{Title: "add --no-cache-dir", Edits: []diag.Edit{{Range: source.Range{Start: l.r.End, End: l.r.End}, NewText: " --no-cache-dir"}}}}
	case yumCache, dnfCache, zypperCache:
		pm := rpmManagers[l.kind-yumCache]
		if c.cacheMounted(pm.cache, "/var/cache/libdnf5") {
			return
		}
		d := c.add(diag.Info, diag.RpmCacheKept, l.r,
			pm.name+"'s package cache stays in the image: run "+pm.clean+" in the same step, or mount a Cache on "+pm.cache)
		d.Fixes = c.appendCommand(s, pm.clean)
	}
}

// cacheMounted reports whether the step has a Cache mount on one of dirs,
// or on a directory holding or inside one (for dirs starting with '/'),
// or whose path contains one (the others).
func (c *checker) cacheMounted(dirs ...string) bool {
	for _, t := range c.sh.caches {
		for _, d := range dirs {
			switch {
			case !strings.HasPrefix(d, "/") && strings.Contains(t, d):
				return true
			case strings.HasPrefix(d, "/") && (t == d || strings.HasPrefix(d, t+"/") || strings.HasPrefix(t, d+"/")):
				return true
			}
		}
	}
	return false
}

// pipe warns about a download piped into a shell.
func (c *checker) pipe(s *ast.String, from, to call, facts *scriptFacts) {
	if facts.pipefail || from.name != "curl" && from.name != "wget" {
		return
	}
	switch to.name {
	case "sh", "bash", "dash", "ash", "zsh", "python", "python3", "perl":
	default:
		return
	}
	r := c.shellRange(s, from.words[0].Start, to.words[len(to.words)-1].End)
	c.report(diag.Warning, diag.PipeHidesFailure, r,
		"%s piped into %s: if the download fails, %s runs what arrived and the step still succeeds; download to a file first, or set -o pipefail", from.name, to.name, to.name)
}

// fetcher notes a curl (or a wget) whose program word is at r, and reports
// an image that has both.
func (c *checker) fetcher(wget bool, r source.Range) {
	if c.stage < 0 {
		return
	}
	k, other := 0, 1
	if wget {
		k, other = 1, 0
	}
	own := &c.sh.fetchers[c.stage]
	if own[k].End == 0 {
		own[k] = r
	}
	// Along the chain of bases.
	for st := c.stage; st >= 0; {
		if o := c.sh.fetchers[st][other]; o.End > 0 && o.Start < r.Start {
			d := c.report(diag.Info, diag.TwoDownloaders, r, "this image uses both curl and wget: one of them is enough")
			d.Related = []diag.Related{{Range: o, Message: map[int]string{0: "curl", 1: "wget"}[other] + " used here"}}
			return
		}
		b := c.info.Stages[st].Base
		if b == nil {
			break
		}
		st = b.Stage
	}
}

// useradd warns about a large uid without -l: the lastlog and faillog
// files are sparse files sized by the uid, and layers do not keep them
// sparse.
func (c *checker) useradd(s *ast.String, cl call) {
	if cl.has("-l", "--no-log-init") || cl.hasShort('l') {
		return
	}
	for i := 1; i < len(cl.words); i++ {
		a, uid := cl.arg(i), ""
		switch {
		case a == "-u" || a == "--uid":
			uid = cl.arg(i + 1)
		case strings.HasPrefix(a, "--uid="):
			uid = a[len("--uid="):]
		case strings.HasPrefix(a, "-u") && len(a) > 2:
			uid = a[2:]
		}
		if len(uid) > 5 && strings.Trim(uid, "0123456789") == "" {
			d := c.report(diag.Warning, diag.UseraddLargeUID, c.wordRange(s, cl.words[0]),
				"useradd with uid %s and without -l writes a sparse /var/log/lastlog of gigabytes into the layer; add -l", uid)
			d.Fixes = c.insertAfter(s, cl.words[0], "add -l", " -l")
			return
		}
	}
}

// mainForm reports a Main string that is one plain command, which the list
// form runs without /bin/sh in between.
func (c *checker) mainForm(s *ast.String, sc *shell.Script) {
	// The simple subset has no redirections or background jobs.
	if s.Heredoc != "" || sc.File != nil || sc.Stmts != 1 || len(sc.Cmds) != 1 || len(sc.Vars) > 0 {
		return
	}
	words := sc.Cmds[0].Words
	for _, w := range words {
		if !w.Literal {
			return
		}
	}
	if words[0].Lit == "exec" {
		return
	}
	var list strings.Builder
	list.WriteByte('[')
	for i, w := range words {
		if i > 0 {
			list.WriteString(", ")
		}
		list.WriteString(quoteGun(w.Lit))
	}
	list.WriteByte(']')
	d := c.report(diag.Info, diag.MainStringForm, s.Range,
		"Main as a string runs /bin/sh -c, which does not pass signals such as SIGTERM on to %s: write it as a list", words[0].Lit)
	d.Fixes = []diag.Fix{{Title: "write Main as a list", Edits: []diag.Edit{{Range: s.Range, NewText: list.String()}}}}
}

// quoteGun writes s as a Gunfile string.
func quoteGun(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "\n", `\n`, "\t", `\t`)
	return fmt.Sprintf(`"%s"`, r.Replace(s))
}
