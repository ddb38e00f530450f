package main

import (
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
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/netrc"
)

// parseURL parses a command-line URL; a bad URL is a usage error. A
// password in it draws a warning (once).
func (a *app) parseURL(raw string) (*ftp.URL, error) {
	u, err := ftp.ParseURL(raw)
	if err != nil {
		return nil, &usageError{errText(err)}
	}
	if u.HasPassword && u.Password != "" {
		a.mu.Lock()
		warn := !a.warnedPasswd
		a.warnedPasswd = true
		a.mu.Unlock()
		if warn {
			a.warnf("a password in the URL is visible to other users in process lists; use FTP_PASSWORD or ~/.netrc")
		}
	}
	return u, nil
}

// tlsMode returns "none", "explicit" or "implicit" for u and --tls.
func (a *app) tlsMode(u *ftp.URL) (string, error) {
	byScheme := map[string]string{"ftp": "none", "ftpes": "explicit", "ftps": "implicit"}[u.Scheme]
	switch a.g.tls {
	case "":
		return byScheme, nil
	case "none", "explicit", "implicit":
		if u.Scheme != "ftp" && a.g.tls != byScheme {
			return "", usagef("--tls %s conflicts with the %s:// URL", a.g.tls, u.Scheme)
		}
		return a.g.tls, nil
	}
	return "", usagef("--tls must be none, explicit or implicit, not %q", a.g.tls)
}

// logger returns the logger for the protocol dialogue at the -v level,
// or nil.
func (a *app) logger(showConn bool) *slog.Logger {
	switch {
	case a.g.verbose <= 0:
		return nil
	case a.g.verbose == 1:
		return slog.New(newDialogue(a.writer(a.stderr), slog.LevelDebug, showConn))
	default:
		return slog.New(newDialogue(a.writer(a.stderr), ftp.LevelTrace, showConn))
	}
}

// dialer builds the ftp.Dialer for u from the global flags.
func (a *app) dialer(u *ftp.URL) (ftp.Dialer, error) {
	if a.g.timeout < 0 {
		return ftp.Dialer{}, usagef("--timeout must not be negative")
	}
	d := ftp.Dialer{
		Timeout:          a.g.timeout,
		ControlKeepAlive: time.Duration(a.g.keep),
		Active:           a.g.active,
		Logger:           a.logger(false),
	}
	mode, err := a.tlsMode(u)
	if err != nil {
		return d, err
	}
	port := "21"
	if mode == "implicit" {
		port = "990"
	}
	d.DialContext = dialMarked(controlAddr(u.Host, port))
	px, err := a.g.px.proxyFor(u, a.getenv)
	if err != nil {
		return d, err
	}
	if px != nil {
		if a.g.active {
			return d, usagef("--active does not work through a proxy (the server cannot connect back through it): drop --active, or bypass the proxy with --noproxy or --proxy \"\"")
		}
		d.Proxy = px        // its failures are ftp.ProxyErrors: "cannot connect"
		d.DialContext = nil // the library dials the proxy
	}
	if mode == "none" {
		if a.g.insecure || a.g.ca != "" {
			return d, usagef("--insecure and --ca need TLS: use an ftps:// or ftpes:// URL or --tls")
		}
		return d, a.g.srv.apply(&d)
	}
	cfg := &tls.Config{InsecureSkipVerify: a.g.insecure}
	if a.g.insecure {
		a.warnf("--insecure: the server's certificate is not verified")
	}
	if a.g.ca != "" {
		pem, err := os.ReadFile(a.g.ca)
		if err != nil {
			return d, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return d, fmt.Errorf("--ca %s: no PEM certificate found", a.g.ca)
		}
		cfg.RootCAs = pool
	}
	d.TLS = cfg
	if err := a.g.srv.apply(&d); err != nil {
		return d, err
	}
	// The URL's scheme, or --tls for an ftp:// URL, sets the TLS mode and
	// the server name (ftp.URL.Dialer: the one URL-to-Dialer mapping).
	v := *u
	v.Scheme = map[string]string{"explicit": "ftpes", "implicit": "ftps"}[mode]
	return v.Dialer(d)
}

// creds are the login credentials for a URL.
type creds struct {
	user, password, account string
}

// credentials works out who to log in as. The user comes from --user, the
// URL, or .netrc, else anonymous; the password from the URL,
// $FTP_PASSWORD, .netrc, or a prompt when standard input is a terminal.
func (a *app) credentials(u *ftp.URL) (creds, error) {
	c := creds{user: u.User}
	if a.g.user != "" {
		c.user = a.g.user
	}
	anonymous := func() bool { return c.user == "" || c.user == "anonymous" || c.user == "ftp" }
	switch {
	case u.HasPassword:
		c.password = u.Password
		return c, nil
	case c.user == "anonymous" || c.user == "ftp":
		return c, nil // the library sends "anonymous@"
	}
	env := a.getenv("FTP_PASSWORD")
	if env != "" && c.user != "" {
		c.password = env
		return c, nil
	}
	f, err := a.loadNetrc()
	if err != nil {
		return c, err
	}
	if m, ok := f.Lookup(u.Hostname(), c.user); ok {
		if c.user == "" {
			c.user = m.Login
		}
		if m.Password != "" || anonymous() {
			c.password, c.account = m.Password, m.Account
			return c, nil
		}
	}
	switch {
	case anonymous():
		if env != "" {
			a.warnf("FTP_PASSWORD is set but no user name is given (--user or the URL): logging in anonymously")
		}
		return c, nil
	case env != "":
		c.password = env
		return c, nil
	}
	pw, err := a.prompt(fmt.Sprintf("Password for %s@%s: ", c.user, u.Hostname()))
	if err != nil {
		return c, err
	}
	c.password = pw
	return c, nil
}

// loadNetrc reads --netrc FILE, or $NETRC or ~/.netrc when they exist.
// An unusable default file is warned about and ignored.
func (a *app) loadNetrc() (*netrc.File, error) {
	if a.g.netrc != "" {
		return netrc.ParseFile(a.g.netrc)
	}
	f, err := netrc.Load()
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			a.warnf("ignoring .netrc: %s", errText(err))
		}
		return nil, nil
	}
	return f, nil
}

// prompt reads a password without echo from the terminal on standard
// input. Ctrl-C, or the app's cancellation (SIGINT, SIGTERM), ends it at
// once with the terminal restored: errInterrupted or the context's error.
func (a *app) prompt(msg string) (string, error) {
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no password: set FTP_PASSWORD, add the host to ~/.netrc, or run on a terminal to be asked")
	}
	if err := a.ctx.Err(); err != nil {
		return "", err
	}
	a.printf(a.stderr, "%s", msg)
	pw, err := a.readPassword(f)
	a.printf(a.stderr, "\n")
	if err != nil {
		if errors.Is(err, errInterrupted) || a.ctx.Err() != nil {
			return "", err
		}
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return strings.TrimRight(pw, "\r\n"), nil
}

// readPassword reads a line from the terminal f without echo.
//
// term.ReadPassword blocks in read(2) until Enter, deaf to Ctrl-C (the
// signal handler restarts the read) and to the app's context. So the
// terminal is reopened through /proc/self/fd, which gives a descriptor
// of its own that the runtime poller handles: a read deadline, set when
// the context is cancelled, ends the read. The terminal is put in raw
// mode, where Ctrl-C arrives as a byte rather than a signal, and
// restored on return. Where /proc is missing (not Linux), the terminal
// is read with term.ReadPassword, uninterruptible as before.
func (a *app) readPassword(f *os.File) (string, error) {
	fd := int(f.Fd())
	tty, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", fd), os.O_RDONLY|syscall.O_NOCTTY, 0)
	if err == nil && tty.SetReadDeadline(time.Time{}) != nil {
		tty.Close() // not pollable: no deadlines
		err = os.ErrNoDeadline
	}
	if err != nil {
		b, err := term.ReadPassword(fd)
		return string(b), err
	}
	defer tty.Close()
	state, err := term.MakeRaw(fd)
	if err != nil {
		return "", err
	}
	defer term.Restore(fd, state)
	stop := context.AfterFunc(a.ctx, func() { tty.SetReadDeadline(time.Now()) })
	defer stop()
	var pw []byte
	var c [1]byte // one byte at a time: what follows Enter stays unread
	for {
		if _, err := tty.Read(c[:]); err != nil {
			if cerr := a.ctx.Err(); cerr != nil {
				return "", cerr
			}
			return "", err
		}
		switch c[0] {
		case '\r', '\n':
			return string(pw), nil
		case 0x03, 0x1c: // Ctrl-C, Ctrl-\ (INTR, QUIT)
			return "", errInterrupted
		case 0x04: // Ctrl-D: end of input on an empty line
			if len(pw) == 0 {
				return "", io.EOF
			}
		case 0x7f, 0x08: // erase the last character
			if len(pw) > 0 {
				_, n := utf8.DecodeLastRune(pw)
				pw = pw[:len(pw)-n]
			}
		case 0x15: // Ctrl-U: erase the line
			pw = pw[:0]
		case 0x1a: // Ctrl-Z: no job control while the terminal is raw
		default:
			pw = append(pw, c[0])
		}
	}
}

// greetingPatience is how long connect waits for the first line from the
// server before saying what may be wrong (the wait goes on until the
// timeout).
const greetingPatience = 5 * time.Second

// connect dials the server of u and logs in. The caller must Close or
// Quit the Conn.
func (a *app) connect(u *ftp.URL) (*ftp.Conn, error) {
	return a.connectWith(u, nil)
}

// connectWith is connect with a chance to adjust the Dialer first.
func (a *app) connectWith(u *ftp.URL, adjust func(*ftp.Dialer)) (*ftp.Conn, error) {
	d, err := a.dialer(u)
	if err != nil {
		return nil, err
	}
	if adjust != nil {
		adjust(&d)
	}
	cr, err := a.credentials(u)
	if err != nil {
		return nil, err
	}
	if !d.ImplicitTLS && d.Proxy == nil && (d.Timeout < 0 || d.Timeout > greetingPatience) {
		var stop func()
		d.Logger, stop = watchGreeting(d.Logger, greetingPatience, func() {
			a.warnf("no greeting from the server yet after %v (still waiting): if this port expects implicit TLS (usually 990), use ftps://", greetingPatience)
		})
		defer stop()
	}
	c, err := d.Dial(a.ctx, u.Host)
	if err != nil {
		return nil, err
	}
	if _, err := c.LoginAccount(a.ctx, cr.user, cr.password, cr.account); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// poolConfig returns the configuration of a Pool of up to n logged-in
// connections to the server of u.
func (a *app) poolConfig(u *ftp.URL, n int) (ftp.PoolConfig, error) {
	d, err := a.dialer(u)
	if err != nil {
		return ftp.PoolConfig{}, err
	}
	d.Logger = a.logger(n > 1)
	cr, err := a.credentials(u)
	if err != nil {
		return ftp.PoolConfig{}, err
	}
	return ftp.PoolConfig{
		Dialer: d, User: cr.user, Password: cr.password, Account: cr.account,
		MaxConns: n, Retries: a.g.retries,
	}, nil
}

// pools returns the command's cache of one-connection Pools, one per
// server and login (ftp.Pools); the caller must Close it.
func (a *app) pools() *ftp.Pools {
	return &ftp.Pools{
		Config:      func(u *ftp.URL) (ftp.PoolConfig, error) { return a.poolConfig(u, 1) },
		IdleTimeout: -1, // a command's Pools live as long as the command
	}
}

// quit ends a session politely; errors are of no interest by then.
func (a *app) quit(c *ftp.Conn) {
	c.Quit(a.ctx)
}

// dialError marks a failure to open the control connection, so that it
// exits with "cannot connect" while a failed data connection (dialled
// through the same Dialer.DialContext) counts as a failed transfer.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// dialMarked returns a Dialer.DialContext that dials as the library does
// and marks failures to reach ctrl, the control connection's address,
// with dialError.
//
// Passive data connections, which the library dials to the control
// connection's host as given (a name, perhaps), go to the address the
// first control connection reached, and so do later control connections
// (a Pool's), so that a name with several addresses does not send them to
// another machine.
func dialMarked(ctrl string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	ctrlHost, _, _ := net.SplitHostPort(ctrl)
	var mu sync.Mutex
	var ctrlIP string // the address the control connection reached
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{KeepAlive: 30 * time.Second}
		to := addr
		if h, p, err := net.SplitHostPort(addr); err == nil && h == ctrlHost {
			mu.Lock()
			if ctrlIP != "" {
				to = net.JoinHostPort(ctrlIP, p)
			}
			mu.Unlock()
		}
		c, err := nd.DialContext(ctx, network, to)
		if err != nil && addr == ctrl && to != addr && ctx.Err() == nil {
			c, err = nd.DialContext(ctx, network, addr) // that machine is gone: any of the name's
		}
		if addr == ctrl {
			if err != nil {
				return nil, &dialError{err}
			}
			if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
				mu.Lock()
				if ctrlIP == "" { // the first: every connection goes there
					ctrlIP = ta.IP.String()
				}
				mu.Unlock()
			}
		}
		return c, err
	}
}

// controlAddr is host with port added when it has none, as the library
// completes the address it dials.
func controlAddr(host, port string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), port)
}
