// Command benchtar runs guntar's Unpack or Pack once, for hack/bench-tar.sh
// to time against GNU tar:
//
//	benchtar unpack ARCHIVE DIR   (owners applied when run as root, as GNU tar does)
//	benchtar pack DIR ARCHIVE
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/gun-tools/gun/guntar"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchtar:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: benchtar unpack ARCHIVE DIR | pack DIR ARCHIVE")
	}
	ctx := context.Background()
	switch args[0] {
	case "unpack":
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		return guntar.Unpack(ctx, f, args[2], guntar.UnpackOptions{Chown: os.Geteuid() == 0})
	case "pack":
		f, err := os.Create(args[2])
		if err != nil {
			return err
		}
		if err := guntar.Pack(ctx, f, args[1], guntar.PackOptions{}); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return fmt.Errorf("unknown mode %q", args[0])
}
