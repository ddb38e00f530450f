//go:build linux

// Package interop_test runs the client against real FTP servers (vsftpd,
// ProFTPD, Pure-FTPd, pyftpdlib) started on loopback by
// internal/ftpservers, in every mode they offer.
//
// A server that is not installed is skipped, unless FTP_INTEROP=required
// (set by .ci/run), which makes it a failure. FTP_INTEROP_BIG sets the size
// of the large transfers (default 64 MiB).
package interop_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp/internal/ftpservers"
)

var report = flag.Bool("report", false, "write docs/INTEROP.md from this run")

// servers caches running servers by configuration for the whole run.
var servers struct {
	sync.Mutex
	m map[ftpservers.Config]*serverEntry
}

type serverEntry struct {
	once sync.Once
	srv  *ftpservers.Server
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	servers.Lock()
	for _, e := range servers.m {
		if e.srv != nil {
			e.srv.Close()
		}
	}
	servers.Unlock()
	if *report && code == 0 {
		if err := writeReport("../docs/INTEROP.md"); err != nil {
			fmt.Fprintln(os.Stderr, "report:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// server returns a running server for cfg, started once per run, or nil
// and the reason when the server cannot run cfg (implicit TLS on a server
// without it, no IPv6 loopback) or is not installed (a failure when
// FTP_INTEROP=required).
func server(t *testing.T, cfg ftpservers.Config) (*ftpservers.Server, string) {
	t.Helper()
	if err := ftpservers.Available(cfg.Kind); err != nil {
		if ftpservers.Required() {
			t.Fatalf("FTP_INTEROP=required: %v", err)
		}
		return nil, err.Error()
	}
	if cfg.IPv6 && !ipv6Available() {
		return nil, "no IPv6 loopback on this machine"
	}
	servers.Lock()
	if servers.m == nil {
		servers.m = map[ftpservers.Config]*serverEntry{}
	}
	e := servers.m[cfg]
	if e == nil {
		e = &serverEntry{}
		servers.m[cfg] = e
	}
	servers.Unlock()
	e.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		e.srv, e.err = ftpservers.Start(ctx, cfg)
	})
	if errors.Is(e.err, ftpservers.ErrUnsupported) {
		return nil, e.err.Error()
	}
	if e.err != nil {
		t.Fatalf("starting %s: %v", cfg.Kind, e.err)
	}
	return e.srv, ""
}

func ipv6Available() bool {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}
