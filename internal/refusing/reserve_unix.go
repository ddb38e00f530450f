//go:build unix

package refusing

import (
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// reserve binds a TCP socket to a kernel-chosen loopback port without
// SO_REUSEADDR and never listens on it. Linux, the BSDs and macOS refuse
// a connection to a bound port with no listener, will not let a listener
// (even with SO_REUSEADDR) bind it, and do not pick it as an ephemeral
// source port.
func reserve() (string, func(), error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "", nil, fmt.Errorf("socket: %w", err)
	}
	syscall.CloseOnExec(fd)
	release := func() { syscall.Close(fd) }
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		release()
		return "", nil, fmt.Errorf("bind: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		release()
		return "", nil, fmt.Errorf("getsockname: %w", err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok || in4.Port == 0 {
		release()
		return "", nil, fmt.Errorf("getsockname: unexpected address %v", sa)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(in4.Port)), release, nil
}
