package runtime

import (
	"testing"

	"golang.org/x/sys/unix"
)

// An init that queues its error report and exits without reading what gun
// sent leaves a reset on gun's end; the report must still be read.
func TestRecvPacketAfterReset(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	gun, init := fds[0], fds[1]
	defer unix.Close(gun)
	if err := unix.Sendmsg(gun, []byte("config"), nil, nil, 0); err != nil {
		t.Fatal(err)
	}
	if err := unix.Sendmsg(init, []byte("report"), nil, nil, 0); err != nil {
		t.Fatal(err)
	}
	unix.Close(init) // "config" unread
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
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	gun, init := fds[0], fds[1]
	defer unix.Close(gun)
	if err := unix.Sendmsg(gun, []byte("config"), nil, nil, 0); err != nil {
		t.Fatal(err)
	}
	if reported(gun) {
		t.Fatal("reported before the init said or did anything")
	}
	if err := sendMsg(init, readyMsg{Error: "overlay refused", OverlayRefused: true}); err != nil {
		t.Fatal(err)
	}
	unix.Close(init) // "config" unread
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
