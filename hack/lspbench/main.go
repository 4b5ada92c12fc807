// Command lspbench measures gun's language server against
// dockerfile-language-server-nodejs on equivalent generated files: a
// 5,000-line Gunfile and the same instructions as a Dockerfile. It times
// open-to-diagnostics, completion, hover, formatting, document symbols, and a
// burst of rapid edits (until the final diagnostics), and prints the ratios.
// For the open it also reads the server's CPU time and page faults from
// /proc, which a loaded machine stretches less than the wall time.
//
// Run it with hack/lspbench.sh, which installs the peer with npm. With
// -base BIN it also measures another gun (such as the one before a change)
// on the same Gunfile, in the same rounds; -base without -peer measures the
// two guns alone.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/gun-tools/gun/lsp/lsptest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "lspbench:", err)
		os.Exit(1)
	}
}

type server struct {
	name     string
	argv     []string
	langID   string
	file     string
	text     string
	editLine func(i int) string
}

// result holds one server's timings in milliseconds.
type result struct {
	open, completion, hover, formatting, symbols, burst float64
	// openCPU is the server's CPU time from didOpen to its diagnostics,
	// which a loaded machine stretches less than the wall time; openFaults
	// its page faults meanwhile.
	openCPU, openFaults float64
	symbolsNew          float64 // of a new version, once its diagnostics are out
	burstPublishes      int
	versioned           bool
	diagnostics         int
}

func run() error {
	gun := flag.String("gun", "bin/gun", "the gun binary")
	peer := flag.String("peer", "", "the peer's command line (docker-langserver --stdio)")
	base := flag.String("base", "", "another gun binary to compare with on the same Gunfile, such as the gun before a change")
	lines := flag.Int("lines", 5000, "lines in the generated files")
	edits := flag.Int("edits", 50, "edits in the burst")
	runs := flag.Int("runs", 5, "runs of each request in a round (the median is taken)")
	rounds := flag.Int("rounds", 3, "rounds, each starting the servers afresh, alternately (the median is reported)")
	flag.Parse()
	if *peer == "" && *base == "" {
		return errors.New("-peer or -base is required")
	}
	dir, err := os.MkdirTemp("", "lspbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	gunfile, dockerfile := generate(*lines)
	gunEdit := func(i int) string { return fmt.Sprintf("Exec \"echo edit %d\"\n", i) }
	servers := []server{{"gun lsp", []string{*gun, "lsp"}, "gunfile", filepath.Join(dir, "Gunfile"), gunfile, gunEdit}}
	if *base != "" {
		servers = append(servers, server{"base gun lsp", []string{*base, "lsp"}, "gunfile", filepath.Join(dir, "Gunfile"), gunfile, gunEdit})
	}
	if *peer != "" {
		servers = append(servers, server{"docker-langserver", strings.Fields(*peer), "dockerfile", filepath.Join(dir, "Dockerfile"), dockerfile,
			func(i int) string { return fmt.Sprintf("RUN echo edit %d\n", i) }})
	}
	for _, s := range servers {
		if err := os.WriteFile(s.file, []byte(s.text), 0o644); err != nil {
			return err
		}
		// gun executes the gun-lang beside it, of its build, for gun lsp:
		// say which program the figures are of.
		if s.langID == "gunfile" {
			cmd := exec.Command(s.argv[0], "lsp", "--help")
			cmd.Env = append(os.Environ(), "GUN_LANG_TRACE=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s lsp --help: %w: %s", s.argv[0], err, out)
			}
			way, ok := strings.CutPrefix(strings.SplitN(string(out), "\n", 2)[0], "gun: lang trace: ")
			if !ok {
				way = "in gun (a gun without gun-lang)"
			}
			fmt.Printf("%s: %s\n", s.name, way)
		}
	}
	// A first round of the first server, not counted, readies the client
	// (its read buffer, which the rounds after reuse) and the page cache.
	if _, err := measure(servers[0], *edits, *runs); err != nil {
		return fmt.Errorf("%s: %w", servers[0].name, err)
	}
	// Alternate the servers so that a spell of load on the machine hits all.
	all := make([][]result, len(servers))
	for range *rounds {
		for i, s := range servers {
			r, err := measure(s, *edits, *runs)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			all[i] = append(all[i], r)
			fmt.Fprintf(os.Stderr, "%s: open %.2fms (CPU %.2fms, %.0f page faults) completion %.2fms hover %.2fms formatting %.2fms symbols %.2fms (after an edit %.2fms) burst %.2fms\n",
				s.name, r.open, r.openCPU, r.openFaults, r.completion, r.hover, r.formatting, r.symbols, r.symbolsNew, r.burst)
		}
	}
	meds := make([]result, len(servers))
	for i := range servers {
		meds[i] = medianResult(all[i])
	}
	fmt.Printf("%d-line files; medians of %d rounds (%d runs of each request per round); bursts of %d edits\n\n",
		*lines, *rounds, *runs, *edits)
	fmt.Printf("%-34s", "")
	for _, s := range servers {
		fmt.Printf(" %18s", s.name)
	}
	for _, s := range servers[1:] {
		fmt.Printf(" %12s", "ratio "+strings.Fields(s.name)[0])
	}
	fmt.Println()
	row := func(name string, f func(result) float64) {
		fmt.Printf("%-34s", name)
		for _, m := range meds {
			fmt.Printf(" %16.2fms", f(m))
		}
		for _, m := range meds[1:] {
			fmt.Printf(" %11.2fx", f(m)/f(meds[0]))
		}
		fmt.Println()
	}
	row("open to diagnostics", func(r result) float64 { return r.open })
	row("  the server's CPU time in it", func(r result) float64 { return r.openCPU })
	row("completion", func(r result) float64 { return r.completion })
	row("hover", func(r result) float64 { return r.hover })
	row("formatting", func(r result) float64 { return r.formatting })
	row("document symbols", func(r result) float64 { return r.symbols })
	row("document symbols after an edit", func(r result) float64 { return r.symbolsNew })
	row("last edit to final diagnostics", func(r result) float64 { return r.burst })
	count := func(name string, f func(result) any) {
		fmt.Printf("\n%-34s", name)
		for _, m := range meds {
			fmt.Printf(" %18v", f(m))
		}
	}
	count("diagnostic sets after the burst", func(r result) any { return r.burstPublishes })
	count("final set carries its version", func(r result) any { return r.versioned })
	count("diagnostics in the file", func(r result) any { return r.diagnostics })
	count("page faults, open to diagnostics", func(r result) any { return r.openFaults })
	fmt.Println()
	return nil
}

// medianResult takes the median of each timing over rounds; counts come
// from the last round.
func medianResult(rs []result) result {
	m := rs[len(rs)-1]
	pick := func(f func(result) float64) float64 {
		var xs []float64
		for _, r := range rs {
			xs = append(xs, f(r))
		}
		return median(xs)
	}
	m.open = pick(func(r result) float64 { return r.open })
	m.openCPU = pick(func(r result) float64 { return r.openCPU })
	m.openFaults = pick(func(r result) float64 { return r.openFaults })
	m.completion = pick(func(r result) float64 { return r.completion })
	m.hover = pick(func(r result) float64 { return r.hover })
	m.formatting = pick(func(r result) float64 { return r.formatting })
	m.symbols = pick(func(r result) float64 { return r.symbols })
	m.symbolsNew = pick(func(r result) float64 { return r.symbolsNew })
	m.burst = pick(func(r result) float64 { return r.burst })
	return m
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func measure(s server, edits, runs int) (result, error) {
	var r result
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := lsptest.Start(s.argv[0], s.argv[1:], io.Discard)
	if err != nil {
		return r, err
	}
	defer p.Cmd.Process.Kill()
	p.Cmd.Dir = filepath.Dir(s.file)
	init, err := p.Initialize(ctx)
	if err != nil {
		return r, err
	}
	incremental := syncKind(init.Capabilities.TextDocumentSync) == protocol.TextDocumentSyncKindIncremental
	doc := uri.File(s.file)

	// Encode the 5,000 lines before the clock starts: the client's JSON
	// encoder is not what is measured.
	open, err := json.Marshal(&protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{
		URI: doc, LanguageID: protocol.LanguageIdentifier(s.langID), Version: 1, Text: s.text}})
	if err != nil {
		return r, err
	}
	// The server's CPU time and page faults when the first message after
	// didOpen (its diagnostics) arrives.
	pid := p.Cmd.Process.Pid
	cpu0, faults0, err := usage(pid)
	if err != nil {
		return r, err
	}
	var (
		arrived  = make(chan struct{})
		cpu1     time.Duration
		faults1  int64
		usageErr error
		once     sync.Once
	)
	p.OnFrame(func() {
		once.Do(func() {
			cpu1, faults1, usageErr = usage(pid)
			close(arrived)
		})
	})
	start := time.Now()
	if err := p.Notify(ctx, protocol.MethodTextDocumentDidOpen, json.RawMessage(open)); err != nil {
		return r, err
	}
	first, err := p.Wait(ctx, doc, func(lsptest.Published) bool { return true })
	if err != nil {
		return r, err
	}
	r.open = ms(first.At.Sub(start))
	<-arrived
	p.OnFrame(nil)
	if usageErr != nil {
		return r, usageErr
	}
	r.openCPU, r.openFaults = ms(cpu1-cpu0), float64(faults1-faults0)
	r.diagnostics = len(first.Diagnostics)

	// A blank line and an instruction keyword in the middle of the file.
	lines := strings.Split(s.text, "\n")
	mid := len(lines) / 2
	blank, instr := mid, mid
	for blank < len(lines) && lines[blank] != "" {
		blank++
	}
	for instr < len(lines) && !strings.HasPrefix(lines[instr], "Exec") && !strings.HasPrefix(lines[instr], "RUN") {
		instr++
	}
	td := protocol.TextDocumentIdentifier{URI: doc}
	at := func(line, char int) protocol.TextDocumentPositionParams {
		return protocol.TextDocumentPositionParams{TextDocument: td, Position: protocol.Position{Line: uint32(line), Character: uint32(char)}}
	}
	// The clock of a request stops when the whole response has arrived, as
	// for the open: the client's parsing is not what is measured, but the
	// result is checked after. The result goes into the same memory each
	// time (the client's read buffer too), so that the client's first
	// touches of fresh memory (some 300 page faults for a megabyte of
	// symbols, 5 to 10 ms here) are not counted as the server's time.
	var res json.RawMessage
	timed := func(method string, params any) (float64, error) {
		var xs []float64
		for range runs {
			t := time.Now()
			at, err := p.CallAt(ctx, method, params, &res)
			if err != nil {
				return 0, err
			}
			xs = append(xs, ms(at.Sub(t)))
			if !json.Valid(res) {
				return 0, fmt.Errorf("%s: invalid JSON result", method)
			}
		}
		return median(xs), nil
	}
	if r.completion, err = timed(protocol.MethodTextDocumentCompletion, &protocol.CompletionParams{TextDocumentPositionParams: at(blank, 0)}); err != nil {
		return r, err
	}
	if r.hover, err = timed(protocol.MethodTextDocumentHover, &protocol.HoverParams{TextDocumentPositionParams: at(instr, 1)}); err != nil {
		return r, err
	}
	if r.formatting, err = timed(protocol.MethodTextDocumentFormatting, &protocol.DocumentFormattingParams{
		TextDocument: td, Options: protocol.FormattingOptions{TabSize: 4, InsertSpaces: true}}); err != nil {
		return r, err
	}
	if r.symbols, err = timed(protocol.MethodTextDocumentDocumentSymbol, &protocol.DocumentSymbolParams{TextDocument: td}); err != nil {
		return r, err
	}

	// Document symbols of a new version: an edit, its diagnostics (the
	// server has analysed it), then the request, which cannot be answered
	// from an earlier version's.
	text := s.text
	version := int32(1)
	edit := func(i int) error {
		line := s.editLine(i)
		ch := lsptest.Change{Text: text + line}
		if incremental {
			end := endOf(text)
			ch = lsptest.Change{Range: &protocol.Range{Start: end, End: end}, Text: line}
		}
		text += line
		version++
		return p.Edit(ctx, doc, version, ch)
	}
	var xs []float64
	for i := range runs {
		before := len(p.Published(doc))
		if err := edit(1000 + i); err != nil {
			return r, err
		}
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
		err := p.WaitCount(wctx, doc, before+1)
		wcancel()
		if err != nil && ctx.Err() != nil {
			return r, err
		}
		t := time.Now()
		at, err := p.CallAt(ctx, protocol.MethodTextDocumentDocumentSymbol, &protocol.DocumentSymbolParams{TextDocument: td}, &res)
		if err != nil {
			return r, err
		}
		xs = append(xs, ms(at.Sub(t)))
		if !json.Valid(res) || len(res) < 100 {
			return r, fmt.Errorf("document symbols after an edit: %.100s", res)
		}
	}
	r.symbolsNew = median(xs)

	// The burst: lines appended at the end as fast as the pipe takes them.
	before := len(p.Published(doc))
	var last time.Time
	for i := 1; i <= edits; i++ {
		last = time.Now()
		if err := edit(i); err != nil {
			return r, err
		}
	}
	final := version
	// Wait for the final version's diagnostics; a server that does not say
	// which version it published is done when it has been quiet for 2s.
	var lastPub lsptest.Published
	count := before
	for {
		wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
		err := p.WaitCount(wctx, doc, count+1)
		wcancel()
		if err != nil {
			if ctx.Err() != nil {
				return r, fmt.Errorf("no final diagnostics after the burst: %w", err)
			}
			if count > before {
				break // quiet
			}
			continue // nothing yet
		}
		all := p.Published(doc)
		count = len(all)
		lastPub = all[count-1]
		if lastPub.Version == uint32(final) {
			r.versioned = true
			break
		}
	}
	r.burst = ms(lastPub.At.Sub(last))
	r.burstPublishes = len(p.Published(doc)) - before
	_ = p.Shutdown(ctx)
	return r, nil
}

// usage returns the CPU time of process pid's threads (from their
// schedstat, in nanoseconds) and its minor page faults (a node server's
// worker threads are its own process's).
func usage(pid int) (time.Duration, int64, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, 0, fmt.Errorf("CPU time of process %d: no threads (%v)", pid, err)
	}
	var cpu time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that ended
		}
		var ns int64
		if _, err := fmt.Sscan(string(b), &ns); err != nil {
			return 0, 0, fmt.Errorf("%s: %w", t, err)
		}
		cpu += time.Duration(ns)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The fields after the command's name, which is in parentheses:
	// state is field 3, minflt field 10.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 8 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %q", pid, stat)
	}
	faults, err := strconv.ParseInt(fields[7], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return cpu, faults, nil
}

func syncKind(v any) protocol.TextDocumentSyncKind {
	switch v := v.(type) {
	case float64:
		return protocol.TextDocumentSyncKind(v)
	case map[string]any:
		if c, ok := v["change"].(float64); ok {
			return protocol.TextDocumentSyncKind(c)
		}
	}
	return protocol.TextDocumentSyncKindFull
}

// endOf is the protocol position of the end of text (ASCII).
func endOf(text string) protocol.Position {
	n := strings.Count(text, "\n")
	return protocol.Position{Line: uint32(n), Character: uint32(len(text) - strings.LastIndex(text, "\n") - 1)}
}

// generate returns a Gunfile of about n lines and a Dockerfile with the same
// instructions, line for line.
func generate(n int) (gunfile, dockerfile string) {
	var g, d strings.Builder
	line := func(gl, dl string) {
		g.WriteString(gl + "\n")
		d.WriteString(dl + "\n")
	}
	for stage := 1; ; stage++ {
		name := fmt.Sprintf("s%d", stage)
		if stage == 1 {
			line(`Using "alpine-minirootfs-3.14.0-x86_64.tar.gz" As s1`, "FROM alpine:3.14 AS s1")
		} else {
			line(fmt.Sprintf("Using s%d As %s", stage-1, name), fmt.Sprintf("FROM s%d AS %s", stage-1, name))
		}
		line(fmt.Sprintf(`Arg VERSION "%d.0"`, stage), fmt.Sprintf("ARG VERSION=%d.0", stage))
		line(`Env PATH "/usr/local/bin:/usr/bin:/bin"`, "ENV PATH=/usr/local/bin:/usr/bin:/bin")
		line(fmt.Sprintf(`Workdir "/src/%s"`, name), fmt.Sprintf("WORKDIR /src/%s", name))
		line(fmt.Sprintf(`Label "org.example.stage" "%s"`, name), fmt.Sprintf(`LABEL org.example.stage="%s"`, name))
		for i := range 40 {
			line(fmt.Sprintf(`Exec "apk add --no-cache pkg-%d-%d && echo ${VERSION}"`, stage, i),
				fmt.Sprintf(`RUN apk add --no-cache pkg-%d-%d && echo ${VERSION}`, stage, i))
		}
		line(fmt.Sprintf(`Copy "src/%s.txt" "/src/"`, name), fmt.Sprintf("COPY src/%s.txt /src/", name))
		line(`User "app"`, "USER app")
		line(fmt.Sprintf(`Main ["/bin/app", "--stage", "%s"]`, name), fmt.Sprintf(`CMD ["/bin/app", "--stage", "%s"]`, name))
		line("", "")
		if strings.Count(g.String(), "\n") >= n-50 {
			break
		}
	}
	return g.String(), d.String()
}
