package langcmd

import (
	"maps"
	"testing"

	"github.com/spf13/pflag"

	"github.com/gun-tools/gun/internal/cmdline"
)

// TestGlobalFlags checks internal/cmdline's global flags (which the heap's
// set-up and gun's constructor skip to find the command) against the root
// command's.
func TestGlobalFlags(t *testing.T) {
	var verbose bool
	var root string
	got := map[string]bool{}
	NewRoot(&verbose, &root).PersistentFlags().VisitAll(func(f *pflag.Flag) {
		got[f.Name] = f.NoOptDefVal == "" // a flag without a value has one
	})
	want := map[string]bool{}
	for _, f := range cmdline.GlobalFlags {
		want[f.Name] = f.Value
	}
	if !maps.Equal(got, want) {
		t.Errorf("the root command's global flags (name: takes a value) are %v; internal/cmdline's GlobalFlags %v", got, want)
	}
}
