//go:build !unix

package ftp

import "net"

// sendSynch writes Telnet IP and Synch in band: this platform offers no
// portable way to send TCP urgent data.
func sendSynch(tc *net.TCPConn) error {
	_, err := tc.Write([]byte{0xff, 0xf4, 0xff, 0xf2})
	return err
}
