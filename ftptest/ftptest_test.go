package ftptest_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"go.uber.org/goleak"

	"github.com/goftplib/ftp/ftptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// session is a minimal FTP client speaking through net/textproto.
type session struct {
	t       *testing.T
	conn    net.Conn
	tp      *textproto.Conn
	tlsConf *tls.Config // used for data connections once prot is set
	prot    bool
}

func dialSession(t *testing.T, srv *ftptest.Server) *session {
	t.Helper()
	conn, err := net.DialTimeout("tcp", srv.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(t, conn)
	s.expect(220)
	return s
}

func newSession(t *testing.T, conn net.Conn) *session {
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &session{t: t, conn: conn, tp: textproto.NewConn(conn)}
}

// expect reads a reply and fails the test unless its code is code.
func (s *session) expect(code int) string {
	s.t.Helper()
	_, msg, err := s.tp.ReadResponse(code)
	if err != nil {
		s.t.Fatalf("want %d reply: %v", code, err)
	}
	return msg
}

// cmd sends a command and expects a reply with the given code.
func (s *session) cmd(code int, format string, args ...any) string {
	s.t.Helper()
	s.send(format, args...)
	return s.expect(code)
}

func (s *session) send(format string, args ...any) {
	s.t.Helper()
	if err := s.tp.PrintfLine(format, args...); err != nil {
		s.t.Fatal(err)
	}
}

func (s *session) login(user, pass string) {
	s.t.Helper()
	s.cmd(331, "USER %s", user)
	s.cmd(230, "PASS %s", pass)
}

// startTLS upgrades the control connection with AUTH TLS.
func (s *session) startTLS(conf *tls.Config) {
	s.t.Helper()
	s.cmd(234, "AUTH TLS")
	tc := tls.Client(s.conn, conf)
	if err := tc.Handshake(); err != nil {
		s.t.Fatal(err)
	}
	s.conn, s.tp, s.tlsConf = tc, textproto.NewConn(tc), conf
}

// epsv opens a passive data connection with EPSV.
func (s *session) epsv() net.Conn {
	s.t.Helper()
	msg := s.cmd(229, "EPSV")
	i, j := strings.Index(msg, "(|||"), strings.LastIndex(msg, "|)")
	if i < 0 || j < i {
		s.t.Fatalf("bad EPSV reply %q", msg)
	}
	port, err := strconv.Atoi(msg[i+4 : j])
	if err != nil {
		s.t.Fatalf("bad EPSV reply %q", msg)
	}
	host, _, _ := net.SplitHostPort(s.conn.RemoteAddr().String())
	return s.dialData(net.JoinHostPort(host, strconv.Itoa(port)))
}

func (s *session) dialData(addr string) net.Conn {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if s.prot {
		c = tls.Client(c, s.tlsConf)
	}
	return c
}

// read runs a command that sends data to the client over a fresh EPSV
// connection and returns the data.
func (s *session) read(format string, args ...any) []byte {
	s.t.Helper()
	dc := s.epsv()
	s.cmd(150, format, args...)
	return s.drain(dc)
}

func (s *session) drain(dc net.Conn) []byte {
	s.t.Helper()
	data, err := io.ReadAll(dc)
	if err != nil {
		s.t.Fatal(err)
	}
	dc.Close()
	s.expect(226)
	return data
}

// write runs a command that receives data over a fresh EPSV connection.
func (s *session) write(data []byte, format string, args ...any) {
	s.t.Helper()
	dc := s.epsv()
	s.cmd(150, format, args...)
	s.fill(dc, data)
}

func (s *session) fill(dc net.Conn, data []byte) {
	s.t.Helper()
	if _, err := dc.Write(data); err != nil {
		s.t.Fatal(err)
	}
	if err := dc.Close(); err != nil {
		s.t.Fatal(err)
	}
	s.expect(226)
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGreetingAndLogin(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	if got, want := srv.URL(), "ftp://"+srv.Addr; got != want {
		t.Errorf("URL() = %q, want %q", got, want)
	}
	if host, _, _ := net.SplitHostPort(srv.Addr); !net.ParseIP(host).IsLoopback() {
		t.Errorf("Addr %q is not a loopback address", srv.Addr)
	}

	s := dialSession(t, srv)
	s.cmd(530, "PWD") // not logged in yet
	s.login(ftptest.DefaultUser, ftptest.DefaultPassword)
	if msg := s.cmd(257, "PWD"); !strings.HasPrefix(msg, `"/"`) {
		t.Errorf("PWD reply %q", msg)
	}
	feat := s.cmd(211, "FEAT")
	for _, f := range []string{"EPSV", "MLST", "SIZE", "MDTM", "UTF8", "REST STREAM"} {
		if !strings.Contains(feat, "\n "+f) {
			t.Errorf("FEAT lacks %s:\n%s", f, feat)
		}
	}
	if strings.Contains(feat, "AUTH TLS") {
		t.Errorf("FEAT offers AUTH TLS without TLS:\n%s", feat)
	}
	s.cmd(550, "AUTH TLS")
	s.cmd(200, "OPTS UTF8 ON")
	s.cmd(221, "QUIT")

	bad := dialSession(t, srv)
	bad.cmd(331, "USER %s", ftptest.DefaultUser)
	bad.cmd(530, "PASS wrong")
}

func TestUsers(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{Users: map[string]string{"alice": "a", "bob": "b"}})
	dialSession(t, srv).login("alice", "a")
	dialSession(t, srv).login("bob", "b")
	s := dialSession(t, srv)
	s.cmd(331, "USER %s", ftptest.DefaultUser)
	s.cmd(530, "PASS %s", ftptest.DefaultPassword)
	s = dialSession(t, srv)
	s.cmd(331, "USER anonymous")
	s.cmd(530, "PASS guest@")
}

func TestUploadDownload(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	s := dialSession(t, srv)
	s.login(ftptest.DefaultUser, ftptest.DefaultPassword)

	if msg := s.cmd(257, "MKD dir"); !strings.Contains(msg, `"/dir"`) {
		t.Errorf("MKD reply %q", msg)
	}
	s.cmd(250, "CWD dir")
	if msg := s.cmd(257, "PWD"); !strings.HasPrefix(msg, `"/dir"`) {
		t.Errorf("PWD reply %q", msg)
	}

	data := randomBytes(t, 300_000)
	s.write(data, "STOR file.bin")
	if got := s.read("RETR file.bin"); !bytes.Equal(got, data) {
		t.Errorf("RETR returned %d bytes, want the %d stored", len(got), len(data))
	}
	if got, err := srv.ReadFile("dir/file.bin"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("ReadFile: %d bytes, %v", len(got), err)
	}
	if msg := s.cmd(213, "SIZE file.bin"); msg != strconv.Itoa(len(data)) {
		t.Errorf("SIZE reply %q", msg)
	}

	s.write([]byte("tail"), "APPE file.bin")
	s.cmd(350, "REST %d", len(data))
	if got := s.read("RETR file.bin"); string(got) != "tail" {
		t.Errorf("RETR after REST returned %q", got)
	}

	s.cmd(250, "CDUP")
	list := string(s.read("LIST dir"))
	if !strings.Contains(list, "file.bin\r\n") || !strings.HasPrefix(list, "-") {
		t.Errorf("LIST output %q", list)
	}
	if nlst := string(s.read("NLST dir")); nlst != "dir/file.bin\r\n" {
		t.Errorf("NLST output %q", nlst)
	}
	mlsd := string(s.read("MLSD /"))
	if !strings.HasPrefix(mlsd, "Type=dir;") || !strings.HasSuffix(mlsd, "; dir\r\n") {
		t.Errorf("MLSD output %q", mlsd)
	}
	if msg := s.cmd(250, "MLST dir/file.bin"); !strings.Contains(msg, fmt.Sprintf("Size=%d;", len(data)+4)) {
		t.Errorf("MLST reply %q", msg)
	}
	dc := s.epsv()
	s.cmd(450, "LIST nothing")
	dc.Close()

	s.cmd(213, "MFMT 20200102030405 dir/file.bin")
	if msg := s.cmd(213, "MDTM dir/file.bin"); msg != "20200102030405" {
		t.Errorf("MDTM reply %q", msg)
	}
	s.cmd(350, "RNFR dir/file.bin")
	s.cmd(250, "RNTO dir/renamed.bin")
	s.cmd(550, "RMD dir") // not empty
	s.cmd(550, "DELE dir")
	s.cmd(250, "DELE dir/renamed.bin")
	s.cmd(250, "RMD dir")
	s.cmd(550, "CWD dir")
	s.cmd(550, "STOR missing/file") // no such directory: refused before the data connection
	s.cmd(550, "MKD missing/dir")
}

func TestPassiveAndActive(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{Files: fstest.MapFS{"a.txt": {Data: []byte("alpha")}}})
	s := dialSession(t, srv)
	s.login(ftptest.DefaultUser, ftptest.DefaultPassword)

	// PASV: the address must be the loopback listener's.
	msg := s.cmd(227, "PASV")
	i, j := strings.Index(msg, "("), strings.Index(msg, ")")
	if i < 0 || j < i {
		t.Fatalf("bad PASV reply %q", msg)
	}
	f := strings.Split(msg[i+1:j], ",")
	if len(f) != 6 || strings.Join(f[:4], ".") != "127.0.0.1" {
		t.Fatalf("PASV reply %q does not point at 127.0.0.1", msg)
	}
	hi, _ := strconv.Atoi(f[4])
	lo, _ := strconv.Atoi(f[5])
	dc := s.dialData(net.JoinHostPort("127.0.0.1", strconv.Itoa(hi<<8|lo)))
	s.cmd(150, "RETR a.txt")
	if got := s.drain(dc); string(got) != "alpha" {
		t.Errorf("RETR over PASV returned %q", got)
	}

	// Active mode: the server connects to a listener of ours.
	active := func(command func(port int) string, retr string) []byte {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		s.cmd(200, "%s", command(ln.Addr().(*net.TCPAddr).Port))
		s.send("%s", retr)
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		s.expect(150)
		return s.drain(c)
	}
	port := func(p int) string { return fmt.Sprintf("PORT 127,0,0,1,%d,%d", p>>8, p&0xff) }
	eprt := func(p int) string { return fmt.Sprintf("EPRT |1|127.0.0.1|%d|", p) }
	if got := active(port, "RETR a.txt"); string(got) != "alpha" {
		t.Errorf("RETR over PORT returned %q", got)
	}
	if got := active(eprt, "NLST"); string(got) != "a.txt\r\n" {
		t.Errorf("NLST over EPRT returned %q", got)
	}
}

func TestAnonymous(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{
		Anonymous: true,
		Files:     fstest.MapFS{"pub/readme.txt": {Data: []byte("hello")}},
	})
	s := dialSession(t, srv)
	s.login("anonymous", "guest@example.com")
	if got := s.read("RETR pub/readme.txt"); string(got) != "hello" {
		t.Errorf("anonymous RETR returned %q", got)
	}
	dc := s.epsv()
	s.cmd(550, "STOR pub/upload.txt")
	dc.Close()
	s.cmd(550, "APPE pub/readme.txt")
	s.cmd(550, "MKD incoming")
	s.cmd(550, "DELE pub/readme.txt")
	s.cmd(350, "RNFR pub/readme.txt")
	s.cmd(550, "RNTO pub/x.txt")
	if _, err := srv.ReadFile("pub/upload.txt"); err == nil {
		t.Error("anonymous STOR created a file")
	}

	// Named users can still write.
	w := dialSession(t, srv)
	w.login(ftptest.DefaultUser, ftptest.DefaultPassword)
	w.write([]byte("up"), "STOR pub/upload.txt")
}

func TestDirectoryRoot(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "secret"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := ftptest.New(t, ftptest.Options{
		Root:  root,
		Files: fstest.MapFS{"seed/x.txt": {Data: []byte("x"), ModTime: time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)}},
	})
	if srv.Root != root {
		t.Errorf("Root = %q, want %q", srv.Root, root)
	}
	if b, err := os.ReadFile(filepath.Join(root, "seed", "x.txt")); err != nil || string(b) != "x" {
		t.Errorf("seeded file: %q, %v", b, err)
	}

	s := dialSession(t, srv)
	s.login(ftptest.DefaultUser, ftptest.DefaultPassword)
	if msg := s.cmd(213, "MDTM seed/x.txt"); msg != "20010203040506" {
		t.Errorf("MDTM reply %q", msg)
	}
	s.write([]byte("on disk"), "STOR up.txt")
	if b, err := os.ReadFile(filepath.Join(root, "up.txt")); err != nil || string(b) != "on disk" {
		t.Errorf("uploaded file: %q, %v", b, err)
	}
	s.cmd(550, "RETR ../secret")
	s.cmd(550, "SIZE /../../secret")
	s.cmd(250, "CWD ..")
	if msg := s.cmd(257, "PWD"); !strings.HasPrefix(msg, `"/"`) {
		t.Errorf("PWD after CWD .. = %q", msg)
	}
	s.cmd(200, "SITE CHMOD 600 up.txt")
	if fi, err := os.Stat(filepath.Join(root, "up.txt")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after SITE CHMOD: %v, %v", fi.Mode(), err)
	}
}

func TestExplicitTLS(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{TLS: ftptest.TLSExplicit})
	if !strings.HasPrefix(srv.URL(), "ftpes://") {
		t.Errorf("URL() = %q", srv.URL())
	}
	cert := srv.Certificate()
	if cert == nil || cert.VerifyHostname("127.0.0.1") != nil || cert.VerifyHostname("::1") != nil || cert.VerifyHostname("localhost") != nil {
		t.Fatalf("certificate does not cover the loopback names")
	}

	s := dialSession(t, srv)
	if feat := s.cmd(211, "FEAT"); !strings.Contains(feat, "AUTH TLS") || !strings.Contains(feat, "PROT") {
		t.Errorf("FEAT does not offer TLS:\n%s", feat)
	}
	s.startTLS(srv.ClientTLSConfig())
	s.login(ftptest.DefaultUser, ftptest.DefaultPassword)
	s.cmd(200, "PBSZ 0")
	s.cmd(200, "PROT P")
	s.prot = true

	data := randomBytes(t, 100_000)
	s.write(data, "STOR secure.bin")
	dc := s.epsv()
	s.cmd(150, "RETR secure.bin")
	if err := dc.(*tls.Conn).Handshake(); err != nil {
		t.Fatalf("data connection handshake: %v", err)
	}
	if got := s.drain(dc); !bytes.Equal(got, data) {
		t.Errorf("RETR over TLS returned %d bytes, want %d", len(got), len(data))
	}

	// Plain sessions are allowed in this mode, TLS-required ones are not.
	dialSession(t, srv).login(ftptest.DefaultUser, ftptest.DefaultPassword)
	req := ftptest.New(t, ftptest.Options{TLS: ftptest.TLSExplicitRequired})
	dialSession(t, req).cmd(421, "USER %s", ftptest.DefaultUser)
	s = dialSession(t, req)
	s.startTLS(req.ClientTLSConfig())
	s.login(ftptest.DefaultUser, ftptest.DefaultPassword)
	dc = s.epsv()
	s.cmd(421, "LIST") // no PROT P
	dc.Close()
}

func TestImplicitTLS(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{TLS: ftptest.TLSImplicit, Files: fstest.MapFS{"f": {Data: []byte("implicit")}}})
	if want := "ftps://" + srv.Addr; srv.URL() != want {
		t.Errorf("URL() = %q, want %q", srv.URL(), want)
	}
	conf := srv.ClientTLSConfig()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", srv.Addr, conf)
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(t, conn)
	if msg := s.expect(220); msg == "" {
		t.Error("empty greeting")
	}
	s.tlsConf, s.prot = conf, true
	s.login(ftptest.DefaultUser, ftptest.DefaultPassword)
	if got := s.read("RETR f"); string(got) != "implicit" {
		t.Errorf("RETR returned %q", got)
	}

	// Active mode: the server dials us and acts as the TLS server.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s.cmd(200, "EPRT |1|127.0.0.1|%d|", ln.Addr().(*net.TCPAddr).Port)
	s.send("NLST")
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s.expect(150)
	if got := s.drain(tls.Client(c, conf)); string(got) != "f\r\n" {
		t.Errorf("NLST over EPRT returned %q", got)
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{})
	if err := srv.WriteFile("/a/b/c.txt", []byte("c")); err != nil {
		t.Fatal(err)
	}
	if err := srv.MkdirAll("empty/dir"); err != nil {
		t.Fatal(err)
	}
	s := dialSession(t, srv)
	s.login(ftptest.DefaultUser, ftptest.DefaultPassword)
	if got := string(s.read("NLST a/b")); got != "a/b/c.txt\r\n" {
		t.Errorf("NLST = %q", got)
	}
	s.cmd(250, "CWD empty/dir")
	if got := s.read("LIST"); len(got) != 0 {
		t.Errorf("LIST of an empty directory = %q", got)
	}
	srv.Close()
	if err := fstest.TestFS(srv.FS(), "a/b/c.txt", "empty/dir"); err != nil {
		t.Error(err)
	}
	if b, err := srv.ReadFile("a/b/c.txt"); err != nil || string(b) != "c" {
		t.Errorf("ReadFile after Close: %q, %v", b, err)
	}
	if isDir, err := fsIsDir(srv, "empty/dir"); err != nil || !isDir {
		t.Errorf("FS() stat of empty/dir: dir=%v, %v", isDir, err)
	}
	if _, err := ftptest.NewServer(ftptest.Options{Root: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("NewServer with a missing Root succeeded")
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogger(t *testing.T) {
	t.Parallel()
	var buf lockedBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := ftptest.New(t, ftptest.Options{Logger: logger})
	s := dialSession(t, srv)
	s.login(ftptest.DefaultUser, ftptest.DefaultPassword)
	s.cmd(221, "QUIT")
	srv.Close()
	if out := buf.String(); !strings.Contains(out, "USER user") || strings.Contains(out, "level=ERROR") {
		t.Errorf("unexpected log:\n%s", out)
	}
}

func fsIsDir(srv *ftptest.Server, name string) (isDir bool, err error) {
	f, err := srv.FS().Open(name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	return fi.IsDir(), nil
}

// TestClose checks that Close cuts off idle sessions, sessions in the
// middle of transfers and pending passive listeners, and leaves no
// goroutines behind. It is not parallel so that goleak sees only its own
// goroutines.
func TestClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	for _, mode := range []ftptest.TLSMode{ftptest.TLSNone, ftptest.TLSExplicit, ftptest.TLSImplicit} {
		t.Run(mode.String(), func(t *testing.T) {
			srv, err := ftptest.NewServer(ftptest.Options{TLS: mode, Files: fstest.MapFS{"big": {Data: make([]byte, 4<<20)}}})
			if err != nil {
				t.Fatal(err)
			}
			open := func() *session {
				var conn net.Conn
				var err error
				if mode == ftptest.TLSImplicit {
					conn, err = tls.Dial("tcp", srv.Addr, srv.ClientTLSConfig())
				} else {
					conn, err = net.Dial("tcp", srv.Addr)
				}
				if err != nil {
					t.Fatal(err)
				}
				s := newSession(t, conn)
				s.expect(220)
				if mode == ftptest.TLSExplicit {
					s.startTLS(srv.ClientTLSConfig())
				}
				if mode != ftptest.TLSNone {
					s.tlsConf, s.prot = srv.ClientTLSConfig(), true
					s.cmd(200, "PBSZ 0")
					s.cmd(200, "PROT P")
				}
				return s
			}

			greeted := open() // not logged in
			idle := open()
			idle.login(ftptest.DefaultUser, ftptest.DefaultPassword)

			pending := open() // transfer waiting for a data connection
			pending.login(ftptest.DefaultUser, ftptest.DefaultPassword)
			msg := pending.cmd(229, "EPSV")
			pending.send("RETR big")

			stalled := open() // download that the client does not read
			stalled.login(ftptest.DefaultUser, ftptest.DefaultPassword)
			dc := stalled.epsv()
			stalled.cmd(150, "RETR big")
			if _, err := io.ReadFull(dc, make([]byte, 1000)); err != nil {
				t.Fatal(err)
			}

			uploading := open() // upload in progress
			uploading.login(ftptest.DefaultUser, ftptest.DefaultPassword)
			up := uploading.epsv()
			uploading.cmd(150, "STOR partial")
			if _, err := up.Write([]byte("partial")); err != nil {
				t.Fatal(err)
			}

			start := time.Now()
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Close took %v", d)
			}
			srv.Close() // idempotent

			for name, s := range map[string]*session{"greeted": greeted, "idle": idle, "pending": pending, "stalled": stalled, "uploading": uploading} {
				for {
					_, err := s.tp.ReadLine()
					if err == nil {
						continue // replies sent before the connection was closed
					}
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						t.Errorf("%s: control connection still open", name)
					}
					break
				}
			}
			if c, err := net.Dial("tcp", srv.Addr); err == nil {
				c.Close()
				t.Error("listener still accepts connections")
			}
			port := msg[strings.Index(msg, "(|||")+4 : strings.LastIndex(msg, "|)")]
			if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", port)); err == nil {
				c.Close()
				t.Error("passive listener still accepts connections")
			}
		})
	}
}
