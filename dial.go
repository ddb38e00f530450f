package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/text/encoding"

	"github.com/goftplib/ftp/internal/proto"
)

// DefaultTimeout is the inactivity limit used when Dialer.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// DefaultMaxListEntries is the bound on one ReadDir used when
// Dialer.MaxListEntries is zero (about 1 GiB of entries at worst).
const DefaultMaxListEntries = 4 << 20

// Dialer holds every setting of a connection. Its zero value is ready to
// use: passive mode (EPSV, then PASV), UTF-8 names, a 60 s inactivity
// limit, no TLS, no logging. Dial works on a copy, so one Dialer may be used
// by many goroutines at once.
type Dialer struct {
	// Timeout is the inactivity limit for every read and write on the
	// control and data connections, for connecting and for TLS handshakes:
	// an operation fails when the peer sends or accepts nothing for this
	// long. It is not a limit on a whole transfer; use the ctx for that.
	// Zero means DefaultTimeout (60 s); a negative value means no
	// inactivity limit at all (only the ctx bounds the waits).
	Timeout time.Duration

	// ControlKeepAlive is the interval at which NOOP is sent on the
	// control connection while a transfer runs, so that a NAT box or
	// firewall that drops connections idle for minutes does not drop the
	// control connection of a long transfer and lose its final reply (TCP
	// keep-alive probes do not count as traffic for most of them). The
	// replies are read after the transfer, with its final reply, whether
	// the server answers at once or only when the transfer is over. Zero
	// means DefaultControlKeepAlive (30 s); a negative value sends none.
	ControlKeepAlive time.Duration

	// LocalAddr is the local address to dial from (ftplib's
	// source_address), for the control connection and passive data
	// connections. Nil lets the system choose.
	LocalAddr *net.TCPAddr

	// DialContext, when set, opens the control and passive data
	// connections instead of a net.Dialer (for tunnels and tests); with
	// Proxy set, it opens the connections to the proxy. Passive data
	// connections made through it go to the host of the address given to
	// Dial (not to the control connection's peer address, which through a
	// tunnel is the tunnel's) with the port of the EPSV or PASV reply.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// Proxy, when non-nil, is the proxy through which the control
	// connection and every passive data connection are made:
	//
	//	socks5://[user:password@]host[:port]   SOCKS5 (RFC 1928, 1929); the server's name is resolved here
	//	socks5h://[user:password@]host[:port]  SOCKS5; the server's name is resolved by the proxy
	//	http://[user:password@]host[:port]     HTTP CONNECT, with Basic authentication when a user is given
	//
	// The port defaults to DefaultProxyPort (1080), as in curl. Nil means
	// no proxy. Passive data connections go through the proxy to the
	// server's host as dialled (the PASV host is ignored unless
	// TrustPASVHost) with the EPSV or PASV port. Active mode fails with
	// ErrActiveThroughProxy. A failure to connect through the proxy is a
	// *ProxyError (ErrProxyUnreachable, ErrProxyAuth, ErrProxyRefused)
	// within the Timeout. TLS (explicit and implicit) runs end to end
	// with the server, its name checked against the server's host, not
	// the proxy's. The password of the URL is never logged or put in an
	// error.
	Proxy *url.URL

	// Encoding converts path names and reply text to and from the bytes on
	// the wire. Nil means UTF-8 (RFC 2640): names are sent as they are.
	// Use charmap.ISO8859_1 from golang.org/x/text for ftplib's old default.
	Encoding encoding.Encoding

	// Logger receives the protocol dialogue: one Debug record per command
	// and per reply (ftplib's debug level 1), and every control line and
	// data connection event at LevelTrace (level 2). The arguments of PASS
	// and ACCT are replaced by "****" before a record is made. Nil
	// discards everything.
	Logger *slog.Logger

	// Active selects active mode: the client listens and the server
	// connects (EPRT, or PORT for IPv4 when EPRT is refused). The default
	// is passive mode (EPSV, or PASV when EPSV is refused).
	Active bool

	// ActiveAddr is the address sent in EPRT and PORT in active mode
	// instead of the control connection's local address: the public IP
	// address, or a host name resolved at each transfer, of a client
	// behind NAT whose router forwards the active ports to it (curl's
	// --ftp-port, lftp's ftp:port-ipv4). The client still listens on the
	// control connection's local address. Empty means that address.
	ActiveAddr string

	// ActivePortMin and ActivePortMax bound the local ports listened on in
	// active mode, for a firewall or NAT that forwards only those (lftp's
	// ftp:port-range, curl's --ftp-port :lo-hi); a free one is picked at
	// random. Zero for both lets the system choose; otherwise Dial checks
	// 1 <= ActivePortMin <= ActivePortMax <= 65535.
	ActivePortMin int
	ActivePortMax int

	// DisableEPSV makes passive mode use PASV (and active mode use PORT)
	// from the start, for servers or middleboxes that mishandle the
	// extended commands of RFC 2428.
	DisableEPSV bool

	// TrustPASVHost makes passive mode connect to the host named in a PASV
	// reply. By default that host is ignored and the data connection goes
	// to the control connection's peer, which defeats PASV-based port
	// scanning (FTP bounce) and fixes servers behind NAT that announce
	// private addresses.
	TrustPASVHost bool

	// TLS, when non-nil, secures the session with explicit TLS (RFC 4217):
	// AUTH TLS right after the greeting, and data connections protected
	// with PBSZ 0 and PROT P after login. Certificates are verified as
	// crypto/tls does; ServerName defaults to the host of the address.
	// Every data connection resumes the control connection's TLS session
	// through a session cache private to the Conn. If the server refuses
	// AUTH or the handshake fails, Dial fails and nothing else is sent.
	TLS *tls.Config

	// ImplicitTLS makes the TLS handshake start at connect time (the
	// "port 990" style) instead of AUTH TLS. It needs TLS to be non-nil.
	ImplicitTLS bool

	// ClearData keeps data connections in clear text (PROT C) while the
	// control connection uses TLS. This is insecure: file contents and
	// listings can be read and altered on the way.
	ClearData bool

	// UrgentAbort precedes ABOR with the Telnet "Interrupt Process" and
	// "Synch" signals, the Synch sent as TCP urgent data (RFC 959 section
	// 4.1.3), on a plain control connection. Off by default: the client
	// closes the data connection before sending ABOR, which every server
	// tested handles, while some (Pure-FTPd) ignore an ABOR preceded by
	// Telnet signals.
	UrgentAbort bool

	// VerifyChecksums makes RetrBinary and StorBinary (from offset 0)
	// compare a checksum of the bytes transferred with the server's (HASH,
	// or XSHA256/XSHA1/XMD5/XCRC; the strongest the server offers) and
	// fail with ErrChecksumMismatch when they differ. Nothing is checked
	// when the server offers no checksum. It costs a hash of the data on
	// the client (leaving the zero-copy path) and a command after each
	// transfer.
	VerifyChecksums bool

	// Compress asks for deflate-compressed transfers (MODE Z) after login
	// when FEAT advertises it; off by default. Data is compressed with
	// zlib (RFC 1950), which saves bandwidth on slow links and costs CPU.
	Compress bool

	// ListHidden makes ReadDir, Stat and Walk send "LIST -a" when the
	// server has no MLSD, so names starting with "." are listed. Most
	// Unix servers accept it; a server that takes "-a dir" for one path
	// and refuses it (pyftpdlib: 550) gets "LIST dir" instead, for the
	// rest of the session.
	ListHidden bool

	// DisableMLSD makes ReadDir, ReadDirSeq, Stat and Walk list with LIST
	// (and Stat read the parent's listing) even when FEAT advertises MLST,
	// for servers whose MLSD or MLST is broken in ways the automatic
	// fallback does not catch. By default MLSD and MLST are used when
	// advertised, and a Conn whose MLSD or MLST answers 500 or 502, or
	// sends only lines that cannot be parsed, falls back to LIST for the
	// rest of the session by itself. Mlsd and Mlst are not affected.
	DisableMLSD bool

	// ServerLocation is the server's time zone, in which LIST times are
	// read by ReadDir, Stat and Walk. Nil means UTC. MLSD times are UTC
	// by definition.
	ServerLocation *time.Location

	// MaxListEntries bounds the entries ReadDir (and Stat and Walk, which
	// use it) holds from one listing, so that a server sending an endless
	// listing cannot exhaust memory: past it ReadDir fails with
	// ErrListingTooLarge. Zero means DefaultMaxListEntries; negative means
	// no bound. ReadDirSeq, which holds nothing, is not bounded.
	MaxListEntries int

	// DisableUTF8 stops the client from sending OPTS UTF8 ON at login when
	// the server advertises UTF8 in FEAT.
	DisableUTF8 bool
}

// Dial connects to addr with a zero Dialer: see Dialer.Dial.
func Dial(ctx context.Context, addr string) (*Conn, error) {
	var d Dialer
	return d.Dial(ctx, addr)
}

var connIDs atomic.Uint64

// Dial connects to the FTP server at addr ("host", "host:port", "[v6]:port";
// port 21 by default, 990 with ImplicitTLS), reads its greeting (skipping
// "120 ready in N minutes"; every reply must still come within the
// Dialer's Timeout), and when TLS is configured secures the control
// connection. It does not log in; call [Conn.Login]. The caller
// must Close (or Quit) the returned Conn.
func (d *Dialer) Dial(ctx context.Context, addr string) (*Conn, error) {
	cfg, err := d.prepare()
	if err != nil {
		return nil, err
	}
	if err := checkAddr(addr); err != nil {
		return nil, err
	}
	port := "21"
	if cfg.ImplicitTLS {
		port = "990"
	}
	addr = withDefaultPort(addr, port)
	dctx, cancel := cfg.bound(ctx)
	defer cancel()
	nc, err := cfg.dial(dctx, addr)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, &opError{cmd: "dial " + addr, err: err}
	}
	return cfg.newConn(ctx, nc, addr)
}

// NewConn starts an FTP session on an existing connection nc (ftplib's
// connect on a socket made elsewhere, an SSH tunnel, a proxy): it reads the
// greeting and, when TLS is configured, secures the connection. addr names
// the server for certificate checks when TLS.ServerName is empty; it may be
// empty otherwise. The Conn owns nc from then on, even on error.
func (d *Dialer) NewConn(ctx context.Context, nc net.Conn, addr string) (*Conn, error) {
	cfg, err := d.prepare()
	if err != nil {
		nc.Close()
		return nil, err
	}
	return cfg.newConn(ctx, nc, addr)
}

// prepare returns a copy of d with defaults filled in, or a configuration error.
func (d *Dialer) prepare() (*Dialer, error) {
	cfg := *d
	switch {
	case cfg.Timeout == 0:
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ControlKeepAlive == 0 {
		cfg.ControlKeepAlive = DefaultControlKeepAlive
	}
	if cfg.MaxListEntries == 0 {
		cfg.MaxListEntries = DefaultMaxListEntries
	}
	if cfg.ImplicitTLS && cfg.TLS == nil {
		return nil, errors.New("ftp: Dialer.ImplicitTLS needs Dialer.TLS to be set")
	}
	if lo, hi := cfg.ActivePortMin, cfg.ActivePortMax; (lo != 0 || hi != 0) && (lo < 1 || hi < lo || hi > 65535) {
		return nil, fmt.Errorf("ftp: Dialer.ActivePortMin and ActivePortMax: bad port range %d-%d", lo, hi)
	}
	if cfg.Proxy != nil {
		if err := checkProxy(cfg.Proxy); err != nil {
			return nil, err
		}
		if cfg.Active {
			return nil, ErrActiveThroughProxy
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &cfg, nil
}

func (d *Dialer) dial(ctx context.Context, addr string) (net.Conn, error) {
	if d.Proxy != nil {
		return d.dialProxy(ctx, addr)
	}
	return d.dialDirect(ctx, addr)
}

// dialDirect connects to addr without the proxy: with DialContext, or a
// net.Dialer from LocalAddr.
func (d *Dialer) dialDirect(ctx context.Context, addr string) (net.Conn, error) {
	if d.DialContext != nil {
		return d.DialContext(ctx, "tcp", addr)
	}
	nd := net.Dialer{KeepAlive: 30 * time.Second}
	if d.LocalAddr != nil {
		nd.LocalAddr = d.LocalAddr
	}
	return nd.DialContext(ctx, "tcp", addr)
}

func (d *Dialer) newConn(ctx context.Context, nc net.Conn, addr string) (_ *Conn, err error) {
	c := &Conn{
		d:    d,
		raw:  nc,
		nc:   nc,
		addr: addr,
		id:   connIDs.Add(1),
	}
	c.log = d.Logger.With(slog.Uint64(KeyConn, c.id))
	c.setReader()
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if d.TLS != nil {
		c.ctrlTLS, c.dataTLS = c.tlsConfigs(d.TLS, addr)
		if d.ImplicitTLS {
			if err := c.handshake(ctx); err != nil {
				return nil, err
			}
		}
	}
	if err := c.readGreeting(ctx); err != nil {
		return nil, err
	}
	if d.TLS != nil && !d.ImplicitTLS {
		if _, err := c.authTLS(ctx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Conn) setReader() {
	c.r = proto.NewReader(ctrlReader{c})
	c.r.Trace = func(line string) {
		c.log.LogAttrs(context.Background(), LevelTrace, LogRecvLine, slog.String(KeyLine, c.decode(line)))
	}
}

// maxPreliminary bounds the 1xx replies accepted before a final one (120
// before the greeting, 1xx before a command's reply), so that a server
// repeating them cannot hold the client for ever.
const maxPreliminary = 8

// readGreeting reads the server's greeting, skipping "120 ready in N
// minutes". Each reply must come within the Timeout, like any other: a
// server that announces a delay and then says nothing is not waited for
// beyond it, and at most maxPreliminary 120 replies are accepted.
func (c *Conn) readGreeting(ctx context.Context) error {
	stop := c.watch(ctx, c.nc)
	defer stop()
	var texts []string
	for range maxPreliminary + 1 {
		rep, err := c.readReply(ctx, "")
		if err != nil {
			if len(texts) == 0 && errors.Is(err, os.ErrDeadlineExceeded) && !c.d.ImplicitTLS {
				// Connected, then silence: often a client speaking
				// plain FTP to a port that waits for a TLS handshake.
				return errorf("%w: %w", ErrNoGreeting, err)
			}
			return err
		}
		texts = append(texts, rep.String())
		switch {
		case rep.Code == CodeServiceReadyIn:
			continue
		case rep.Code/100 == 2:
			c.welcome = strings.Join(texts, "\n")
			return nil
		default:
			return c.unexpected("", rep)
		}
	}
	err := &ProtocolError{Msg: fmt.Sprintf("more than %d \"120 service ready in N minutes\" replies without a greeting", maxPreliminary)}
	c.Close()
	return err
}

// ErrAddrIsURL is returned by Dial when the address is a URL
// ("ftp://user:pass@host/path") rather than "host" or "host:port". The
// error does not repeat the address, which may hold a password: parse the
// URL with ParseURL and dial its Host.
var ErrAddrIsURL = errors.New("ftp: Dial wants an address (host or host:port), not a URL: parse the URL with ParseURL and dial its Host")

// checkAddr refuses what cannot be a host[:port]: a URL, or text holding
// user information, a path or control characters. The address is not
// quoted in the error, since a mistaken one may carry a password.
func checkAddr(addr string) error {
	if strings.Contains(addr, "://") {
		return ErrAddrIsURL
	}
	if addr == "" || strings.ContainsAny(addr, "@/ \t\r\n\x00") {
		return errors.New("ftp: Dial wants an address (host or host:port): the one given is empty or holds '@', '/', spaces or control characters")
	}
	return nil
}

// bound returns ctx limited by the inactivity Timeout, for a step that
// is one wait (a connect, a handshake); a negative Timeout sets no limit.
func (d *Dialer) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if d.Timeout < 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d.Timeout)
}

// withDefaultPort appends port to addr when addr has none.
func withDefaultPort(addr, port string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	h := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	return net.JoinHostPort(h, port)
}

// hostOf returns the host part of addr, without brackets.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
}

// LogValue implements slog.LogValuer. A Dialer holds no secrets; TLS
// settings are summarised.
func (d *Dialer) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Duration("timeout", d.Timeout),
		slog.Bool("active", d.Active),
		slog.Bool("tls", d.TLS != nil),
		slog.Bool("implicit_tls", d.ImplicitTLS),
		slog.String("proxy", d.proxyLogValue()),
	)
}
