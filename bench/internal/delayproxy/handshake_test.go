package delayproxy

import (
	"bufio"
	"net"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// handshakeTimes connects through connect (which returns the client's
// side of a link to the listener ln), sends a line at once, and returns
// when the server accepted, when it read the line and when the client read
// the server's reply, all counted from the client's connect.
func handshakeTimes(t *testing.T, ln net.Listener, connect func() net.Conn) (accept, request, reply time.Duration) {
	t.Helper()
	type times struct{ accepted, read time.Time }
	got := make(chan times, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- times{}
			return
		}
		defer c.Close()
		var ts times
		ts.accepted = time.Now()
		c.Write([]byte("220 hello\r\n"))
		if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
			ts.read = time.Now()
		}
		got <- ts
	}()
	start := time.Now()
	c := connect()
	defer c.Close()
	if _, err := c.Write([]byte("NOOP\r\n")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	reply = time.Since(start)
	ts := <-got
	if ts.accepted.IsZero() || ts.read.IsZero() {
		t.Fatal("the server did not see the connection or the request")
	}
	return ts.accepted.Sub(start), ts.read.Sub(start), reply
}

// TestHandshakeCost checks that a new connection costs what TCP costs,
// for the control connection and for a data connection: the server
// accepts 3 one-way delays after the client's connect, a request sent at
// once reaches it no earlier, and the server's first reply reaches the
// client after 4 delays (2 round trips).
func TestHandshakeCost(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const d = 20 * time.Millisecond
	const slack = 150 * time.Millisecond // a loaded machine is late, never early
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p, err := Start(ln.Addr().String(), Options{Delay: d})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	check := func(t *testing.T, connect func() net.Conn) {
		accept, request, reply := handshakeTimes(t, ln, connect)
		t.Logf("accept %v, request %v, reply %v (one-way delay %v)", accept, request, reply, d)
		if accept < 3*d || accept > 3*d+slack {
			t.Errorf("server accepted %v after connect, want 3×%v", accept, d)
		}
		if request < 3*d {
			t.Errorf("request reached the server %v after connect, want at least 3×%v", request, d)
		}
		if reply < 4*d || reply > 4*d+slack {
			t.Errorf("first reply reached the client %v after connect, want 4×%v", reply, d)
		}
	}

	dial := func(addr string) func() net.Conn {
		return func() net.Conn {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}

	t.Run("control", func(t *testing.T) {
		check(t, dial(p.Addr))
	})
	t.Run("data", func(t *testing.T) {
		// A passive listener of the proxy, as a 229 reply opens.
		s := &session{p: p}
		defer s.closeListeners()
		port, ok := s.listen(ln.Addr().(*net.TCPAddr).Port)
		if !ok {
			t.Fatal("listen failed")
		}
		check(t, dial(net.JoinHostPort("127.0.0.1", strconv.Itoa(port))))
	})
	t.Run("free", func(t *testing.T) {
		q, err := Start(ln.Addr().String(), Options{Delay: d, FreeHandshake: true})
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		accept, _, reply := handshakeTimes(t, ln, dial(q.Addr))
		// The server greets as it accepts: one delay to the client.
		if accept > d || reply < d || reply > d+slack {
			t.Errorf("FreeHandshake: accept %v, reply %v; want at once and %v", accept, reply, d)
		}
	})
}
