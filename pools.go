package ftp

import (
	"crypto/tls"
	"fmt"
	"sync"
	"time"
)

// Dialer returns the Dialer for u: a copy of base with the TLS mode the
// scheme asks for (see URL). For ftps and ftpes, base.TLS is cloned (a new
// tls.Config when nil) and its ServerName set to u's host name when empty;
// for ftp, base.TLS is kept as it is, so a caller may still ask for TLS.
// It is the one mapping from URLs to Dialers, used by ftphttp and goftp.
func (u *URL) Dialer(base Dialer) (Dialer, error) {
	d := base
	switch u.Scheme {
	case "ftp":
		return d, nil
	case "ftps", "ftpes":
		if d.TLS != nil {
			d.TLS = d.TLS.Clone()
		} else {
			d.TLS = &tls.Config{}
		}
		if d.TLS.ServerName == "" {
			d.TLS.ServerName = u.Hostname()
		}
		d.ImplicitTLS = u.Scheme == "ftps"
		return d, nil
	}
	return d, fmt.Errorf("ftp: URL scheme %q is not ftp, ftps or ftpes", u.Scheme)
}

// PoolConfig returns the PoolConfig for u: base with its Dialer from
// u.Dialer, and u's user and password when the URL has them (an empty
// user means an anonymous login).
func (u *URL) PoolConfig(base PoolConfig) (PoolConfig, error) {
	cfg := base
	d, err := u.Dialer(base.Dialer)
	if err != nil {
		return cfg, err
	}
	cfg.Dialer = d
	if u.User != "" {
		cfg.User = u.User
		cfg.Password = ""
	}
	if u.HasPassword {
		cfg.Password = u.Password
	}
	return cfg, nil
}

// DefaultPoolIdleTimeout is how long Pools keeps an unused Pool when
// Pools.IdleTimeout is zero.
const DefaultPoolIdleTimeout = 90 * time.Second

// Pools is a cache of Pools, one per scheme, host, user and password, as
// http.Transport keeps connections per host: ftphttp.Transport and goftp
// use it. A Pool not used for IdleTimeout is closed and forgotten, so the
// cache cannot grow without bound. The zero value is ready to use; a
// Pools must not be copied after first use. It is safe for concurrent use.
type Pools struct {
	_ noCopy

	// Config returns the configuration of the Pool for u; nil means
	// u.PoolConfig(PoolConfig{}). The cache key includes the password, so
	// two logins never share a Pool.
	Config func(u *URL) (PoolConfig, error)
	// IdleTimeout closes a Pool unused for this long. Zero means
	// DefaultPoolIdleTimeout; negative means never (the cache then grows
	// with every new host until Close).
	IdleTimeout time.Duration

	mu     sync.Mutex
	m      map[poolKey]*pooled
	closed bool
}

type poolKey struct{ scheme, host, user, password string }

type pooled struct {
	p    *Pool
	used time.Time
	refs int
}

// Pool returns the Pool for u's server and login, creating it when
// needed. The returned Pool must not be closed by the caller; call Done
// when finished with it (or use Do), so that Pools knows it is idle.
func (s *Pools) Pool(u *URL) (*Pool, error) {
	key := poolKey{u.Scheme, u.Host, u.User, u.Password}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrPoolClosed
	}
	old := s.evictLocked(time.Now())
	defer closeAll(old)
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok {
		e.refs++
		e.used = time.Now()
		return e.p, nil
	}
	cfg, err := s.config(u)
	if err != nil {
		return nil, err
	}
	if s.m == nil {
		s.m = map[poolKey]*pooled{}
	}
	p := NewPool(u.Host, cfg)
	s.m[key] = &pooled{p: p, used: time.Now(), refs: 1}
	return p, nil
}

func closeAll(ps []*Pool) {
	for _, p := range ps {
		p.Close()
	}
}

// Done tells Pools that a caller of Pool has finished with p.
func (s *Pools) Done(p *Pool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.m {
		if e.p == p {
			e.refs = max(e.refs-1, 0)
			e.used = time.Now()
			return
		}
	}
}

// Do runs fn with the Pool for u.
func (s *Pools) Do(u *URL, fn func(*Pool) error) error {
	p, err := s.Pool(u)
	if err != nil {
		return err
	}
	defer s.Done(p)
	return fn(p)
}

// Len returns the number of Pools held.
func (s *Pools) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// CloseIdle closes the Pools that no caller holds (as
// http.Transport.CloseIdleConnections).
func (s *Pools) CloseIdle() {
	s.mu.Lock()
	var idle []*Pool
	for k, e := range s.m {
		if e.refs == 0 {
			idle = append(idle, e.p)
			delete(s.m, k)
		}
	}
	s.mu.Unlock()
	closeAll(idle)
}

// Close closes every Pool; later calls of Pool fail with ErrPoolClosed.
func (s *Pools) Close() error {
	s.mu.Lock()
	s.closed = true
	m := s.m
	s.m = nil
	s.mu.Unlock()
	for _, e := range m {
		e.p.Close()
	}
	return nil
}

func (s *Pools) config(u *URL) (PoolConfig, error) {
	if s.Config != nil {
		return s.Config(u)
	}
	return u.PoolConfig(PoolConfig{})
}

// evictLocked removes the Pools idle for longer than IdleTimeout and
// returns them, to be closed once s.mu is released (Close waits for the
// servers' QUIT replies).
func (s *Pools) evictLocked(now time.Time) []*Pool {
	idle := s.IdleTimeout
	switch {
	case idle < 0:
		return nil
	case idle == 0:
		idle = DefaultPoolIdleTimeout
	}
	var old []*Pool
	for k, e := range s.m {
		if e.refs == 0 && now.Sub(e.used) > idle {
			delete(s.m, k)
			old = append(old, e.p)
		}
	}
	return old
}
