//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp/internal/ftpservers"
	"github.com/goftplib/ftp/internal/proxies"
)

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

// TestCLIProxy: --proxy and the proxy environment variables against real
// proxies (microsocks, tinyproxy) and vsftpd. Not parallel: it sets the
// environment.
func TestCLIProxy(t *testing.T) {
	for _, v := range []string{"ftp_proxy", "FTP_PROXY", "ftps_proxy", "FTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"} {
		t.Setenv(v, "")
	}
	srv, e := kindServer(t, ftpservers.Vsftpd)
	if err := srv.WriteFile("pub/a.txt", []byte("through the proxy\n")); err != nil {
		t.Fatal(err)
	}
	socks := startProxy(t, proxies.Config{Kind: proxies.SOCKS5, User: "pu", Password: "sock-Secret-1"})
	httpp := startProxy(t, proxies.Config{Kind: proxies.HTTP, User: "pu", Password: "http-Secret-2"})
	ctrl := srv.Addr

	// check asserts that the proxy made the control connection and at
	// least one data connection since the last check, to the server.
	seen := map[*proxies.Proxy]int{}
	check := func(t *testing.T, p *proxies.Proxy, wantData int) {
		t.Helper()
		ts := p.WaitTargets(seen[p]+1+wantData, 5*time.Second)
		got := ts[seen[p]:]
		seen[p] = len(ts)
		if len(got) < 1+wantData || got[0] != ctrl {
			t.Fatalf("%s connected to %v, want %s then %d data connections\n%s", p, got, ctrl, wantData, p.Log())
		}
		for _, a := range got[1:] {
			if !strings.HasPrefix(a, srv.Host+":") || a == ctrl {
				t.Errorf("%s: data connection to %s, want %s:<passive port>", p, a, srv.Host)
			}
		}
	}
	noSecret := func(t *testing.T, r result, secret string) {
		t.Helper()
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("the proxy password is printed:\n%s%s", r.stdout, r.stderr)
		}
	}

	t.Run("--proxy socks5", func(t *testing.T) {
		r := e.run(t, "-vv", "--proxy", socks.URL.String(), "ls", e.url("pub/"))
		r.want(t, 0, []string{"a.txt\n"}, nil)
		noSecret(t, r, "sock-Secret-1")
		check(t, socks, 1)
	})
	t.Run("--proxy http get", func(t *testing.T) {
		dir := t.TempDir()
		r := e.run(t, "-v", "--proxy", httpp.URL.String(), "get", "-o", filepath.Join(dir, "a.txt"), e.url("pub/a.txt"))
		r.want(t, 0, nil, nil)
		noSecret(t, r, "http-Secret-2")
		if b, err := os.ReadFile(filepath.Join(dir, "a.txt")); err != nil || string(b) != "through the proxy\n" {
			t.Fatalf("downloaded %q, %v", b, err)
		}
		check(t, httpp, 1)
	})
	t.Run("ALL_PROXY put", func(t *testing.T) {
		t.Setenv("ALL_PROXY", socks.URL.String())
		local := filepath.Join(t.TempDir(), "up.txt")
		os.WriteFile(local, []byte("uploaded through the proxy\n"), 0o644)
		e.run(t, "put", local, e.url("pub/up.txt")).want(t, 0, nil, nil)
		if got := serverFile(t, srv, "pub/up.txt"); string(got) != "uploaded through the proxy\n" {
			t.Fatalf("server has %q", got)
		}
		check(t, socks, 1)
	})
	t.Run("ftp_proxy over all_proxy", func(t *testing.T) {
		t.Setenv("all_proxy", socks.URL.String())
		t.Setenv("ftp_proxy", httpp.URL.String())
		e.run(t, "cat", e.url("pub/a.txt")).want(t, 0, []string{"through the proxy\n"}, nil)
		check(t, httpp, 1)
	})
	t.Run("NO_PROXY bypass", func(t *testing.T) {
		t.Setenv("ALL_PROXY", socks.URL.String())
		for _, np := range []string{srv.Host, "*", "127.0.0.0/8", "example.org," + srv.Host} {
			t.Setenv("NO_PROXY", np)
			e.run(t, "ls", e.url("pub/")).want(t, 0, []string{"a.txt\n"}, nil)
		}
		t.Setenv("NO_PROXY", "")
		e.run(t, "--noproxy", srv.Host, "ls", e.url("pub/")).want(t, 0, []string{"a.txt\n"}, nil)
		e.run(t, "--proxy", "", "ls", e.url("pub/")).want(t, 0, []string{"a.txt\n"}, nil)
		time.Sleep(200 * time.Millisecond)
		if ts := socks.Targets(); len(ts) != seen[socks] {
			t.Fatalf("the proxy was used despite NO_PROXY: %v", ts[seen[socks]:])
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		for _, p := range []*proxies.Proxy{socks, httpp} {
			bad := strings.Replace(p.URL.String(), p.Password, "Wrong-Pw-9", 1)
			start := time.Now()
			r := e.run(t, "-vv", "--timeout", "5s", "--proxy", bad, "ls", e.url("pub/"))
			r.want(t, exitConnect, nil, []string{"refused the credentials"})
			noSecret(t, r, "Wrong-Pw-9")
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		r := e.run(t, "--timeout", "5s", "--proxy", "socks5h://u:Unreach-Pw@127.0.0.1:1", "ls", e.url("pub/"))
		r.want(t, exitConnect, nil, []string{"cannot reach proxy socks5h://127.0.0.1:1"})
		noSecret(t, r, "Unreach-Pw")
	})
	t.Run("active", func(t *testing.T) {
		e.run(t, "--active", "--proxy", socks.URL.String(), "ls", e.url("pub/")).want(t, exitUsage, nil, []string{"--active does not work through a proxy"})
	})
	t.Run("bad proxy URL", func(t *testing.T) {
		r := e.run(t, "--proxy", "https://u:Bad-Pw@p:1", "ls", e.url("pub/"))
		r.want(t, exitUsage, nil, []string{"not supported"})
		noSecret(t, r, "Bad-Pw")
	})
}
