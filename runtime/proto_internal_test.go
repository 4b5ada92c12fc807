package runtime

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// configSent returns gun's end of a socket pair made as for an init
// (socketPair), after sending a "config" that the init's end, returned too,
// leaves unread. The test closes the init's end; gun's is closed when the
// test ends.
func configSent(t *testing.T) (gun int, init *os.File) {
	t.Helper()
	parent, child, err := socketPair()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { parent.Close(); child.Close() })
	gun = int(parent.Fd())
	if err := unix.Sendmsg(gun, []byte("config"), nil, nil, 0); err != nil {
		t.Fatal(err)
	}
	return gun, child
}

// An init that queues its error report and exits without reading what gun
// sent leaves a reset on gun's end; the report must still be read.
func TestRecvPacketAfterReset(t *testing.T) {
	gun, init := configSent(t)
	if err := unix.Sendmsg(int(init.Fd()), []byte("report"), nil, nil, 0); err != nil {
		t.Fatal(err)
	}
	init.Close() // "config" unread
	b, _, err := recvPacket(gun)
	if err != nil || string(b) != "report" {
		t.Fatalf("recvPacket = %q, %v; want the report", b, err)
	}
	if _, _, err := recvPacket(gun); err == nil {
		t.Error("a second read after the peer closed succeeded")
	}
}

// An init that fails and exits before gun's goMsg (it mounts its root
// meanwhile) makes the send fail; reported says so, and the report is
// read. An init that is waiting has reported nothing.
func TestReportedBeforeGo(t *testing.T) {
	gun, init := configSent(t)
	if reported(gun) {
		t.Fatal("reported before the init said or did anything")
	}
	if err := sendMsg(int(init.Fd()), readyMsg{Error: "overlay refused", OverlayRefused: true}); err != nil {
		t.Fatal(err)
	}
	init.Close() // "config" unread
	if err := sendMsg(gun, goMsg{}); err == nil {
		t.Fatal("goMsg to an init that ended was sent")
	}
	if !reported(gun) {
		t.Fatal("an init that ended with a report: not reported")
	}
	var m readyMsg
	if _, err := recvMsg(gun, &m); err != nil || !m.OverlayRefused {
		t.Fatalf("the report after a failed goMsg: %+v, %v", m, err)
	}
}
