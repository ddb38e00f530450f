//go:build linux

package interop_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/ftpservers"
	"github.com/goftplib/ftp/internal/proxies"
	"github.com/goftplib/ftp/internal/refusing"
	"github.com/goftplib/ftp/listing"
	"golang.org/x/net/proxy"
)

// startProxy starts a real proxy for this test (skipped when it is not
// installed, unless FTP_INTEROP=required).
func startProxy(t *testing.T, cfg proxies.Config) *proxies.Proxy {
	t.Helper()
	if err := proxies.Available(cfg.Kind); err != nil {
		if proxies.Required() {
			t.Fatalf("FTP_INTEROP=required: %v", err)
		}
		t.Skip(err)
	}
	p, err := proxies.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// dataDials records the addresses of the passive data connections the
// client dialled (LogDataDial).
type dataDials struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dataDials) Enabled(context.Context, slog.Level) bool { return true }
func (d *dataDials) WithAttrs([]slog.Attr) slog.Handler       { return d }
func (d *dataDials) WithGroup(string) slog.Handler            { return d }
func (d *dataDials) Handle(_ context.Context, r slog.Record) error {
	if r.Message != ftp.LogDataDial {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == ftp.KeyAddr {
			d.mu.Lock()
			d.addrs = append(d.addrs, a.Value.String())
			d.mu.Unlock()
		}
		return true
	})
	return nil
}

func (d *dataDials) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.addrs)
}

type proxyCase struct {
	name    string
	cfg     proxies.Config
	scheme  string // URL scheme given to the client (socks5h for the SOCKS proxy resolving)
	byName  bool   // dial the server as localhost:port (the proxy or this side resolves it)
	ipv6    bool   // the server listens on [::1]
	servers []ftpservers.Kind
}

var proxyCases = []proxyCase{
	{name: "socks5", cfg: proxies.Config{Kind: proxies.SOCKS5}, scheme: "socks5", servers: ftpservers.Kinds},
	{name: "socks5-auth", cfg: proxies.Config{Kind: proxies.SOCKS5, User: "puser", Password: "p@ss:w/rd"}, scheme: "socks5", servers: ftpservers.Kinds},
	{name: "socks5h-by-name", cfg: proxies.Config{Kind: proxies.SOCKS5, User: "puser", Password: "pw"}, scheme: "socks5h", byName: true, servers: []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.ProFTPD}},
	{name: "socks5-local-resolve", cfg: proxies.Config{Kind: proxies.SOCKS5}, scheme: "socks5", byName: true, servers: []ftpservers.Kind{ftpservers.Vsftpd}},
	{name: "http", cfg: proxies.Config{Kind: proxies.HTTP}, scheme: "http", servers: ftpservers.Kinds},
	{name: "socks5-ipv6", cfg: proxies.Config{Kind: proxies.SOCKS5}, scheme: "socks5", ipv6: true, servers: []ftpservers.Kind{ftpservers.Vsftpd}},
	{name: "http-ipv6", cfg: proxies.Config{Kind: proxies.HTTP}, scheme: "http", ipv6: true, servers: []ftpservers.Kind{ftpservers.ProFTPD}},
	{name: "http-auth", cfg: proxies.Config{Kind: proxies.HTTP, User: "puser", Password: "pw-1234"}, scheme: "http", byName: true, servers: []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.PureFTPd}},
}

// TestProxyTransfers uploads, downloads and lists through real SOCKS5
// (microsocks) and HTTP CONNECT (tinyproxy) proxies, plain and with
// explicit and implicit TLS, and checks from the proxy's log that the
// control connection and every data connection went through it, to the
// server's address.
func TestProxyTransfers(t *testing.T) {
	for _, pc := range proxyCases {
		for _, kind := range pc.servers {
			for _, mode := range tlsModes {
				t.Run(pc.name+"/"+string(kind)+"/"+mode.String(), func(t *testing.T) {
					srv, reason := server(t, ftpservers.Config{Kind: kind, TLS: mode, IPv6: pc.ipv6})
					if srv == nil {
						t.Skip(reason)
					}
					p := startProxy(t, pc.cfg)
					u := *p.URL
					u.Scheme = pc.scheme
					rec := &dataDials{}
					d := dialer(srv, dataModes[0])
					d.Proxy = &u
					d.Logger = slog.New(rec)
					addr := srv.Addr
					if pc.byName {
						addr = net.JoinHostPort("localhost", strconv.Itoa(srv.Port))
					}
					c, err := d.Dial(t.Context(), addr)
					if err != nil {
						t.Fatalf("Dial %s through %s: %v", addr, p, err)
					}
					defer c.Close()
					if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
						t.Fatalf("Login: %v", err)
					}
					want := data(300000)
					name := "proxy-" + pc.name + ".bin"
					if _, err := c.StorBinary(t.Context(), name, bytes.NewReader(want), 0); err != nil {
						t.Fatalf("StorBinary: %v", err)
					}
					var got bytes.Buffer
					if _, err := c.RetrBinary(t.Context(), name, &got, 0); err != nil || !bytes.Equal(got.Bytes(), want) {
						t.Fatalf("RetrBinary = %d bytes, %v", got.Len(), err)
					}
					ents, err := c.ReadDir(t.Context(), "/")
					if err != nil {
						t.Fatalf("ReadDir: %v", err)
					}
					if !slices.ContainsFunc(ents, func(e listing.Entry) bool { return e.Name == name && e.Size == int64(len(want)) }) {
						t.Errorf("ReadDir: %s (%d bytes) not listed: %v", name, len(want), ents)
					}
					if _, err := c.Delete(t.Context(), name); err != nil {
						t.Errorf("Delete: %v", err)
					}
					if err := c.Quit(t.Context()); err != nil {
						t.Errorf("Quit: %v", err)
					}

					// What went through the proxy: the control connection
					// first, then one connection per data connection the
					// client dialled, to the server's host.
					dials := rec.list()
					if len(dials) < 3 {
						t.Fatalf("client dialled %d data connections, want >= 3 (STOR, RETR, listing): %v", len(dials), dials)
					}
					ctrl := addr
					if pc.scheme == "socks5" && pc.byName {
						ctrl = srv.Addr // resolved here: the proxy is given the address
					}
					wantTargets := append([]string{ctrl}, dials...)
					got2 := p.WaitTargets(len(wantTargets), 5*time.Second)
					if !slices.Equal(got2, wantTargets) {
						t.Fatalf("proxy connected to %v, want %v\nproxy log:\n%s", got2, wantTargets, p.Log())
					}
					host, _, _ := net.SplitHostPort(ctrl)
					for _, a := range dials {
						if h, _, _ := net.SplitHostPort(a); h != host {
							t.Errorf("data connection to %s, want host %s", a, host)
						}
					}
				})
			}
		}
	}
}

// proxyErrorCase dials through a proxy that cannot be used and expects a
// typed error within a few timeouts.
func expectProxyError(t *testing.T, d *ftp.Dialer, addr string, want error, secret string) {
	t.Helper()
	start := time.Now()
	c, err := d.Dial(t.Context(), addr)
	took := time.Since(start)
	if err == nil {
		c.Close()
		t.Fatalf("Dial through %s succeeded, want %v", d.Proxy.Redacted(), want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("Dial error %q (%T), want errors.Is %v", err, err, want)
	}
	var pe *ftp.ProxyError
	if !errors.Is(want, ftp.ErrActiveThroughProxy) && !errors.As(err, &pe) {
		t.Errorf("error %T is not a *ftp.ProxyError", err)
	}
	if secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("error %q shows the proxy password", err)
	}
	if limit := 4 * d.Timeout; took > limit {
		t.Errorf("took %v, want < %v", took, limit)
	}
	t.Logf("%v (%v)", err, took.Round(time.Millisecond))
}

// TestProxyErrors: wrong or missing proxy credentials, an unreachable
// proxy, a proxy that cannot connect to the server, a proxy that says
// nothing, and active mode through a proxy each give a clear, typed
// error within the timeout.
func TestProxyErrors(t *testing.T) {
	srv, reason := server(t, ftpservers.Config{Kind: ftpservers.Vsftpd})
	if srv == nil {
		t.Skip(reason)
	}
	closed := refusing.Addr(t)
	const timeout = 3 * time.Second
	for _, kind := range []proxies.Kind{proxies.SOCKS5, proxies.HTTP} {
		t.Run(string(kind), func(t *testing.T) {
			authed := startProxy(t, proxies.Config{Kind: kind, User: "puser", Password: "right-pw"})
			open := startProxy(t, proxies.Config{Kind: kind})
			with := func(p *proxies.Proxy, user *url.Userinfo) *ftp.Dialer {
				u := *p.URL
				u.User = user
				return &ftp.Dialer{Timeout: timeout, Proxy: &u}
			}
			t.Run("wrong-password", func(t *testing.T) {
				expectProxyError(t, with(authed, url.UserPassword("puser", "wrong-pw-XYZ")), srv.Addr, ftp.ErrProxyAuth, "wrong-pw-XYZ")
			})
			t.Run("no-credentials", func(t *testing.T) {
				expectProxyError(t, with(authed, nil), srv.Addr, ftp.ErrProxyAuth, "")
			})
			t.Run("unreachable", func(t *testing.T) {
				d := with(open, url.UserPassword("u", "secret-PW-1"))
				d.Proxy.Host = closed
				expectProxyError(t, d, srv.Addr, ftp.ErrProxyUnreachable, "secret-PW-1")
			})
			t.Run("refused-target", func(t *testing.T) {
				expectProxyError(t, with(authed, url.UserPassword("puser", "right-pw")), closed, ftp.ErrProxyRefused, "right-pw")
			})
			t.Run("active", func(t *testing.T) {
				d := with(open, nil)
				d.Active = true
				expectProxyError(t, d, srv.Addr, ftp.ErrActiveThroughProxy, "")
			})
			t.Run("active-after-dial", func(t *testing.T) {
				c, err := with(open, nil).Dial(t.Context(), srv.Addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
					t.Fatal(err)
				}
				c.SetPasv(false)
				if _, err := c.Nlst(t.Context(), "/"); !errors.Is(err, ftp.ErrActiveThroughProxy) {
					t.Fatalf("Nlst in active mode through a proxy: %v, want ErrActiveThroughProxy", err)
				}
			})
		})
	}
	t.Run("data-port-refused", func(t *testing.T) {
		// tinyproxy allowing CONNECT to the control port only (its
		// packaged configuration allows 443 and 563): the data
		// connection is refused with a typed error, at once.
		p := startProxy(t, proxies.Config{Kind: proxies.HTTP, ConnectPorts: []int{srv.Port}})
		c, err := (&ftp.Dialer{Timeout: timeout, Proxy: p.URL}).Dial(t.Context(), srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = c.Nlst(t.Context(), "/")
		var pe *ftp.ProxyError
		if !errors.Is(err, ftp.ErrProxyRefused) || !errors.As(err, &pe) || !strings.Contains(err.Error(), "HTTP 403") {
			t.Fatalf("Nlst with the data port refused by the proxy: %v, want ErrProxyRefused (HTTP 403)", err)
		}
		if took := time.Since(start); took > 4*timeout {
			t.Errorf("took %v", took)
		}
		t.Logf("%v", err)
		// The Conn is still usable.
		if _, err := c.Noop(t.Context()); err != nil {
			t.Errorf("Noop after the refused data connection: %v", err)
		}
	})
	t.Run("silent-proxy", func(t *testing.T) {
		// A proxy that accepts the connection and never answers.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		var held []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
			}
		}()
		defer func() {
			mu.Lock()
			for _, c := range held {
				c.Close()
			}
			mu.Unlock()
		}()
		for _, scheme := range []string{"socks5", "http"} {
			d := &ftp.Dialer{Timeout: time.Second, Proxy: &url.URL{Scheme: scheme, Host: ln.Addr().String()}}
			expectProxyError(t, d, srv.Addr, ftp.ErrProxyRefused, "")
			_, err := d.Dial(t.Context(), srv.Addr)
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("%s: %v does not match os.ErrDeadlineExceeded", scheme, err)
			}
		}
	})
}

// TestDialContextTunnel: a Dialer.DialContext that tunnels through a
// proxy (as rclone does) gets the passive data connections too, to the
// server's address, not to the tunnel's (rclone #8892: the data
// connections went to the control connection's peer, the proxy).
func TestDialContextTunnel(t *testing.T) {
	srv, reason := server(t, ftpservers.Config{Kind: ftpservers.Vsftpd})
	if srv == nil {
		t.Skip(reason)
	}
	p := startProxy(t, proxies.Config{Kind: proxies.SOCKS5})
	sd, err := proxy.SOCKS5("tcp", p.Addr, nil, proxy.Direct)
	if err != nil {
		t.Fatal(err)
	}
	rec := &dataDials{}
	d := &ftp.Dialer{Timeout: 30 * time.Second, DialContext: sd.(proxy.ContextDialer).DialContext, Logger: slog.New(rec)}
	c, err := d.Dial(t.Context(), srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
		t.Fatal(err)
	}
	want := data(100000)
	if _, err := c.StorBinary(t.Context(), "tunnel.bin", bytes.NewReader(want), 0); err != nil {
		t.Fatalf("StorBinary: %v", err)
	}
	var got bytes.Buffer
	if _, err := c.RetrBinary(t.Context(), "tunnel.bin", &got, 0); err != nil || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("RetrBinary = %d bytes, %v", got.Len(), err)
	}
	c.Delete(t.Context(), "tunnel.bin")
	wantTargets := append([]string{srv.Addr}, rec.list()...)
	if got := p.WaitTargets(len(wantTargets), 5*time.Second); !slices.Equal(got, wantTargets) || len(wantTargets) < 3 {
		t.Fatalf("proxy connected to %v, want %v", got, wantTargets)
	}
}
