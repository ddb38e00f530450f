// Package delayproxy is an FTP proxy for benchmarks that emulates a
// wide-area link on loopback: a fixed one-way delay on every byte, in both
// directions, on the control connection and on every passive data
// connection; the round trip of TCP's handshake on every new connection;
// and, optionally, a throughput cap per connection and for all
// connections together.
//
// A client connects to [Proxy.Addr] instead of the server. The proxy
// forwards the control connection to the server and rewrites the server's
// 227 (PASV) and 229 (EPSV) replies so that they name listeners of its own,
// which forward the data connections to the ports the server announced.
//
// Each direction of each connection is a delay line, not a sleep per read:
// a reader stamps every chunk with the time it is due and queues it, and a
// writer delivers it then. Chunks keep their order, and the end of the
// stream (FIN) is delayed like the bytes before it. With a one-way delay
// of 25 ms, every request/reply exchange takes at least 50 ms.
//
// Handshake: with a one-way delay d, a real client's connect() returns
// after 2d (SYN, SYN-ACK) and the server accepts after 3d (the ACK). On
// loopback the client's connect() returns at once, so the proxy dials the
// server only 3d after it accepted the client and holds what the client
// sends meanwhile: no byte reaches the server, and none comes back, earlier
// than over a real link. Every new connection, control or data, costs at
// least one round trip before its first byte.
//
// Throughput: [Options.ConnRate] and [Options.TotalRate] are token buckets
// (burst [Options.Burst]) that pace each direction before the delay line.
// A paced reader stops reading until the bucket allows, so a fast sender
// meets back-pressure in its socket buffers, as on a slow link, and the
// bytes on the line stay near rate × delay.
//
// Limits: TCP's slow start and losses are not emulated; active mode
// (PORT/EPRT) is not supported; after AUTH TLS the control connection is
// forwarded opaquely, so its PASV/EPSV replies are not rewritten (use
// plain FTP).
//
// The proxy counts the commands it forwards, per verb (see [Proxy.Stats]),
// which tells how many round trips a client needs per file.
package delayproxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	chunkSize = 32 << 10 // largest chunk read at once
	queueLen  = 512      // chunks in flight per direction (16 MiB at most)
	// DefaultBurst is what a token bucket holds when Options.Burst is 0.
	DefaultBurst = 16 << 10
	// dataAcceptTimeout bounds how long a passive listener waits for the
	// client.
	dataAcceptTimeout = 30 * time.Second
	dialTimeout       = 10 * time.Second
)

// Options configure a Proxy. The zero value forwards at once, with no
// delay and no cap.
type Options struct {
	// Delay is the one-way delay on every byte, both directions.
	Delay time.Duration
	// FreeHandshake turns off the handshake's cost: the server is dialled
	// as soon as the client connects (the behaviour before the handshake
	// was emulated; for comparisons).
	FreeHandshake bool
	// ConnRate caps each direction of each connection, in bytes per
	// second; 0: no cap.
	ConnRate int64
	// TotalRate caps each direction of all connections together, in bytes
	// per second; 0: no cap.
	TotalRate int64
	// Burst is the size of every token bucket, in bytes (also the largest
	// chunk read at once when a cap is set); 0: DefaultBurst.
	Burst int
	// Trace, when not nil, receives a line per event, in milliseconds
	// since Start: connections accepted and dialled, data connections'
	// ends, and every control line as the proxy reads it (client's
	// commands, PASS masked; server's replies), "sN" naming the session
	// and "dN" the data connection.
	Trace io.Writer
}

// Proxy is a running delaying proxy. It is safe for concurrent use.
type Proxy struct {
	// Addr is the host:port clients connect to.
	Addr string

	target string
	host   string // target's host, where data connections go
	opts   Options
	// totalUp and totalDown are the shared buckets (nil: no total cap):
	// client to server, and server to client.
	totalUp, totalDown *bucket
	ln                 net.Listener
	done               chan struct{}
	wg                 sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	closers map[io.Closer]struct{}
	stats   Stats
	started time.Time
	ids     int // sessions and data connections numbered so far, for Trace
}

// Stats counts what went through the proxy.
type Stats struct {
	Sessions  int            // control connections
	DataConns int            // data connections
	Commands  map[string]int // command lines sent by clients, by upper-case verb
	Bytes     int64          // payload bytes forwarded, both directions, all connections
}

// Total returns the number of commands sent, all verbs together.
func (s Stats) Total() int {
	n := 0
	for _, v := range s.Commands {
		n += v
	}
	return n
}

// String lists the command counts, most frequent first.
func (s Stats) String() string {
	type kv struct {
		k string
		v int
	}
	var l []kv
	for k, v := range s.Commands {
		l = append(l, kv{k, v})
	}
	for i := 1; i < len(l); i++ { // insertion sort: a handful of verbs
		for j := i; j > 0 && (l[j].v > l[j-1].v || l[j].v == l[j-1].v && l[j].k < l[j-1].k); j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sessions=%d data=%d bytes=%d commands=%d", s.Sessions, s.DataConns, s.Bytes, s.Total())
	for _, e := range l {
		fmt.Fprintf(&b, " %s=%d", e.k, e.v)
	}
	return b.String()
}

// New starts a proxy with the given one-way delay and no throughput cap;
// see Start.
func New(target string, delay time.Duration) (*Proxy, error) {
	return Start(target, Options{Delay: delay})
}

// Start starts a proxy on a free loopback port (the same address family
// as target) that forwards to the FTP server at target. The caller must
// Close it.
func Start(target string, o Options) (*Proxy, error) {
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return nil, fmt.Errorf("delayproxy: %w", err)
	}
	if o.Delay < 0 || o.ConnRate < 0 || o.TotalRate < 0 || o.Burst < 0 {
		return nil, fmt.Errorf("delayproxy: negative option in %+v", o)
	}
	if o.Burst == 0 {
		o.Burst = DefaultBurst
	}
	laddr := "127.0.0.1:0"
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		laddr = "[::1]:0"
	}
	ln, err := net.Listen("tcp", laddr)
	if err != nil {
		return nil, fmt.Errorf("delayproxy: %w", err)
	}
	p := &Proxy{
		Addr:      ln.Addr().String(),
		target:    target,
		host:      host,
		opts:      o,
		totalUp:   newBucket(o.TotalRate, o.Burst),
		totalDown: newBucket(o.TotalRate, o.Burst),
		ln:        ln,
		done:      make(chan struct{}),
		closers:   map[io.Closer]struct{}{},
		stats:     Stats{Commands: map[string]int{}},
		started:   time.Now(),
	}
	p.wg.Go(p.serve)
	return p, nil
}

// Delay returns the one-way delay.
func (p *Proxy) Delay() time.Duration { return p.opts.Delay }

// Options returns the options in force (defaults filled in).
func (p *Proxy) Options() Options { return p.opts }

// Stats returns a copy of the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Commands = make(map[string]int, len(p.stats.Commands))
	for k, v := range p.stats.Commands {
		s.Commands[k] = v
	}
	return s
}

// ResetStats sets the counters to zero.
func (p *Proxy) ResetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats = Stats{Commands: map[string]int{}}
}

// Close stops the proxy: it closes the listener and every connection and
// waits until all its goroutines have returned. It is safe to call more
// than once.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	close(p.done)
	cs := p.closers
	p.closers = nil
	p.mu.Unlock()
	err := p.ln.Close()
	for c := range cs {
		c.Close()
	}
	p.wg.Wait()
	return err
}

// track registers c to be closed by Close. It reports false (and closes c)
// when the proxy is already closed.
func (p *Proxy) track(c io.Closer) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.closers[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c io.Closer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.closers, c)
}

// tracef writes one line to Options.Trace.
func (p *Proxy) tracef(format string, args ...any) {
	if p.opts.Trace == nil {
		return
	}
	line := fmt.Sprintf("%9.1f ", float64(time.Since(p.started).Microseconds())/1000) + fmt.Sprintf(format, args...)
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.opts.Trace, strings.TrimRight(line, "\r\n")+"\n")
}

// nextID numbers a session or data connection for Trace.
func (p *Proxy) nextID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids++
	return p.ids
}

func (p *Proxy) count(f func(*Stats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		p.count(func(s *Stats) { s.Sessions++ })
		p.wg.Go(func() {
			sess := &session{p: p, id: p.nextID()}
			defer sess.closeListeners()
			p.tracef("s%d accepted", sess.id)
			p.link(c, p.target, func() { p.tracef("s%d dialled", sess.id) },
				func(r io.Reader) io.Reader {
					return &lineReader{br: bufio.NewReaderSize(r, chunkSize), onLine: sess.command}
				},
				func(r io.Reader) io.Reader {
					return &lineReader{br: bufio.NewReaderSize(r, chunkSize), onLine: sess.reply}
				})
		})
	}
}

// link forwards the accepted connection c to a new connection to target,
// each direction through a delay line. It emulates the handshake: target
// is dialled 3 one-way delays after c was accepted, and what the client
// sends meanwhile waits in the client-to-server line. up and down wrap the
// readers of each direction (nil: none); dialled, if set, runs once the
// server's connection is open.
func (p *Proxy) link(c net.Conn, target string, dialled func(), up, down func(io.Reader) io.Reader) {
	defer p.untrack(c)
	defer c.Close()
	accepted := time.Now()
	srv := &lateConn{ready: make(chan struct{})}
	aborted := make(chan struct{})
	var once sync.Once
	abort := func() {
		once.Do(func() {
			close(aborted)
			c.Close()
			srv.close()
		})
	}
	wrap := func(f func(io.Reader) io.Reader, r io.Reader) io.Reader {
		if f == nil {
			return r
		}
		return f(r)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		p.relay(srv, wrap(up, c), abort, newBucket(p.opts.ConnRate, p.opts.Burst), p.totalUp)
	})

	var s net.Conn
	if wait := time.Until(accepted.Add(p.handshake())); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-aborted:
		case <-p.done:
		}
		t.Stop()
	}
	select {
	case <-aborted:
	case <-p.done:
	default:
		var err error
		s, err = net.DialTimeout("tcp", target, dialTimeout)
		if err != nil {
			s = nil
		} else if !p.track(s) {
			s = nil
		}
	}
	if s == nil || !srv.set(s) {
		srv.set(nil)
		abort()
		return
	}
	defer p.untrack(s)
	defer s.Close()
	if dialled != nil {
		dialled()
	}
	wg.Go(func() {
		p.relay(c, wrap(down, s), abort, newBucket(p.opts.ConnRate, p.opts.Burst), p.totalDown)
	})
	wg.Wait() // before the deferred s.Close
}

// handshake is how long after accepting a client the server may see the
// connection: SYN, SYN-ACK, ACK.
func (p *Proxy) handshake() time.Duration {
	if p.opts.FreeHandshake {
		return 0
	}
	return 3 * p.opts.Delay
}

// relay copies r to dst through a delay line, paced by the buckets, then
// half-closes dst; on failure it calls abort.
func (p *Proxy) relay(dst io.Writer, r io.Reader, abort func(), buckets ...*bucket) {
	n, err := delayCopy(p.done, p.opts.Delay, dst, r, abort, p.opts.Burst, buckets...)
	p.count(func(s *Stats) { s.Bytes += n })
	if err != nil {
		return
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	} else if cl, ok := dst.(io.Closer); ok {
		cl.Close()
	}
}

// lateConn is the server's side of a link, dialled after the handshake's
// delay: writes wait until it is there.
type lateConn struct {
	ready chan struct{} // closed by set

	mu     sync.Mutex
	conn   net.Conn // nil: not dialled (yet), or failed
	closed bool
	isSet  bool
}

// set installs conn (nil: the dial failed) and releases the writers. It
// reports false, closing conn, when the link was closed first.
func (l *lateConn) set(conn net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isSet {
		return false
	}
	l.isSet = true
	defer close(l.ready)
	if l.closed {
		if conn != nil {
			conn.Close()
		}
		return false
	}
	l.conn = conn
	return conn != nil
}

func (l *lateConn) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.conn != nil {
		l.conn.Close()
	}
}

func (l *lateConn) get() net.Conn {
	<-l.ready
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn
}

func (l *lateConn) Write(b []byte) (int, error) {
	c := l.get()
	if c == nil {
		return 0, net.ErrClosed
	}
	return c.Write(b)
}

func (l *lateConn) CloseWrite() error {
	c := l.get()
	if c == nil {
		return net.ErrClosed
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// session is the state of one control connection.
type session struct {
	p  *Proxy
	id int

	mu        sync.Mutex
	listeners []net.Listener
}

// command observes a line from the client.
func (s *session) command(line []byte) []byte {
	verb, _, _ := strings.Cut(strings.TrimRight(string(line), "\r\n"), " ")
	verb = strings.ToUpper(verb)
	s.p.count(func(st *Stats) { st.Commands[verb]++ })
	if verb == "PASS" {
		s.p.tracef("s%d > PASS ***", s.id)
	} else {
		s.p.tracef("s%d > %.80s", s.id, line)
	}
	if verb == "AUTH" {
		return nil // the rest is opaque: stop parsing this direction
	}
	return line
}

// reply rewrites a line from the server: 227 and 229 replies name a
// listener of the proxy, which forwards to the port the server announced.
func (s *session) reply(line []byte) []byte {
	l := string(line)
	s.p.tracef("s%d < %.80s", s.id, l)
	switch {
	case strings.HasPrefix(l, "234"): // AUTH accepted: TLS follows
		return nil
	case strings.HasPrefix(l, "229 "):
		port, ok := parseEPSV(l)
		if !ok {
			return line
		}
		lp, ok := s.listen(port)
		if !ok {
			return line
		}
		return fmt.Appendf(nil, "229 Entering Extended Passive Mode (|||%d|)\r\n", lp)
	case strings.HasPrefix(l, "227 "):
		port, ok := parsePASV(l)
		if !ok {
			return line
		}
		lp, ok := s.listen(port)
		if !ok {
			return line
		}
		ip := net.ParseIP(hostOnly(s.p.Addr)).To4()
		if ip == nil {
			return line
		}
		return fmt.Appendf(nil, "227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).\r\n", ip[0], ip[1], ip[2], ip[3], lp>>8, lp&0xff)
	}
	return line
}

// listen opens a passive listener that forwards one connection to the
// server's port and returns its port.
func (s *session) listen(serverPort int) (int, bool) {
	ln, err := net.Listen("tcp", net.JoinHostPort(hostOnly(s.p.Addr), "0"))
	if err != nil {
		return 0, false
	}
	if !s.p.track(ln) {
		return 0, false
	}
	s.mu.Lock()
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	target := net.JoinHostPort(s.p.host, strconv.Itoa(serverPort))
	s.p.wg.Go(func() { s.p.data(ln, target, s.id) })
	return ln.Addr().(*net.TCPAddr).Port, true
}

func (s *session) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.listeners = nil
}

// data accepts one connection on ln and forwards it to target; sid is
// the session's number, for Trace.
func (p *Proxy) data(ln net.Listener, target string, sid int) {
	defer p.untrack(ln)
	if tl, ok := ln.(*net.TCPListener); ok {
		tl.SetDeadline(time.Now().Add(dataAcceptTimeout))
	}
	c, err := ln.Accept()
	ln.Close()
	if err != nil {
		return
	}
	if !p.track(c) {
		return
	}
	id := p.nextID()
	p.tracef("d%d accepted (s%d)", id, sid)
	p.link(c, target, func() {
		p.count(func(st *Stats) { st.DataConns++ })
		p.tracef("d%d dialled", id)
	}, nil, nil)
	p.tracef("d%d ended", id)
}

// lineReader returns one control line per Read, passed through onLine,
// until onLine returns nil; from then on it passes bytes through as they
// come.
type lineReader struct {
	br      *bufio.Reader
	onLine  func([]byte) []byte
	opaque  bool
	pending []byte
}

func (r *lineReader) Read(p []byte) (int, error) {
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		return n, nil
	}
	if r.opaque {
		return r.br.Read(p)
	}
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		err = nil // a very long line: forward it in pieces
	} else if len(line) > 0 && err == nil {
		out := r.onLine(line)
		if out == nil {
			r.opaque = true
		} else {
			line = out
		}
	}
	n := copy(p, line)
	if n < len(line) {
		r.pending = append(r.pending[:0], line[n:]...)
	}
	if n > 0 && err == io.EOF {
		err = nil // the next Read returns it
	}
	return n, err
}

// bucket is a token bucket: rate bytes per second, holding at most burst.
// A nil *bucket allows everything at once.
type bucket struct {
	rate  float64
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// newBucket returns a full bucket, or nil when rate is 0 (no cap).
func newBucket(rate int64, burst int) *bucket {
	if rate <= 0 {
		return nil
	}
	return &bucket{rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// reserve takes n tokens, going into debt if need be, and returns how
// long the caller must wait before sending them.
func (b *bucket) reserve(n int) time.Duration {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= float64(n)
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// chunk is a piece of the stream and the time it is due; buf nil with err
// set is the end of the stream.
type chunk struct {
	due time.Time
	buf *[]byte
	n   int
	err error
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// delayCopy copies src to dst, writing each chunk delay after it left: a
// reader goroutine reads, waits until the buckets allow the chunk, stamps
// and queues it; this goroutine waits and writes. With buckets, chunks are
// at most burst bytes. It returns nil at src's EOF (once that is due too),
// or the first error. On anything but EOF it calls abort, which must close
// src and dst, and it always waits for the reader goroutine before
// returning. Closing done stops it.
func delayCopy(done <-chan struct{}, delay time.Duration, dst io.Writer, src io.Reader, abort func(), burst int, buckets ...*bucket) (written int64, err error) {
	q := make(chan chunk, queueLen)
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	size := chunkSize
	paced := false
	for _, b := range buckets {
		if b != nil {
			paced = true
		}
	}
	if paced && burst > 0 && burst < size {
		size = burst
	}
	go func() {
		defer close(readerDone)
		pace := time.NewTimer(time.Hour)
		defer pace.Stop()
		for {
			bp := bufPool.Get().(*[]byte)
			n, err := src.Read((*bp)[:size])
			if n > 0 && paced {
				var wait time.Duration
				for _, b := range buckets {
					wait = max(wait, b.reserve(n))
				}
				if wait > 0 {
					pace.Reset(wait)
					select {
					case <-pace.C:
					case <-stop:
						bufPool.Put(bp)
						return
					}
				}
			}
			due := time.Now().Add(delay)
			c := chunk{due: due, buf: bp, n: n}
			if n == 0 {
				bufPool.Put(bp)
				c.buf = nil
				if err == nil {
					continue
				}
			}
			if n > 0 && err != nil {
				// Deliver the bytes, then the error.
				select {
				case q <- c:
				case <-stop:
					return
				}
				c = chunk{due: due}
			}
			c.err = err
			select {
			case q <- c:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		if err != nil {
			abort()
		}
		close(stop)
		<-readerDone
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var c chunk
		select {
		case c = <-q:
		case <-done:
			return written, net.ErrClosed
		}
		if wait := time.Until(c.due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-done:
				if c.buf != nil {
					bufPool.Put(c.buf)
				}
				return written, net.ErrClosed
			}
		}
		if c.buf != nil {
			n, werr := dst.Write((*c.buf)[:c.n])
			bufPool.Put(c.buf)
			written += int64(n)
			if werr != nil {
				return written, werr
			}
		}
		if c.err == io.EOF {
			return written, nil
		}
		if c.err != nil {
			return written, c.err
		}
	}
}

// parseEPSV returns the port of "229 ... (|||port|)".
func parseEPSV(l string) (int, bool) {
	i := strings.IndexByte(l, '(')
	j := strings.LastIndexByte(l, ')')
	if i < 0 || j < i+6 {
		return 0, false
	}
	s := l[i+1 : j]
	d := s[0]
	if s[1] != d || s[2] != d || s[len(s)-1] != d {
		return 0, false
	}
	port, err := strconv.Atoi(s[3 : len(s)-1])
	if err != nil || port <= 0 || port > 65535 {
		return 0, false
	}
	return port, true
}

// parsePASV returns the port of "227 ... (h1,h2,h3,h4,p1,p2)".
func parsePASV(l string) (int, bool) {
	start := strings.IndexAny(l[4:], "0123456789")
	if start < 0 {
		return 0, false
	}
	s := l[4+start:]
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == ',') {
		end++
	}
	parts := strings.Split(s[:end], ",")
	if len(parts) != 6 {
		return 0, false
	}
	var n [6]int
	for i, v := range parts {
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 || x > 255 {
			return 0, false
		}
		n[i] = x
	}
	port := n[4]<<8 | n[5]
	return port, port > 0
}

func hostOnly(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}
