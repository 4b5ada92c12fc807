package lang_test

import (
	"bytes"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gun-tools/gun/lang/ast"
	"github.com/gun-tools/gun/lang/check"
	"github.com/gun-tools/gun/lang/diag"
	"github.com/gun-tools/gun/lang/format"
	"github.com/gun-tools/gun/lang/lexer"
	"github.com/gun-tools/gun/lang/parser"
)

// generate returns a valid, formatted Gunfile of at least size bytes: stages
// of typical instructions, with comments, references, lists and scripts.
func generate(size int) []byte {
	var b bytes.Buffer
	b.WriteString("# Generated for benchmarks.\nArg ALPINE \"3.14.0\"\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "\nUsing \"alpine-minirootfs-${ALPINE}-x86_64.tar.gz\" As stage%d\n", i)
		fmt.Fprintf(&b, "Arg VERSION \"1.%d.0\"\n", i)
		b.WriteString("Env PATH \"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n")
		b.WriteString("Env APP_HOME \"/opt/app-${VERSION}\"\n")
		b.WriteString("# Install the build dependencies.\n")
		b.WriteString("Exec \"apk add --no-cache build-base=0.5-r3 git=2.32.0-r0 curl=7.79.1-r0 ca-certificates=20191127-r5 && update-ca-certificates\"\n")
		b.WriteString("Workdir \"/src\"\n")
		b.WriteString("Copy \"go.mod\" \"go.sum\" \"Makefile\" \"/src/\"\n")
		b.WriteString("Copy Owner \"app:app\" Mode 0644 \"cmd/\" \"internal/\" \"/src/\" # sources\n")
		b.WriteString("Exec [\"make\", \"-j4\", \"VERSION=$VERSION\", \"PREFIX=$APP_HOME\"]\n")
		b.WriteString("Exec <<EOF\n    set -eu\n    install -d \"$APP_HOME/bin\"\n    cp build/app \"$APP_HOME/bin/app\"\n    EOF\n")
		if i > 0 {
			fmt.Fprintf(&b, "Copy From stage%d \"/opt\" \"/opt\"\n", i-1)
		}
		b.WriteString("Label \"org.opencontainers.image.version\" \"${VERSION}\"\n")
		b.WriteString("User \"app:app\"\n")
		b.WriteString("Main [\"/opt/app/bin/app\", \"--config\", \"/etc/app.conf\"]\n")
	}
	return b.Bytes()
}

var oneMB = generate(1 << 20)

func TestGeneratedIsClean(t *testing.T) {
	f, ds := parser.Parse("gen", oneMB)
	ds = append(ds, check.Check(f)...)
	if len(ds) > 0 {
		t.Fatalf("generated Gunfile has diagnostics: %v", ds[0])
	}
	out, err := format.Source(oneMB)
	if err != nil || !bytes.Equal(out, oneMB) {
		t.Fatalf("generated Gunfile is not formatted (err %v)", err)
	}
}

func countNodes(f *ast.File) int {
	n := len(f.Comments)
	ast.Inspect(f, func(node ast.Node) bool {
		if node != nil {
			n++
		}
		return true
	})
	return n
}

// TestAllocsProportional checks that lex + parse + check allocates in
// proportion to the number of nodes: nodes, slices and symbols come from
// shared chunks, so there is at most one allocation per 32 nodes (about one
// per 50 on a large file), and four times the input costs at most four
// times the allocations.
func TestAllocsProportional(t *testing.T) {
	small, large := generate(64<<10), generate(256<<10)
	allocs := func(src []byte) float64 {
		return testing.AllocsPerRun(3, func() {
			f, _ := parser.Parse("gen", src)
			check.Check(f)
		})
	}
	f, _ := parser.Parse("gen", large)
	nodes := float64(countNodes(f))
	as, al := allocs(small), allocs(large)
	if perNode := al / nodes; perNode > 1.0/32 {
		t.Errorf("%.4f allocations per node, want at most 1/32", perNode)
	}
	ratio := al / as
	sizeRatio := float64(len(large)) / float64(len(small))
	if ratio > sizeRatio*1.15 {
		t.Errorf("allocations grow %.2fx for %.2fx the input", ratio, sizeRatio)
	}
}

// streamCheck checks src as gun check does: piece by piece.
func streamCheck(src []byte) []diag.Diagnostic {
	st := check.NewStream()
	_, ds := parser.Stream("gen", src, st.Add)
	return append(ds, st.End()...)
}

// TestStreamMemory checks that a check piece by piece allocates a small part
// of what the whole tree takes, and less for each stage the larger the file:
// the nodes of a stage are reused for the next, and what stays is the
// symbol table (its Args and Envs) and the file's line table.
func TestStreamMemory(t *testing.T) {
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	src := generate(4 << 20)
	whole := allocated(func() {
		f, _ := parser.Parse("gen", src)
		check.Check(f)
	})
	var ds []diag.Diagnostic
	stream := allocated(func() { ds = streamCheck(src) })
	if len(ds) > 0 {
		t.Fatalf("generated Gunfile has diagnostics: %v", ds[0])
	}
	t.Logf("4 MB: the whole tree allocates %.1f MB, a stream %.1f MB", float64(whole)/1e6, float64(stream)/1e6)
	if stream > whole/4 || stream > uint64(len(src))*5/4 {
		t.Errorf("a stream allocates %d bytes for %d of input; the whole tree %d", stream, len(src), whole)
	}
}

// cpuTime returns the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs f b.N times and reports, besides the wall-clock MB/s, the
// throughput per CPU second (garbage collection included): on a shared,
// loaded machine wall time measures the neighbours, CPU time measures gun.
func loop(b *testing.B, f func()) {
	b.SetBytes(int64(len(oneMB)))
	b.ReportAllocs()
	start := cpuTime()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(float64(n*len(oneMB))/cpu.Seconds()/1e6, "MB/cpu-s")
	}
}

func BenchmarkLex(b *testing.B) {
	loop(b, func() {
		l := lexer.New(oneMB, nil)
		for l.Next().Kind != lexer.EOF {
		}
	})
}

// BenchmarkParseCheck is the target: lex + parse + check of a
// generated 1 MB Gunfile, at least 100 MB/s. hack/peerbench runs it against
// BuildKit's Dockerfile parser on the same build, for a ratio that does not
// depend on how busy the machine is.
func BenchmarkParseCheck(b *testing.B) {
	f, _ := parser.Parse("gen", oneMB)
	nodes := countNodes(f)
	loop(b, func() {
		f, ds := parser.Parse("gen", oneMB)
		ds = append(ds, check.Check(f)...)
		if diag.HasErrors(ds) {
			b.Fatal(ds[0])
		}
	})
	b.ReportMetric(float64(nodes), "nodes/op")
}

// BenchmarkStreamCheck is gun check's way: lex + parse + check piece by
// piece.
func BenchmarkStreamCheck(b *testing.B) {
	loop(b, func() {
		if ds := streamCheck(oneMB); diag.HasErrors(ds) {
			b.Fatal(ds[0])
		}
	})
}

func BenchmarkFormat(b *testing.B) {
	loop(b, func() {
		if _, err := format.Source(oneMB); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	loop(b, func() { parser.Parse("gen", oneMB) })
}

func BenchmarkCheck(b *testing.B) {
	f, _ := parser.Parse("gen", oneMB)
	loop(b, func() { check.Check(f) })
}
