package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"
)

// peerIP returns the IP address of the server on the control connection.
// Through a proxy it is the server's, when the proxy was given an IP
// address (nil when the proxy resolved a name).
func (c *Conn) peerIP() net.IP {
	if t := c.proxyTarget(); t != "" {
		return net.ParseIP(hostOf(t))
	}
	if a, ok := c.raw.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP
	}
	return net.ParseIP(hostOf(c.addr))
}

// localIP returns our IP address on the control connection.
func (c *Conn) localIP() net.IP {
	if a, ok := c.raw.LocalAddr().(*net.TCPAddr); ok {
		return a.IP
	}
	return nil
}

// pendingData is a data connection being set up: connected (passive) or
// listening (active).
type pendingData struct {
	conn net.Conn
	ln   *net.TCPListener
}

func (p *pendingData) close() {
	if p.conn != nil {
		p.conn.Close()
	}
	if p.ln != nil {
		p.ln.Close()
	}
}

// openData starts a data connection as configured: passive (EPSV, then
// PASV) or active (EPRT, then PORT).
func (c *Conn) openData(ctx context.Context) (*pendingData, error) {
	if c.d.Active {
		if c.d.Proxy != nil {
			return nil, ErrActiveThroughProxy
		}
		return c.openActive(ctx)
	}
	return c.openPassive(ctx)
}

// passivePort sends EPSV (or PASV, when EPSV is refused or disabled) and
// returns the port, and for PASV the host the reply names (nil for EPSV).
func (c *Conn) passivePort(ctx context.Context) (net.IP, int, error) {
	if !c.noEPSV && !c.d.DisableEPSV {
		rep, display, err := c.typeAndEPSV(ctx)
		if err != nil {
			return nil, 0, err
		}
		switch {
		case rep.Code == CodeEnteringExtPassive:
			port, err := parseEPSV(rep.Msg)
			if err != nil {
				return nil, 0, c.fail(ctx, display, &ProtocolError{Cmd: display, Msg: err.Error()})
			}
			c.epsvOK = true
			return nil, port, nil
		case rep.Code >= 500:
			c.noEPSV = true // remembered for the life of the Conn
			c.epsvOK = false
		default:
			return nil, 0, c.unexpected(display, rep)
		}
	}
	rep, display, err := c.cmd(ctx, "PASV", "")
	if err != nil {
		return nil, 0, err
	}
	if rep.Code != CodeEnteringPassive {
		return nil, 0, c.unexpected(display, rep)
	}
	ip, port, err := parsePASV(rep.Msg)
	if err != nil {
		return nil, 0, c.fail(ctx, display, &ProtocolError{Cmd: display, Msg: err.Error()})
	}
	return ip, port, nil
}

func (c *Conn) openPassive(ctx context.Context) (*pendingData, error) {
	ip, port, err := c.passivePort(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := c.dialPassive(ctx, ip, port)
	if err != nil {
		return nil, err
	}
	return &pendingData{conn: conn}, nil
}

// canTypeAhead reports whether a TYPE may wait to go out with the EPSV
// of the transfer that needs it (see takeTypeAhead).
func (c *Conn) canTypeAhead() bool {
	return !c.d.Active && !c.d.DisableEPSV && !c.noEPSV && !c.noPipeline
}

// takeTypeAhead returns the TYPE command waiting to go out with EPSV, if
// any, and forgets it.
func (c *Conn) takeTypeAhead() (pipedCmd, bool) {
	t := c.typeAhead
	c.typeAhead = ""
	if t == "" || t == c.curType {
		return pipedCmd{}, false
	}
	return pipedCmd{"TYPE", t}, true
}

// typeReply reads the reply to a TYPE sent ahead of other commands.
// Anything but 2xx is an error, the Conn closed: the replies to what
// followed are on their way.
func (c *Conn) typeReply(ctx context.Context, tc pipedCmd, display string) error {
	rep, err := c.readReply(ctx, display)
	if err != nil {
		return err
	}
	if rep.Code/100 != 2 {
		c.Close()
		return &opError{cmd: display, err: c.unexpected(display, rep), closed: true}
	}
	c.curType = tc.arg
	return nil
}

// typeAndEPSV sends EPSV, preceded in the same write by the TYPE waiting
// for it, and returns EPSV's reply.
func (c *Conn) typeAndEPSV(ctx context.Context) (*Reply, string, error) {
	tc, ok := c.takeTypeAhead()
	if !ok {
		return c.cmd(ctx, "EPSV", "")
	}
	stop := c.watch(ctx, c.nc)
	defer stop()
	displays, err := c.writeCmds(ctx, tc, pipedCmd{"EPSV", ""})
	if err != nil {
		return nil, displays[0], err
	}
	trep, err := c.readReply(ctx, displays[0])
	if err != nil {
		return nil, displays[0], err
	}
	rep, err := c.pipedReply(ctx, displays[1])
	if err != nil {
		return nil, displays[1], err
	}
	if trep.Code/100 != 2 {
		// EPSV's passive port is left unused: the Conn is in step.
		return nil, displays[0], c.unexpected(displays[0], trep)
	}
	c.curType = tc.arg
	return rep, displays[1], nil
}

// pipelineEPSV reports whether EPSV may be sent together with the
// transfer command: passive mode, and EPSV known to work on this Conn.
func (c *Conn) pipelineEPSV() bool {
	return !c.d.Active && !c.d.DisableEPSV && !c.noEPSV && c.epsvOK && !c.noPipeline
}

// dialPassive connects to the passive port, at the host the PASV reply
// named (ip, nil for EPSV) when that is to be trusted, else at dataHost.
func (c *Conn) dialPassive(ctx context.Context, ip net.IP, port int) (net.Conn, error) {
	host := c.dataHost()
	if ip != nil && c.d.TrustPASVHost && !ip.IsUnspecified() {
		host = ip.String()
	} else if ip != nil && ip.String() != host {
		c.log.LogAttrs(ctx, LevelTrace, LogPASVHostIgnored, slog.String(KeyPASVHost, ip.String()), slog.String(KeyUsing, host))
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	dctx, cancel := c.d.bound(ctx)
	defer cancel()
	c.log.LogAttrs(ctx, LevelTrace, LogDataDial, slog.String(KeyAddr, addr))
	conn, err := c.dialData(dctx, addr)
	if err != nil {
		var pe *ProxyError
		if !errors.As(err, &pe) || ctx.Err() != nil {
			err = c.ioError(ctx, err)
		}
		return nil, &opError{cmd: "data connection to " + addr, err: err}
	}
	return conn, nil
}

// dataHost returns the host passive data connections go to when the PASV
// reply's host is not used: through a proxy or DialContext, the server's
// host as dialled (the peer of the control connection is then the proxy
// or tunnel, rclone #8892); otherwise the control connection's peer.
func (c *Conn) dataHost() string {
	if t := c.proxyTarget(); t != "" {
		return hostOf(t)
	}
	if c.d.DialContext != nil && c.addr != "" {
		return hostOf(c.addr)
	}
	return c.peerIP().String()
}

func (c *Conn) dialData(ctx context.Context, addr string) (net.Conn, error) {
	if c.d.Proxy != nil {
		return c.d.dialProxy(ctx, addr)
	}
	if c.d.DialContext != nil {
		return c.d.DialContext(ctx, "tcp", addr)
	}
	var nd net.Dialer
	if c.d.LocalAddr != nil {
		nd.LocalAddr = &net.TCPAddr{IP: c.d.LocalAddr.IP, Zone: c.d.LocalAddr.Zone}
	}
	return nd.DialContext(ctx, "tcp", addr)
}

// parseEPSV extracts the port of a 229 reply: "... (|||port|)" where any
// printable character may replace "|" (RFC 2428 section 3).
func parseEPSV(msg string) (int, error) {
	i := strings.IndexByte(msg, '(')
	j := strings.LastIndexByte(msg, ')')
	if i < 0 || j < i+6 {
		return 0, fmt.Errorf("malformed EPSV reply %q", msg)
	}
	s := msg[i+1 : j]
	d := s[0]
	if d < 33 || d > 126 || len(s) < 5 || s[1] != d || s[2] != d || s[len(s)-1] != d {
		return 0, fmt.Errorf("malformed EPSV reply %q", msg)
	}
	port, err := strconv.Atoi(s[3 : len(s)-1])
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("bad port in EPSV reply %q", msg)
	}
	return port, nil
}

// parsePASV extracts h1,h2,h3,h4,p1,p2 from a 227 reply: the first run
// of six comma-separated numbers, anywhere in the text (RFC 959 allows any
// text around them; ftplib searches the same way).
func parsePASV(msg string) (net.IP, int, error) {
	for i := 0; i < len(msg); i++ {
		if !isDigit(msg[i]) || i > 0 && isDigit(msg[i-1]) {
			continue
		}
		if ip, port, ok := pasvNumbers(msg[i:]); ok {
			if port == 0 {
				return nil, 0, fmt.Errorf("port 0 in PASV reply %q", msg)
			}
			return ip, port, nil
		}
	}
	return nil, 0, fmt.Errorf("malformed PASV reply %q", msg)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// pasvNumbers parses "h1,h2,h3,h4,p1,p2" at the start of s (spaces
// around the commas allowed), each number 0 to 255.
func pasvNumbers(s string) (net.IP, int, bool) {
	end := 0
	for end < len(s) && (isDigit(s[end]) || s[end] == ',' || s[end] == ' ') {
		end++
	}
	parts := strings.Split(strings.ReplaceAll(s[:end], " ", ""), ",")
	if len(parts) < 6 {
		return nil, 0, false
	}
	if len(parts) > 6 && parts[6] != "" {
		return nil, 0, false // seven numbers: not an address and port
	}
	var n [6]int
	for i, p := range parts[:6] {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 255 {
			return nil, 0, false
		}
		n[i] = v
	}
	return net.IPv4(byte(n[0]), byte(n[1]), byte(n[2]), byte(n[3])), n[4]<<8 | n[5], true
}

func (c *Conn) openActive(ctx context.Context) (*pendingData, error) {
	ip := c.localIP()
	if ip == nil {
		return nil, fmt.Errorf("ftp: active mode needs a TCP control connection")
	}
	ln, err := c.listenActive(ip)
	if err != nil {
		return nil, &opError{cmd: "listen for data connection", err: err}
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if ip, err = c.advertisedIP(ctx, ip); err != nil {
		ln.Close()
		return nil, err
	}
	v4 := ip.To4()
	if !c.noEPRT && !c.d.DisableEPSV || v4 == nil {
		proto := "2"
		if v4 != nil {
			proto = "1"
		}
		arg := fmt.Sprintf("|%s|%s|%d|", proto, ip.String(), port)
		rep, display, err := c.cmd(ctx, "EPRT", arg)
		if err != nil {
			ln.Close()
			return nil, err
		}
		switch {
		case rep.Code/100 == 2:
			return &pendingData{ln: ln}, nil
		case rep.Code >= 500 && v4 != nil:
			c.noEPRT = true
		default:
			ln.Close()
			return nil, c.unexpected(display, rep)
		}
	}
	arg := fmt.Sprintf("%d,%d,%d,%d,%d,%d", v4[0], v4[1], v4[2], v4[3], port>>8, port&0xff)
	if _, err := c.expect(ctx, "PORT", arg, 2); err != nil {
		ln.Close()
		return nil, err
	}
	return &pendingData{ln: ln}, nil
}

// listenActive listens for an active data connection on ip, on a port
// of Dialer.ActivePortMin to ActivePortMax when they are set (each tried
// once, from a random one on), else on a port the system chooses.
func (c *Conn) listenActive(ip net.IP) (*net.TCPListener, error) {
	lo, hi := c.d.ActivePortMin, c.d.ActivePortMax
	if lo == 0 && hi == 0 {
		return net.ListenTCP("tcp", &net.TCPAddr{IP: ip})
	}
	n := hi - lo + 1
	start := rand.IntN(n)
	var err error
	for i := range n {
		ln, e := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: lo + (start+i)%n})
		if e == nil {
			return ln, nil
		}
		err = e
	}
	return nil, fmt.Errorf("no free port in Dialer.ActivePortMin-ActivePortMax (%d-%d): %w", lo, hi, err)
}

// advertisedIP is the address to send in EPRT or PORT: Dialer.ActiveAddr
// (resolved, preferring local's address family) when set, else local.
func (c *Conn) advertisedIP(ctx context.Context, local net.IP) (net.IP, error) {
	a := c.d.ActiveAddr
	if a == "" {
		return local, nil
	}
	if ip := net.ParseIP(a); ip != nil {
		return ip, nil
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", a)
	if err != nil {
		return nil, &opError{cmd: "resolve Dialer.ActiveAddr " + a, err: c.ioError(ctx, err)}
	}
	for _, ip := range ips {
		if (ip.To4() != nil) == (local.To4() != nil) {
			return ip, nil
		}
	}
	return ips[0], nil
}

// accept waits for the server's data connection in active mode. A
// connection from any address but the control connection's peer is
// refused and logged, and waiting goes on.
func (c *Conn) accept(ctx context.Context, ln *net.TCPListener) (net.Conn, error) {
	var t time.Time
	if c.d.Timeout >= 0 {
		t = time.Now().Add(c.d.Timeout)
	}
	if dl, ok := ctx.Deadline(); ok && (t.IsZero() || dl.Before(t)) {
		t = dl
	}
	ln.SetDeadline(t)
	defer c.watch(ctx, ln)()
	peer := c.peerIP()
	for {
		conn, err := ln.AcceptTCP()
		if err != nil {
			return nil, &opError{cmd: "accept data connection", err: c.ioError(ctx, err)}
		}
		from := conn.RemoteAddr().(*net.TCPAddr).IP
		if from.Equal(peer) {
			return conn, nil
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, LogDataRefused, slog.String(KeyAddr, conn.RemoteAddr().String()))
		conn.Close()
	}
}

// secureData wraps a data connection in TLS when PROT P is in effect and
// completes the handshake, resuming the control connection's session.
func (c *Conn) secureData(ctx context.Context, conn net.Conn) (net.Conn, error) {
	if !c.protP {
		return conn, nil
	}
	tc := tls.Client(conn, c.dataTLS)
	hctx, cancel := c.d.bound(ctx)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		conn.Close()
		return nil, &opError{cmd: "TLS handshake on data connection", err: c.ioError(ctx, err)}
	}
	c.log.LogAttrs(ctx, LevelTrace, LogDataTLS, slog.Bool(KeyResumed, tc.ConnectionState().DidResume))
	return tc, nil
}
