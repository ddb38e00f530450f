//go:build linux

package interop_test

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestAuthTLSOnClearConn secures a connection dialled in clear with
// AuthTLS (ftplib's auth) and protects data with ProtP.
func TestAuthTLSOnClearConn(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.Pyftpdlib} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind, TLS: ftpservers.TLSExplicit})
			if srv == nil {
				t.Skip(reason)
			}
			ctx := t.Context()
			c, err := ftp.Dial(ctx, srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.AuthTLS(ctx, &tls.Config{RootCAs: srv.CertPool}); err != nil {
				t.Fatalf("AuthTLS: %v", err)
			}
			if _, err := c.Login(ctx, srv.User, srv.Password); err != nil {
				t.Fatalf("Login: %v", err)
			}
			if _, err := c.ProtP(ctx); err != nil {
				t.Fatalf("ProtP: %v", err)
			}
			roundTrip(t, c, "auth.bin")
		})
	}
}

// TestNewConnSourceAddrAndStat: a session on a net.Conn made by the
// caller, a source address (ftplib's source_address) that vsftpd's
// PASV security check compares with the data connection's, SetPassive,
// and STAT.
func TestNewConnSourceAddrAndStat(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.Pyftpdlib} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			ctx := t.Context()
			src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}
			nd := net.Dialer{LocalAddr: src}
			nc, err := nd.DialContext(ctx, "tcp", srv.Addr)
			if err != nil {
				t.Skipf("no 127.0.0.2 on this machine: %v", err)
			}
			d := ftp.Dialer{LocalAddr: src}
			c, err := d.NewConn(ctx, nc, srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if !strings.HasPrefix(c.LocalAddr().String(), "127.0.0.2:") {
				t.Errorf("LocalAddr = %v", c.LocalAddr())
			}
			if _, err := c.Login(ctx, srv.User, srv.Password); err != nil {
				t.Fatal(err)
			}
			roundTrip(t, c, "src.bin")
			c.SetPasv(false)
			roundTrip(t, c, "src-active.bin")
			rep, err := c.ServerStat(ctx, "")
			if err != nil || rep.Code/100 != 2 {
				t.Errorf("Status = %v, %v", rep, err)
			}
			if err := c.Quit(ctx); err != nil {
				t.Errorf("Quit: %v", err)
			}
		})
	}
}
