// Command peerbench compares the speed of gun's Gunfile front end with
// BuildKit's Dockerfile parser, in one run on one machine, over the same
// build written in both languages (about 1 MB each). It is its own module so
// that BuildKit never becomes a dependency of gun.
//
//	cd hack/peerbench && go run .
package main

import (
	"bytes"
	"fmt"
	"os"
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
	gunfile, dockerfile := generate(1 << 20)
	if f, ds := gunparser.Parse("gen", gunfile); diag.HasErrors(append(ds, check.Check(f)...)) {
		fmt.Fprintln(os.Stderr, "peerbench: the generated Gunfile has errors")
		os.Exit(1)
	}
	if _, err := parser.Parse(bytes.NewReader(dockerfile)); err != nil {
		fmt.Fprintf(os.Stderr, "peerbench: the generated Dockerfile does not parse: %v\n", err)
		os.Exit(1)
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
	// Interleave the runs so that both see the same machine load.
	var gun, fmtr, bk []testing.BenchmarkResult
	for range 3 {
		gun = append(gun, bench(len(gunfile), func() {
			f, _ := gunparser.Parse("gen", gunfile)
			check.Check(f)
		}))
		fmtr = append(fmtr, bench(len(gunfile), func() { format.Source(gunfile) }))
		bk = append(bk, bench(len(dockerfile), func() { parser.Parse(bytes.NewReader(dockerfile)) }))
	}
	best := func(rs []testing.BenchmarkResult) testing.BenchmarkResult {
		b := rs[0]
		for _, r := range rs[1:] {
			if mbps(r) > mbps(b) {
				b = r
			}
		}
		return b
	}
	g, f, d := best(gun), best(fmtr), best(bk)
	fmt.Printf("input: Gunfile %d bytes, Dockerfile %d bytes (same build)\n", len(gunfile), len(dockerfile))
	fmt.Printf("gun lex+parse+check  %8.1f MB/s  %s\n", mbps(g), g.MemString())
	fmt.Printf("gun fmt              %8.1f MB/s  %s\n", mbps(f), f.MemString())
	fmt.Printf("buildkit parser      %8.1f MB/s  %s\n", mbps(d), d.MemString())
	fmt.Printf("ratio gun/buildkit: lex+parse+check %.1fx, fmt %.1fx\n", mbps(g)/mbps(d), mbps(f)/mbps(d))
}
