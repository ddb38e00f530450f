package ftp

import (
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// watchDrain keeps the wait for an upload's final reply from timing out
// while the data connection's send queue still drains. The last write
// returns once the kernel holds the bytes, and on a slow link it may hold
// megabytes (send buffers grow to several MiB): the server's 226 comes
// only once they have crossed, which can be longer than the Timeout
// after the last write although the transfer never paused. Bytes leaving
// the queue are activity: each time the queue is seen shorter, the
// control connection's read deadline moves to a Timeout from now (never
// past ctx's deadline). A queue that stops shrinking for a whole Timeout
// is no activity, as before. It returns a function that ends the watch
// and waits for it; call it before anything else touches the deadline.
// Where the queue cannot be read (other platforms), nothing changes.
func (t *transfer) watchDrain() (stop func()) {
	c := t.c
	timeout := c.d.Timeout
	tcp := t.dataTCP()
	if !t.wrote || timeout <= 0 || tcp == nil {
		return func() {}
	}
	last := unsentBytes(tcp)
	if last <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(min(timeout/4, 250*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			n := unsentBytes(tcp)
			if n < 0 {
				return
			}
			if n < last {
				last = n
				dl := time.Now().Add(timeout)
				if cd, ok := t.ctx.Deadline(); ok && cd.Before(dl) {
					dl = cd
				}
				c.nc.SetReadDeadline(dl)
			}
			if n == 0 {
				return // all acknowledged: the server's reply is next
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// dataTCP returns the TCP connection under the data connection (TLS, mode
// Z), or nil.
func (t *transfer) dataTCP() *net.TCPConn {
	conn := t.conn
	if t.z != nil {
		conn = t.z.Conn
	}
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	tcp, _ := conn.(*net.TCPConn)
	return tcp
}
