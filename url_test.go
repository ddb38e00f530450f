package ftp_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/goftplib/ftp"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw             string
		want            ftp.URL
		str             string // String(); "" means raw
		path, dir, base string
	}{
		{raw: "ftp://ftp.example.com/", want: ftp.URL{Scheme: "ftp", Host: "ftp.example.com:21"}},
		{raw: "ftp://ftp.example.com", want: ftp.URL{Scheme: "ftp", Host: "ftp.example.com:21"}, str: "ftp://ftp.example.com/"},
		{raw: "FTP://FTP.Example.COM:21/Pub", want: ftp.URL{Scheme: "ftp", Host: "ftp.example.com:21", Segments: []string{"Pub"}},
			str: "ftp://ftp.example.com/Pub", path: "Pub", base: "Pub"},
		{raw: "ftps://h.example/a/b.txt", want: ftp.URL{Scheme: "ftps", Host: "h.example:990", Segments: []string{"a", "b.txt"}},
			path: "a/b.txt", dir: "a", base: "b.txt"},
		{raw: "ftps://h.example:21/", want: ftp.URL{Scheme: "ftps", Host: "h.example:21"}},
		{raw: "ftpes://h.example:2121/x", want: ftp.URL{Scheme: "ftpes", Host: "h.example:2121", Segments: []string{"x"}},
			path: "x", base: "x"},
		{raw: "ftp://h:00021/", want: ftp.URL{Scheme: "ftp", Host: "h:21"}, str: "ftp://h/"},
		{raw: "ftp://h:/", want: ftp.URL{Scheme: "ftp", Host: "h:21"}, str: "ftp://h/"},
		{raw: "ftp://h:65535/", want: ftp.URL{Scheme: "ftp", Host: "h:65535"}},
		{raw: "ftp://10.0.0.1:2121/", want: ftp.URL{Scheme: "ftp", Host: "10.0.0.1:2121"}},
		{raw: "ftp://[::1]/", want: ftp.URL{Scheme: "ftp", Host: "[::1]:21"}},
		{raw: "ftp://[2001:DB8:0::1]:2121/f", want: ftp.URL{Scheme: "ftp", Host: "[2001:db8::1]:2121", Segments: []string{"f"}},
			str: "ftp://[2001:db8::1]:2121/f", path: "f", base: "f"},
		{raw: "ftp://[fe80::1%25eth0]/", want: ftp.URL{Scheme: "ftp", Host: "[fe80::1%eth0]:21"}},
		{raw: "ftp://alice@h/", want: ftp.URL{Scheme: "ftp", Host: "h:21", User: "alice"}},
		{raw: "ftp://alice:s3cret@h/", want: ftp.URL{Scheme: "ftp", Host: "h:21", User: "alice", Password: "s3cret", HasPassword: true}},
		{raw: "ftp://alice:@h/", want: ftp.URL{Scheme: "ftp", Host: "h:21", User: "alice", HasPassword: true}},
		{raw: "ftp://@h/", want: ftp.URL{Scheme: "ftp", Host: "h:21"}, str: "ftp://h/"},
		{raw: "ftp://a%40b.example:p%3Aw%2Fd%25@h/", want: ftp.URL{Scheme: "ftp", Host: "h:21", User: "a@b.example", Password: "p:w/d%", HasPassword: true}},
		{raw: "ftp://me@example.com:p@ss:word@h/", want: ftp.URL{Scheme: "ftp", Host: "h:21", User: "me@example.com", Password: "p@ss:word", HasPassword: true},
			str: "ftp://me%40example.com:p%40ss%3Aword@h/"},
		{raw: "ftp://u+v:a+b@h/", want: ftp.URL{Scheme: "ftp", Host: "h:21", User: "u+v", Password: "a+b", HasPassword: true}},
		// RFC 1738 section 3.2.2: %2F belongs to its segment.
		{raw: "ftp://h/%2Fetc/x", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"/etc", "x"}},
			path: "/etc/x", dir: "/etc", base: "x"},
		{raw: "ftp://h//etc/x", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"", "etc", "x"}},
			path: "/etc/x", dir: "/etc", base: "x"},
		{raw: "ftp://h//x", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"", "x"}},
			path: "/x", dir: "/", base: "x"},
		{raw: "ftp://h/a%2Fb/c", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"a/b", "c"}},
			path: "a/b/c", dir: "a/b", base: "c"},
		{raw: "ftp://h/pub/", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"pub", ""}},
			path: "pub/", dir: "pub", base: ""},
		{raw: "ftp://h/my%20file%e9.txt", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"my file\xe9.txt"}},
			str: "ftp://h/my%20file%E9.txt", path: "my file\xe9.txt", base: "my file\xe9.txt"},
		{raw: "ftp://h/caf\u00e9", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"caf\u00e9"}},
			str: "ftp://h/caf%C3%A9", path: "caf\u00e9", base: "caf\u00e9"},
		{raw: "ftp://h/a?b=c&d", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"a?b=c&d"}},
			str: "ftp://h/a%3Fb=c&d", path: "a?b=c&d", base: "a?b=c&d"},
		{raw: "ftp://h/tab%09name+x", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"tab\tname+x"}},
			path: "tab\tname+x", base: "tab\tname+x"},
		{raw: "ftp://h/a.txt;type=i", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"a.txt"}, Type: 'i'},
			path: "a.txt", base: "a.txt"},
		{raw: "ftp://h/dir/;TYPE=D", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"dir", ""}, Type: 'd'},
			str: "ftp://h/dir/;type=d", path: "dir/", dir: "dir"},
		{raw: "ftp://h/;type=a", want: ftp.URL{Scheme: "ftp", Host: "h:21", Type: 'a'}},
		{raw: "ftp://h/a;b/c;v2", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"a;b", "c;v2"}},
			str: "ftp://h/a%3Bb/c%3Bv2", path: "a;b/c;v2", dir: "a;b", base: "c;v2"},
		{raw: "ftp://h/a;type=i/b", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"a;type=i", "b"}},
			str: "ftp://h/a%3Btype=i/b", path: "a;type=i/b", dir: "a;type=i", base: "b"},
		{raw: "ftp://h/a%3Btype=x", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"a;type=x"}},
			str: "ftp://h/a%3Btype=x", path: "a;type=x", base: "a;type=x"},
		{raw: "ftp://h/%7euser/x%2a", want: ftp.URL{Scheme: "ftp", Host: "h:21", Segments: []string{"~user", "x*"}},
			str: "ftp://h/~user/x*", path: "~user/x*", dir: "~user", base: "x*"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			u, err := ftp.ParseURL(tt.raw)
			if err != nil {
				t.Fatalf("ParseURL(%q) error: %v", tt.raw, err)
			}
			if !reflect.DeepEqual(*u, tt.want) {
				t.Errorf("ParseURL(%q) = %#v, want %#v", tt.raw, u, &tt.want)
			}
			wantStr := tt.str
			if wantStr == "" {
				wantStr = tt.raw
			}
			if got := u.String(); got != wantStr {
				t.Errorf("ParseURL(%q).String() = %q, want %q", tt.raw, got, wantStr)
			}
			if got := u.Path(); got != tt.path {
				t.Errorf("Path() = %q, want %q", got, tt.path)
			}
			if got := u.Dir(); got != tt.dir {
				t.Errorf("Dir() = %q, want %q", got, tt.dir)
			}
			if got := u.Base(); got != tt.base {
				t.Errorf("Base() = %q, want %q", got, tt.base)
			}
			again, err := ftp.ParseURL(u.String())
			if err != nil || !reflect.DeepEqual(again, u) {
				t.Errorf("ParseURL(%q) = %#v, %v; want %#v", u.String(), again, err, u)
			}
		})
	}
}

func TestURLHostname(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"ftp://H.Example:2121/":    "h.example",
		"ftps://[::1]/":            "::1",
		"ftp://[fe80::1%25en0]:1/": "fe80::1%en0",
		"ftp://u:p@192.0.2.1/":     "192.0.2.1",
	} {
		u, err := ftp.ParseURL(raw)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", raw, err)
		}
		if got := u.Hostname(); got != want {
			t.Errorf("ParseURL(%q).Hostname() = %q, want %q", raw, got, want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw     string
		msg     string
		invalid bool // matches fs.ErrInvalid
	}{
		{"http://h/", `unknown scheme "http"`, false},
		{"sftp://h/", `unknown scheme "sftp"`, false},
		{"h.example/pub", "missing scheme", false},
		{"://h/", "missing scheme", false},
		{"ftp:h/x", "missing //", false},
		{"ftp:/h/x", "missing //", false},
		{"ftp://", "missing host", false},
		{"ftp:///pub", "missing host", false},
		{"ftp://u:p@/pub", "missing host", false},
		{"ftp://:21/", "missing host", false},
		{"ftp://h:0/", "port out of range", false},
		{"ftp://h:65536/", "port out of range", false},
		{"ftp://h:99999999999999999999/", "port out of range", false},
		{"ftp://h:x21/", "port is not a number", false},
		{"ftp://h:-1/", "port is not a number", false},
		{"ftp://h:+21/", "port is not a number", false},
		{"ftp://h:21:22/", "brackets", false},
		{"ftp://::1/", "brackets", false},
		{"ftp://[::1/", "missing ']'", false},
		{"ftp://[::1]x/", "after the IPv6 address", false},
		{"ftp://[1.2.3.4]/", "IPv6", false},
		{"ftp://[fe80::1%eth0]/", "%25", false},
		{"ftp://[fe80::1%25]/", "%25", false},
		{"ftp://[fe80::1%25a%2Fb]/", "zone", false},
		{"ftp://[fe80::1%25a%0A]/", "CR, LF or NUL", true},
		{"ftp://h_st!/", "invalid character", false},
		{"ftp://h%41/", "invalid character", false},
		{"ftp://b\u00fccher.example/", "xn--", false},
		{"ftp://h?x=1", "query", false},
		{"ftp://u:p?w@h/", "query", false},
		{`ftp://h\x/`, "backslash", false},
		{"ftp://h/a#frag", "fragment", false},
		{"ftp://u:p#w@h/", "fragment", false},
		{"ftp://h/a;type=x", "type= must be a, i or d", false},
		{"ftp://h/a;type=", "type= must be a, i or d", false},
		{"ftp://h/a;type=ii", "type= must be a, i or d", false},
		{"ftp://h/a%zz", "hexadecimal", false},
		{"ftp://h/a%4", "hexadecimal", false},
		{"ftp://u%g1@h/", "user name", false},
		{"ftp://u:p%@h/", "password", false},
		{"ftp://h/a%0D%0ADELE%20x", "CR, LF or NUL", true},
		{"ftp://h/a%0a", "CR, LF or NUL", true},
		{"ftp://h/a%00.txt", "CR, LF or NUL", true},
		{"ftp://h/x/%0d/y", "path segment 2", true},
		{"ftp://u%0D%0APASS%20x@h/", "user name", true},
		{"ftp://u:p%0A@h/", "password", true},
		{"ftp://h/a\r\nb", "control character", true},
		{"ftp://h/a\x00", "control character", true},
		{"ftp://h/a\tb", "control character", true},
		{"ftp://h/a\x7f", "control character", true},
		{"ftp://h\n/", "control character", true},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			u, err := ftp.ParseURL(tt.raw)
			var ue *ftp.URLError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseURL(%q) = %#v, %v; want *URLError", tt.raw, u, err)
			}
			if !strings.Contains(ue.Msg, tt.msg) {
				t.Errorf("ParseURL(%q) error %q, want it to contain %q", tt.raw, ue.Msg, tt.msg)
			}
			if got := errors.Is(err, fs.ErrInvalid); got != tt.invalid {
				t.Errorf("errors.Is(ParseURL(%q) error, fs.ErrInvalid) = %t, want %t", tt.raw, got, tt.invalid)
			}
			if strings.ContainsAny(err.Error(), "\r\n\x00") {
				t.Errorf("error %q holds a raw control character", err)
			}
		})
	}
}

// TestURLErrorHidesPassword checks that errors show the URL with its
// password masked, including URLs broken by an unescaped character in the
// password.
func TestURLErrorHidesPassword(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, wantURL string }{
		{"ftp://u:SECRET@h:99999/", "ftp://u:xxxxx@h:99999/"},
		{"ftp://u:SECRET@h/a;type=z", "ftp://u:xxxxx@h/a;type=z"},
		{"ftp://u:SE/CRET@h/", "ftp://u:xxxxx@h/"},
		{"ftp://u:SE#CRET@h/", "ftp://u:xxxxx@h/"},
		{"ftp://u:SE?CRET@h/", "ftp://u:xxxxx@h/"},
		{"ftp://u:SECRET%0A@h/", "ftp://u:xxxxx@h/"},
		{"ftp://u:SECRET@/", "ftp://u:xxxxx@/"},
		{"http://u:SECRET@h/", "http://u:xxxxx@h/"},
		{"ftp:u:SECRET@h/", "ftp:xxxxx@h/"},
		{"u:SECRET@h", "u:xxxxx@h"},
		{"ftp:/bob:SECRET@h/", "ftp:/bob:xxxxx@h/"},
		{"ftp:/bob@h/", "ftp:/bob@h/"}, // a mistyped scheme: the user name stays
		{"bob@h:21/x", "bob@h:21/x"},   // no password to hide
		{"ftp:bob@h/", "ftp:xxxxx@h/"}, // ambiguous: "ftp" may be the user
		{"ftp//bob:S@h/", "ftp//bob:xxxxx@h/"},
		{"ftp://h:21/a@b;type=z", "ftp://h:21/a@b;type=z"},
	}
	for _, tt := range tests {
		_, err := ftp.ParseURL(tt.raw)
		var ue *ftp.URLError
		if !errors.As(err, &ue) {
			t.Errorf("ParseURL(%q) error = %v, want *URLError", tt.raw, err)
			continue
		}
		if ue.URL != tt.wantURL {
			t.Errorf("ParseURL(%q) error URL = %q, want %q", tt.raw, ue.URL, tt.wantURL)
		}
		if strings.Contains(err.Error(), "SE") {
			t.Errorf("ParseURL(%q) error %q reveals the password", tt.raw, err)
		}
	}
}

func TestURLRedacted(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, want string }{
		{"ftp://alice:SECRET@h/pub/f;type=i", "ftp://alice:xxxxx@h/pub/f;type=i"},
		{"ftps://alice:@h:2121/", "ftps://alice:xxxxx@h:2121/"},
		{"ftp://:SECRET@h/", "ftp://:xxxxx@h/"},
		{"ftp://alice@h/", "ftp://alice@h/"},
		{"ftp://h/", "ftp://h/"},
	}
	for _, tt := range tests {
		u, err := ftp.ParseURL(tt.raw)
		if err != nil {
			t.Fatalf("ParseURL(%q): %v", tt.raw, err)
		}
		if got := u.Redacted(); got != tt.want {
			t.Errorf("ParseURL(%q).Redacted() = %q, want %q", tt.raw, got, tt.want)
		}
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("get", "url", u)
		for name, out := range map[string]string{
			"Redacted": u.Redacted(),
			"slog":     buf.String(),
			"%#v":      fmt.Sprintf("%#v", u),
		} {
			if strings.Contains(out, "SECRET") {
				t.Errorf("%s of %q = %q reveals the password", name, tt.raw, out)
			}
		}
		if !strings.Contains(buf.String(), tt.want) {
			t.Errorf("slog output %q does not hold the redacted URL %q", buf.String(), tt.want)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"ftp://h/", "ftp://alice:s3cret@ftp.example.com:2121/pub/file.txt;type=i",
		"ftps://[2001:db8::1]:990/%2Fetc/passwd", "ftpes://u@h//a/b/", "ftp://[fe80::1%25eth0]/x;type=d",
		"ftp://a%40b:p%3Aw@h/a%2Fb/c%20d?e;v", "FTP://H:00021/%7e", "ftp://h/a%0D%0A", "ftp://u:p/w@h/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ftp.ParseURL(raw)
		if err != nil {
			var ue *ftp.URLError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseURL(%q) error %T, want *URLError", raw, err)
			}
			return
		}
		for _, s := range append([]string{u.User, u.Password}, u.Segments...) {
			if strings.ContainsAny(s, "\r\n\x00") {
				t.Fatalf("ParseURL(%q) = %#v: a part holds CR, LF or NUL", raw, u)
			}
		}
		s := u.String()
		again, err := ftp.ParseURL(s)
		if err != nil {
			t.Fatalf("ParseURL(%q).String() = %q, which does not parse: %v", raw, s, err)
		}
		if !reflect.DeepEqual(again, u) {
			t.Fatalf("ParseURL(%q) = %#v\nParseURL(%q) = %#v", raw, u, s, again)
		}
		if again.String() != s {
			t.Fatalf("String() is not stable: %q then %q", s, again.String())
		}
		if u.HasPassword {
			other := *u
			other.Password = "x"
			if u.Redacted() != other.Redacted() {
				t.Fatalf("Redacted() %q depends on the password", u.Redacted())
			}
		}
	})
}
