// Command peerbench compares the speed of gun's Gunfile front end with
// BuildKit's Dockerfile parser, in one run on one machine, over the same
// build written in both languages (about 1 MB each). With -process it
// compares `gun check` as a whole process with a process that parses the
// Dockerfile with BuildKit, on 4 MB, time and peak memory. It is its own
// module so that BuildKit never becomes a dependency of gun.
//
//	cd hack/peerbench && go run .
//	cd hack/peerbench && go run . -process
package main

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/format"
	gunparser "github.com/gun-tools/gun/lang/parser"
)

// generate writes the same multi-stage build as a Gunfile and as a
// Dockerfile, repeating stages until the Gunfile has at least size bytes.
func generate(size int) (gunfile, dockerfile []byte) {
	var g, d bytes.Buffer
	both := func(gs, ds string, args ...any) {
		fmt.Fprintf(&g, gs, args...)
		fmt.Fprintf(&d, ds, args...)
	}
	both("# Generated for benchmarks.\nArg ALPINE \"3.14.0\"\n", "# Generated for benchmarks.\nARG ALPINE=3.14.0\n")
	for i := 0; g.Len() < size; i++ {
		both("\nUsing \"alpine-minirootfs-${ALPINE}-x86_64.tar.gz\" As stage%d\n", "\nFROM alpine-minirootfs-${ALPINE}-x86_64 AS stage%d\n", i)
		both("Arg VERSION \"1.%d.0\"\n", "ARG VERSION=1.%d.0\n", i)
		both("Env PATH \"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n", "ENV PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n")
		both("Env APP_HOME \"/opt/app-${VERSION}\"\n", "ENV APP_HOME=\"/opt/app-${VERSION}\"\n")
		both("# Install the build dependencies.\n", "# Install the build dependencies.\n")
		both("Exec \"apk add --no-cache build-base=0.5-r3 git=2.32.0-r0 curl=7.79.1-r0 ca-certificates=20191127-r5 && update-ca-certificates\"\n",
			"RUN apk add --no-cache build-base=0.5-r3 git=2.32.0-r0 curl=7.79.1-r0 ca-certificates=20191127-r5 && update-ca-certificates\n")
		both("Workdir \"/src\"\n", "WORKDIR /src\n")
		both("Copy \"go.mod\" \"go.sum\" \"Makefile\" \"/src/\"\n", "COPY go.mod go.sum Makefile /src/\n")
		both("Copy Owner \"app:app\" Mode 0644 \"cmd/\" \"internal/\" \"/src/\" # sources\n", "# sources\nCOPY --chown=app:app --chmod=0644 cmd/ internal/ /src/\n")
		both("Exec [\"make\", \"-j4\", \"VERSION=$VERSION\", \"PREFIX=$APP_HOME\"]\n", "RUN [\"make\", \"-j4\", \"VERSION=$VERSION\", \"PREFIX=$APP_HOME\"]\n")
		both("Exec <<EOF\n    set -eu\n    install -d \"$APP_HOME/bin\"\n    cp build/app \"$APP_HOME/bin/app\"\n    EOF\n",
			"RUN <<EOF\n    set -eu\n    install -d \"$APP_HOME/bin\"\n    cp build/app \"$APP_HOME/bin/app\"\nEOF\n")
		if i > 0 {
			both("Copy From stage%d \"/opt\" \"/opt\"\n", "COPY --from=stage%d /opt /opt\n", i-1)
		}
		both("Label \"org.opencontainers.image.version\" \"${VERSION}\"\n", "LABEL org.opencontainers.image.version=\"${VERSION}\"\n")
		both("User \"app:app\"\n", "USER app:app\n")
		both("Main [\"/opt/app/bin/app\", \"--config\", \"/etc/app.conf\"]\n", "CMD [\"/opt/app/bin/app\", \"--config\", \"/etc/app.conf\"]\n")
	}
	return g.Bytes(), d.Bytes()
}

func mbps(r testing.BenchmarkResult) float64 {
	return float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
}

var (
	process = flag.Bool("process", false, "compare `gun check` and a BuildKit parse as whole processes on a 4 MB file")
	gunBin  = flag.String("gun", "", "the gun binary for -process (default: build one)")
	write   = flag.String("write", "", "write the 4 MB Gunfile and Dockerfile of -process into this directory and exit (for profiling)")
	rounds  = flag.Int("rounds", 7, "rounds of -process")
	parseDF = flag.String("parse-dockerfile", "", "parse this Dockerfile with BuildKit and exit: the peer process of -process")
)

func main() {
	flag.Parse()
	var err error
	switch {
	case *parseDF != "":
		err = parseDockerfile(*parseDF)
	case *write != "":
		gunfile, dockerfile := generate(4 << 20)
		if err = os.WriteFile(filepath.Join(*write, "Gunfile"), gunfile, 0o644); err == nil {
			err = os.WriteFile(filepath.Join(*write, "Dockerfile"), dockerfile, 0o644)
		}
	case *process:
		err = runProcesses()
	default:
		err = run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peerbench:", err)
		os.Exit(1)
	}
}

// parseDockerfile is the peer process: what `docker build` does with a
// Dockerfile before anything runs, as gun check does with a Gunfile.
func parseDockerfile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(os.Stderr, w.Short)
	}
	return nil
}

// runProcesses times `gun check` on a 4 MB Gunfile against this program's
// -parse-dockerfile on the same build as a Dockerfile, each as a whole
// process (start up, reading, page faults included), alternating, and
// reports the medians of wall time, CPU time and peak resident memory.
//
// Peak memory comes from GNU time, run as a separate sample: the rusage of
// a child of this Go program counts this program's own memory, since
// os/exec starts children with vfork and the kernel keeps the highest RSS
// the child's process had, before its exec included.
func runProcesses() error {
	dir, err := os.MkdirTemp("", "peerbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	gunfile, dockerfile := generate(4 << 20)
	gf, df := filepath.Join(dir, "Gunfile"), filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(gf, gunfile, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(df, dockerfile, 0o644); err != nil {
		return err
	}
	empty := filepath.Join(dir, "Empty.gun")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		return err
	}
	bin := *gunBin
	if bin == "" {
		bin = filepath.Join(dir, "gun")
		build := exec.Command("./hack/build.sh", bin) // as gun is installed
		build.Dir, build.Stderr = "../..", os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build gun: %w", err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	timeBin, err := exec.LookPath("time")
	if err != nil {
		if _, err = os.Stat("/usr/bin/time"); err != nil {
			return errors.New("GNU time (/usr/bin/time, Debian's package time) measures peak memory: install it")
		}
		timeBin = "/usr/bin/time"
	}
	rssFile := filepath.Join(dir, "rss")
	type sample struct {
		wall, cpu time.Duration
		rss       int64 // bytes
	}
	runOnce := func(argv ...string) (sample, error) {
		cmd := exec.Command(argv[0], argv[1:]...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if err != nil || out.Len() > 0 {
			return sample{}, fmt.Errorf("%v: %v: %s", argv, err, out.Bytes())
		}
		return sample{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}, nil
	}
	// measure runs argv twice: bare for the times, under GNU time for the
	// peak memory.
	measure := func(argv ...string) (sample, error) {
		s, err := runOnce(argv...)
		if err != nil {
			return s, err
		}
		if _, err := runOnce(append([]string{timeBin, "-f", "%M", "-o", rssFile}, argv...)...); err != nil {
			return s, err
		}
		b, err := os.ReadFile(rssFile)
		if err != nil {
			return s, err
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return s, fmt.Errorf("GNU time's output %q: %w", b, err)
		}
		s.rss = kb * 1024
		return s, nil
	}
	// gun executes the gun-lang beside it, of its build, for gun check:
	// say which program the figures are of.
	way, err := langWay(bin, "check", empty)
	if err != nil {
		return err
	}
	fmt.Printf("%s check runs %s\n", bin, way)
	var gun, bk, base []sample
	var ratios []float64
	for range *rounds {
		g, err := measure(bin, "check", gf)
		if err != nil {
			return err
		}
		e, err := measure(bin, "check", empty)
		if err != nil {
			return err
		}
		base = append(base, e)
		d, err := measure(self, "-parse-dockerfile", df)
		if err != nil {
			return err
		}
		gun, bk = append(gun, g), append(bk, d)
		ratios = append(ratios, d.wall.Seconds()/g.wall.Seconds())
	}
	med := func(s []sample) sample {
		walls := make([]time.Duration, len(s))
		cpus := make([]time.Duration, len(s))
		rss := make([]int64, len(s))
		for i := range s {
			walls[i], cpus[i], rss[i] = s[i].wall, s[i].cpu, s[i].rss
		}
		slices.Sort(walls)
		slices.Sort(cpus)
		slices.Sort(rss)
		return sample{walls[len(s)/2], cpus[len(s)/2], rss[len(s)/2]}
	}
	g, d, e := med(gun), med(bk), med(base)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("input: Gunfile %d bytes, Dockerfile %d bytes (same build), median of %d runs of each, alternating; load %s\n",
		len(gunfile), len(dockerfile), *rounds, strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Printf("gun check (process)        %8.3f s wall  %8.3f s cpu  peak RSS %5.1f MB (%.1fx the input; %.1fx above an empty file's)\n",
		g.wall.Seconds(), g.cpu.Seconds(), float64(g.rss)/1e6, float64(g.rss)/float64(len(gunfile)), float64(g.rss-e.rss)/float64(len(gunfile)))
	fmt.Printf("gun check, empty file      %8.3f s wall  %8.3f s cpu  peak RSS %5.1f MB\n", e.wall.Seconds(), e.cpu.Seconds(), float64(e.rss)/1e6)
	fmt.Printf("buildkit parse (process)   %8.3f s wall  %8.3f s cpu  peak RSS %5.1f MB\n",
		d.wall.Seconds(), d.cpu.Seconds(), float64(d.rss)/1e6)
	fmt.Printf("ratio buildkit/gun: wall time %.1fx (median of the rounds' ratios), cpu time %.1fx\n",
		median(ratios), d.cpu.Seconds()/g.cpu.Seconds())
	return nil
}

// langWay says which program runs bin's args: gun-lang (beside bin, of
// its build), or gun itself and why (GUN_LANG_TRACE).
func langWay(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "GUN_LANG_TRACE=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %v: %w: %s", bin, args, err, stderr.Bytes())
	}
	line, _, _ := strings.Cut(stderr.String(), "\n")
	if way, ok := strings.CutPrefix(line, "gun: lang trace: "); ok {
		return "as " + way, nil
	}
	return "in gun (a gun without gun-lang)", nil
}

func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func run() error {
	gunfile, dockerfile := generate(1 << 20)
	if f, ds := gunparser.Parse("gen", gunfile); diag.HasErrors(append(ds, check.Check(f)...)) {
		return errors.New("the generated Gunfile has errors")
	}
	if _, err := parser.Parse(bytes.NewReader(dockerfile)); err != nil {
		return fmt.Errorf("the generated Dockerfile does not parse: %w", err)
	}
	bench := func(size int, f func()) testing.BenchmarkResult {
		return testing.Benchmark(func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				f()
			}
		})
	}
	// Interleave the runs so that both see the same machine load, and
	// report the median of the per-round ratios: on a shared machine the
	// absolute figures move with the neighbours, the ratios much less.
	const rounds = 5
	var gun, fmtr, bk []testing.BenchmarkResult
	var parseRatio, fmtRatio []float64
	for range rounds {
		g := bench(len(gunfile), func() {
			f, _ := gunparser.Parse("gen", gunfile)
			check.Check(f)
		})
		d := bench(len(dockerfile), func() { parser.Parse(bytes.NewReader(dockerfile)) })
		f := bench(len(gunfile), func() { format.Source(gunfile) })
		gun, bk, fmtr = append(gun, g), append(bk, d), append(fmtr, f)
		parseRatio = append(parseRatio, mbps(g)/mbps(d))
		fmtRatio = append(fmtRatio, mbps(f)/mbps(d))
	}
	medianResult := func(rs []testing.BenchmarkResult) testing.BenchmarkResult {
		rs = slices.Clone(rs)
		slices.SortFunc(rs, func(a, b testing.BenchmarkResult) int { return cmp.Compare(mbps(a), mbps(b)) })
		return rs[len(rs)/2]
	}
	g, f, d := medianResult(gun), medianResult(fmtr), medianResult(bk)
	fmt.Printf("input: Gunfile %d bytes, Dockerfile %d bytes (same build), median of %d rounds\n", len(gunfile), len(dockerfile), rounds)
	fmt.Printf("gun lex+parse+check  %8.1f MB/s  %s\n", mbps(g), g.MemString())
	fmt.Printf("gun fmt              %8.1f MB/s  %s\n", mbps(f), f.MemString())
	fmt.Printf("buildkit parser      %8.1f MB/s  %s\n", mbps(d), d.MemString())
	fmt.Printf("ratio gun/buildkit: lex+parse+check %.1fx, fmt %.1fx\n", median(parseRatio), median(fmtRatio))
	return nil
}
