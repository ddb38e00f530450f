//go:build !unix

package refusing

import "net"

// reserve falls back to a port whose listener is closed at once: another
// listener may take it later, which the unix version rules out.
func reserve() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, func() {}, nil
}
