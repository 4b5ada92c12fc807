// Command peerbench compares the speed of gun's Gunfile front end with
// BuildKit's Dockerfile parser, in one run on one machine, over the same
// build written in both languages (about 1 MB each). It is its own module so
// that BuildKit never becomes a dependency of gun.
//
//	cd hack/peerbench && go run .
package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

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
		both("Exec \"apk add --no-cache build-base git curl ca-certificates && update-ca-certificates\"\n", "RUN apk add --no-cache build-base git curl ca-certificates && update-ca-certificates\n")
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

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "peerbench:", err)
		os.Exit(1)
	}
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
	median := func(xs []float64) float64 {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return xs[len(xs)/2]
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
