//go:build linux

package interop_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// roundTrip stores and retrieves a small file and checks the bytes.
func roundTrip(t *testing.T, c *ftp.Conn, name string) {
	t.Helper()
	want := data(200000)
	if _, err := c.StorBinary(t.Context(), name, bytes.NewReader(want), 0); err != nil {
		t.Fatalf("StorBinary: %v", err)
	}
	var got bytes.Buffer
	if _, err := c.RetrBinary(t.Context(), name, &got, 0); err != nil || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("RetrBinary = %d bytes, %v", got.Len(), err)
	}
	if _, err := c.Delete(t.Context(), name); err != nil {
		t.Errorf("Delete: %v", err)
	}
}

// TestTLSVersionsAndReuse runs transfers over TLS 1.2 and 1.3, with the
// servers' session-reuse requirement on (their default) and, for vsftpd
// and ProFTPD, off.
func TestTLSVersionsAndReuse(t *testing.T) {
	for _, kind := range ftpservers.Kinds {
		for _, ver := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			for _, noReuse := range []bool{false, true} {
				if noReuse && kind != ftpservers.Vsftpd && kind != ftpservers.ProFTPD {
					continue
				}
				name := string(kind) + "/" + tls.VersionName(ver)
				if noReuse {
					name += "/reuse-not-required"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					cfg := ftpservers.Config{Kind: kind, TLS: ftpservers.TLSExplicit, NoSSLReuse: noReuse}
					if ver == tls.VersionTLS12 {
						cfg.TLSMaxVersion = tls.VersionTLS12
					}
					srv, reason := server(t, cfg)
					if srv == nil {
						t.Skip(reason)
					}
					d := dialer(srv, dataModes[0])
					d.TLS.MinVersion = ver
					d.TLS.MaxVersion = ver
					c, err := d.Dial(t.Context(), srv.Addr)
					if err != nil {
						t.Fatalf("Dial: %v\n%s", err, srv.Logs())
					}
					defer c.Close()
					if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
						t.Fatalf("Login: %v", err)
					}
					if ver == tls.VersionTLS12 && srv.Caps.SessionReuseRequired && !srv.Caps.TLS12Resumption.Supported {
						// Go cannot resume this server's TLS 1.2 sessions
						// (no tickets); the server must refuse the data
						// connection, and the client must say so clearly.
						if err := srv.WriteFile("tls12.bin", data(1000)); err != nil {
							t.Fatal(err)
						}
						_, err := c.RetrBinary(t.Context(), "tls12.bin", io.Discard, 0)
						var re *ftp.ReplyError
						if !errors.As(err, &re) || re.Code/100 != 4 && re.Code/100 != 5 {
							t.Fatalf("transfer without resumable session = %v, want a refusal reply", err)
						}
						if !strings.Contains(err.Error(), "did not resume") {
							t.Errorf("refusal not explained: %v", err)
						}
						t.Skipf("known limitation: %s", srv.Caps.TLS12Resumption.Reason)
					}
					roundTrip(t, c, "tls.bin")
					names, err := c.Nlst(t.Context())
					if err != nil {
						t.Fatalf("NLST over TLS: %v", err)
					}
					_ = names
				})
			}
		}
	}
}

// TestTLSVerification checks that certificates are verified by default:
// an unknown CA and a wrong name both fail, and no password is sent.
func TestTLSVerification(t *testing.T) {
	t.Parallel()
	srv, reason := server(t, ftpservers.Config{Kind: ftpservers.Pyftpdlib, TLS: ftpservers.TLSExplicit})
	if srv == nil {
		t.Skip(reason)
	}
	for name, cfg := range map[string]*tls.Config{
		"system roots": {},
		"empty pool":   {RootCAs: x509.NewCertPool()},
		"wrong name":   {RootCAs: srv.CertPool, ServerName: "ftp.example.com"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			d := &ftp.Dialer{Timeout: 10 * time.Second, TLS: cfg,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: ftp.LevelTrace}))}
			c, err := d.Dial(t.Context(), srv.Addr)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded with an unverifiable certificate")
			}
			if !errors.Is(err, ftp.ErrTLSRequired) {
				t.Errorf("Dial = %v, want ErrTLSRequired", err)
			}
			var ce *tls.CertificateVerificationError
			if !errors.As(err, &ce) {
				t.Errorf("Dial = %v, want a *tls.CertificateVerificationError inside", err)
			}
			if strings.Contains(logs.String(), "cmd=USER") || strings.Contains(logs.String(), `cmd="PASS`) {
				t.Errorf("credentials sent after a failed handshake:\n%s", logs.String())
			}
		})
	}
	// InsecureSkipVerify is the explicit opt-out.
	d := &ftp.Dialer{Timeout: 10 * time.Second, TLS: &tls.Config{InsecureSkipVerify: true}}
	c, err := d.Dial(t.Context(), srv.Addr)
	if err != nil {
		t.Fatalf("Dial with InsecureSkipVerify: %v", err)
	}
	c.Close()
}

// TestTLSRefusedNoCleartextPassword dials a server that offers no TLS with
// TLS configured: the call fails and USER/PASS are never sent.
func TestTLSRefusedNoCleartextPassword(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.Pyftpdlib} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			var logs bytes.Buffer
			d := &ftp.Dialer{Timeout: 10 * time.Second, TLS: &tls.Config{RootCAs: srv.CertPool},
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: ftp.LevelTrace}))}
			_, err := d.Dial(t.Context(), srv.Addr)
			var re *ftp.ReplyError
			if !errors.Is(err, ftp.ErrTLSRequired) || !errors.As(err, &re) || re.Cmd != "AUTH TLS" {
				t.Fatalf("Dial = %v, want ErrTLSRequired with the AUTH TLS reply", err)
			}
			if strings.Contains(logs.String(), "cmd=USER") || strings.Contains(logs.String(), `cmd="PASS`) {
				t.Errorf("credentials sent:\n%s", logs.String())
			}
		})
	}
}

// TestProtCAndCCC switches data protection off and the control connection
// back to clear text where the server allows it.
func TestProtCAndCCC(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.ProFTPD, ftpservers.Pyftpdlib, ftpservers.PureFTPd} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind, TLS: ftpservers.TLSExplicit})
			if srv == nil {
				t.Skip(reason)
			}
			c := connect(t, srv, dataModes[0])
			if _, err := c.ProtC(t.Context()); err != nil {
				t.Fatalf("ProtC: %v", err)
			}
			roundTrip(t, c, "clear.bin")
			if _, err := c.ProtP(t.Context()); err != nil {
				t.Fatalf("ProtP: %v", err)
			}
			roundTrip(t, c, "private.bin")
			if _, err := c.CCC(t.Context()); err != nil {
				var re *ftp.ReplyError
				if errors.As(err, &re) && re.Code >= 500 {
					t.Skipf("server refuses CCC: %v", err)
				}
				t.Fatalf("CCC: %v", err)
			}
			if p, err := c.Pwd(t.Context()); err != nil || p == "" {
				t.Fatalf("Pwd after CCC = %q, %v", p, err)
			}
			roundTrip(t, c, "after-ccc.bin")
		})
	}
}

// TestAnonymous logs in with ftplib's defaults and reads a listing.
func TestAnonymous(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			if !srv.Caps.Anonymous.Supported {
				t.Skip(srv.Caps.Anonymous.Reason)
			}
			c, err := dialer(srv, dataModes[0]).Dial(t.Context(), srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Login(t.Context(), "", ""); err != nil {
				t.Fatalf("anonymous Login: %v", err)
			}
			if _, err := c.List(t.Context()); err != nil {
				t.Errorf("List: %v", err)
			}
			_, err = c.StorBinary(t.Context(), "nope.txt", strings.NewReader("x"), 0)
			if !errors.Is(err, ftp.ErrPermanent) {
				t.Errorf("anonymous STOR = %v, want a permanent refusal", err)
			}
			if err := c.Quit(t.Context()); err != nil {
				t.Errorf("Quit: %v", err)
			}
		})
	}
}

// TestPasswordNotLoggedRealServer logs the whole dialogue at trace level
// and checks that the password appears in no record and no error.
func TestPasswordNotLoggedRealServer(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.Pyftpdlib} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			c, logs := connectLogged(t, srv, dialer(srv, dataModes[0]), ftp.LevelTrace)
			_, err := c.LoginAccount(t.Context(), srv.User, srv.Password+"-wrong", "acct-secret")
			for _, s := range []string{logs.String(), errString(err)} {
				if strings.Contains(s, srv.Password) || strings.Contains(s, "acct-secret") {
					t.Errorf("secret leaked: %s", s)
				}
			}
			if !strings.Contains(logs.String(), "PASS ****") {
				t.Errorf("no redacted PASS in the log:\n%s", logs.String())
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
