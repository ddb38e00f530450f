package ftp

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// URL is a parsed ftp://, ftps:// (implicit TLS) or ftpes:// (explicit TLS)
// URL, as RFC 1738 section 3.2 defines them:
//
//	ftp://user:password@host:port/cwd1/cwd2/name;type=i
//
// The scheme says how to set up a [Dialer]:
//
//	ftp    Dialer{}: no TLS, port 21
//	ftps   Dialer{TLS: &tls.Config{ServerName: u.Hostname()}, ImplicitTLS: true}: TLS from connect time, port 990
//	ftpes  Dialer{TLS: &tls.Config{ServerName: u.Hostname()}}: AUTH TLS after the greeting, port 21
//
// then Dial(ctx, u.Host). An empty User means anonymous login (RFC 1738
// section 3.2.1): Conn.Login with "anonymous" and an empty password.
// Without a password in the URL, callers may look one up with
// netrc.File.Lookup(u.Hostname(), u.User).
//
// Path names are relative to the login directory: [URL.Path], and see it
// for absolute paths. Type tells the transfer type: 'i' binary
// ([Conn.RetrBinary]), 'a' ASCII ([Conn.RetrLines]), 'd' a directory
// listing ([Conn.NLST] or [Conn.List]); 0 leaves the choice to the caller.
//
// String returns the URL with its password; log it with [URL.Redacted]
// (LogValue and %#v do so).
type URL struct {
	Scheme string // "ftp", "ftps" or "ftpes" (lower-cased)
	// Host is "host:port" with the default port filled in (21, or 990 for
	// ftps). Names are lower-cased; an IPv6 address is in brackets, in
	// canonical form, with its zone (RFC 6874) decoded: "[fe80::1%eth0]:21".
	Host string
	User string // decoded user name, "" when absent (anonymous)
	// Password is the decoded password; HasPassword tells an empty one
	// ("ftp://u:@host/") from none.
	Password    string
	HasPassword bool
	// Segments are the path segments after the host, each percent-decoded
	// on its own (RFC 1738 section 3.2.2): "%2F" inside a segment is a '/'
	// that belongs to that segment. "ftp://h/a/b" gives ["a" "b"];
	// "ftp://h/a/" gives ["a" ""] (the empty last segment names the
	// directory itself); "ftp://h/" and "ftp://h" give none. Segments and
	// User and Password never contain CR, LF or NUL.
	Segments []string
	Type     byte // 'a', 'i' or 'd' from ";type=X", 0 when absent
}

// URLError reports a URL that ParseURL cannot accept. Errors for CR, LF,
// NUL or other control characters match fs.ErrInvalid.
type URLError struct {
	URL string // the input with any password replaced by "xxxxx"
	Msg string // what is wrong; it never quotes the user name or password
	Err error  // fs.ErrInvalid for control characters, else nil
}

func (e *URLError) Error() string {
	return fmt.Sprintf("ftp: parse URL %q: %s", e.URL, e.Msg)
}

// Unwrap returns Err.
func (e *URLError) Unwrap() error { return e.Err }

// Default ports for each scheme.
var urlPorts = map[string]string{"ftp": "21", "ftps": "990", "ftpes": "21"}

// ParseURL parses an ftp://, ftps:// or ftpes:// URL (the scheme is
// case-insensitive). It fails with a *URLError for another scheme, a
// missing host, a port outside 1-65535 or not a number, a query in the
// host part, a fragment ('#' must be written %23), bad percent-encoding, a
// ";type=" other than a, i or d, and control characters: raw anywhere, or
// CR, LF or NUL once decoded in the user, password or a segment (those
// match fs.ErrInvalid, since they would inject FTP commands). A '?' in the
// path is a literal character (RFC 1738 allows it in segments), and ';'
// only starts a parameter when it reads ";type=" at the end of the URL.
func ParseURL(raw string) (*URL, error) {
	fail := func(err error, format string, args ...any) (*URL, error) {
		if !errors.Is(err, fs.ErrInvalid) {
			err = nil
		}
		return nil, &URLError{URL: redactRawURL(raw), Msg: fmt.Sprintf(format, args...), Err: err}
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c < 0x20 || c == 0x7f {
			return fail(fs.ErrInvalid, "control character at byte %d", i)
		}
	}
	colon := strings.IndexByte(raw, ':')
	if colon <= 0 || !validScheme(raw[:colon]) {
		return fail(nil, "missing scheme: want ftp://, ftps:// or ftpes://")
	}
	u := &URL{Scheme: strings.ToLower(raw[:colon])}
	defPort, ok := urlPorts[u.Scheme]
	if !ok {
		return fail(nil, "unknown scheme %q: want ftp, ftps or ftpes", u.Scheme)
	}
	rest, ok := strings.CutPrefix(raw[colon+1:], "//")
	if !ok {
		return fail(nil, "missing // and host after %q", u.Scheme+":")
	}
	if strings.Contains(rest, "#") {
		return fail(nil, "fragments are not allowed (write '#' in a name or password as %%23)")
	}
	authority, urlPath, hasPath := strings.Cut(rest, "/")
	if strings.Contains(authority, "?") {
		return fail(nil, "'?' before the path: a query is not allowed (write '?' in a name or password as %%3F)")
	}
	if strings.Contains(authority, `\`) {
		return fail(nil, "backslash before the path")
	}
	hostport := authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		hostport = authority[at+1:]
		userinfo := authority[:at]
		user, pass, hasPass := strings.Cut(userinfo, ":")
		var err error
		if u.User, err = decodeURLPart(user); err != nil {
			return fail(err, "user name: %v", err)
		}
		if hasPass {
			if u.Password, err = decodeURLPart(pass); err != nil {
				return fail(err, "password: %v", err)
			}
			u.HasPassword = true
		}
	}
	host, port, err := parseURLHost(hostport, defPort)
	if err != nil {
		return fail(err, "%v", err)
	}
	u.Host = net.JoinHostPort(host, port)
	if !hasPath {
		return u, nil
	}
	// ";type=X" may end the last segment (RFC 1738 section 3.2.2).
	last := urlPath[strings.LastIndexByte(urlPath, '/')+1:]
	if semi := strings.LastIndexByte(last, ';'); semi >= 0 {
		if param := last[semi+1:]; len(param) >= 5 && strings.EqualFold(param[:5], "type=") {
			switch v := param[5:]; strings.ToLower(v) {
			case "a", "i", "d":
				u.Type = v[0] | 0x20 // lower case
			default:
				return fail(nil, ";type= must be a, i or d")
			}
			urlPath = urlPath[:len(urlPath)-len(last)+semi]
		}
	}
	if urlPath == "" {
		return u, nil
	}
	u.Segments = strings.Split(urlPath, "/")
	for i, s := range u.Segments {
		if u.Segments[i], err = decodeURLPart(s); err != nil {
			return fail(err, "path segment %d: %v", i+1, err)
		}
	}
	return u, nil
}

// validScheme reports whether s has the syntax of a scheme (RFC 3986 section 3.1).
func validScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= 'a' && c <= 'z' || i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
			return false
		}
	}
	return s != ""
}

// errInjection is returned by decodeURLPart for CR, LF or NUL; it matches
// fs.ErrInvalid.
var errInjection = fmt.Errorf("contains CR, LF or NUL: %w", fs.ErrInvalid)

// decodeURLPart decodes every %XX in s (a '+' stays a '+') and refuses
// results holding CR, LF or NUL.
func decodeURLPart(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil // raw control characters were refused before
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
			return "", errors.New("'%' not followed by two hexadecimal digits")
		}
		c := byte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		if c == '\r' || c == '\n' || c == 0 {
			return "", errInjection
		}
		b = append(b, c)
		i += 2
	}
	return string(b), nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseURLHost splits the host part of a URL into a host (lower-cased name,
// IPv4 address, or canonical IPv6 address with decoded zone, no brackets)
// and a port, defPort when absent. Its errors do not quote the input.
func parseURLHost(hp, defPort string) (host, port string, err error) {
	var portText string
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return "", "", fmt.Errorf("missing ']' after the IPv6 address")
		}
		after := hp[end+1:]
		if after != "" && after[0] != ':' {
			return "", "", fmt.Errorf("unexpected text after the IPv6 address")
		}
		portText = strings.TrimPrefix(after, ":")
		inner, zone, hasZone := strings.Cut(hp[1:end], "%")
		addr, perr := netip.ParseAddr(inner)
		if perr != nil || !addr.Is6() {
			return "", "", fmt.Errorf("brackets must hold an IPv6 address")
		}
		host = addr.String()
		if hasZone {
			// RFC 6874: the zone is introduced by "%25".
			z, ok := strings.CutPrefix(zone, "25")
			if !ok || z == "" {
				return "", "", fmt.Errorf("an IPv6 zone must be written %%25zone")
			}
			if z, err = decodeURLPart(z); err != nil {
				return "", "", fmt.Errorf("IPv6 zone: %w", err)
			}
			if strings.Trim(z, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~") != "" {
				return "", "", fmt.Errorf("an IPv6 zone may hold only letters, digits and \"-._~\"")
			}
			host += "%" + z
		}
	} else {
		name := hp
		switch strings.Count(hp, ":") {
		case 0:
		case 1:
			name, portText, _ = strings.Cut(hp, ":")
		default:
			return "", "", fmt.Errorf("an IPv6 address must be in brackets")
		}
		if name == "" {
			return "", "", fmt.Errorf("missing host")
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
			case c >= 0x80:
				return "", "", fmt.Errorf("non-ASCII host name: use its ASCII (xn--) form")
			default:
				return "", "", fmt.Errorf("invalid character in the host name")
			}
		}
		host = strings.ToLower(name)
	}
	if portText == "" {
		return host, defPort, nil
	}
	for i := 0; i < len(portText); i++ {
		if portText[i] < '0' || portText[i] > '9' {
			return "", "", fmt.Errorf("port is not a number")
		}
	}
	trimmed := strings.TrimLeft(portText, "0")
	n, perr := strconv.Atoi(trimmed)
	if len(trimmed) > 5 || perr != nil || n < 1 || n > 65535 {
		return "", "", fmt.Errorf("port out of range 1-65535")
	}
	return host, strconv.Itoa(n), nil
}

// redactRawURL hides the password of a URL that may not parse. When in
// doubt it hides more: a URL whose password holds an unescaped '/' (so
// that its '@' lands after the first '/') is still redacted.
func redactRawURL(raw string) string {
	const mask = "xxxxx"
	start := strings.Index(raw, "://")
	if start < 0 {
		// No "://": a mistyped scheme ("ftp:/bob@h") or none ("bob:pw@h").
		// Only what follows a ':' before the last '@' can be a password;
		// a user name alone is shown as typed.
		at := strings.LastIndexByte(raw, '@')
		if at < 0 {
			return raw
		}
		head := raw[:at]
		i := schemePrefix(head) // "ftp:/bob@h": that ':' ends the scheme
		colon := strings.IndexByte(head[i:], ':')
		if colon < 0 {
			return raw
		}
		colon += i
		return raw[:colon+1] + mask + raw[at:]
	}
	start += 3
	rest := raw[start:]
	head := rest
	if slash := strings.IndexByte(rest, '/'); slash >= 0 {
		head = rest[:slash]
	}
	if at := strings.LastIndexByte(head, '@'); at >= 0 {
		if colon := strings.IndexByte(head[:at], ':'); colon >= 0 {
			return raw[:start] + rest[:colon+1] + mask + rest[at:]
		}
		return raw
	}
	at := strings.LastIndexByte(rest, '@')
	colon := strings.IndexByte(head, ':')
	if at < 0 || colon < 0 {
		return raw
	}
	if port := head[colon+1:]; strings.Trim(port, "0123456789") == "" {
		return raw // "host:port/…@…": the '@' is in the path
	}
	return raw[:start] + rest[:colon+1] + mask + rest[at:]
}

// schemePrefix returns the length of a leading "scheme:/" (one or more
// slashes), or 0.
func schemePrefix(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':' && i+1 < len(s) && s[i+1] == '/':
			return i + 1 + len(s[i+1:]) - len(strings.TrimLeft(s[i+1:], "/"))
		default:
			return 0
		}
	}
	return 0
}

// Hostname returns Host without the port and brackets: the name to look up
// in a .netrc file or to use as tls.Config.ServerName.
func (u *URL) Hostname() string {
	if h, _, err := net.SplitHostPort(u.Host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(u.Host, "["), "]")
}

// Path returns the segments joined by "/". As RFC 1738 says, the path is
// relative to the login directory: "ftp://host/pub/x" gives "pub/x". An
// absolute path is written with its leading '/' escaped,
// "ftp://host/%2Fetc/x", or with an empty first segment,
// "ftp://host//etc/x" (as curl reads it); both give "/etc/x".
func (u *URL) Path() string { return strings.Join(u.Segments, "/") }

// Dir returns the directory part of Path: every segment but the last,
// joined by "/" ("" for the login directory; "/" for the root in
// "ftp://host//x"). A client may Cwd there, or Cwd into each of
// Segments[:len-1] in turn as RFC 1738 describes, then fetch Base.
func (u *URL) Dir() string {
	if len(u.Segments) < 2 {
		return ""
	}
	if d := strings.Join(u.Segments[:len(u.Segments)-1], "/"); d != "" {
		return d
	}
	return "/"
}

// Base returns the last segment: the file name, or "" when the URL names a
// directory ("ftp://host/pub/") or has no path. Segments are not cleaned,
// so Base may be "..", or hold a '/' that came from %2F: never use it as a
// local file name unchecked.
func (u *URL) Base() string {
	if len(u.Segments) == 0 {
		return ""
	}
	return u.Segments[len(u.Segments)-1]
}

// String returns the URL in canonical form: lower-case scheme and host,
// the port only when it is not the default, user, password and segments
// percent-encoded (a '/' inside a segment as %2F, ';', '?' and '#' always
// encoded, hexadecimal digits in upper case), and ";type=X" when Type is
// set. ParseURL of the result gives u back. The password is included:
// use Redacted for anything that may be logged or shown.
func (u *URL) String() string { return u.format(false) }

// Redacted is like String with the password, if any, replaced by "xxxxx"
// (as net/url's URL.Redacted does).
func (u *URL) Redacted() string { return u.format(true) }

// GoString is used by the %#v verb; the password is redacted.
func (u *URL) GoString() string {
	pw := ""
	if u.HasPassword {
		pw = "xxxxx"
	}
	return fmt.Sprintf("&ftp.URL{Scheme:%q, Host:%q, User:%q, Password:%q, HasPassword:%t, Segments:%#v, Type:%q}",
		u.Scheme, u.Host, u.User, pw, u.HasPassword, u.Segments, u.Type)
}

// LogValue implements slog.LogValuer with the redacted URL.
func (u *URL) LogValue() slog.Value { return slog.StringValue(u.Redacted()) }

func (u *URL) format(redact bool) string {
	var b strings.Builder
	b.WriteString(u.Scheme + "://")
	if u.User != "" || u.HasPassword {
		escapeURLPart(&b, u.User, "!$&'()*+,;=")
		if u.HasPassword {
			b.WriteByte(':')
			if redact {
				b.WriteString("xxxxx")
			} else {
				escapeURLPart(&b, u.Password, "!$&'()*+,;=")
			}
		}
		b.WriteByte('@')
	}
	host, port, err := net.SplitHostPort(u.Host)
	switch {
	case err != nil:
		b.WriteString(u.Host)
	case strings.Contains(host, ":"):
		addr, zone, hasZone := strings.Cut(host, "%")
		b.WriteString("[" + addr)
		if hasZone {
			b.WriteString("%25")
			escapeURLPart(&b, zone, "")
		}
		b.WriteByte(']')
	default:
		b.WriteString(host)
	}
	if err == nil && port != urlPorts[u.Scheme] {
		b.WriteString(":" + port)
	}
	b.WriteByte('/')
	for i, s := range u.Segments {
		if i > 0 {
			b.WriteByte('/')
		}
		escapeURLPart(&b, s, "!$&'()*+,=:@")
	}
	if u.Type != 0 {
		b.WriteString(";type=")
		b.WriteByte(u.Type)
	}
	return b.String()
}

// escapeURLPart writes s percent-encoded, leaving letters, digits, "-._~"
// and the bytes in keep as they are.
func escapeURLPart(b *strings.Builder, s, keep string) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
}
