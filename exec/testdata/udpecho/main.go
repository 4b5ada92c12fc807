// Command udpecho answers every UDP datagram to the port of its argument
// with the same bytes: the container side of TestNetworkPrivate (busybox
// has no UDP server).
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	if err := echo(); err != nil {
		fmt.Fprintln(os.Stderr, "udpecho:", err)
		os.Exit(1)
	}
}

func echo() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: udpecho PORT")
	}
	c, err := net.ListenPacket("udp", ":"+os.Args[1])
	if err != nil {
		return err
	}
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return err
		}
		if _, err := c.WriteTo(buf[:n], from); err != nil {
			return err
		}
	}
}
