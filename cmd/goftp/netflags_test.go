package main

import (
	"crypto/tls"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/scripted"
)

// dialerFor parses args as global flags and returns the Dialer goftp
// would use for rawURL.
func dialerFor(t *testing.T, rawURL string, args ...string) (ftp.Dialer, error) {
	t.Helper()
	a := &app{ctx: t.Context()}
	fs := a.flagSet("goftp", nil)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	u, err := ftp.ParseURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return a.dialer(u)
}

// Every server flag sets its Dialer field.
func TestServerFlagsSetDialer(t *testing.T) {
	d, err := dialerFor(t, "ftpes://example.com/", "--encoding", "shift-jis", "--no-epsv", "--trust-pasv-host",
		"--list-hidden", "--server-tz", "UTC+02:00", "--compress", "--verify", "--tls-min", "1.2", "--tls-max", "1.2",
		"--active-addr", "203.0.113.9", "--active-ports", "50000-50100", "--no-mlsd")
	if err != nil {
		t.Fatal(err)
	}
	if d.Encoding != japanese.ShiftJIS || !d.DisableEPSV || !d.TrustPASVHost || !d.ListHidden || !d.Compress ||
		!d.VerifyChecksums || !d.DisableMLSD || !d.Active || d.ActiveAddr != "203.0.113.9" ||
		d.ActivePortMin != 50000 || d.ActivePortMax != 50100 {
		t.Errorf("Dialer = %+v", d)
	}
	if _, off := time.Date(2024, 1, 2, 0, 0, 0, 0, d.ServerLocation).Zone(); off != 2*3600 {
		t.Errorf("ServerLocation offset %d, want +2h", off)
	}
	if d.TLS == nil || d.TLS.MinVersion != tls.VersionTLS12 || d.TLS.MaxVersion != tls.VersionTLS12 {
		t.Errorf("TLS = %+v", d.TLS)
	}
	for name, want := range map[string]any{"latin1": charmap.ISO8859_1, "ISO-8859-1": charmap.ISO8859_1,
		"cp1251": charmap.Windows1251, "windows-1251": charmap.Windows1251, "gbk": simplifiedchinese.GBK,
		"Shift_JIS": japanese.ShiftJIS, "koi8-r": charmap.KOI8R} {
		d, err := dialerFor(t, "ftp://example.com/", "--encoding", name)
		if err != nil || d.Encoding != want {
			t.Errorf("--encoding %s = %v, %v", name, d.Encoding, err)
		}
	}
	if d, err := dialerFor(t, "ftp://example.com/", "--encoding", "utf-8"); err != nil || d.Encoding != nil {
		t.Errorf("--encoding utf-8 = %v, %v; want nil (the default)", d.Encoding, err)
	}
	for zone, off := range map[string]int{"Europe/Berlin": 3600, "-0500": -5 * 3600, "UTC-05:30": -(5*3600 + 1800), "UTC": 0, "GMT+1": 3600} {
		d, err := dialerFor(t, "ftp://example.com/", "--server-tz", zone)
		if err != nil {
			t.Errorf("--server-tz %s: %v", zone, err)
			continue
		}
		if _, got := time.Date(2024, 1, 2, 0, 0, 0, 0, d.ServerLocation).Zone(); got != off {
			t.Errorf("--server-tz %s: offset %d, want %d", zone, got, off)
		}
	}
}

// Bad values are usage errors (exit status 2), before any connection.
func TestServerFlagsUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--encoding", "klingon"},
		{"--server-tz", "Mars/Olympus"},
		{"--server-tz", "UTC+25"},
		{"--active-ports", "60000-50000"},
		{"--active-ports", "0-10"},
		{"--tls-min", "1.3"}, // plain ftp:// URL
	} {
		r := runGoftp(t, "", append([]string{"ls"}, append(args, "ftp://127.0.0.1:1/")...)...)
		r.want(t, exitUsage, nil, []string{args[0]})
	}
	r := runGoftp(t, "", "ls", "--tls-min", "1.1", "ftpes://127.0.0.1:1/")
	r.want(t, exitUsage, nil, []string{"--tls-min must be 1.2 or 1.3"})
	r = runGoftp(t, "", "ls", "--tls-min", "1.3", "--tls-max", "1.2", "ftpes://127.0.0.1:1/")
	r.want(t, exitUsage, nil, []string{"above --tls-max"})
}

// Scenario: a Latin-1 server advertising an MLSD that the user turns off,
// behind a firewall that breaks EPSV. Expected: goftp ls --encoding
// latin1 --no-mlsd --no-epsv --list-hidden sends PASV and "LIST -a", and
// prints the Latin-1 name "café" correctly.
func TestServerFlagsEndToEnd(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t,
		scripted.Step{Reply: "220 ready"},
		scripted.Step{Cmd: "USER anonymous", Reply: "331 password please"},
		scripted.Step{Cmd: "PASS *", Reply: "230 in"},
		scripted.Step{Cmd: "FEAT", Reply: "211-Features:\n MLST type*;size*;\n SIZE\n211 End"},
		scripted.Step{Cmd: "TYPE A", Reply: "200 ascii"},
		scripted.Step{Cmd: "PASV", Reply: "227 Entering Passive Mode ({PASV})"},
		scripted.Step{Cmd: "LIST -a", Reply: "150 here", Data: []byte("-rw-r--r--   1 ftp ftp  5 Jan  2 12:34 caf\xe9\r\n-rw-r--r--   1 ftp ftp  7 Jan  2 12:34 .hidden\r\n")},
		scripted.Step{Reply: "226 done"},
		scripted.Step{Cmd: "QUIT", Reply: "221 bye"},
	)
	r := runGoftp(t, "", "ls", "--encoding", "latin1", "--no-mlsd", "--no-epsv", "--list-hidden", "ftp://"+srv.Addr+"/")
	r.want(t, 0, []string{"café", ".hidden"}, nil)
}
