package main

import (
	"strings"
	"testing"

	"github.com/goftplib/ftp"
)

func TestBypassProxy(t *testing.T) {
	for _, c := range []struct {
		host, list string
		want       bool
	}{
		{"ftp.example.com", "", false},
		{"ftp.example.com", "*", true},
		{"ftp.example.com", "example.com", true},
		{"example.com", "example.com", true},
		{"ftp.example.com", ".example.com", true},
		{"FTP.Example.COM", "example.com", true},
		{"notexample.com", "example.com", false},
		{"ftp.example.com", "other.org, example.com", true},
		{"ftp.example.com", "other.org example.com", true},
		{"ftp.example.com", "example.com:21", true},
		{"ftp.example.com.", "example.com", true},
		{"10.1.2.3", "10.1.2.3", true},
		{"10.1.2.3", "10.0.0.0/8", true},
		{"11.1.2.3", "10.0.0.0/8", false},
		{"10.1.2.3", "10.1.2.4,localhost", false},
		{"::1", "::1", true},
		{"::1", "[::1]", true},
		{"localhost", "127.0.0.1", false}, // names are not resolved, as in curl
		{"example.com", "*.example.com", false},
	} {
		if got := bypassProxy(c.host, c.list); got != c.want {
			t.Errorf("bypassProxy(%q, %q) = %v, want %v", c.host, c.list, got, c.want)
		}
	}
}

func TestProxyFor(t *testing.T) {
	for _, c := range []struct {
		name  string
		url   string
		flags proxyFlags
		env   map[string]string
		want  string // proxy URL, "" for none, "error: …" for an error
	}{
		{name: "none", url: "ftp://h/", want: ""},
		{name: "all_proxy", url: "ftp://h/", env: map[string]string{"all_proxy": "socks5h://p:1080"}, want: "socks5h://p:1080"},
		{name: "ALL_PROXY", url: "ftp://h/", env: map[string]string{"ALL_PROXY": "socks5://p:1080"}, want: "socks5://p:1080"},
		{name: "lower case first", url: "ftp://h/", env: map[string]string{"all_proxy": "http://lower:1", "ALL_PROXY": "http://upper:1"}, want: "http://lower:1"},
		{name: "ftp_proxy before all_proxy", url: "ftp://h/", env: map[string]string{"FTP_PROXY": "http://f:1", "all_proxy": "http://a:1"}, want: "http://f:1"},
		{name: "ftps_proxy for ftps", url: "ftps://h/", env: map[string]string{"ftps_proxy": "http://s:1", "ftp_proxy": "http://f:1"}, want: "http://s:1"},
		{name: "ftps_proxy not for ftp", url: "ftp://h/", env: map[string]string{"ftps_proxy": "http://s:1"}, want: ""},
		{name: "no scheme is http", url: "ftp://h/", env: map[string]string{"all_proxy": "p:3128"}, want: "http://p:3128"},
		{name: "flag over env", url: "ftp://h/", flags: proxyFlags{proxy: "socks5://f:1", proxySet: true}, env: map[string]string{"all_proxy": "http://a:1"}, want: "socks5://f:1"},
		{name: "empty flag: none", url: "ftp://h/", flags: proxyFlags{proxySet: true}, env: map[string]string{"all_proxy": "http://a:1"}, want: ""},
		{name: "no_proxy", url: "ftp://ftp.example.com/", env: map[string]string{"all_proxy": "http://a:1", "no_proxy": "example.com"}, want: ""},
		{name: "NO_PROXY *", url: "ftp://h:2121/", env: map[string]string{"all_proxy": "http://a:1", "NO_PROXY": "*"}, want: ""},
		{name: "no_proxy other", url: "ftp://h/", env: map[string]string{"all_proxy": "http://a:1", "no_proxy": "x.org"}, want: "http://a:1"},
		{name: "--noproxy over env", url: "ftp://h/", flags: proxyFlags{noProxy: "h", noProxySet: true}, env: map[string]string{"all_proxy": "http://a:1", "no_proxy": "x"}, want: ""},
		{name: "--noproxy empty", url: "ftp://h/", flags: proxyFlags{noProxySet: true}, env: map[string]string{"all_proxy": "http://a:1", "no_proxy": "*"}, want: "http://a:1"},
		{name: "bad scheme", url: "ftp://h/", env: map[string]string{"all_proxy": "https://u:hunter2@p:1"}, want: "error: not supported"},
		{name: "bad URL", url: "ftp://h/", flags: proxyFlags{proxy: "http://u:hunter2@p:1:2:3%zz", proxySet: true}, want: "error: not a proxy URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := ftp.ParseURL(c.url)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.flags.proxyFor(u, func(k string) string { return c.env[k] })
			switch {
			case strings.HasPrefix(c.want, "error: "):
				if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "error: ")) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("proxyFor = %v, %v; want %s", got, err, c.want)
				}
			case err != nil:
				t.Fatal(err)
			case c.want == "" && got != nil, c.want != "" && (got == nil || got.String() != c.want):
				t.Fatalf("proxyFor = %v, want %q", got, c.want)
			}
		})
	}
}
