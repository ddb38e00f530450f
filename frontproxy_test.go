package ftp_test

import (
	"net"
	"sync"
	"testing"
)

// frontProxy listens on loopback in front of target, an FTP server's
// control port (EPSV names only a port, so data connections go to the
// server directly), and returns its address. For each client it asks
// accept (nil: all), which may answer the client itself and refuse it,
// then dials target and runs serve(client, server) in the goroutine group
// wg, which serve may use for more goroutines. When t ends every
// connection is closed and wg waited for.
func frontProxy(t *testing.T, target string, accept func(client net.Conn) bool, serve func(wg *sync.WaitGroup, client, server net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			track(client)
			if accept != nil && !accept(client) {
				client.Close()
				continue
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			track(server)
			serve(&wg, client, server)
		}
	})
	return ln.Addr().String()
}
