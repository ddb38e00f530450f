//go:build linux

package interop_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// countingDialer counts control connections (to the server's port) open at
// once and the most ever open.
type countingDialer struct {
	ctrl      string
	open, max atomic.Int32
	dials     atomic.Int32
}

type countedConn struct {
	net.Conn
	d    *countingDialer
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.d.open.Add(-1) })
	return c.Conn.Close()
}

func (d *countingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil || addr != d.ctrl {
		return c, err
	}
	d.dials.Add(1)
	n := d.open.Add(1)
	for {
		m := d.max.Load()
		if n <= m || d.max.CompareAndSwap(m, n) {
			break
		}
	}
	return &countedConn{Conn: c, d: d}, nil
}

func poolFor(t *testing.T, srv *ftpservers.Server, maxConns int, cd *countingDialer) *ftp.Pool {
	d := dialer(srv, dataModes[0])
	if cd != nil {
		d.DialContext = cd.dial
	}
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *d, User: srv.User, Password: srv.Password, MaxConns: maxConns})
	t.Cleanup(func() { p.Close() })
	return p
}

// TestPoolConcurrent runs 12 goroutines through a pool of 3 against real
// servers: every byte arrives intact and never more than 3 connections
// are open.
func TestPoolConcurrent(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.Pyftpdlib} {
		for _, tm := range []ftpservers.TLSMode{ftpservers.TLSNone, ftpservers.TLSExplicit} {
			t.Run(string(kind)+"/"+tm.String(), func(t *testing.T) {
				t.Parallel()
				srv, reason := server(t, ftpservers.Config{Kind: kind, TLS: tm})
				if srv == nil {
					t.Skip(reason)
				}
				cd := &countingDialer{ctrl: srv.Addr}
				p := poolFor(t, srv, 3, cd)
				ctx := t.Context()
				dir := fmt.Sprintf("pool-%d", time.Now().UnixNano())
				if err := p.Do(ctx, func(c *ftp.Conn) error { _, err := c.Mkd(ctx, dir); return err }); err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				errs := make(chan error, 12)
				for i := range 12 {
					wg.Go(func() {
						want := data(100000 + i*1000)
						name := fmt.Sprintf("%s/f%d", dir, i)
						if _, err := p.StorBinary(ctx, name, bytes.NewReader(want), 0); err != nil {
							errs <- fmt.Errorf("StorBinary %s: %w", name, err)
							return
						}
						var got bytes.Buffer
						if _, err := p.RetrBinary(ctx, name, &got, 0); err != nil {
							errs <- fmt.Errorf("RetrBinary %s: %w", name, err)
							return
						}
						if sha256.Sum256(got.Bytes()) != sha256.Sum256(want) {
							errs <- fmt.Errorf("%s: content differs", name)
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
				if m := cd.max.Load(); m > 3 || m < 1 {
					t.Errorf("at most %d control connections were open, want 1 to 3", m)
				}
			})
		}
	}
}

// TestPool421 makes vsftpd refuse more than 2 sessions: the pool lowers
// its limit to 2 and every operation still succeeds.
func TestPool421(t *testing.T) {
	t.Parallel()
	srv, reason := server(t, ftpservers.Config{Kind: ftpservers.Vsftpd, MaxClients: 2})
	if srv == nil {
		t.Skip(reason)
	}
	p := poolFor(t, srv, 6, nil)
	ctx := t.Context()
	if _, err := p.StorBinary(ctx, "p421.bin", bytes.NewReader(data(300000)), 0); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 10 {
		wg.Go(func() {
			var got bytes.Buffer
			if _, err := p.RetrBinary(ctx, "p421.bin", &got, 0); err != nil || !bytes.Equal(got.Bytes(), data(300000)) {
				t.Errorf("RetrBinary = %v (%d bytes)", err, got.Len())
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	// The operations may all end on the connections that got in while
	// other connection attempts still wait for their 421 (Get races a
	// new connection against those in use): the limit is lowered as
	// those answers come.
	deadline := time.Now().Add(10 * time.Second)
	for p.Limit() > 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if l := p.Limit(); l > 2 {
		t.Errorf("Limit() = %d after 421s, want at most 2", l)
	}
}

// TestPoolExhausted: one goroutine holding the only connection and asking
// for another gets ErrPoolTimeout instead of waiting forever.
func TestPoolExhausted(t *testing.T) {
	t.Parallel()
	srv, reason := server(t, ftpservers.Config{Kind: ftpservers.Pyftpdlib})
	if srv == nil {
		t.Skip(reason)
	}
	d := dialer(srv, dataModes[0])
	d.Timeout = 300 * time.Millisecond
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *d, User: srv.User, Password: srv.Password, MaxConns: 1})
	defer p.Close()
	c, err := p.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Get(t.Context()); !errors.Is(err, ftp.ErrPoolTimeout) {
		t.Errorf("second Get = %v, want ErrPoolTimeout", err)
	}
	p.Put(c)
	c2, err := p.Get(t.Context())
	if err != nil || c2 != c {
		t.Errorf("Get after Put = %p, %v; want the same connection %p", c2, err, c)
	}
	p.Put(c2)
}
