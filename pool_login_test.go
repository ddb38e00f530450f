package ftp_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goftplib/ftp"
)

// loginServer is a fake server counting what logins send: whether PASS
// had already arrived when USER was read (USER and PASS in one write),
// how many PASS and FEAT commands came, and refusing the password when
// refuse is set.
type loginServer struct {
	addr      string
	refuse    bool
	slow      time.Duration // delay of the greeting of every connection but the first
	featSlow  time.Duration // delay of the first connection's FEAT reply
	perUser   int32         // sessions logged in at once before PASS gets 530 (0: no limit)
	in        atomic.Int32  // sessions logged in
	conns     atomic.Int32
	pass      atomic.Int32 // PASS commands
	feat      atomic.Int32 // FEAT commands
	pipelined atomic.Int32 // USER read with PASS already buffered
	lockstep  atomic.Int32 // USER read alone
	greeting  string       // instead of "220 ready"
	utf8      bool         // FEAT lists UTF8
	opts      atomic.Int32 // OPTS UTF8 ON commands
	optsAhead atomic.Int32 // PASS read with the next command already buffered
}

func startLoginServer(t *testing.T, refuse bool, slow time.Duration) *loginServer {
	return startLogin(t, &loginServer{refuse: refuse, slow: slow})
}

// startLogin starts s (its settings set before any connection).
func startLogin(t *testing.T, s *loginServer) *loginServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(c) })
		}
	})
	return s
}

func (s *loginServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	n := s.conns.Add(1)
	if n > 1 {
		time.Sleep(s.slow)
	}
	greeting := "220 ready"
	if s.greeting != "" {
		greeting = s.greeting
	}
	c.Write([]byte(greeting + "\r\n"))
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		var reply string
		switch strings.ToUpper(verb) {
		case "USER":
			// A client waiting for 331 cannot have sent PASS yet; give a
			// pipelining one time for its write to be read whole.
			time.Sleep(20 * time.Millisecond)
			if br.Buffered() > 0 {
				s.pipelined.Add(1)
			} else {
				s.lockstep.Add(1)
			}
			reply = "331 password please"
		case "PASS":
			s.pass.Add(1)
			if br.Buffered() > 0 {
				s.optsAhead.Add(1)
			}
			reply = "230 in"
			switch {
			case s.refuse:
				reply = "530 Login incorrect"
			case s.perUser > 0 && s.in.Add(1) > s.perUser:
				s.in.Add(-1)
				reply = "530 Sorry, the maximum number of clients for this user are already connected."
			case s.perUser > 0:
				defer s.in.Add(-1)
			}
		case "FEAT":
			s.feat.Add(1)
			if n == 1 {
				time.Sleep(s.featSlow)
			}
			reply = "211-Features:\r\n EPSV\r\n SIZE\r\n211 End"
			if s.utf8 {
				reply = "211-Features:\r\n EPSV\r\n SIZE\r\n UTF8\r\n211 End"
			}
		case "OPTS":
			s.opts.Add(1)
			reply = "200 Always in UTF8 mode."
		case "QUIT":
			c.Write([]byte("221 bye\r\n"))
			return
		default:
			reply = "200 ok"
		}
		if _, err := c.Write([]byte(reply + "\r\n")); err != nil {
			return
		}
	}
}

// getAtOnce asks p for n connections at once and fails the test unless
// every Get succeeds.
func getAtOnce(t *testing.T, p *ftp.Pool, n int) []*ftp.Conn {
	t.Helper()
	var wg sync.WaitGroup
	conns := make([]*ftp.Conn, n)
	errs := make([]error, n)
	for i := range conns {
		wg.Go(func() { conns[i], errs[i] = p.Get(t.Context()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Get %d: %v", i, err)
		}
	}
	return conns
}

// TestPoolLoginTurns: a Pool's connections dial at once, but the first
// login goes alone; the others then send USER and PASS in one write and
// reuse its FEAT.
func TestPoolLoginTurns(t *testing.T) {
	t.Parallel()
	s := startLoginServer(t, false, 0)
	p := ftp.NewPool(s.addr, ftp.PoolConfig{User: "u", Password: "secret", MaxConns: 4})
	defer p.Close()
	for i, c := range getAtOnce(t, p, 4) {
		feats, err := c.Features(t.Context())
		if _, ok := feats["EPSV"]; err != nil || !ok {
			t.Errorf("connection %d: features %v, %v; want the server's", i, feats, err)
		}
		p.Put(c)
	}
	if got := s.lockstep.Load(); got != 1 {
		t.Errorf("%d logins waited for 331, want 1 (the first)", got)
	}
	if got := s.pipelined.Load(); got != 3 {
		t.Errorf("%d logins sent USER and PASS together, want 3", got)
	}
	if got := s.feat.Load(); got != 1 {
		t.Errorf("%d FEAT commands, want 1", got)
	}
}

// TestPoolLoginPipelinedKnownServer: on a server whose greeting names
// tested software, the first login too sends USER, PASS and FEAT in one
// write (then OPTS UTF8 ON, FEAT listing UTF8); the others send USER, PASS
// and OPTS UTF8 ON (the first saw it accepted) in one write, and reuse its
// FEAT.
func TestPoolLoginPipelinedKnownServer(t *testing.T) {
	t.Parallel()
	// The others' greetings wait for the first login to end (its OPTS
	// accepted).
	s := startLogin(t, &loginServer{greeting: "220 (vsFTPd 3.0.5)", utf8: true, slow: 300 * time.Millisecond})
	p := ftp.NewPool(s.addr, ftp.PoolConfig{User: "u", Password: "secret", MaxConns: 4})
	defer p.Close()
	for i, c := range getAtOnce(t, p, 4) {
		if feats, err := c.Features(t.Context()); err != nil || len(feats) != 3 {
			t.Errorf("connection %d: features %v, %v; want the server's", i, feats, err)
		}
		p.Put(c)
	}
	if got := s.pipelined.Load(); got != 4 {
		t.Errorf("%d logins sent USER and PASS together, want 4", got)
	}
	if got := s.optsAhead.Load(); got != 4 {
		t.Errorf("%d logins sent more after PASS in the same write, want 4", got)
	}
	if got, opts := s.feat.Load(), s.opts.Load(); got != 1 || opts != 4 {
		t.Errorf("%d FEAT and %d OPTS commands, want 1 and 4", got, opts)
	}
}

// TestPoolLoginWaitsForFEAT: connections that log in while the first is
// still reading FEAT wait for its answer rather than asking themselves.
func TestPoolLoginWaitsForFEAT(t *testing.T) {
	t.Parallel()
	s := startLogin(t, &loginServer{featSlow: 300 * time.Millisecond})
	p := ftp.NewPool(s.addr, ftp.PoolConfig{User: "u", Password: "secret", MaxConns: 3})
	defer p.Close()
	for i, c := range getAtOnce(t, p, 3) {
		if feats, err := c.Features(t.Context()); err != nil || len(feats) != 2 {
			t.Errorf("connection %d: features %v, %v", i, feats, err)
		}
		p.Put(c)
	}
	if got := s.feat.Load(); got != 1 {
		t.Errorf("%d FEAT commands, want 1", got)
	}
}

// TestPoolWrongPasswordOnce: connections asked for at once with a wrong
// password cost one refused login, not one each (an account locked after
// a few failures stays unlocked), and each Get reports the refusal.
func TestPoolWrongPasswordOnce(t *testing.T) {
	t.Parallel()
	s := startLoginServer(t, true, 0)
	p := ftp.NewPool(s.addr, ftp.PoolConfig{User: "u", Password: "wrong", MaxConns: 6})
	defer p.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			c, err := p.Get(ctx)
			if err == nil {
				p.Put(c)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, ftp.ErrLoginRefused) {
			t.Errorf("Get %d = %v, want ErrLoginRefused", i, err)
		}
	}
	if got := s.pass.Load(); got != 1 {
		t.Errorf("the server got %d PASS commands, want 1", got)
	}
}

// TestPoolGetRacesDial: a Get that had to dial takes a connection given
// back meanwhile instead of waiting for its own, which the Pool keeps
// for the next Get.
func TestPoolGetRacesDial(t *testing.T) {
	t.Parallel()
	s := startLoginServer(t, false, 2*time.Second)
	p := ftp.NewPool(s.addr, ftp.PoolConfig{User: "u", Password: "secret", MaxConns: 2})
	defer p.Close()
	first, err := p.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, func() { p.Put(first) })
	start := time.Now()
	c, err := p.Get(t.Context()) // dials a second connection, slow to greet
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); c != first || took > time.Second {
		t.Errorf("Get took %v (same connection: %v); want the one given back after 100ms", took, c == first)
	}
	p.Put(c)
	// The second connection, once logged in, is kept: two at once.
	deadline := time.Now().Add(5 * time.Second)
	for s.lockstep.Load()+s.pipelined.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	a, err := p.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if a == b || s.conns.Load() != 2 {
		t.Errorf("%d connections made, want 2 (the raced one kept)", s.conns.Load())
	}
	p.Put(a)
	p.Put(b)
}

// TestPoolPerUserLimit: a login refused after another was accepted (a
// server's limit of sessions per user answers 530) lowers the Pool's
// limit like a 421 instead of failing every later Get.
func TestPoolPerUserLimit(t *testing.T) {
	t.Parallel()
	s := startLogin(t, &loginServer{perUser: 2})
	p := ftp.NewPool(s.addr, ftp.PoolConfig{User: "u", Password: "secret", MaxConns: 4})
	defer p.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			c, err := p.Get(ctx)
			if err == nil {
				time.Sleep(50 * time.Millisecond)
				p.Put(c)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Get %d = %v, want a connection (the limit lowered)", i, err)
		}
	}
	if l := p.Limit(); l != 2 {
		t.Errorf("Limit() = %d, want 2", l)
	}
	c, err := p.Get(ctx)
	if err != nil {
		t.Fatalf("Get after = %v", err)
	}
	p.Put(c)
}
