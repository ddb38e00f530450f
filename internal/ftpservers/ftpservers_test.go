//go:build linux

package ftpservers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests talk to the servers with raw net/textproto/crypto/tls code on
// purpose: they check the harness, not an FTP client.

type mode struct {
	name       string
	ipv6       bool
	tls        TLSMode
	maxVersion uint16
	noReuse    bool
}

var modes = []mode{
	{name: "plain-ipv4"},
	{name: "plain-ipv6", ipv6: true},
	{name: "explicit-tls", tls: TLSExplicit},
	{name: "explicit-tls-ipv6", ipv6: true, tls: TLSExplicit},
	{name: "explicit-tls12", tls: TLSExplicit, maxVersion: tls.VersionTLS12},
	{name: "explicit-tls12-noreuse", tls: TLSExplicit, maxVersion: tls.VersionTLS12, noReuse: true},
	{name: "implicit-tls", tls: TLSImplicit},
}

// requireAvailable skips (or fails with FTP_INTEROP=required) when the
// server is not installed.
func requireAvailable(t *testing.T, k Kind) {
	t.Helper()
	if err := Available(k); err != nil {
		if Required() {
			t.Fatalf("FTP_INTEROP=required: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

func ipv6Works() bool {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t0 := time.Now()
	srv, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started %v (pid %d) in %v", srv, srv.PID, time.Since(t0).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", srv.Logs())
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv
}

func TestServers(t *testing.T) {
	v6 := ipv6Works()
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			requireAvailable(t, k)
			for _, m := range modes {
				t.Run(m.name, func(t *testing.T) {
					t.Parallel()
					if m.ipv6 && !v6 {
						t.Skip("no IPv6 on loopback")
					}
					cfg := Config{Kind: k, IPv6: m.ipv6, TLS: m.tls, TLSMaxVersion: m.maxVersion, NoSSLReuse: m.noReuse}
					if m.tls == TLSImplicit && !baseCaps(k).ImplicitTLS.Supported {
						_, err := Start(context.Background(), cfg)
						if !errors.Is(err, ErrUnsupported) {
							t.Fatalf("Start with implicit TLS: got %v, want ErrUnsupported", err)
						}
						t.Logf("as expected: %v", err)
						return
					}
					srv := start(t, cfg)
					checkServer(t, srv)
				})
			}
		})
	}
}

// checkServer logs in as the write user, uploads a file (passive) and
// downloads it again (active and passive), checks FEAT against Caps and
// tries anonymous access.
func checkServer(t *testing.T, srv *Server) {
	c := dial(t, srv, srv.TLSConfig())
	defer c.close()
	feat := c.cmd(211, "FEAT")
	checkFeat(t, srv, feat)
	c.login(srv.User, srv.Password)
	c.cmd(200, "TYPE I")

	if srv.Config.TLSMaxVersion == tls.VersionTLS12 && srv.Caps.SessionReuseRequired && !srv.Caps.TLS12Resumption.Supported {
		// Documented limitation: check that the server refuses.
		code, msg := c.transfer("STOR", "refused.txt", false, []byte("x"))
		if code/100 == 2 {
			t.Fatalf("STOR over TLS 1.2 succeeded (%d %s) although Caps.TLS12Resumption = %v", code, msg, srv.Caps.TLS12Resumption)
		}
		t.Logf("as documented, TLS 1.2 data connection refused: %d %s", code, msg)
		return
	}

	name := "hello-" + strings.ReplaceAll(srv.Config.TLS.String(), "-", "") + ".txt"
	payload := []byte("Hello from " + srv.String() + "\r\nsecond line\n")
	c.store(name, payload)
	got, err := os.ReadFile(filepath.Join(srv.Dir, name))
	if err != nil {
		t.Fatalf("uploaded file not in Server.Dir: %v", err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("uploaded file content %q, want %q", got, payload)
	}
	if back := c.retrieve(name, true); !bytes.Equal(back, payload) {
		t.Fatalf("RETR (active) got %q, want %q", back, payload)
	}
	if back := c.retrieve(name, false); !bytes.Equal(back, payload) {
		t.Fatalf("RETR (passive) got %q, want %q", back, payload)
	}
	// A file created by the test: readable and deletable by the FTP user.
	if err := srv.WriteFile("sub/dir/pre.txt", []byte("pre")); err != nil {
		t.Fatal(err)
	}
	if back := c.retrieve("sub/dir/pre.txt", false); string(back) != "pre" {
		t.Fatalf("RETR sub/dir/pre.txt got %q", back)
	}
	c.cmd(250, "DELE sub/dir/pre.txt")
	c.cmd(250, "RMD sub/dir")
	if _, err := os.Stat(filepath.Join(srv.Dir, "sub", "dir")); !os.IsNotExist(err) {
		t.Errorf("sub/dir still exists after RMD: %v", err)
	}
	if srv.Caps.MLSD.Supported {
		if list := c.list("MLSD"); !strings.Contains(list, name) {
			t.Errorf("MLSD listing does not contain %s:\n%s", name, list)
		}
	}
	if srv.Caps.MFMT.Supported {
		c.cmd(213, "MFMT 20200102030405 %s", name)
		checkMtime(t, filepath.Join(srv.Dir, name), time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))
	}
	code, msg := c.do("MDTM 20210203040506 %s", name)
	t.Logf("MDTM with a time: %d %s", code, msg)
	if srv.Caps.MDTMSet.Supported {
		if code != 213 {
			t.Fatalf("MDTM set: %d %s", code, msg)
		}
		checkMtime(t, filepath.Join(srv.Dir, name), time.Date(2021, 2, 3, 4, 5, 6, 0, time.UTC))
	} else if code == 213 && strings.Contains(msg, "set") {
		t.Errorf("MDTM set works (%d %s) but Caps.MDTMSet = %v", code, msg, srv.Caps.MDTMSet)
	}
	c.cmd(221, "QUIT")

	if srv.AnonDir != "" && srv.Config.TLS != TLSImplicit {
		checkAnonymous(t, srv)
	}
	if srv.Config.TLS == TLSExplicit {
		checkPlaintextLogin(t, srv)
	}
}

// checkPlaintextLogin checks Caps.TLSRequired: without AUTH TLS, the write
// user's login is refused or accepted.
func checkPlaintextLogin(t *testing.T, srv *Server) {
	c := dial(t, srv, nil)
	defer c.close()
	code, msg := c.do("USER %s", srv.User)
	if code == 331 {
		code, msg = c.do("PASS %s", srv.Password)
	}
	t.Logf("plaintext login of the write user: %d %s", code, msg)
	if srv.Caps.TLSRequired && code == 230 {
		t.Errorf("plaintext login succeeded although Caps.TLSRequired")
	}
	if !srv.Caps.TLSRequired && code != 230 {
		t.Errorf("plaintext login refused (%d %s) although !Caps.TLSRequired", code, msg)
	}
}

func checkMtime(t *testing.T, path string, want time.Time) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !st.ModTime().Equal(want) {
		t.Errorf("mtime of %s = %v, want %v", path, st.ModTime().UTC(), want)
	}
}

func checkFeat(t *testing.T, srv *Server, feat string) {
	t.Helper()
	has := func(f string) bool {
		for _, l := range strings.Split(feat, "\n") {
			if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(l)), f) {
				return true
			}
		}
		return false
	}
	if got := has("MLST"); got != srv.Caps.MLSD.Supported {
		t.Errorf("FEAT has MLST = %v, Caps.MLSD = %v\n%s", got, srv.Caps.MLSD, feat)
	}
	if got := has("MFMT"); got != srv.Caps.MFMT.Supported {
		t.Errorf("FEAT has MFMT = %v, Caps.MFMT = %v\n%s", got, srv.Caps.MFMT, feat)
	}
	if srv.Config.TLS == TLSExplicit && !has("AUTH TLS") {
		t.Errorf("FEAT lacks AUTH TLS:\n%s", feat)
	}
}

// checkAnonymous logs in anonymously over plaintext, downloads a file from
// AnonDir and checks that uploads are refused.
func checkAnonymous(t *testing.T, srv *Server) {
	content := []byte("public data\n")
	if err := os.WriteFile(filepath.Join(srv.AnonDir, "pub.txt"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv, nil)
	defer c.close()
	c.send("USER anonymous")
	if code, msg := c.read(); code == 331 {
		c.cmd(230, "PASS guest@example.com")
	} else if code != 230 {
		t.Fatalf("USER anonymous: %d %s", code, msg)
	}
	c.cmd(200, "TYPE I")
	if got := c.retrieve("pub.txt", false); !bytes.Equal(got, content) {
		t.Fatalf("anonymous RETR got %q", got)
	}
	code, msg := c.transfer("STOR", "upload.txt", false, []byte("x"))
	if code/100 != 5 {
		t.Fatalf("anonymous STOR: got %d %s, want 5xx", code, msg)
	}
	t.Logf("anonymous STOR refused: %d %s", code, msg)
	if _, err := os.Stat(filepath.Join(srv.AnonDir, "upload.txt")); err == nil {
		t.Fatal("anonymous upload succeeded")
	}
}

// TestSessionReuse checks that the servers that require TLS session reuse
// refuse a data connection with a fresh TLS session, and accept it with
// NoSSLReuse.
func TestSessionReuse(t *testing.T) {
	for _, k := range []Kind{Vsftpd, ProFTPD} {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			requireAvailable(t, k)
			for _, noReuse := range []bool{false, true} {
				t.Run(fmt.Sprintf("NoSSLReuse=%v", noReuse), func(t *testing.T) {
					t.Parallel()
					srv := start(t, Config{Kind: k, TLS: TLSExplicit, NoSSLReuse: noReuse})
					if srv.Caps.SessionReuseRequired == noReuse {
						t.Fatalf("Caps.SessionReuseRequired = %v with NoSSLReuse=%v", srv.Caps.SessionReuseRequired, noReuse)
					}
					c := dial(t, srv, srv.TLSConfig())
					defer c.close()
					c.login(srv.User, srv.Password)
					c.cmd(200, "TYPE I")
					// A data-connection config with its own, empty session cache.
					c.dataTLS = srv.TLSConfig()
					code, msg := c.transfer("STOR", "fresh.txt", false, []byte("data"))
					t.Logf("STOR with a fresh TLS session: %d %s", code, msg)
					if noReuse && code != 226 {
						t.Fatalf("STOR with NoSSLReuse: %d %s, want 226", code, msg)
					}
					if !noReuse && code/100 == 2 {
						t.Fatalf("STOR without session reuse succeeded (%d %s), want refusal", code, msg)
					}
				})
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start(context.Background(), Config{Kind: "nosuch"}); err == nil {
		t.Error("Start of unknown kind succeeded")
	}
	for _, k := range []Kind{PureFTPd, Pyftpdlib} {
		if Available(k) != nil {
			continue
		}
		_, err := Start(context.Background(), Config{Kind: k, TLS: TLSImplicit})
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s implicit TLS: %v, want ErrUnsupported", k, err)
		}
	}
}

// TestClose checks that Close kills the whole process group.
func TestClose(t *testing.T) {
	k := Pyftpdlib
	requireAvailable(t, k)
	srv, err := Start(context.Background(), Config{Kind: k})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv, nil) // a session that stays open
	defer c.close()
	pid := srv.PID
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		t.Errorf("process %d still exists after Close", pid)
	}
	if _, err := os.Stat(srv.TempDir); !os.IsNotExist(err) && os.Getenv("FTPSERVERS_KEEP") == "" {
		t.Errorf("TempDir %s not removed: %v", srv.TempDir, err)
	}
	if conn, err := net.DialTimeout("tcp", srv.Addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Close", srv.Addr)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// ---------------------------------------------------------------- raw FTP

type client struct {
	t       *testing.T
	srv     *Server
	conn    net.Conn
	r       *textproto.Reader
	ctlTLS  *tls.Config // TLS config of the control connection, nil if plain
	dataTLS *tls.Config // TLS config for data connections, nil for PROT C
}

var step = 10 * time.Second

func dial(t *testing.T, srv *Server, cfg *tls.Config) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", srv.Addr, step)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, srv: srv, conn: conn}
	if srv.Config.TLS == TLSImplicit {
		c.startTLS(cfg)
	}
	c.r = textproto.NewReader(bufio.NewReader(c.conn))
	if code, msg := c.read(); code != 220 {
		t.Fatalf("greeting: %d %s", code, msg)
	}
	if srv.Config.TLS == TLSExplicit && cfg != nil {
		c.cmd(234, "AUTH TLS")
		c.startTLS(cfg)
		c.r = textproto.NewReader(bufio.NewReader(c.conn))
	}
	if c.ctlTLS != nil {
		c.cmd(200, "PBSZ 0")
		c.cmd(200, "PROT P")
		c.dataTLS = c.ctlTLS
	}
	return c
}

func (c *client) startTLS(cfg *tls.Config) {
	c.t.Helper()
	tc := tls.Client(c.conn, cfg)
	tc.SetDeadline(time.Now().Add(step))
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("control TLS handshake: %v", err)
	}
	st := tc.ConnectionState()
	c.t.Logf("control TLS: %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	if want := c.srv.Config.TLSMaxVersion; want != 0 && st.Version != want {
		c.t.Errorf("TLS version %s, want %s", tls.VersionName(st.Version), tls.VersionName(want))
	}
	c.conn = tc
	c.ctlTLS = cfg
}

func (c *client) close() { c.conn.Close() }

func (c *client) send(format string, args ...any) {
	c.t.Helper()
	c.conn.SetDeadline(time.Now().Add(step))
	if _, err := fmt.Fprintf(c.conn, format+"\r\n", args...); err != nil {
		c.t.Fatalf("send %q: %v", strings.Fields(format)[0], err)
	}
}

func (c *client) read() (int, string) {
	c.t.Helper()
	c.conn.SetDeadline(time.Now().Add(step))
	code, msg, err := c.r.ReadResponse(0)
	if err != nil && code == 0 {
		c.t.Fatalf("reading reply: %v", err)
	}
	return code, msg
}

// do sends a command and returns the reply.
func (c *client) do(format string, args ...any) (int, string) {
	c.t.Helper()
	c.send(format, args...)
	return c.read()
}

// cmd sends a command and fails unless the reply code is want.
func (c *client) cmd(want int, format string, args ...any) string {
	c.t.Helper()
	code, msg := c.do(format, args...)
	if code != want {
		shown := fmt.Sprintf(format, args...)
		if strings.HasPrefix(shown, "PASS ") {
			shown = "PASS ****"
		}
		c.t.Fatalf("%s: got %d %s, want %d", shown, code, msg, want)
	}
	return msg
}

func (c *client) login(user, pass string) {
	c.t.Helper()
	c.cmd(331, "USER %s", user)
	c.cmd(230, "PASS %s", pass)
}

var (
	pasvRE = regexp.MustCompile(`\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)`)
	epsvRE = regexp.MustCompile(`\(\|\|\|(\d+)\|\)`)
)

// passive opens a passive data connection (EPSV on IPv6, PASV on IPv4).
func (c *client) passive() net.Conn {
	c.t.Helper()
	var port int
	if c.srv.Config.IPv6 {
		m := epsvRE.FindStringSubmatch(c.cmd(229, "EPSV"))
		if m == nil {
			c.t.Fatal("cannot parse EPSV reply")
		}
		port, _ = strconv.Atoi(m[1])
	} else {
		msg := c.cmd(227, "PASV")
		m := pasvRE.FindStringSubmatch(msg)
		if m == nil {
			c.t.Fatalf("cannot parse PASV reply %q", msg)
		}
		if ip := strings.Join(m[1:5], "."); ip != c.srv.Host {
			c.t.Errorf("PASV address %s, want %s", ip, c.srv.Host)
		}
		p1, _ := strconv.Atoi(m[5])
		p2, _ := strconv.Atoi(m[6])
		port = p1<<8 | p2
	}
	d, err := net.DialTimeout("tcp", net.JoinHostPort(c.srv.Host, strconv.Itoa(port)), step)
	if err != nil {
		c.t.Fatalf("passive data connection: %v", err)
	}
	return d
}

// active listens and sends PORT (IPv4) or EPRT (IPv6).
func (c *client) active() net.Listener {
	c.t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(c.srv.Host, "0"))
	if err != nil {
		c.t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if c.srv.Config.IPv6 {
		c.cmd(200, "EPRT |2|%s|%d|", c.srv.Host, port)
	} else {
		c.cmd(200, "PORT %s,%d,%d", strings.ReplaceAll(c.srv.Host, ".", ","), port>>8, port&0xff)
	}
	return l
}

// transfer runs a STOR (data != nil), RETR or listing command and returns
// the final reply and, for downloads, the data. It does not fail the test
// on an FTP error reply (the caller checks the code).
func (c *client) transfer(verb, arg string, active bool, data []byte) (int, string) {
	code, msg, _ := c.transferData(verb, arg, active, data)
	return code, msg
}

func (c *client) transferData(verb, arg string, active bool, data []byte) (int, string, []byte) {
	c.t.Helper()
	line := strings.TrimSpace(verb + " " + arg)
	var d net.Conn
	if active {
		l := c.active()
		defer l.Close()
		c.send("%s", line)
		l.(*net.TCPListener).SetDeadline(time.Now().Add(step))
		var err error
		if d, err = l.Accept(); err != nil {
			code, msg := c.read()
			return code, fmt.Sprintf("%s (accept: %v)", msg, err), nil
		}
	} else {
		d = c.passive()
		// Send the command before the TLS handshake: servers start the
		// handshake only once they know what the connection is for.
		c.send("%s", line)
	}
	defer d.Close()
	d.SetDeadline(time.Now().Add(step))
	if c.dataTLS != nil {
		td := tls.Client(d, c.dataTLS)
		if err := td.Handshake(); err != nil {
			code, msg := c.read()
			return code, fmt.Sprintf("%s (data TLS handshake: %v)", msg, err), nil
		}
		st := td.ConnectionState()
		c.t.Logf("%s data TLS: %s resumed=%v", verb, tls.VersionName(st.Version), st.DidResume)
		if c.srv.Caps.SessionReuseRequired && c.dataTLS == c.ctlTLS && !st.DidResume &&
			(st.Version == tls.VersionTLS13 || c.srv.Caps.TLS12Resumption.Supported) {
			c.t.Errorf("data connection did not resume the control TLS session")
		}
		d = td
	}
	code, msg := c.read()
	if code != 150 && code != 125 {
		return code, msg, nil
	}
	var got []byte
	var err error
	if data != nil {
		if _, err = d.Write(data); err == nil {
			err = closeData(d)
		}
	} else {
		got, err = io.ReadAll(d)
		d.Close()
	}
	code, msg = c.read()
	if err != nil {
		msg = fmt.Sprintf("%s (data: %v)", msg, err)
	}
	return code, msg, got
}

// closeData ends an upload: half-close (TLS close_notify + FIN), then read
// until the server closes. Draining matters with TLS 1.3: closing a socket
// that still has unread data (session tickets) sends a RST, which can make
// the server lose the end of the upload.
func closeData(d net.Conn) error {
	type closeWriter interface{ CloseWrite() error }
	if cw, ok := d.(closeWriter); ok {
		if err := cw.CloseWrite(); err != nil {
			return err
		}
		io.Copy(io.Discard, d)
	}
	return d.Close()
}

func (c *client) store(name string, data []byte) {
	c.t.Helper()
	if code, msg := c.transfer("STOR", name, false, data); code != 226 {
		c.t.Fatalf("STOR %s: %d %s", name, code, msg)
	}
}

func (c *client) retrieve(name string, active bool) []byte {
	c.t.Helper()
	code, msg, got := c.transferData("RETR", name, active, nil)
	if code != 226 {
		c.t.Fatalf("RETR %s (active=%v): %d %s", name, active, code, msg)
	}
	return got
}

func (c *client) list(verb string) string {
	c.t.Helper()
	code, msg, got := c.transferData(verb, "", false, nil)
	if code != 226 {
		c.t.Fatalf("%s: %d %s", verb, code, msg)
	}
	return string(got)
}
