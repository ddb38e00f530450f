//go:build linux

package ftp

import (
	"net"

	"golang.org/x/sys/unix"
)

// unsentBytes returns the bytes of tc's send queue that the peer has not
// acknowledged yet (SIOCOUTQ), or -1 when that is unknown.
func unsentBytes(tc *net.TCPConn) int {
	rc, err := tc.SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	rc.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.SIOCOUTQ); err == nil {
			n = v
		}
	})
	return n
}
