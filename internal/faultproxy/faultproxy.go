// Package faultproxy is a loopback FTP proxy for fault-injection tests: it
// forwards a control connection to a real server, rewrites EPSV and PASV
// replies so passive data connections go through it too (on a plain
// control connection; once it carries TLS, AUTH TLS or implicit, its bytes
// are passed through unread and data connections go to the server
// directly), and can cut data
// connections in the middle of a transfer with a TCP reset, or drop control
// connections that stay idle too long, as NAT boxes and firewalls do.
package faultproxy

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards FTP sessions to a server.
type Proxy struct {
	// Addr is the proxy's control address, to dial instead of the server.
	Addr string

	target string
	ln     net.Listener

	// cutAfter and cuts: the next `cuts` data connections are reset after
	// cutAfter bytes have passed in either direction.
	cutAfter atomic.Int64
	cuts     atomic.Int64
	// Cut counts the data connections that were cut.
	Cut atomic.Int64

	// idle: control connections silent in both directions for longer
	// are dropped (see DropIdle); zero: never.
	idle atomic.Int64
	// Dropped counts the control connections dropped for being idle.
	Dropped atomic.Int64
	// rate: bytes a second each data connection carries each way; zero:
	// no limit (see SlowData).
	rate atomic.Int64

	mu     sync.Mutex
	conns  map[io.Closer]struct{}
	wg     sync.WaitGroup
	closed bool
}

// Start listens on 127.0.0.1 and forwards to target (host:port).
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[io.Closer]struct{}{}}
	p.wg.Go(p.acceptLoop)
	return p, nil
}

// CutData makes the next n data connections fail after bytes bytes.
func (p *Proxy) CutData(n int, bytes int64) {
	p.cutAfter.Store(bytes)
	p.cuts.Store(int64(n))
}

// DropIdle makes the proxy drop every control connection through it that
// carries no byte in either direction for longer than d, the way a NAT box
// or a stateful firewall forgets an idle connection: the client's side is
// reset at once; the server's side is left open, and reset when the server
// next sends something (its 226, say), as the box answers a packet of a
// connection it no longer knows. Zero turns it off. Data connections are
// never dropped.
func (p *Proxy) DropIdle(d time.Duration) { p.idle.Store(int64(d)) }

// SlowData limits every data connection opened from now on to rate bytes
// a second in each direction (zero: no limit), so that a transfer lasts
// long on the server's side too (its socket buffers fill). Only data
// connections through the proxy are slowed: those of plain control
// connections.
func (p *Proxy) SlowData(rate int64) { p.rate.Store(rate) }

// Close stops the proxy and every connection through it, and waits for
// its goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c io.Closer) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c io.Closer) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) acceptLoop() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.control(client) })
	}
}

var (
	re229 = regexp.MustCompile(`\(\|\|\|(\d+)\|\)`)
	re227 = regexp.MustCompile(`(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)`)
)

func (p *Proxy) control(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client) || !p.track(server) {
		client.Close()
		server.Close()
		return
	}
	defer p.untrack(client)
	defer p.untrack(server)
	var last atomic.Int64 // time of the last byte either way, UnixNano
	last.Store(time.Now().UnixNano())
	var dropped atomic.Bool
	var tlsOn atomic.Bool // TLS from here on: bytes are passed through
	done := make(chan struct{})
	defer close(done)
	p.wg.Go(func() {
		buf := make([]byte, 4<<10)
		for first := true; ; first = false {
			n, err := client.Read(buf)
			if first && n > 0 && buf[0] == 0x16 {
				tlsOn.Store(true) // a TLS ClientHello: implicit TLS
			}
			if n > 0 {
				last.Store(time.Now().UnixNano())
				if _, werr := server.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		if !dropped.Load() {
			server.Close()
		}
	})
	p.wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			d := time.Duration(p.idle.Load())
			if d > 0 && time.Since(time.Unix(0, last.Load())) > d {
				dropped.Store(true)
				p.Dropped.Add(1)
				reset(client)
				return
			}
		}
	})
	host, _, _ := net.SplitHostPort(p.target)
	var pending []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if dropped.Load() {
			// The connection is forgotten: whatever the server sends
			// now is answered with a reset.
			reset(server)
			return
		}
		if n > 0 {
			last.Store(time.Now().UnixNano())
			if tlsOn.Load() {
				if _, err := client.Write(buf[:n]); err != nil {
					return
				}
			} else {
				pending = append(pending, buf[:n]...)
				for !tlsOn.Load() {
					i := bytes.IndexByte(pending, '\n')
					if i < 0 {
						break
					}
					line := p.rewrite(host, string(pending[:i+1]))
					pending = pending[i+1:]
					if line == "" {
						return
					}
					if _, err := io.WriteString(client, line); err != nil {
						return
					}
					if strings.HasPrefix(line, "234 ") {
						// AUTH TLS accepted: the rest is TLS, passed
						// through unread (PASV replies are not
						// rewritten any more).
						tlsOn.Store(true)
						if _, err := client.Write(pending); err != nil {
							return
						}
						pending = nil
					}
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// rewrite points a 229 or 227 reply line at a new data listener of the
// proxy, or returns line unchanged; "" when the listener fails.
func (p *Proxy) rewrite(host, line string) string {
	switch {
	case len(line) > 4 && line[:4] == "229 ":
		if m := re229.FindStringSubmatch(line); m != nil {
			port, err := p.dataListener(net.JoinHostPort(host, m[1]))
			if err != nil {
				return ""
			}
			line = line[:4] + fmt.Sprintf("Entering Extended Passive Mode (|||%d|)\r\n", port)
		}
	case len(line) > 4 && line[:4] == "227 ":
		if m := re227.FindStringSubmatch(line); m != nil {
			p1, _ := strconv.Atoi(m[5])
			p2, _ := strconv.Atoi(m[6])
			port, err := p.dataListener(net.JoinHostPort(host, strconv.Itoa(p1*256+p2)))
			if err != nil {
				return ""
			}
			line = fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d)\r\n", port>>8, port&0xff)
		}
	}
	return line
}

// dataListener accepts one data connection and forwards it to addr.
func (p *Proxy) dataListener(addr string) (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	if !p.track(ln) {
		return 0, net.ErrClosed
	}
	p.wg.Go(func() {
		defer p.untrack(ln)
		client, err := ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", addr)
		if err != nil {
			client.Close()
			return
		}
		if !p.track(client) || !p.track(server) {
			client.Close()
			server.Close()
			return
		}
		defer p.untrack(client)
		defer p.untrack(server)
		limit := int64(-1)
		if p.cuts.Add(-1) >= 0 {
			limit = p.cutAfter.Load()
		}
		var passed atomic.Int64
		var once sync.Once
		cut := func() {
			once.Do(func() {
				p.Cut.Add(1)
				reset(client)
				reset(server)
			})
		}
		rate := p.rate.Load()
		if rate > 0 {
			// Small socket buffers, so the slowness reaches the server
			// instead of being absorbed by the kernel's buffers.
			for _, c := range []net.Conn{client, server} {
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetReadBuffer(32 << 10)
					tc.SetWriteBuffer(32 << 10)
				}
			}
		}
		pipe := func(dst, src net.Conn) {
			buf := make([]byte, 32<<10)
			if rate > 0 {
				buf = buf[:min(int64(len(buf)), max(rate/10, 1))]
			}
			start, moved := time.Now(), int64(0)
			for {
				n, err := src.Read(buf)
				if n > 0 && rate > 0 {
					moved += int64(n)
					time.Sleep(time.Until(start.Add(time.Duration(moved * int64(time.Second) / rate))))
				}
				if n > 0 {
					if limit >= 0 && passed.Add(int64(n)) > limit {
						cut()
						return
					}
					if _, werr := dst.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					if tc, ok := dst.(*net.TCPConn); ok {
						tc.CloseWrite()
					}
					return
				}
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() { pipe(server, client) })
		pipe(client, server)
		wg.Wait()
	})
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// reset closes c with a TCP reset rather than an orderly close.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
