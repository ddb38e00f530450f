// Package ftptest provides an in-process FTP server for tests, examples
// and demos, in the spirit of net/http/httptest.
//
// A [Server] listens on a free loopback port and serves either a local
// directory or an in-memory file system. It supports plain FTP, explicit
// FTPS (AUTH TLS) and implicit FTPS with a generated self-signed
// certificate, passive (PASV/EPSV) and active (PORT/EPRT) data
// connections, and the usual file and directory commands (LIST, NLST,
// MLSD, MLST, SIZE, MDTM, MFMT, REST, APPE, RNFR/RNTO, SITE CHMOD, HASH,
// ...).
//
// The protocol implementation is github.com/fclairamb/ftpserverlib; this
// package only configures it, supplies the file systems and user
// database, and makes sure that [Server.Close] tears everything down.
//
// Differences from a typical production server worth knowing about:
//
//   - The default transfer type is binary (TYPE I), not ASCII.
//   - A failed login (530) closes the control connection.
//   - PASV only works when the server listens on IPv4; EPSV always works.
//     Passive data listeners are bound to all interfaces on a kernel
//     chosen port, but only accept connections from the control
//     connection's IP address.
//   - Anonymous sessions are read-only: writes fail with 550.
package ftptest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"
)

const (
	// DefaultUser is the name of the read-write account created when
	// [Options.Users] is nil.
	DefaultUser = "user"
	// DefaultPassword is the password of [DefaultUser].
	DefaultPassword = "pass"
)

// Options configures a [Server]. The zero value serves an empty in-memory
// file system over plain FTP to the user [DefaultUser] with password
// [DefaultPassword].
type Options struct {
	// Root is a local directory to serve. Clients cannot reach files
	// outside of it through FTP paths (symbolic links inside Root are
	// followed, though). If Root is empty the server uses a fresh
	// in-memory file system.
	Root string

	// Files, if not nil, is copied into the served file system before
	// the server starts: into memory, or into Root when Root is set.
	// An fstest.MapFS or an embed.FS (possibly narrowed with fs.Sub)
	// are typical values. Modification times are kept when Files
	// reports them.
	Files fs.FS

	// Users maps user names to passwords. Every listed user has read and
	// write access to the whole file system. If Users is nil, the single
	// user DefaultUser with DefaultPassword is created; use an empty,
	// non-nil map for a server with no named users.
	Users map[string]string

	// Anonymous allows read-only logins as "anonymous" or "ftp" with any
	// password.
	Anonymous bool

	// TLS selects whether and how FTPS is offered.
	TLS TLSMode

	// Addr is the TCP address to listen on. The default is
	// "127.0.0.1:0", falling back to "[::1]:0" if IPv4 loopback is not
	// available.
	Addr string

	// Logger receives the server's log, including every command and
	// reply at debug level. Nil discards it.
	Logger *slog.Logger
}

// Server is a running FTP server. Create it with [NewServer] or [New] and
// stop it with [Server.Close].
type Server struct {
	// Addr is the address of the control connection listener, in the
	// form "127.0.0.1:port".
	Addr string

	// Root is the absolute path of the served directory, or "" when the
	// server uses an in-memory file system.
	Root string

	mode     TLSMode
	fs       afero.Fs          // everything the server serves, rooted at "/"
	users    map[string]string // read-write accounts
	anon     bool
	tlsConf  *tls.Config // server side; nil if mode is TLSNone
	cert     *x509.Certificate
	settings *ftpserver.Settings
	logger   *slog.Logger
	ftp      *ftpserver.FtpServer
	ln       net.Listener // raw control listener

	serveDone chan struct{}
	closeOnce sync.Once
	closing   atomic.Bool

	mu        sync.Mutex
	closed    bool                      // guarded by mu
	conns     map[net.Conn]struct{}     // open control and data connections; guarded by mu
	listeners map[net.Listener]struct{} // passive data listeners that may be waiting in Accept; guarded by mu
	sessions  sync.WaitGroup            // control connections whose handler has not finished
	files     sync.WaitGroup            // files opened through FTP and not yet closed
}

// errClosed is returned by operations attempted while the server shuts
// down.
var errClosed = errors.New("ftptest: server closed")

// NewServer starts an FTP server configured by opts. The caller must
// call [Server.Close] when done with it.
func NewServer(opts Options) (*Server, error) {
	s := &Server{
		mode:      opts.TLS,
		anon:      opts.Anonymous,
		logger:    opts.Logger,
		serveDone: make(chan struct{}),
		conns:     make(map[net.Conn]struct{}),
		listeners: make(map[net.Listener]struct{}),
	}
	if s.mode < TLSNone || s.mode > TLSImplicit {
		return nil, fmt.Errorf("ftptest: invalid TLS mode %d", int(s.mode))
	}

	s.users = map[string]string{DefaultUser: DefaultPassword}
	if opts.Users != nil {
		s.users = make(map[string]string, len(opts.Users))
		for u, p := range opts.Users {
			s.users[u] = p
		}
	}

	if opts.Root != "" {
		root, err := filepath.Abs(opts.Root)
		if err != nil {
			return nil, fmt.Errorf("ftptest: %w", err)
		}
		fi, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("ftptest: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("ftptest: root %s is not a directory", root)
		}
		s.Root = root
		s.fs = afero.NewBasePathFs(afero.NewOsFs(), root)
	} else {
		s.fs = afero.NewMemMapFs()
	}
	if opts.Files != nil {
		if err := copyFS(s.fs, opts.Files); err != nil {
			return nil, fmt.Errorf("ftptest: copying Files: %w", err)
		}
	}

	ln, err := listen(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("ftptest: %w", err)
	}
	s.ln = ln
	s.Addr = ln.Addr().String()

	if s.mode != TLSNone {
		cert, err := newCertificate(ln.Addr().(*net.TCPAddr).IP)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("ftptest: generating certificate: %w", err)
		}
		s.cert = cert.Leaf
		s.tlsConf = &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
		}
	}

	var served net.Listener = &trackingListener{Listener: ln, srv: s, control: true}
	if s.mode == TLSImplicit {
		served = tls.NewListener(served, s.tlsConf)
	}

	s.settings = &ftpserver.Settings{
		Listener:                served,
		ListenAddr:              s.Addr,
		ActiveTransferPortNon20: true,
		ConnectionTimeout:       10,
		Banner:                  "ftptest",
		TLSRequired:             s.mode.requirement(),
		EnableHASH:              true,
		EnableCOMB:              true,
		DefaultTransferType:     ftpserver.TransferTypeBinary,
	}

	s.ftp = ftpserver.NewFtpServer(&driver{srv: s})
	if s.logger != nil {
		s.ftp.Logger = &logAdapter{l: s.logger, closing: &s.closing}
	}
	if err := s.ftp.Listen(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("ftptest: %w", err)
	}
	go func() {
		defer close(s.serveDone)
		if err := s.ftp.Serve(); err != nil && !s.closing.Load() {
			s.logf(slog.LevelError, "serve", "err", err)
		}
	}()
	return s, nil
}

// TB is the part of [testing.TB] that [New] uses; *testing.T, *testing.B
// and *testing.F satisfy it. It is declared here, instead of taking a
// testing.TB, so that this package does not import package testing:
// programs that embed the server (goftp serve, goftp demo) do not link the
// test framework and its flags.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// New starts a server like [NewServer], stops the test with tb.Fatal if
// that fails, and closes the server when the test and its subtests
// complete.
func New(tb TB, opts Options) *Server {
	tb.Helper()
	s, err := NewServer(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func listen(addr string) (net.Listener, error) {
	if addr != "" {
		return net.Listen("tcp", addr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		return ln, nil
	}
	if ln6, err6 := net.Listen("tcp", "[::1]:0"); err6 == nil {
		return ln6, nil
	}
	return nil, err
}

// URL returns the server's base URL: "ftp://host:port" for plain FTP,
// "ftpes://host:port" for explicit TLS and "ftps://host:port" for
// implicit TLS.
func (s *Server) URL() string {
	return s.mode.scheme() + "://" + s.Addr
}

// TLS returns the TLS mode the server was started with.
func (s *Server) TLS() TLSMode {
	return s.mode
}

// Certificate returns the server's self-signed certificate, which is also
// its own certificate authority, or nil if the server does not use TLS.
func (s *Server) Certificate() *x509.Certificate {
	return s.cert
}

// ClientTLSConfig returns a new client configuration that trusts the
// server's certificate, with ServerName set to the host in s.Addr and a
// session cache so that data connections can resume the control
// connection's TLS session. It returns nil if the server does not use
// TLS.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.cert == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.cert)
	host, _, _ := net.SplitHostPort(s.Addr)
	return &tls.Config{
		RootCAs:            pool,
		ServerName:         host,
		ClientSessionCache: tls.NewLRUClientSessionCache(0),
		MinVersion:         tls.VersionTLS12,
	}
}

// Close stops the listener, closes all control connections and passive
// data connections, and waits until every connection handler has finished
// and every file opened through FTP has been closed, so that the served
// files can be inspected, or Root removed, right afterwards. Transfers in
// progress are cut off. Files remain accessible through [Server.ReadFile]
// and [Server.FS] after Close. Close is safe to call more than once.
//
// When Close returns, a few of the FTP library's goroutines may still be
// finishing; they do not block on anything and exit within moments
// (goleak's default retries allow for this). One case can delay Close: an
// active-mode (PORT/EPRT) transfer whose client neither reads nor closes
// the data connection while it sends further commands keeps its session
// alive until the client closes that connection.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()

		s.ln.Close()
		<-s.serveDone // no new control connections from now on

		s.mu.Lock()
		closers := make([]io.Closer, 0, len(s.conns)+len(s.listeners))
		for c := range s.conns {
			closers = append(closers, c)
		}
		for l := range s.listeners {
			closers = append(closers, l)
		}
		clear(s.listeners)
		s.mu.Unlock()
		for _, c := range closers {
			c.Close()
		}

		s.sessions.Wait()
		s.files.Wait()
	})
	return nil
}

// WriteFile creates or replaces the file name, creating missing parent
// directories. Names are slash-separated paths relative to the server's
// root; a leading slash is optional.
func (s *Server) WriteFile(name string, data []byte) error {
	name = cleanPath(name)
	if err := s.fs.MkdirAll(path.Dir(name), 0o755); err != nil {
		return err
	}
	return afero.WriteFile(s.fs, name, data, 0o644)
}

// ReadFile returns the contents of the file name, a slash-separated path
// relative to the server's root.
func (s *Server) ReadFile(name string) ([]byte, error) {
	return afero.ReadFile(s.fs, cleanPath(name))
}

// MkdirAll creates the directory name, a slash-separated path relative to
// the server's root, along with any missing parents.
func (s *Server) MkdirAll(name string) error {
	return s.fs.MkdirAll(cleanPath(name), 0o755)
}

// FS returns a read-only view of the served files, for inspection with
// fs.ReadFile, fs.Stat, fs.WalkDir and the like. Names follow the io/fs
// conventions: "." is the root, "dir/file" a file in it.
func (s *Server) FS() fs.FS {
	return ioFS{s.fs}
}

// ioFS presents an afero.Fs as a read-only fs.FS.
type ioFS struct {
	fs afero.Fs
}

func (f ioFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	file, err := f.fs.Open(cleanPath(name))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPathError(err)}
	}
	info, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPathError(err)}
	}
	if !info.IsDir() {
		return &ioFile{f: file, info: info}, nil
	}
	entries, err := file.Readdir(-1)
	file.Close()
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: unwrapPathError(err)}
	}
	d := &ioDir{info: info, entries: make([]fs.DirEntry, len(entries))}
	for i, e := range entries {
		d.entries[i] = fs.FileInfoToDirEntry(e)
	}
	slices.SortFunc(d.entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return d, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ioFile is a regular file opened through ioFS.
type ioFile struct {
	f    afero.File
	info fs.FileInfo
}

func (f *ioFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *ioFile) Read(p []byte) (int, error) { return f.f.Read(p) }
func (f *ioFile) Close() error               { return f.f.Close() }

// ioDir is a directory opened through ioFS, with its entries read in
// advance.
type ioDir struct {
	info    fs.FileInfo
	entries []fs.DirEntry
	off     int
}

func (d *ioDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *ioDir) Close() error               { return nil }

func (d *ioDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errIsDir}
}

func (d *ioDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.off += n
	return rest[:n], nil
}

// cleanPath turns any slash-separated name into a clean absolute path,
// which cannot refer to anything above "/".
func cleanPath(name string) string {
	return path.Join("/", name)
}

// copyFS copies the tree src into dst.
func copyFS(dst afero.Fs, src fs.FS) error {
	return fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := cleanPath(name)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			perm := info.Mode().Perm()
			if perm == 0 {
				perm = 0o755
			}
			if err := dst.MkdirAll(target, perm|0o700); err != nil {
				return err
			}
		} else {
			data, err := fs.ReadFile(src, name)
			if err != nil {
				return err
			}
			perm := info.Mode().Perm()
			if perm == 0 {
				perm = 0o644
			}
			if err := dst.MkdirAll(path.Dir(target), 0o755); err != nil {
				return err
			}
			if err := writeFile(dst, target, data, perm|0o600); err != nil {
				return err
			}
		}
		if mt := info.ModTime(); !mt.IsZero() {
			return dst.Chtimes(target, mt, mt)
		}
		return nil
	})
}

func writeFile(dst afero.Fs, name string, data []byte, perm fs.FileMode) error {
	f, err := dst.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, bytes.NewReader(data))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// track registers c as open, or closes it and reports false if the
// server is shutting down.
func (s *Server) track(c io.Closer) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return false
	}
	switch c := c.(type) {
	case net.Conn:
		s.conns[c] = struct{}{}
	case net.Listener:
		// Forget passive listeners that the library closed without
		// accepting anything (after ABOR, or a second PASV).
		for l := range s.listeners {
			if isClosed(l) {
				delete(s.listeners, l)
			}
		}
		s.listeners[c] = struct{}{}
	}
	s.mu.Unlock()
	return true
}

// isClosed reports whether l is known to be closed.
func isClosed(l net.Listener) bool {
	sc, ok := l.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	return rc.Control(func(uintptr) {}) != nil
}

// untrack forgets c.
func (s *Server) untrack(c io.Closer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch c := c.(type) {
	case net.Conn:
		delete(s.conns, c)
	case net.Listener:
		delete(s.listeners, c)
	}
}

// openFile registers a file opened through FTP; it reports false if the
// server is shutting down, in which case the file must not be used.
func (s *Server) openFile() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.files.Add(1)
	return true
}

func (s *Server) logf(level slog.Level, msg string, args ...any) {
	if s.logger != nil {
		s.logger.Log(context.Background(), level, msg, args...)
	}
}

// trackingListener records the connections it accepts so that Close can
// cut them off.
type trackingListener struct {
	net.Listener
	srv     *Server
	control bool // control connection listener, as opposed to passive data
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if !l.control {
		// The library accepts at most one connection per passive
		// listener, after which Close no longer needs to interrupt it.
		l.srv.untrack(l.Listener)
	}
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, srv: l.srv}
	if l.control {
		// Every accepted control connection gets a handler that ends
		// with driver.ClientDisconnected, even if we close it now.
		l.srv.sessions.Add(1)
	}
	l.srv.track(tc)
	return tc, nil
}

// trackedConn forgets itself when closed.
type trackedConn struct {
	net.Conn
	srv  *Server
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.srv.untrack(c) })
	return c.Conn.Close()
}
