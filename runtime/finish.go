package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// entryFinish ends a run that the constructor ran without Go (entry.c's
// gun_fast) where that takes more than the common case: it removes the
// scratch directory (in the user namespace if need be), prints the error
// the init reported, and exits with the code gun's Go would have. Its
// arguments: the store's directory, the scratch directory, what ended the
// run ("ready": the init's failed start report; "exit": its exit report;
// "status": the relay's exit status without a report), the code so far
// and the report.
const entryFinish = "gun:finish"

func finishMain(args []string) int {
	code, err := finish(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gun: %v\n", err)
	}
	return code
}

func finish(args []string) (int, error) {
	if len(args) != 6 {
		return 125, fmt.Errorf("%s: %d arguments, want 5", entryFinish, len(args)-1)
	}
	root, scratch, kind, msg := args[1], args[2], args[3], args[5]
	code, err := strconv.Atoi(args[4])
	if err != nil {
		return 125, fmt.Errorf("%s: code %q", entryFinish, args[4])
	}
	return New(root).finishFast(scratch, kind, code, msg)
}

// finishFast ends a run that C started (gun_fast): kind, code and msg are
// as gun:finish's arguments.
func (rt *Runtime) finishFast(scratch, kind string, code int, msg string) (int, error) {
	var err error
	switch kind {
	case "ready": // as Starter.run takes a failed start report
		var m readyMsg
		err = errPeerClosed
		if msg != "" {
			if err = json.Unmarshal([]byte(msg), &m); err != nil {
				err = fmt.Errorf("decode message: %w", err)
			} else if m.Error == "" {
				err = fmt.Errorf("unexpected report %s", msg)
			}
		}
		switch {
		case m.Error != "" && m.Code != 0:
			code, err = m.Code, errors.New(m.Error)
		case m.Error != "":
			code, err = 125, fmt.Errorf("container setup: %s", m.Error)
		default:
			code, err = 125, fmt.Errorf("container setup: %w", err)
		}
	case "exit":
		var m exitMsg
		if err = json.Unmarshal([]byte(msg), &m); err != nil {
			code, err = 125, fmt.Errorf("decode message: %w", err)
		} else {
			code, err = m.result()
		}
	case "status":
	default:
		return 125, fmt.Errorf("%s: %q", entryFinish, kind)
	}
	if rerr := rt.removeScratch(scratch); rerr != nil && err == nil {
		code, err = 125, rerr
	}
	return code, err
}
