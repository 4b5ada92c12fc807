package container

import (
	"crypto/rand"
	"encoding/binary"
	"slices"
	"strconv"
)

// Generated names are an adjective and a noun, as docker's are; with
// suffix (after collisions) a number follows.
var (
	adjectives = []string{
		"agile", "bold", "brave", "bright", "calm", "clever", "cool", "crisp", "daring", "eager",
		"fair", "fast", "fond", "gentle", "glad", "happy", "keen", "kind", "lively", "lucid",
		"merry", "neat", "nimble", "proud", "quiet", "quick", "sharp", "steady", "swift", "witty",
	}
	nouns = []string{
		"badger", "beaver", "bison", "condor", "crane", "falcon", "ferret", "finch", "gecko", "heron",
		"ibex", "jackal", "koala", "lemur", "lynx", "marten", "moose", "otter", "owl", "panda",
		"puffin", "raven", "robin", "salmon", "seal", "stoat", "swan", "tapir", "walrus", "wren",
	}
)

// NameWords returns the adjectives and nouns of generated names (the C
// constructor of gun run -d has them too: runtime.NameWords).
func NameWords() (adj, noun []string) {
	return slices.Clone(adjectives), slices.Clone(nouns)
}

func generateName(suffix bool) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	n := binary.LittleEndian.Uint64(b[:])
	name := adjectives[n%uint64(len(adjectives))] + "_" + nouns[(n/64)%uint64(len(nouns))]
	if suffix {
		name += strconv.FormatUint((n>>16)%10000, 10)
	}
	return name
}
