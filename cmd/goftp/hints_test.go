package main

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
)

// TestErrorHints checks that the usual TLS mistakes end with advice that
// names the flag or URL form to use, and the right exit status.
func TestErrorHints(t *testing.T) {
	t.Setenv("FTP_PASSWORD", "pass")
	t.Setenv("NETRC", filepath.Join(t.TempDir(), "none"))
	explicit, ca := startServe(t, "--tls", "explicit")
	implicit, _ := startServe(t, "--tls", "implicit")
	hostPort := func(u string) string { return strings.TrimSuffix(u[strings.Index(u, "@")+1:], "/") }

	t.Run("untrusted certificate", func(t *testing.T) {
		r := runGoftp(t, "", "ls", explicit)
		r.want(t, 5, nil, []string{"certificate is not trusted", "hint: ", "--ca FILE", "--insecure"})
		if strings.Contains(r.stderr, "TLS required but not available") {
			t.Errorf("a certificate failure is reported as missing TLS: %q", r.stderr)
		}
		runGoftp(t, "", "ls", "--ca", ca, explicit).want(t, 0, []string{"README.txt\n"}, nil)
	})
	t.Run("ftps on an explicit port", func(t *testing.T) {
		r := runGoftp(t, "", "ls", "--ca", ca, "ftps://user@"+hostPort(explicit)+"/")
		r.want(t, 5, nil, []string{"hint: ", "ftpes://"})
	})
	t.Run("ftp on an implicit port", func(t *testing.T) {
		start := time.Now()
		r := runGoftp(t, "", "--timeout", "1", "ls", "ftp://user@"+hostPort(implicit)+"/")
		r.want(t, 8, nil, []string{"no greeting from the server", "hint: ", "ftps://"})
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v with --timeout 1", d)
		}
	})
}

// TestGreetingWatch checks the early warning for a server that accepts
// the connection and says nothing, and its silence for one that greets.
func TestGreetingWatch(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent until the listener closes
		}
	}()
	var warned atomic.Int32
	logger, stop := watchGreeting(nil, 50*time.Millisecond, func() { warned.Add(1) })
	d := ftp.Dialer{Timeout: 400 * time.Millisecond, Logger: logger}
	_, err = d.Dial(t.Context(), ln.Addr().String())
	stop()
	if !errors.Is(err, ftp.ErrNoGreeting) || !strings.Contains(err.Error(), "no greeting") {
		t.Errorf("Dial = %v, want no greeting", err)
	}
	if warned.Load() != 1 {
		t.Errorf("warned %d times, want once", warned.Load())
	}

	srv := ftptest.New(t, ftptest.Options{})
	warned.Store(0)
	logger, stop = watchGreeting(nil, 50*time.Millisecond, func() { warned.Add(1) })
	c, err := (&ftp.Dialer{Logger: logger}).Dial(t.Context(), srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	stop()
	c.Close()
	if warned.Load() != 0 {
		t.Errorf("warned although the server greeted")
	}
}
