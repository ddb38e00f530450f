package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// PoolConfig configures a Pool. Its zero value (with a Dialer's zero
// value) is usable: anonymous login, 4 connections, 60 s idle timeout,
// 3 retries. As in every configuration struct of this module, a zero
// duration or count means the documented default and a negative one turns
// the limit off.
type PoolConfig struct {
	// Dialer is used for every connection of the pool.
	Dialer Dialer
	// User, Password and Account are sent at login (see Conn.LoginAccount).
	User, Password, Account string
	// MaxConns is the most connections open at once. Zero means 4;
	// negative means no limit. A "421 too many connections" from the
	// server lowers it for the life of the Pool.
	MaxConns int
	// IdleTimeout closes connections left idle this long. Zero means 60 s;
	// negative means never.
	IdleTimeout time.Duration
	// WaitTimeout bounds how long Get waits for a free connection when
	// the pool is at its limit, so that a goroutine holding every
	// connection and asking for one more fails with ErrPoolTimeout instead
	// of waiting forever. Zero means the Dialer's Timeout (60 s by
	// default); negative means no bound but the ctx (for long transfers
	// that hold every connection).
	WaitTimeout time.Duration
	// Retries is how many times an operation that failed for a transient
	// reason (see IsTransient) is tried again by Retry, RetrBinary and
	// StorBinary, resuming transfers from where they stopped: the one retry
	// budget of an operation. Zero means 3; negative means none.
	Retries int
	// RateLimit bounds each transfer of the Pool (RetrBinary,
	// StorBinary, each file of RetrBatch and StorBatch, RetrSegmented:
	// all its ranges together) to this many bytes a second. Zero or
	// negative means no limit.
	RateLimit int64
	// TotalRateLimit bounds all the transfers of the Pool together to
	// this many bytes a second. Zero or negative means no limit.
	TotalRateLimit int64
}

// normalized returns cfg with its zero values replaced by the defaults
// and its negative ones by "off": the one place where that rule is applied.
func (cfg PoolConfig) normalized() PoolConfig {
	switch {
	case cfg.MaxConns == 0:
		cfg.MaxConns = 4
	case cfg.MaxConns < 0:
		cfg.MaxConns = math.MaxInt
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	if cfg.WaitTimeout == 0 {
		cfg.WaitTimeout = cfg.Dialer.Timeout // negative: no bound either
		if cfg.WaitTimeout == 0 {
			cfg.WaitTimeout = DefaultTimeout
		}
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = 3
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	return cfg
}

// ErrPoolClosed is returned by a Pool after Close.
var ErrPoolClosed = errors.New("ftp: pool closed")

// ErrPoolTimeout is returned by Pool.Get when no connection became free
// within the Dialer's Timeout (for example when one goroutine holds every
// connection and asks for another).
var ErrPoolTimeout = errors.New("ftp: no free connection in the pool")

// Pool keeps logged-in connections to one server for concurrent use. It
// is safe for concurrent use by multiple goroutines. Idle connections are
// checked with NOOP before reuse and closed after IdleTimeout; Close
// closes them all.
type Pool struct {
	_    noCopy
	addr string
	cfg  PoolConfig

	mu      sync.Mutex
	idle    []idleConn
	open    int // connections counted against the limit (idle + in use + dialling)
	limit   int
	waiters []chan struct{}
	closed  bool
	reaping bool
	// loginErr is the refusal of the first login that failed with
	// ErrLoginRefused; every later Get returns it without dialling.
	loginErr error
	// noPipeline: a server of this Pool answered pipelined commands out
	// of sequence; batches run in lock-step from then on.
	noPipeline atomic.Bool
	noDeep     atomic.Bool // the same for deep pipelining (see Conn.noDeep)
	epsvOK     atomic.Bool // EPSV worked on a connection of the Pool
	finishing  atomic.Bool // see Finishing
	// turn is held by the connection logging in while no login of the
	// Pool has succeeded yet: the others connect meanwhile and wait for
	// its outcome, so that a wrong password costs one refused login,
	// not one per connection.
	turn chan struct{}
	// known is what the first successful login taught (see loginFacts):
	// the later logins send USER and PASS together and skip FEAT.
	known atomic.Pointer[loginFacts]
	// settled is closed once a first login ended after the server
	// accepted it (known then holds its FEAT, if it read one).
	settled     chan struct{}
	settledOnce sync.Once
	stop        chan struct{}
	reaped      chan struct{}
	// life ends at Close (kill), which cancels the connections still
	// dialling and waits for them (dials).
	life  context.Context
	kill  context.CancelFunc
	dials sync.WaitGroup
	total *rate.Limiter // TotalRateLimit, or nil
}

type idleConn struct {
	c     *Conn
	since time.Time
}

// noCopy makes go vet report copies of the structs that embed it.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// NewPool returns a Pool for the server at addr. No connection is made
// until one is needed.
func NewPool(addr string, cfg PoolConfig) *Pool {
	cfg = cfg.normalized()
	life, kill := context.WithCancel(context.Background())
	return &Pool{addr: addr, cfg: cfg, limit: cfg.MaxConns, stop: make(chan struct{}), reaped: make(chan struct{}),
		total: newLimiter(cfg.TotalRateLimit), turn: make(chan struct{}, 1), settled: make(chan struct{}),
		life: life, kill: kill}
}

// Limit returns the current connection limit: MaxConns, or less after the
// server refused connections with 421.
func (p *Pool) Limit() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limit
}

// Get returns a logged-in connection for the caller's exclusive use; give
// it back with Put. It waits while the pool is at its limit, until ctx is
// done or WaitTimeout passes (ErrPoolTimeout). Get makes at most one
// connection attempt: its failure is returned, and retrying is the
// caller's decision (the Pool's own transfers retry up to
// PoolConfig.Retries times, the one retry budget of an operation). A 421
// while other connections of the Pool are open lowers the limit and waits
// for one of them instead, and so does a refused login once another login
// of the Pool was accepted (a limit of sessions per user, not the
// password). A refused login before any was accepted (ErrLoginRefused) is
// final: every later Get returns it without connecting.
func (p *Pool) Get(ctx context.Context) (*Conn, error) {
	timeout := p.cfg.WaitTimeout // normalized: > 0, or < 0 for no bound
	var waitLimit <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		waitLimit = t.C
	}
	for {
		c, full, lowered, err := p.getOnce(ctx, isServiceNotAvailable)
		if lowered {
			// Too many connections: the limit is now what the server
			// accepts; wait for one of ours to come back. With none
			// open, the server refuses us altogether: that is returned
			// (the caller's retries decide what next).
			continue
		}
		if !full {
			return c, err
		}
		ch := make(chan struct{}, 1)
		p.waiters = append(p.waiters, ch)
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			p.dropWaiter(ch)
			return nil, ctx.Err()
		case <-waitLimit:
			p.dropWaiter(ch)
			return nil, fmt.Errorf("%w after %v (limit %d)", ErrPoolTimeout, timeout, p.Limit())
		}
	}
}

// getOnce makes one attempt at a connection, without waiting: an idle
// one (checked with NOOP when idle for more than 5 s), or a new one while
// the Pool is below its limit. At the limit it returns full, with p.mu
// still held, so that the caller can queue as a waiter before a Put can
// slip by. A failed connection attempt is returned; a refused login is
// remembered (final); a failure for which lower(err) holds, while other
// connections are open, lowers the limit to their number (lowered).
func (p *Pool) getOnce(ctx context.Context, lower func(error) bool) (c *Conn, full, lowered bool, err error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, false, false, ErrPoolClosed
		}
		if p.loginErr != nil {
			err := p.loginErr
			p.mu.Unlock()
			return nil, false, false, err
		}
		if n := len(p.idle); n > 0 {
			ic := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			if time.Since(ic.since) > 5*time.Second {
				// It may have been dropped by the server meanwhile.
				if _, err := ic.c.Noop(ctx); err != nil {
					p.discard(ic.c)
					continue
				}
			}
			p.share(ic.c)
			return ic.c, false, false, nil
		}
		if p.open >= p.limit {
			return nil, true, false, nil
		}
		p.open++
		// The new connection races the ones in use: whichever is ready
		// first is taken (a connection given back while this one still
		// dials and logs in), and the other is kept for the next Get.
		wake := make(chan struct{}, 1)
		p.waiters = append(p.waiters, wake)
		p.mu.Unlock()
		res := p.dial(ctx)
		for {
			select {
			case r := <-res:
				p.dropWaiter(wake)
				if r.err == nil {
					p.share(r.c)
					return r.c, false, false, nil
				}
				return nil, false, p.dialFailed(ctx, r.err, lower), r.err
			case <-wake:
				p.mu.Lock()
				if p.closed {
					p.mu.Unlock()
					go p.adopt(ctx, res, lower)
					return nil, false, false, ErrPoolClosed
				}
				if n := len(p.idle); n > 0 && time.Since(p.idle[n-1].since) <= 5*time.Second {
					ic := p.idle[n-1]
					p.idle = p.idle[:n-1]
					p.mu.Unlock()
					go p.adopt(ctx, res, lower)
					p.share(ic.c)
					return ic.c, false, false, nil
				}
				// Taken already (or idle long enough to need a NOOP,
				// left to a waiter that can check it): keep waiting for
				// the new one.
				if len(p.idle) > 0 {
					p.wakeLocked()
				}
				wake = make(chan struct{}, 1)
				p.waiters = append(p.waiters, wake)
				p.mu.Unlock()
			case <-ctx.Done():
				p.dropWaiter(wake)
				go p.adopt(ctx, res, lower)
				return nil, false, false, ctx.Err()
			}
		}
	}
}

// dialResult is the outcome of Pool.connect.
type dialResult struct {
	c   *Conn
	err error
}

// dial runs connect in the background (see getOnce). Close cancels it and
// waits for it.
func (p *Pool) dial(ctx context.Context) <-chan dialResult {
	res := make(chan dialResult, 1)
	dctx, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(p.life, cancel)
	p.dials.Go(func() {
		defer cancel()
		defer unhook()
		c, err := p.connect(dctx)
		if err != nil && p.life.Err() != nil {
			err = ErrPoolClosed
		}
		res <- dialResult{c, err}
	})
	return res
}

// adopt gives the Pool the connection of a dial whose caller took
// another (or left): kept idle for the next Get, or its place freed.
func (p *Pool) adopt(ctx context.Context, res <-chan dialResult, lower func(error) bool) {
	r := <-res
	if r.err != nil {
		p.dialFailed(ctx, r.err, lower)
		return
	}
	p.Put(r.c)
}

// dialFailed frees the place of a failed connection attempt, remembers a
// refused login (final) and, for a failure for which lower(err) holds
// while other connections are open, lowers the limit to their number.
func (p *Pool) dialFailed(ctx context.Context, err error, lower func(error) bool) (lowered bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open--
	p.wakeLocked()
	refused := errors.Is(err, ErrLoginRefused)
	if refused && p.known.Load() == nil {
		// Final: the same credentials would be refused again (and
		// repeated attempts may lock the account).
		p.loginErr = err
	}
	// A login refused after another one of the Pool was accepted is a
	// limit (ProFTPD's MaxClientsPerUser answers 530), not the password:
	// as for a 421, the Pool makes do with the connections it has.
	if (lower(err) || refused) && p.open > 0 && ctx.Err() == nil {
		p.limit = max(1, p.open)
		lowered = true
	}
	return lowered
}

// isServiceNotAvailable reports whether err is a 421 reply (too many
// connections, among other reasons).
func isServiceNotAvailable(err error) bool {
	var re *ReplyError
	return errors.As(err, &re) && re.Code == CodeServiceNotAvailable
}

// connect dials and logs in a new connection. Until a login of the Pool
// has succeeded, logins take turns (the connections are dialled at once,
// and the greeting, the TLS handshake, wait for nothing); after one has,
// the others reuse what it taught (see loginFacts).
func (p *Pool) connect(ctx context.Context) (*Conn, error) {
	c, err := p.cfg.Dialer.Dial(ctx, p.addr)
	if err != nil {
		return nil, err
	}
	known, first, err := p.loginTurn(ctx)
	if err != nil {
		c.Close()
		return nil, err
	}
	hooks := loginHooks{known: func() *loginFacts {
		k := p.known.Load()
		if k != nil && k.pipeline && p.noPipeline.Load() {
			k = &loginFacts{features: k.features, utf8: k.utf8}
		}
		return k
	}}
	released := !first
	release := func() {
		if !released {
			released = true
			<-p.turn
		}
	}
	accepted := false
	if first {
		// The others log in as soon as the server accepted this one;
		// its FEAT, read meanwhile, reaches them (see settled).
		hooks.loggedIn = func() {
			accepted = true
			p.known.Store(c.facts()) // with its FEAT when read with the login
			release()
		}
	} else {
		hooks.settled = func(ctx context.Context) *loginFacts {
			select {
			case <-p.settled:
			case <-ctx.Done():
			case <-p.stop:
			}
			return hooks.known()
		}
	}
	if err = c.begin(); err == nil {
		_, err = c.login(ctx, p.cfg.User, p.cfg.Password, p.cfg.Account, hooks)
		c.end()
	}
	switch {
	case first:
		if err == nil {
			p.known.Store(c.facts())
		} else if errors.Is(err, ErrLoginRefused) {
			p.mu.Lock()
			p.loginErr = err // before the next in turn looks
			p.mu.Unlock()
		}
		if accepted {
			p.settledOnce.Do(func() { close(p.settled) })
		}
		release()
	case err != nil && known != nil && known.pipeline && ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded):
		// No answer to USER and PASS sent together (a server that
		// drops what it read ahead): one at a time from now on.
		if k := p.known.Load(); k != nil {
			k2 := *k
			k2.pipeline = false
			p.known.Store(&k2)
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// loginTurn returns what an earlier login taught, or, when no login
// succeeded yet, waits for its turn to log in first (first: the caller
// must then release p.turn). A refused login while it waited is returned.
func (p *Pool) loginTurn(ctx context.Context) (known *loginFacts, first bool, err error) {
	if k := p.known.Load(); k != nil {
		return k, false, nil
	}
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case <-p.stop:
		return nil, false, ErrPoolClosed
	}
	if k := p.known.Load(); k != nil {
		<-p.turn
		return k, false, nil
	}
	p.mu.Lock()
	err = p.loginErr
	p.mu.Unlock()
	if err != nil {
		<-p.turn
		return nil, false, err
	}
	return nil, true, nil
}

func (p *Pool) dropWaiter(ch chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, w := range p.waiters {
		if w == ch {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			return
		}
	}
	// Already woken: pass the wake-up on.
	p.wakeLocked()
}

// wakeLocked wakes one waiter. p.mu must be held.
func (p *Pool) wakeLocked() {
	if len(p.waiters) > 0 {
		ch := p.waiters[0]
		p.waiters = p.waiters[1:]
		ch <- struct{}{}
	}
}

// Put gives a connection back. A connection that was closed, or is still
// busy (an unclosed Reader or Writer), is closed and not reused.
func (p *Pool) Put(c *Conn) {
	if c == nil {
		return
	}
	p.learn(c)
	if c.closed.Load() || c.busy.Load() {
		p.discard(c)
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.discard(c)
		return
	}
	p.idle = append(p.idle, idleConn{c, time.Now()})
	p.wakeLocked()
	if !p.reaping && p.cfg.IdleTimeout > 0 { // negative: idle connections are kept
		p.reaping = true
		go p.reap()
	}
	p.mu.Unlock()
}

// discard closes c and frees its place.
func (p *Pool) discard(c *Conn) {
	c.Close()
	p.mu.Lock()
	p.open--
	p.wakeLocked()
	p.mu.Unlock()
}

// reap closes idle connections older than IdleTimeout until Close.
func (p *Pool) reap() {
	defer close(p.reaped)
	t := time.NewTicker(max(p.cfg.IdleTimeout/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		var old []*Conn
		p.mu.Lock()
		keep := p.idle[:0]
		for _, ic := range p.idle {
			if time.Since(ic.since) > p.cfg.IdleTimeout {
				old = append(old, ic.c)
			} else {
				keep = append(keep, ic)
			}
		}
		p.idle = keep
		p.open -= len(old)
		for range old {
			p.wakeLocked()
		}
		p.mu.Unlock()
		for _, c := range old {
			quitQuietly(c)
		}
	}
}

func quitQuietly(c *Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.Quit(ctx)
}

// Close closes the idle connections, stops the reaper and makes later
// calls fail with ErrPoolClosed. Connections in use are closed when they
// are Put back.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.open -= len(idle)
	reaping := p.reaping
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
	p.mu.Unlock()
	close(p.stop)
	p.kill()
	p.dials.Wait()
	if reaping {
		<-p.reaped
	}
	var wg sync.WaitGroup
	for _, ic := range idle {
		wg.Go(func() { quitQuietly(ic.c) })
	}
	wg.Wait()
	return nil
}

// Do runs fn with a connection from the pool and gives it back. fn must
// not keep the Conn after returning. It is not retried.
func (p *Pool) Do(ctx context.Context, fn func(*Conn) error) error {
	c, err := p.Get(ctx)
	if err != nil {
		return err
	}
	defer p.Put(c)
	return fn(c)
}

// Retry runs op on a connection of the pool until it succeeds, fails for
// a reason that is not transient (see IsTransient), or PoolConfig.Retries
// retries are used up, waiting between attempts (200 ms, doubling, at
// most 10 s, with jitter). op gets a connection each time (reused or
// new) and must not keep it; it must be safe to run again: a transfer
// resumes from its own count of the bytes done, as RetrBinary does. This
// is the one retry engine of the module: mirror and goftp use it. The
// error of an operation retried in vain is the last failure, with the
// first beside it.
func (p *Pool) Retry(ctx context.Context, op func(c *Conn) error) error {
	backoff := 200 * time.Millisecond
	retries := p.cfg.Retries
	var first error
	for attempt := 0; ; attempt++ {
		c, err := p.Get(ctx)
		if err == nil {
			err = op(c)
			p.Put(c)
		}
		if err == nil || !IsTransient(err) || attempt >= retries {
			return retryError(first, err, attempt)
		}
		if first == nil {
			first = err
		}
		if serr := sleepCtx(ctx, jitter(backoff)); serr != nil {
			return retryError(first, serr, attempt)
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// retryError is the error of an operation retried attempts times: the
// last failure, with the first one that started the retries, so that the
// cause (a transfer cut short) is not hidden by what the retries met (a
// server that no longer answers). errors.Is matches either.
func retryError(first, last error, attempts int) error {
	if last == nil || first == nil || first == last {
		return last
	}
	return errorf("%w (after %d retries; the first failure: %w)", last, attempts, first)
}

// RetrBinary downloads path into w from offset like Conn.RetrBinary, on a
// connection from the pool. A transient failure is retried, restarting at
// the byte where it stopped (REST), so w receives every byte exactly once.
func (p *Pool) RetrBinary(ctx context.Context, path string, w io.Writer, offset int64) (int64, error) {
	var total int64
	w = p.limitWriter(ctx, w)
	err := p.Retry(ctx, func(c *Conn) error {
		n, err := c.RetrBinary(ctx, path, w, offset+total)
		total += n
		return err
	})
	return total, err
}

// StorBinary uploads r to path like Conn.StorBinary, on a connection from
// the pool: r's bytes from offset on are written to path from offset on
// (REST offset when offset > 0; r is moved there with Seek). After a
// transient failure the size the server holds is read with SIZE, r is
// moved there and the upload resumes with REST (verified as
// Conn.StorBinary verifies every resume). It returns the bytes sent in
// this call, offset not included.
func (p *Pool) StorBinary(ctx context.Context, path string, r io.ReadSeeker, offset int64) (int64, error) {
	at := offset
	first := true
	r = p.limitReadSeeker(ctx, r)
	err := p.Retry(ctx, func(c *Conn) error {
		if !first {
			sz, err := c.Size(ctx, path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				sz = 0
			case err != nil:
				return err
			}
			at = max(min(sz, at), offset)
		}
		first = false
		if _, err := r.Seek(at, io.SeekStart); err != nil {
			return err
		}
		n, err := c.StorBinary(ctx, path, r, at)
		at += n
		return err
	})
	return at - offset, err
}

func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
