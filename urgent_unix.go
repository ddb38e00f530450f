//go:build unix

package ftp

import (
	"net"
	"syscall"
)

// sendSynch writes Telnet IP and Synch (IAC IP IAC DM) with the DM byte
// sent as TCP urgent data, as RFC 959 section 4.1.3 describes for ABOR.
func sendSynch(tc *net.TCPConn) error {
	rc, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	if _, err := tc.Write([]byte{0xff, 0xf4, 0xff}); err != nil {
		return err
	}
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		serr = syscall.Sendto(int(fd), []byte{0xf2}, syscall.MSG_OOB, nil)
		return serr != syscall.EAGAIN
	})
	if err == nil {
		err = serr
	}
	return err
}
