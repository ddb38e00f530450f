package main

import (
	"flag"
	"net"
	"net/url"
	"strings"

	"github.com/goftplib/ftp"
)

// proxyFlags are --proxy URL and --noproxy LIST. A flag given (even
// empty) overrides the environment, as in curl: --proxy "" means no proxy.
type proxyFlags struct {
	proxy, noProxy       string
	proxySet, noProxySet bool
}

func (p *proxyFlags) register(fs *flag.FlagSet, name string) {
	switch name {
	case "proxy":
		fs.Func(name, "connect through the proxy at `URL`: socks5://[user:pass@]host[:port] (names resolved here), socks5h://… (resolved by the proxy) or http://[user:pass@]host[:port] (CONNECT); port 1080 by default; \"\" for none (default: $ftp_proxy, $all_proxy, as curl)", func(s string) error {
			p.proxy, p.proxySet = s, true
			return nil
		})
	case "noproxy":
		fs.Func(name, "connect directly to the hosts in `LIST` (comma-separated names, domains, IP addresses or CIDR ranges; * for all) (default: $no_proxy)", func(s string) error {
			p.noProxy, p.noProxySet = s, true
			return nil
		})
	}
}

// lookupEnv returns the value of the first of names (each tried in lower
// then upper case, as curl does) that is set and not empty; "" with a
// nil getenv.
func lookupEnv(getenv func(string) string, names ...string) string {
	if getenv == nil {
		return ""
	}
	for _, n := range names {
		for _, v := range []string{strings.ToLower(n), strings.ToUpper(n)} {
			if s := getenv(v); s != "" {
				return s
			}
		}
	}
	return ""
}

// proxyFor returns the proxy to use for u, or nil: --proxy, else
// ftps_proxy (for ftps:// and ftpes:// URLs), ftp_proxy, all_proxy from
// the environment; none when u's host matches --noproxy or no_proxy. A
// proxy URL without a scheme is an HTTP proxy, as in curl. Errors never
// show the proxy's password.
func (p *proxyFlags) proxyFor(u *ftp.URL, getenv func(string) string) (*url.URL, error) {
	raw, from := p.proxy, "--proxy"
	if !p.proxySet {
		names := []string{"ftp_proxy", "all_proxy"}
		if u.Scheme == "ftps" || u.Scheme == "ftpes" {
			names = append([]string{"ftps_proxy"}, names...)
		}
		raw, from = lookupEnv(getenv, names...), "$"+strings.Join(names, "/$")
	}
	if raw == "" {
		return nil, nil
	}
	noProxy := p.noProxy
	if !p.noProxySet {
		noProxy = lookupEnv(getenv, "no_proxy")
	}
	if bypassProxy(hostOnly(u.Host), noProxy) {
		return nil, nil
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	pu, err := url.Parse(raw)
	if err != nil {
		return nil, usagef("%s: not a proxy URL", from) // url's error repeats the URL, password and all
	}
	switch pu.Scheme {
	case "socks5", "socks5h", "http":
	default:
		return nil, usagef("%s: proxy scheme %q not supported: use socks5://, socks5h:// or http://", from, pu.Scheme)
	}
	if pu.Hostname() == "" {
		return nil, usagef("%s: proxy URL without a host", from)
	}
	return pu, nil
}

// hostOnly returns the host of host[:port], without brackets.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// bypassProxy reports whether host matches the no_proxy list as curl
// reads it: entries separated by commas (and spaces); "*" alone matches
// every host; a name matches itself and its subdomains (a leading dot is
// ignored); an IP address matches itself, a CIDR range the addresses in
// it. Names are compared without case; ports in entries are ignored.
func bypassProxy(host, list string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ip := net.ParseIP(host)
	for _, e := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		e = strings.ToLower(e)
		if e == "*" {
			return true
		}
		if _, n, err := net.ParseCIDR(e); err == nil {
			if ip != nil && n.Contains(ip) {
				return true
			}
			continue
		}
		e = hostOnly(e)
		if eip := net.ParseIP(e); eip != nil {
			if ip != nil && eip.Equal(ip) {
				return true
			}
			continue
		}
		e = strings.TrimSuffix(strings.TrimPrefix(e, "."), ".")
		if e != "" && ip == nil && (host == e || strings.HasSuffix(host, "."+e)) {
			return true
		}
	}
	return false
}
