//go:build !linux

package ftp

import "net"

// unsentBytes returns -1: the send queue is not looked at on this
// platform (see the Linux version).
func unsentBytes(tc *net.TCPConn) int { return -1 }
