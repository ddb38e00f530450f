package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Login logs in as user with password (ftplib's login). As in ftplib, an
// empty user means "anonymous", and an anonymous user (here also "ftp")
// with the password "" or "-" sends "anonymous@" or "-anonymous@" (a
// leading "-" asks some servers for a quiet login). A 3xx reply to USER
// is followed by PASS (332 by ACCT), a 3xx reply to PASS by ACCT; Login
// sends an empty account (LoginAccount takes one). With TLS configured, Login also sends
// PBSZ 0 and PROT P (unless Dialer.ClearData), so data connections are
// protected; and when the server advertises UTF8 in FEAT it sends
// OPTS UTF8 ON. It returns the server's final reply (230 or 202).
func (c *Conn) Login(ctx context.Context, user, password string) (*Reply, error) {
	return c.LoginAccount(ctx, user, password, "")
}

// LoginAccount is Login with an account for servers that answer 332 (ACCT,
// RFC 959 section 4.1.1). The account is sent only when asked for, and
// sent empty (as ftplib does) when account is "".
func (c *Conn) LoginAccount(ctx context.Context, user, password, account string) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	return c.login(ctx, user, password, account, loginHooks{})
}

// loginHooks connect a login to what other logins to the same server
// taught (a Pool's; see loginFacts). Both may be nil.
type loginHooks struct {
	// known returns what an earlier login taught, or nil; it is asked
	// before USER and again once logged in.
	known func() *loginFacts
	// loggedIn is called once the server accepted the login, before
	// FEAT and the rest.
	loggedIn func()
	// settled waits for the earlier login to end (its FEAT read) and
	// returns what it taught; called when known had no FEAT yet.
	settled func(ctx context.Context) *loginFacts
}

func (h loginHooks) facts() *loginFacts {
	if h.known == nil {
		return nil
	}
	return h.known()
}

// loginFacts is what a Pool's first login taught about the server, for
// the logins of its other connections (see Pool.connect).
type loginFacts struct {
	// pipeline: USER was answered 3xx (not 332) and PASS 2xx, so USER
	// and PASS may go out in one write.
	pipeline bool
	// features is the FEAT read after that login: the other connections
	// reach the same server and do not ask again.
	features map[string]string
	// utf8 is the reply code to OPTS UTF8 ON (0: not sent); a refusal
	// (servers in UTF-8 from the start) is not asked again.
	utf8 int
}

// facts returns what c's login taught, for loginFacts.
func (c *Conn) facts() *loginFacts {
	return &loginFacts{pipeline: c.loginShape == CodeNeedPassword, features: maps.Clone(c.features), utf8: c.utf8Code}
}

// login is LoginAccount with the busy guard held. With known (from an
// earlier login to the same server), USER and PASS go out in one write
// when that login showed the server asks for a password, and FEAT is not
// read again.
func (c *Conn) login(ctx context.Context, user, password, account string, hooks loginHooks) (*Reply, error) {
	known := hooks.facts()
	if user == "" {
		user = "anonymous"
	}
	if (password == "" || password == "-") && (user == "anonymous" || user == "ftp") {
		password += "anonymous@"
	}
	var (
		rep     *Reply
		display string
		err     error
		// after are the commands sent with USER and PASS, answered
		// once logged in: FEAT and OPTS UTF8 ON.
		after   []pipedCmd
		afterRe []*Reply
	)
	wantUTF8 := c.d.Encoding == nil && !c.d.DisableUTF8
	switch {
	case known != nil && known.pipeline:
		if _, ok := known.features["UTF8"]; ok && wantUTF8 && known.utf8/100 == 2 {
			after = append(after, pipedCmd{"OPTS", "UTF8 ON"})
		}
		rep, display, afterRe, err = c.userPass(ctx, user, password, after...)
	case known == nil && c.pipelinesLogin():
		// The first login to a server whose software is known to take
		// it: USER, PASS and FEAT in one write (OPTS UTF8 ON follows
		// when FEAT lists UTF8).
		after = append(after, pipedCmd{"FEAT", ""})
		rep, display, afterRe, err = c.userPass(ctx, user, password, after...)
	default:
		rep, display, err = c.cmd(ctx, "USER", user)
		if err == nil && rep.Class() == 3 && rep.Code != CodeNeedAccount {
			c.loginShape = rep.Code
			rep, display, err = c.cmd(ctx, "PASS", password)
		}
	}
	if err != nil {
		return rep, err
	}
	if rep.Class() == 3 {
		c.loginShape = 0 // an account is asked for: not the simple case
		after = nil      // answered before the login ended: asked again
		rep, display, err = c.cmd(ctx, "ACCT", account)
		if err != nil {
			return rep, err
		}
	}
	if rep.Code/100 != 2 {
		re := c.unexpected(display, rep)
		re.loginCmd = true
		return rep, re
	}
	c.loggedIn = true
	c.features = nil // a FEAT read before login may differ from the one after
	optsSent := false
	for i, cmd := range after {
		// Sent with USER and PASS, answered after this login.
		switch cmd.verb {
		case "FEAT":
			c.features = parseFeatures(afterRe[i])
		case "OPTS":
			c.utf8Code, optsSent = afterRe[i].Code, true
		}
	}
	if hooks.loggedIn != nil {
		hooks.loggedIn()
	}
	if c.features == nil {
		if k := hooks.facts(); k != nil {
			known = k // the first login may have read FEAT meanwhile
		}
		if known != nil && known.features == nil && hooks.settled != nil {
			// The first login is reading FEAT: its answer comes sooner
			// than ours would.
			if k := hooks.settled(ctx); k != nil {
				known = k
			}
		}
		if known != nil && known.features != nil {
			c.features = maps.Clone(known.features)
		}
	}
	if c.ctrlTLS != nil && !c.d.ClearData && !c.protP {
		if _, err := c.prot(ctx, true); err != nil {
			return rep, err
		}
	}
	if err := c.afterLogin(ctx, known, optsSent); err != nil {
		return rep, err
	}
	return rep, nil
}

// pipelinesLogin reports a server whose software, told by its greeting,
// was tested to take USER, PASS and the commands after them in one write
// (the interop suite: vsftpd, ProFTPD, Pure-FTPd). Others
// log in one command at a time until a login has shown its shape.
func (c *Conn) pipelinesLogin() bool {
	// Not pyftpdlib: it answers what follows a wrong password during the
	// seconds it waits before its 530.
	return c.greetingNames("(vsFTPd ", "ProFTPD", "Pure-FTPd")
}

// greetingNames reports a greeting naming one of the servers' software
// (their default greetings: "220 (vsFTPd 3.0.3)", "220 ProFTPD Server",
// "220---------- Welcome to Pure-FTPd").
func (c *Conn) greetingNames(software ...string) bool {
	return slices.ContainsFunc(software, func(sw string) bool { return strings.Contains(c.welcome, sw) })
}

// userPass sends USER, PASS and after in one write and reads all their
// replies. It returns the reply that ends the exchange: PASS's, or USER's
// when the server wanted no password (PASS's reply, a 503 or a 230, is
// read and left) or refused the user (PASS's reply is read to keep in
// step); and the replies to after, which answer a session logged in only
// when that reply is 2xx.
func (c *Conn) userPass(ctx context.Context, user, password string, after ...pipedCmd) (*Reply, string, []*Reply, error) {
	stop := c.watch(ctx, c.nc)
	defer stop()
	displays, err := c.writeCmds(ctx, append([]pipedCmd{{"USER", user}, {"PASS", password}}, after...)...)
	if err != nil {
		return nil, displays[0], nil, err
	}
	rep, err := c.readReply(ctx, displays[0])
	if err != nil {
		return rep, displays[0], nil, err
	}
	prep, err := c.pipedReply(ctx, displays[1])
	if err != nil {
		return prep, displays[1], nil, err
	}
	if slices.ContainsFunc(after, func(pc pipedCmd) bool { return pc.verb == "FEAT" }) &&
		(outOfStep(rep, CodeLoggedIn) || outOfStep(prep, CodeLoggedIn, CodeSuperfluous)) {
		// A reply no USER or PASS has (on the servers whose first login
		// sends FEAT along, which answer 230): a server that answered
		// what followed them first (pyftpdlib does, while it delays a
		// 530).
		c.Close()
		return nil, displays[1], nil, &opError{cmd: displays[1], err: &ProtocolError{Cmd: "PASS", Msg: fmt.Sprintf("replies out of order (%d to USER, %d to PASS)", rep.Code, prep.Code)}, closed: true}
	}
	end, endDisplay := rep, displays[0]
	if rep.Class() == 3 && rep.Code != CodeNeedAccount {
		c.loginShape = rep.Code
		end, endDisplay = prep, displays[1]
	}
	var afterRe []*Reply
	for _, d := range displays[2:] {
		arep, err := c.pipedReply(ctx, d)
		if err != nil {
			if end.Code/100 != 2 {
				// A server that hangs up after a refused login: the
				// refusal is the answer.
				re := c.unexpected(endDisplay, end)
				re.loginCmd = true
				return end, endDisplay, nil, re
			}
			return end, endDisplay, nil, err
		}
		afterRe = append(afterRe, arep)
	}
	if rep.Code == CodeNeedAccount {
		// PASS went where the account was expected: the exchange is
		// not the one this server taught; never guess.
		c.Close()
		re := c.unexpected(displays[0], rep)
		re.loginCmd = true
		return rep, displays[0], nil, re
	}
	return end, endDisplay, afterRe, nil
}

// Acct sends ACCT with account information (ftplib's acct). It returns the
// reply; anything but 2xx is a *ReplyError (a 3xx matches
// ErrUnexpectedReply).
func (c *Conn) Acct(ctx context.Context, account string) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	return c.expect(ctx, "ACCT", account, 2)
}

// afterLogin reads FEAT and switches to UTF-8 names when advertised
// (unless known says the server refused that already).
func (c *Conn) afterLogin(ctx context.Context, known *loginFacts, optsSent bool) error {
	feats, err := c.readFeatures(ctx)
	if err != nil {
		return err
	}
	if _, ok := feats["UTF8"]; ok && c.d.Encoding == nil && !c.d.DisableUTF8 {
		// Servers that switch to UTF-8 by default (Pure-FTPd 504,
		// pyftpdlib 501) refuse this; that is not an error.
		switch {
		case optsSent:
			// Sent with the login.
		case known != nil && known.utf8 != 0 && known.utf8/100 != 2:
			c.utf8Code = known.utf8
		default:
			rep, _, err := c.cmd(ctx, "OPTS", "UTF8 ON")
			if err != nil {
				return err
			}
			c.utf8Code = rep.Code
		}
	}
	if mode, ok := feats["MODE"]; ok && c.d.Compress && strings.Contains(strings.ToUpper(mode), "Z") {
		if _, err := c.expect(ctx, "MODE", "Z", 2); err != nil {
			return err
		}
		c.modeZ = true
	}
	return nil
}

// tlsConfigs derives the control and data TLS configurations from the
// caller's config: ServerName from addr when unset, and a session cache
// shared by both so data connections resume the control session.
func (c *Conn) tlsConfigs(base *tls.Config, addr string) (ctrl, data *tls.Config) {
	cache := &sessionCache{}
	ctrl = base.Clone()
	if ctrl.ServerName == "" {
		ctrl.ServerName = hostOf(addr)
	}
	ctrl.ClientSessionCache = cache
	data = ctrl.Clone()
	data.ClientSessionCache = (*dataSessionCache)(cache)
	return ctrl, data
}

// sessionCache holds the sessions of the control connection. Data
// connections resume them but never replace them (dataSessionCache), so
// every data connection resumes the control connection's session, which
// vsftpd (require_ssl_reuse) and ProFTPD check.
type sessionCache struct {
	mu       sync.Mutex
	sessions map[string]*tls.ClientSessionState
}

func (s *sessionCache) Get(key string) (*tls.ClientSessionState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, ok := s.sessions[key]
	return cs, ok
}

func (s *sessionCache) Put(key string, cs *tls.ClientSessionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		s.sessions = map[string]*tls.ClientSessionState{}
	}
	if cs == nil {
		delete(s.sessions, key)
		return
	}
	s.sessions[key] = cs
}

type dataSessionCache sessionCache

func (s *dataSessionCache) Get(key string) (*tls.ClientSessionState, bool) {
	return (*sessionCache)(s).Get(key)
}

func (s *dataSessionCache) Put(string, *tls.ClientSessionState) {}

// handshake runs the TLS handshake on the control connection.
func (c *Conn) handshake(ctx context.Context) error {
	tc := tls.Client(c.raw, c.ctrlTLS)
	hctx, cancel := c.d.bound(ctx)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) {
			// Still ErrTLSRequired (no verified TLS), but said plainly.
			msg := "ftp: the server's certificate is not trusted: " + bareText(err)
			return c.fail(ctx, "TLS handshake", &wrapError{msg: msg, err: fmt.Errorf("%w: %w", ErrTLSRequired, err)})
		}
		return c.fail(ctx, "TLS handshake", errorf("%w: %w", ErrTLSRequired, err))
	}
	c.raw.SetDeadline(time.Time{})
	c.nc = tc
	c.setReader()
	st := tc.ConnectionState()
	c.log.LogAttrs(ctx, LevelTrace, LogTLS, slog.String(KeyTLSVersion, tls.VersionName(st.Version)), slog.String(KeyCipher, tls.CipherSuiteName(st.CipherSuite)))
	return nil
}

// authTLS sends AUTH TLS and secures the control connection.
func (c *Conn) authTLS(ctx context.Context) (*Reply, error) {
	rep, display, err := c.cmd(ctx, "AUTH", "TLS")
	if err != nil {
		return rep, err
	}
	if rep.Code != CodeSecurityExchangeOK && rep.Code/100 != 2 {
		c.Close()
		re := c.unexpected(display, rep)
		return rep, errorf("%w: %w (connection closed)", ErrTLSRequired, re)
	}
	if c.r.Buffered() > 0 {
		c.Close()
		return rep, &ProtocolError{Cmd: display, Msg: "data after AUTH TLS reply, before the handshake", Err: ErrTLSRequired}
	}
	return rep, c.handshake(ctx)
}

// AuthTLS secures the control connection with AUTH TLS (ftplib's auth),
// using config (ServerName defaults to the dialled host). Dial does this
// already when Dialer.TLS is set; AuthTLS is for a Conn dialled in clear.
// A failure closes the Conn.
func (c *Conn) AuthTLS(ctx context.Context, config *tls.Config) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	if c.ctrlTLS != nil {
		return nil, errors.New("ftp: AUTH TLS: control connection already secured")
	}
	if config == nil {
		config = &tls.Config{}
	}
	c.ctrlTLS, c.dataTLS = c.tlsConfigs(config, c.addr)
	return c.authTLS(ctx)
}

// prot sends PBSZ 0 and PROT P (private) or PROT C (clear).
func (c *Conn) prot(ctx context.Context, private bool) (*Reply, error) {
	if c.ctrlTLS == nil {
		return nil, errorf("%w: PROT needs a TLS control connection", ErrTLSRequired)
	}
	level := "C"
	if private {
		level = "P"
		if _, err := c.expect(ctx, "PBSZ", "0", 2); err != nil {
			return nil, err
		}
	}
	rep, err := c.expect(ctx, "PROT", level, 2)
	if err != nil {
		return rep, err
	}
	c.protP = private
	return rep, nil
}

// ProtP sends PBSZ 0 and PROT P so data connections use TLS (ftplib's
// prot_p). Login does this already when Dialer.TLS is set.
func (c *Conn) ProtP(ctx context.Context) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	return c.prot(ctx, true)
}

// ProtC sends PROT C so data connections are in clear (ftplib's prot_c).
func (c *Conn) ProtC(ctx context.Context) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	return c.prot(ctx, false)
}

// CCC reverts the control connection to clear text after login (RFC 4217
// section 6, ftplib's ccc), for NAT firewalls that must read PORT/PASV.
// Data connections keep their protection level.
func (c *Conn) CCC(ctx context.Context) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return nil, errors.New("ftp: CCC: control connection is not using TLS")
	}
	rep, err := c.expect(ctx, "CCC", "", 2)
	if err != nil {
		return rep, err
	}
	// Send our close_notify without closing the socket, then carry on in
	// clear on the same TCP connection.
	stop := c.watch(ctx, c.raw)
	defer stop()
	if err := c.deadline(ctx, c.raw); err != nil {
		return rep, c.fail(ctx, "CCC", err)
	}
	if err := tc.CloseWrite(); err != nil {
		return rep, c.fail(ctx, "CCC", err)
	}
	// Consume the server's close_notify; nothing else may precede it.
	if n, err := io.Copy(io.Discard, tc); err != nil || n > 0 || c.r.Buffered() > 0 {
		if err == nil {
			err = errors.New("data before the server's close_notify")
		}
		return rep, c.fail(ctx, "CCC", err)
	}
	c.nc = c.raw
	c.setReader()
	return rep, nil
}

// outOfStep reports a positive completion reply other than ok: one that
// cannot answer the command expected (a FEAT's 211 read for PASS).
func outOfStep(rep *Reply, ok ...int) bool {
	return rep.Code/100 == 2 && !slices.Contains(ok, rep.Code)
}
