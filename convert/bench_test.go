package convert_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/gun-tools/gun/convert"
)

// dockerfile generates a Dockerfile of about size bytes: stages of the
// usual instructions, with comments, continuations and mounts.
func dockerfile(size int) []byte {
	var b bytes.Buffer
	b.WriteString("ARG ALPINE=3.19\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "# stage %d\nFROM alpine:${ALPINE} AS s%d\n", i, i)
		b.WriteString("ENV APP_HOME=/app PORT=8080\nWORKDIR $APP_HOME\nLABEL org.example.name=\"demo\" version=\"1.0\"\n")
		b.WriteString("RUN --mount=type=cache,target=/var/cache/apk apk add --no-cache \\\n    curl \\\n    ca-certificates\n")
		b.WriteString("COPY --chown=app:app --chmod=0755 entry.sh /usr/local/bin/\n")
		if i > 0 {
			fmt.Fprintf(&b, "COPY --from=s%d /app /app\n", i-1)
		}
		b.WriteString("USER app\nEXPOSE 8080\nENTRYPOINT [\"/usr/local/bin/entry.sh\"]\nCMD [\"--port\", \"8080\"]\n\n")
	}
	return b.Bytes()
}

// BenchmarkConvert converts a 4 MB Dockerfile; BenchmarkBuildKitParse is
// BuildKit's reading of the same file as a build reads it (its parser and
// its instruction types), most of the conversion's work:
//
//	go test -run XXX -bench 'Convert|BuildKitParse' ./convert/
func BenchmarkConvert(b *testing.B) {
	src := dockerfile(benchSize)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := convert.Convert("Dockerfile", src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildKitParse(b *testing.B) {
	src := dockerfile(benchSize)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		res, err := parser.Parse(bytes.NewReader(src))
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := instructions.Parse(res.AST, nil); err != nil {
			b.Fatal(err)
		}
	}
}

const benchSize = 4 << 20
