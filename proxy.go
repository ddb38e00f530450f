package ftp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/proxy"
)

// DefaultProxyPort is the port of a Dialer.Proxy URL that names none, for
// every scheme (as curl reads a proxy URL).
const DefaultProxyPort = "1080"

// Errors of connections made through Dialer.Proxy. Each failure to connect
// through the proxy is a *ProxyError matching one of the first three.
var (
	// ErrProxyUnreachable: the proxy could not be reached (no route,
	// connection refused, or no answer within the Timeout).
	ErrProxyUnreachable = errors.New("ftp: proxy unreachable")
	// ErrProxyAuth: the proxy refused the credentials of the proxy URL,
	// or wants credentials and none were given (SOCKS5 "no acceptable
	// authentication methods", HTTP 407 or 401).
	ErrProxyAuth = errors.New("ftp: proxy authentication failed")
	// ErrProxyRefused: the proxy was reached and accepted the client but
	// did not connect to the server (a SOCKS5 error reply, an HTTP status
	// other than 2xx, or no answer within the Timeout).
	ErrProxyRefused = errors.New("ftp: proxy did not connect to the server")
	// ErrActiveThroughProxy: active mode (Dialer.Active, SetPasv(false))
	// was asked for with Dialer.Proxy set. The server cannot connect back
	// to the client through a SOCKS5 or HTTP CONNECT proxy; use passive
	// mode.
	ErrActiveThroughProxy = errors.New("ftp: active mode does not work through a proxy (the server cannot connect back through it): use passive mode")
)

// ProxyError is a failure to connect to Target through a proxy. It
// matches (errors.Is) ErrProxyUnreachable, ErrProxyAuth or
// ErrProxyRefused, and unwraps to its cause (os.ErrDeadlineExceeded when
// the proxy said nothing within the Timeout). The proxy's password is
// never part of it.
type ProxyError struct {
	Proxy  string // the proxy, as scheme://host:port (no credentials)
	Target string // the address the proxy was asked to connect to
	Kind   error  // ErrProxyUnreachable, ErrProxyAuth or ErrProxyRefused
	Err    error  // the cause
}

func (e *ProxyError) Error() string {
	var what string
	switch e.Kind {
	case ErrProxyUnreachable:
		what = "cannot reach proxy " + e.Proxy
	case ErrProxyAuth:
		what = "proxy " + e.Proxy + " refused the credentials"
	default:
		what = "proxy " + e.Proxy + " did not connect to " + e.Target
	}
	if e.Err == nil {
		return "ftp: " + what
	}
	return "ftp: " + what + ": " + bareText(e.Err)
}

// Unwrap returns the cause.
func (e *ProxyError) Unwrap() error { return e.Err }

// Is reports whether target is e's Kind.
func (e *ProxyError) Is(target error) bool { return target != nil && target == e.Kind }

// proxyConn is a connection made through a proxy. It remembers the
// address the proxy connected to, so that passive data connections go to
// the same server (the peer address of the connection is the proxy's).
type proxyConn struct {
	net.Conn
	target string // host:port, the host resolved here for socks5
}

// proxyTarget returns the address the control connection was made to
// through a proxy, or "" when it was not.
func (c *Conn) proxyTarget() string {
	if pc, ok := c.raw.(*proxyConn); ok {
		return pc.target
	}
	return ""
}

// checkProxy validates Dialer.Proxy; the error never holds the URL's
// password.
func checkProxy(u *url.URL) error {
	switch u.Scheme {
	case "socks5", "socks5h", "http":
	default:
		return fmt.Errorf("ftp: Dialer.Proxy: scheme %q not supported (socks5, socks5h, http)", u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("ftp: Dialer.Proxy: %s:// URL without a host", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("ftp: Dialer.Proxy: bad port %q", p)
		}
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return errors.New("ftp: Dialer.Proxy: a proxy URL has no path or query")
	}
	return nil
}

// proxyAddr returns the host:port of the proxy.
func proxyAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = DefaultProxyPort
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// proxyName is the proxy as shown in errors and logs: no credentials.
func proxyName(u *url.URL) string {
	return u.Scheme + "://" + proxyAddr(u)
}

// dialProxy connects to target (host:port) through d.Proxy. ctx bounds
// the whole setup (connect, handshake, proxy's connect to the server).
func (d *Dialer) dialProxy(ctx context.Context, target string) (net.Conn, error) {
	u := d.Proxy
	perr := func(kind, err error) error {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
			err = errNoAnswer{}
		}
		if e := err.Error(); strings.HasPrefix(e, "unknown error ") { // x/net/proxy's text for a SOCKS reply code
			err = errors.New("SOCKS reply: " + strings.TrimPrefix(e, "unknown error "))
		}
		return &ProxyError{Proxy: proxyName(u), Target: target, Kind: kind, Err: err}
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "socks5" && net.ParseIP(host) == nil {
		// socks5 (not socks5h): the name is resolved here, and the data
		// connections go to the same address.
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("ftp: %s: no address", host)
		}
		target = net.JoinHostPort(ips[0].IP.String(), port)
	}
	fw := &forwardDialer{d: d}
	var nc net.Conn
	switch u.Scheme {
	case "http":
		nc, err = d.httpConnect(ctx, fw, proxyAddr(u), target)
	default:
		var auth *proxy.Auth
		if u.User != nil {
			pw, _ := u.User.Password()
			auth = &proxy.Auth{User: u.User.Username(), Password: pw}
		}
		var pd proxy.Dialer
		pd, err = proxy.SOCKS5("tcp", proxyAddr(u), auth, fw)
		if err == nil {
			nc, err = pd.(proxy.ContextDialer).DialContext(ctx, "tcp", target)
		}
	}
	if err != nil {
		var pe *ProxyError
		switch {
		case errors.As(err, &pe):
			return nil, err
		case !fw.reached:
			return nil, perr(ErrProxyUnreachable, unwrapOp(err))
		case strings.Contains(err.Error(), "authentication"):
			return nil, perr(ErrProxyAuth, unwrapOp(err))
		default:
			return nil, perr(ErrProxyRefused, unwrapOp(err))
		}
	}
	return &proxyConn{Conn: nc, target: target}, nil
}

// unwrapOp drops the net.OpError that x/net/proxy wraps its errors in (it
// repeats both addresses), keeping the cause.
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil && strings.HasPrefix(oe.Op, "socks") {
		return oe.Err
	}
	return err
}

// forwardDialer connects to the proxy as the Dialer connects directly,
// and records whether it did.
type forwardDialer struct {
	d       *Dialer
	reached bool
}

func (f *forwardDialer) Dial(network, addr string) (net.Conn, error) {
	return f.DialContext(context.Background(), network, addr)
}

func (f *forwardDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := f.d.dialDirect(ctx, addr)
	if err == nil {
		f.reached = true
	}
	return c, err
}

// maxProxyHeader bounds the HTTP response to a CONNECT.
const maxProxyHeader = 16 << 10

// httpConnect opens a tunnel to target with HTTP CONNECT (RFC 9110
// section 9.3.6), with Basic authentication when the proxy URL has a user.
func (d *Dialer) httpConnect(ctx context.Context, fw *forwardDialer, paddr, target string) (net.Conn, error) {
	nc, err := fw.DialContext(ctx, "tcp", paddr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (net.Conn, error) {
		stop()
		nc.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, err
	}
	var req strings.Builder
	req.WriteString("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n")
	if u := d.Proxy.User; u != nil {
		pw, _ := u.Password()
		req.WriteString("Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)) + "\r\n")
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(nc, req.String()); err != nil {
		return fail(err)
	}
	status, err := readProxyHeader(nc)
	if err != nil {
		return fail(err)
	}
	code, text, ok := parseStatusLine(status)
	if !ok {
		return fail(fmt.Errorf("not an HTTP response: %q", EscapeText(truncate(status, 80))))
	}
	if code/100 != 2 {
		msg := strings.TrimSpace(EscapeText(truncate("HTTP "+strconv.Itoa(code)+" "+text, 120)))
		kind := ErrProxyRefused
		if code == 407 || code == 401 { // tinyproxy answers 401
			kind = ErrProxyAuth
		}
		stop()
		nc.Close()
		return nil, &ProxyError{Proxy: proxyName(d.Proxy), Target: target, Kind: kind, Err: errors.New(msg)}
	}
	if !stop() {
		return fail(ctx.Err())
	}
	nc.SetDeadline(time.Time{})
	return nc, nil
}

// readProxyHeader reads the response header byte by byte (so that nothing
// of the tunnel's data is read), up to maxProxyHeader, and returns its
// first line.
func readProxyHeader(r io.Reader) (string, error) {
	var buf []byte
	b := make([]byte, 1)
	for len(buf) < maxProxyHeader {
		if _, err := io.ReadFull(r, b); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				err = errors.New("proxy closed the connection before answering")
			}
			return "", err
		}
		buf = append(buf, b[0])
		if n := len(buf); n >= 2 && buf[n-1] == '\n' && (buf[n-2] == '\n' || n >= 4 && string(buf[n-4:]) == "\r\n\r\n") {
			line, _, _ := strings.Cut(string(buf), "\n")
			return strings.TrimSuffix(line, "\r"), nil
		}
	}
	return "", fmt.Errorf("proxy response header longer than %d bytes", maxProxyHeader)
}

// parseStatusLine parses "HTTP/1.x 200 text".
func parseStatusLine(s string) (int, string, bool) {
	proto, rest, _ := strings.Cut(s, " ")
	if !strings.HasPrefix(proto, "HTTP/") {
		return 0, "", false
	}
	codeStr, text, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeStr)
	if err != nil || len(codeStr) != 3 {
		return 0, "", false
	}
	return code, text, true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// proxyLogValue is the proxy as logged: "" when none, never a password.
func (d *Dialer) proxyLogValue() string {
	if d.Proxy == nil {
		return ""
	}
	return proxyName(d.Proxy)
}

// errNoAnswer is a proxy's silence past the Timeout.
type errNoAnswer struct{}

func (errNoAnswer) Error() string        { return "no answer within the timeout" }
func (errNoAnswer) Is(target error) bool { return target == os.ErrDeadlineExceeded }
