package container

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// A record's template is its state.json as Save writes it, with holes
// where the values go that only its writer knows when it writes it: the
// runtime's C constructor records the detached containers it starts
// without Go from templates that gun put in the run's plan
// (runtime/claim.c), so that it names no field of the record, and a field
// added here reaches its records too. A hole is Hole and a letter (JSON
// text has no control characters), for which the writer puts a value in
// JSON: a string for HoleID, HoleName and HoleScratch, a time (RFC 3339,
// UTC) for HoleCreated and HoleStarted, a number for HoleMonitor, an array
// of strings for HoleCommand.
const (
	Hole        = '\x02'
	HoleID      = 'i'
	HoleName    = 'n'
	HoleCommand = 'a'
	HoleCreated = 'c'
	HoleStarted = 's'
	HoleMonitor = 'p'
	HoleScratch = 'd'
)

// Template returns the template of c's record (see Hole): c as given but
// for its ID, Name, Command, Created and Scratch, and, when c is Running,
// its Started and MonitorPid, which are holes. It fails when another value
// of c is written as one of the stand-ins that it marshals in the holes'
// places.
func Template(c Container) (string, error) {
	hole := func(h byte) string { return string([]byte{Hole, h}) }
	created, started := time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 2, time.UTC)
	c.ID, c.Name, c.Scratch, c.Command, c.Created = hole(HoleID), hole(HoleName), hole(HoleScratch), []string{hole(HoleCommand)}, created
	standIns := []standIn{{HoleID, c.ID}, {HoleName, c.Name}, {HoleScratch, c.Scratch}, {HoleCommand, c.Command[0]}, {HoleCreated, created}}
	if c.Status == Running {
		c.Started, c.MonitorPid = started, math.MinInt
		standIns = append(standIns, standIn{HoleStarted, started}, standIn{HoleMonitor, c.MonitorPid})
	}
	b, err := c.marshal()
	if err != nil {
		return "", err
	}
	for _, s := range standIns {
		text, _ := json.Marshal(s.value)
		i := bytes.Index(b, text)
		if i < 0 || bytes.Count(b, text) != 1 {
			return "", fmt.Errorf("container record template: a value is written as the stand-in %s", text)
		}
		start, end := i, i+len(text)
		if s.hole == HoleCommand {
			// The array around it, however MarshalIndent lays it out.
			start = bytes.LastIndexByte(b[:i], '[')
			end += bytes.IndexByte(b[end:], ']') + 1
			if start < 0 || end <= i+len(text) || len(bytes.TrimSpace(b[start+1:i])) > 0 || len(bytes.TrimSpace(b[i+len(text):end-1])) > 0 {
				return "", fmt.Errorf("container record template: the command is not an array")
			}
		}
		b = slices.Concat(b[:start], []byte(hole(s.hole)), b[end:])
	}
	return string(b), nil
}

// standIn is a value that Template marshals in a hole's place.
type standIn struct {
	hole  byte
	value any
}
