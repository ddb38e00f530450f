//go:build linux

// Package ftpservers starts real FTP servers (vsftpd, ProFTPD, Pure-FTPd and
// pyftpdlib) on the loopback interface, for interoperability tests.
//
// The servers are installed by interop/servers/install.sh (run it as root
// first). vsftpd, ProFTPD and Pure-FTPd are unpacked into a private prefix
// (default /opt/goftplib-servers, override with $FTPSERVERS_PREFIX) and run
// from there; pyftpdlib is Debian's python3-pyftpdlib, run with
// /usr/bin/python3. Configuration templates live in interop/servers/<kind>/
// (found relative to this source file or the working directory, override
// with $FTPSERVERS_TEMPLATES).
//
// Every Start uses its own temporary directory (configuration, FTP roots,
// logs, pid file, certificates) and its own free port, so any number of
// servers, also of the same kind, can run side by side. Passive data ports
// are chosen by the kernel (no fixed range), and both passive and active
// (PORT/EPRT) data connections are allowed.
//
// Typical use in a test (skipped when vsftpd is not installed, failed
// instead under FTP_INTEROP=required; the server stops with the test):
//
//	srv := ftpservers.ForTest(t, ftpservers.Config{Kind: ftpservers.Vsftpd, TLS: ftpservers.TLSExplicit})
//
// This package only uses the standard library and does not depend on the
// FTP client package of this module.
package ftpservers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
)

// Kind names an FTP server implementation.
type Kind string

// The supported server implementations.
const (
	Vsftpd    Kind = "vsftpd"    // vsftpd 3.0.3 (Debian 12)
	ProFTPD   Kind = "proftpd"   // ProFTPD 1.3.8 with mod_tls
	PureFTPd  Kind = "pureftpd"  // Pure-FTPd 1.0.50
	Pyftpdlib Kind = "pyftpdlib" // pyftpdlib 1.5.7 (Python)
)

// Kinds lists every supported Kind.
var Kinds = []Kind{Vsftpd, ProFTPD, PureFTPd, Pyftpdlib}

// TLSMode selects how the server offers TLS.
type TLSMode int

const (
	// TLSNone: plain FTP, AUTH TLS is not offered.
	TLSNone TLSMode = iota
	// TLSExplicit: plain connection, AUTH TLS offered (RFC 4217). Whether the
	// write user must use TLS is reported by Server.Caps.TLSRequired
	// (vsftpd forces TLS for the user's login and data, which is its natural
	// setting; the others allow plaintext). Anonymous may always use
	// plaintext.
	TLSExplicit
	// TLSImplicit: TLS from the first byte (FTPS, "port 990" style).
	// Supported by vsftpd and ProFTPD only; Start returns an error wrapping
	// ErrUnsupported for the others.
	TLSImplicit
)

func (m TLSMode) String() string {
	switch m {
	case TLSNone:
		return "plain"
	case TLSExplicit:
		return "explicit-tls"
	case TLSImplicit:
		return "implicit-tls"
	}
	return fmt.Sprintf("TLSMode(%d)", int(m))
}

// ErrUnsupported is wrapped by Start's error when the server cannot run the
// requested configuration (e.g. implicit TLS on Pure-FTPd).
var ErrUnsupported = errors.New("not supported by this server")

// ErrNotInstalled is wrapped by Available's (and Start's) error when the
// server's files are missing (run interop/servers/install.sh).
var ErrNotInstalled = errors.New("not installed (run interop/servers/install.sh as root)")

// Config selects the server and its configuration.
type Config struct {
	Kind Kind
	// IPv6 makes the server listen on [::1] instead of 127.0.0.1.
	IPv6 bool
	// TLS selects plain FTP, explicit or implicit TLS.
	TLS TLSMode
	// NoSSLReuse turns off the server's requirement that TLS data
	// connections resume the control connection's TLS session (vsftpd
	// require_ssl_reuse=NO, ProFTPD TLSOptions NoSessionReuseRequired).
	// By default the server keeps its secure default (required).
	// It is a no-op for servers that do not require reuse.
	NoSSLReuse bool
	// TLSMaxVersion, if non-zero, caps the TLS version the server accepts:
	// tls.VersionTLS12 (or tls.VersionTLS13, the default anyway). It is set
	// with an OpenSSL configuration file ($OPENSSL_CONF, MaxProtocol) for
	// every server, plus ProFTPD's TLSProtocol and pyftpdlib's context.
	TLSMaxVersion uint16
	// MaxClients limits simultaneous control connections (vsftpd
	// max_clients, ProFTPD MaxInstances, pyftpdlib max_cons); more are
	// refused with 421. Zero means 50. Pure-FTPd ignores it.
	MaxClients int
	// Instance tells apart servers of the same settings that tests must
	// not share (a session limit each needs whole); it changes nothing
	// else.
	Instance int
}

// Feature tells whether a server supports something, and why not.
type Feature struct {
	Supported bool
	Reason    string // why not, when !Supported
}

func yes() Feature             { return Feature{Supported: true} }
func no(reason string) Feature { return Feature{Reason: reason} }
func (f Feature) String() string {
	return map[bool]string{true: "yes", false: "no: " + f.Reason}[f.Supported]
}

// Caps describes what a running server supports, as observed with its
// installed version and the configuration used by this package.
type Caps struct {
	MLSD        Feature // MLSD/MLST listings (RFC 3659)
	MFMT        Feature // MFMT (set modification time)
	MDTMSet     Feature // "MDTM YYYYMMDDHHMMSS path" sets the modification time
	ImplicitTLS Feature // TLSImplicit mode
	IPv6        Feature // listening on ::1, EPSV/EPRT
	Anonymous   Feature // anonymous read-only login (AnonDir)
	TLS13       Feature // TLS 1.3 negotiated by default
	// TLSRequired: in TLSExplicit mode, the write user must send AUTH TLS
	// before USER and use PROT P for data; plaintext is refused.
	TLSRequired bool
	// SessionReuseRequired: TLS data connections must resume the control
	// connection's TLS session (use one tls.ClientSessionCache for both and
	// the same ServerName), otherwise the transfer is refused.
	SessionReuseRequired bool
	// TLS12Resumption: a crypto/tls client can resume this server's TLS 1.2
	// sessions. Go resumes TLS 1.2 only with session tickets (RFC 5077),
	// never by session ID; a server without TLS 1.2 tickets that also
	// requires reuse refuses every TLS 1.2 data connection from Go.
	// (TLS 1.3 resumption always works.)
	TLS12Resumption Feature
}

// Server is a running FTP server started by Start.
//
// Accounts: User/Password ("goftp"/"s3cret-Pass") is chrooted to Dir with
// full write access. vsftpd authenticates it through PAM against the system
// account "goftp" (created by install.sh); ProFTPD (AuthUserFile) and
// Pure-FTPd (PureDB) use a virtual user mapped to that account's uid, and
// pyftpdlib (DummyAuthorizer, running as root) a virtual user. Anonymous
// (user "anonymous", any password) is read-only in AnonDir, where
// supported (not Pure-FTPd).
//
// TLS: TLSExplicit offers AUTH TLS and keeps each server's natural
// setting: vsftpd forces TLS for the write user's login and data
// (force_local_logins_ssl/force_local_data_ssl, Caps.TLSRequired) while
// ProFTPD (TLSRequired off), Pure-FTPd (TLS 1) and pyftpdlib allow
// plaintext; anonymous may always use plaintext in TLSExplicit mode.
// Session reuse on data connections is required by vsftpd and ProFTPD
// (their defaults) unless Config.NoSSLReuse; see Caps.
type Server struct {
	Kind   Kind
	Config Config

	// Addr is the host:port of the control connection, e.g.
	// "127.0.0.1:40021" or "[::1]:40021".
	Addr string
	Host string // "127.0.0.1" or "::1"
	Port int

	// User and Password are an account with write access to Dir.
	User, Password string
	// Dir is the absolute local path of User's FTP root (chrooted: it is
	// "/" over FTP). Tests may create and inspect files there.
	Dir string
	// UID and GID own Dir; the FTP user acts with them (except pyftpdlib,
	// which runs everything as root: 0, 0). Use WriteFile/MkdirAll to
	// create test files the FTP user may modify.
	UID, GID int
	// AnonDir is the local path of the anonymous read-only root (login
	// "anonymous", any password), "" if the server has no anonymous access.
	// Files there must be world-readable (vsftpd serves nothing else).
	AnonDir string

	// CAFile is a PEM file of the CA that signed the server certificate,
	// CertPool contains that CA. The certificate is valid for 127.0.0.1,
	// ::1 and localhost. Set for every server, used when TLS != TLSNone.
	CAFile   string
	CertPool *x509.CertPool

	Caps Caps

	// TempDir holds everything of this instance; removed by Close.
	TempDir string
	// LogFiles are the server's log files (protocol/debug logs and the
	// process's stdout+stderr); see also Logs.
	LogFiles []string
	// PID is the process id of the server's main process.
	PID int

	proc *process

	closeOnce sync.Once
	closeErr  error
}

// Required reports whether the interop servers are required
// ($FTP_INTEROP == "required"): tests should then fail instead of skipping
// when a server is not installed.
func Required() bool { return os.Getenv("FTP_INTEROP") == "required" }

// Prefix is the directory into which install.sh unpacks the servers.
func Prefix() string {
	if p := os.Getenv("FTPSERVERS_PREFIX"); p != "" {
		return p
	}
	return "/opt/goftplib-servers"
}

const (
	ftpUser     = "goftp"
	ftpPassword = "s3cret-Pass"
	pamService  = "goftplib-vsftpd"
	python      = "/usr/bin/python3"
)

// Available returns nil if the server k is installed and can be started,
// otherwise an error (wrapping ErrNotInstalled) naming what is missing.
func Available(k Kind) error {
	var missing []string
	file := func(p string) {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	needUser := func() {
		if _, _, err := systemUser(); err != nil {
			missing = append(missing, "system user "+ftpUser)
		} else if u, err := user.Lookup(ftpUser); err == nil {
			// vsftpd changes into the home directory before local_root.
			if st, err := os.Stat(u.HomeDir); err != nil || !st.IsDir() {
				missing = append(missing, "home directory "+u.HomeDir+" of "+ftpUser)
			}
		}
	}
	if _, err := templatesDir(); err != nil {
		missing = append(missing, err.Error())
	}
	switch k {
	case Vsftpd:
		file(filepath.Join(Prefix(), "vsftpd/usr/sbin/vsftpd"))
		file("/etc/pam.d/" + pamService)
		needUser()
	case ProFTPD:
		file(filepath.Join(Prefix(), "proftpd/usr/sbin/proftpd"))
		file(filepath.Join(Prefix(), "proftpd/usr/lib/proftpd/mod_tls.so"))
		needUser()
	case PureFTPd:
		file(filepath.Join(Prefix(), "pureftpd/usr/sbin/pure-ftpd"))
		file(filepath.Join(Prefix(), "pureftpd/usr/bin/pure-pw"))
		needUser()
		if _, err := exec.LookPath("openssl"); err != nil {
			missing = append(missing, "openssl")
		}
	case Pyftpdlib:
		file(python)
		if len(missing) == 0 {
			if out, err := exec.Command(python, "-c", "import pyftpdlib, OpenSSL").CombinedOutput(); err != nil {
				missing = append(missing, "python3-pyftpdlib/python3-openssl ("+strings.TrimSpace(lastLines(string(out), 1))+")")
			}
		}
	default:
		return fmt.Errorf("ftpservers: unknown server kind %q", k)
	}
	if len(missing) > 0 {
		return fmt.Errorf("ftpservers: %s %w: missing %s", k, ErrNotInstalled, strings.Join(missing, ", "))
	}
	return nil
}

// baseCaps is what each server supports (observed with the Debian 12
// packages and the configurations of this package).
func baseCaps(k Kind) Caps {
	switch k {
	case Vsftpd:
		return Caps{
			MLSD:                 no("vsftpd does not implement MLSD/MLST"),
			MFMT:                 no("vsftpd does not implement MFMT (use MDTM with a time argument)"),
			MDTMSet:              yes(),
			ImplicitTLS:          yes(),
			IPv6:                 yes(),
			Anonymous:            yes(),
			TLS13:                yes(),
			TLSRequired:          true,
			SessionReuseRequired: true,
			TLS12Resumption:      yes(),
		}
	case ProFTPD:
		return Caps{
			MLSD:                 yes(),
			MFMT:                 yes(),
			MDTMSet:              no("ProFTPD's MDTM only reads; use MFMT"),
			ImplicitTLS:          yes(),
			IPv6:                 yes(),
			Anonymous:            yes(),
			TLS13:                yes(),
			SessionReuseRequired: true,
			TLS12Resumption: no("ProFTPD issues no TLS 1.2 session tickets (TLSSessionTickets defaults to off) " +
				"and requires reuse: with TLS 1.2, Go's data connections get \"425 Unable to build data connection: Operation not permitted\" unless NoSSLReuse"),
		}
	case PureFTPd:
		return Caps{
			MLSD:        yes(),
			MFMT:        yes(),
			MDTMSet:     no("Pure-FTPd's MDTM only reads; use MFMT"),
			ImplicitTLS: no("Pure-FTPd has no implicit TLS"),
			IPv6:        yes(),
			Anonymous:   no("Pure-FTPd takes the anonymous root from the system user \"ftp\" (not per instance); disabled"),
			TLS13:       yes(),
			// Resumes TLS 1.2 sessions but not TLS 1.3 ones; does not require reuse.
			TLS12Resumption: yes(),
		}
	case Pyftpdlib:
		return Caps{
			MLSD:            yes(),
			MFMT:            yes(),
			MDTMSet:         no("pyftpdlib's MDTM only reads; use MFMT"),
			ImplicitTLS:     no("pyftpdlib has no implicit TLS"),
			IPv6:            yes(),
			Anonymous:       yes(),
			TLS13:           yes(),
			TLS12Resumption: yes(),
		}
	}
	return Caps{}
}

// Start starts a server of cfg.Kind on a free loopback port, waits until it
// answers 220 and returns it. Close must be called to stop it. ctx bounds
// the start-up (a default of 20 s applies if ctx has no deadline); it does
// not stop the server once Start has returned.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if err := Available(cfg.Kind); err != nil {
		return nil, err
	}
	caps := baseCaps(cfg.Kind)
	if cfg.TLS == TLSImplicit && !caps.ImplicitTLS.Supported {
		return nil, fmt.Errorf("ftpservers: %s: implicit TLS %w: %s", cfg.Kind, ErrUnsupported, caps.ImplicitTLS.Reason)
	}
	if cfg.TLS < TLSNone || cfg.TLS > TLSImplicit {
		return nil, fmt.Errorf("ftpservers: invalid TLS mode %v", cfg.TLS)
	}
	switch cfg.TLSMaxVersion {
	case 0, tls.VersionTLS12, tls.VersionTLS13:
	default:
		return nil, fmt.Errorf("ftpservers: TLSMaxVersion %#x %w (only TLS 1.2 or 1.3)", cfg.TLSMaxVersion, ErrUnsupported)
	}
	if cfg.NoSSLReuse {
		caps.SessionReuseRequired = false
	}
	if cfg.TLS != TLSExplicit {
		caps.TLSRequired = false
	}
	if cfg.TLSMaxVersion == tls.VersionTLS12 {
		caps.TLS13 = no("TLSMaxVersion is TLS 1.2")
	}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStartTimeout)
		defer cancel()
	}

	s := &Server{
		Kind:     cfg.Kind,
		Config:   cfg,
		Host:     "127.0.0.1",
		User:     ftpUser,
		Password: ftpPassword,
		Caps:     caps,
	}
	if cfg.IPv6 {
		s.Host = "::1"
	}
	if err := s.prepareDirs(); err != nil {
		s.cleanup()
		return nil, err
	}
	if err := s.run(ctx); err != nil {
		s.cleanup()
		return nil, err
	}
	return s, nil
}

// TLSConfig returns a new client TLS configuration for this server: it
// trusts CertPool, sets ServerName to Host (so that the control and data
// connections share ClientSessionCache entries) and has a fresh
// ClientSessionCache. Use the same *tls.Config (or at least the same
// ClientSessionCache and ServerName) for the control and data connections
// of one session: servers with Caps.SessionReuseRequired refuse data
// connections that do not resume the control connection's session.
func (s *Server) TLSConfig() *tls.Config {
	c := &tls.Config{
		RootCAs:            s.CertPool,
		ServerName:         s.Host,
		ClientSessionCache: tls.NewLRUClientSessionCache(16),
	}
	return c
}

// Close stops the server (its whole process group, SIGTERM then SIGKILL)
// and removes TempDir. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.proc != nil {
			s.closeErr = s.proc.stop()
		}
		s.cleanup()
	})
	return s.closeErr
}

// WriteFile creates the file rel (slash-separated, relative to Dir) with
// data, creating missing parent directories, all owned by UID/GID so that
// the FTP user can modify or delete them.
func (s *Server) WriteFile(rel string, data []byte) error {
	path := filepath.Join(s.Dir, filepath.FromSlash(rel))
	if err := s.MkdirAll(filepath.ToSlash(filepath.Dir(filepath.FromSlash(rel)))); err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	return os.Lchown(path, s.UID, s.GID)
}

// MkdirAll creates the directory rel (slash-separated, relative to Dir)
// and its missing parents, owned by UID/GID.
func (s *Server) MkdirAll(rel string) error {
	path := s.Dir
	for _, part := range strings.Split(filepath.ToSlash(filepath.Clean(filepath.FromSlash(rel))), "/") {
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			return fmt.Errorf("ftpservers: %q leaves Dir", rel)
		}
		path = filepath.Join(path, part)
		if err := os.Mkdir(path, 0o755); err != nil {
			if errors.Is(err, os.ErrExist) {
				continue
			}
			return err
		}
		if err := os.Lchown(path, s.UID, s.GID); err != nil {
			return err
		}
	}
	return nil
}

// Logs returns the last lines (up to about 60 per file) of the server's log
// files, for test failure messages.
func (s *Server) Logs() string {
	var b strings.Builder
	for _, f := range s.LogFiles {
		data, err := os.ReadFile(f)
		if err != nil || len(data) == 0 {
			continue
		}
		fmt.Fprintf(&b, "--- %s ---\n%s\n", f, lastLines(string(data), 60))
	}
	return b.String()
}

func (s *Server) String() string {
	return fmt.Sprintf("%s %s %s", s.Kind, s.Config.TLS, s.Addr)
}

func (s *Server) cleanup() {
	if s.TempDir != "" && os.Getenv("FTPSERVERS_KEEP") == "" {
		os.RemoveAll(s.TempDir)
	}
}

func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
