package guntar

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// TestCompressReproducible checks that compressed layers do not depend on
// the number of cores nor on the sizes of the writes (a pipe from a packer
// delivers any), and that they decompress to the input.
func TestCompressReproducible(t *testing.T) {
	var in bytes.Buffer
	rng := rand.New(rand.NewPCG(1, 2))
	for in.Len() < 5<<20 {
		// Text-like runs and random bytes, so that blocks differ.
		fmt.Fprintf(&in, "entry %d: %s\n", rng.IntN(1e6), bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(300)))
		if rng.IntN(50) == 0 {
			b := make([]byte, rng.IntN(64<<10))
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			in.Write(b)
		}
	}
	for _, c := range []Compression{Gzip, Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			var first []byte
			for _, procs := range []int{1, 2, 5} {
				var out bytes.Buffer
				w, err := compress(&out, c, procs)
				if err != nil {
					t.Fatal(err)
				}
				src := in.Bytes()
				for len(src) > 0 {
					n := min(len(src), 1+rng.IntN(200<<10))
					if _, err := w.Write(src[:n]); err != nil {
						t.Fatal(err)
					}
					src = src[n:]
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = out.Bytes()
					r, got, err := Decompress(bytes.NewReader(first))
					if err != nil || got != c {
						t.Fatalf("Decompress: %v, %s", err, got)
					}
					back, err := io.ReadAll(r)
					if err != nil || !bytes.Equal(back, in.Bytes()) {
						t.Fatalf("the stream decompresses to %d bytes (%v), want the %d written", len(back), err, in.Len())
					}
					continue
				}
				if !bytes.Equal(out.Bytes(), first) {
					t.Errorf("%d cores: %d bytes, different from one core's %d", procs, out.Len(), len(first))
				}
			}
		})
	}
}
