package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"

	"github.com/goftplib/ftp"
)

// serverFlags are the global flags that set a Dialer option for servers,
// networks and NATs that need one (goftp probe tells which).
type serverFlags struct {
	encoding      string
	noEPSV        bool
	trustPASVHost bool
	listHidden    bool
	serverTZ      string
	compress      bool
	verify        bool
	tlsMin        string
	tlsMax        string
	activeAddr    string
	activePorts   string
	noMLSD        bool
}

// serverFlagNames are the names of the serverFlags, in the order help
// lists them (alphabetical, as flag.PrintDefaults sorts anyway).
var serverFlagNames = []string{"active-addr", "active-ports", "compress", "encoding", "list-hidden",
	"no-epsv", "no-mlsd", "server-tz", "tls-max", "tls-min", "trust-pasv-host", "verify"}

// register adds the flag called name to fs.
func (s *serverFlags) register(fs *flag.FlagSet, name string) {
	switch name {
	case "encoding":
		fs.StringVar(&s.encoding, name, s.encoding, "the server's `CHARSET` for file names and replies: latin1, cp1251, gbk, shift-jis, euc-kr, big5, … (default utf-8)")
	case "no-epsv":
		fs.BoolVar(&s.noEPSV, name, s.noEPSV, "use PASV (and PORT) instead of EPSV (and EPRT), for servers or firewalls that mishandle them")
	case "trust-pasv-host":
		fs.BoolVar(&s.trustPASVHost, name, s.trustPASVHost, "connect to the host a PASV reply names, not the server's address (needed by some clusters; lets the server point us elsewhere)")
	case "list-hidden":
		fs.BoolVar(&s.listHidden, name, s.listHidden, "list names starting with \".\" on servers without MLSD (LIST -a)")
	case "server-tz":
		fs.StringVar(&s.serverTZ, name, s.serverTZ, "read LIST times in the server's time `ZONE`: an IANA name (Europe/Berlin) or an offset (UTC+02:00, -0500) (default UTC)")
	case "compress":
		fs.BoolVar(&s.compress, name, s.compress, "compress transfers (MODE Z) when the server offers it")
	case "verify":
		fs.BoolVar(&s.verify, name, s.verify, "verify each transfer with the server's checksum (HASH, XSHA256, XMD5, …) when it offers one")
	case "tls-min":
		fs.StringVar(&s.tlsMin, name, s.tlsMin, "lowest TLS `VERSION` to use: 1.2 or 1.3 (default 1.2)")
	case "tls-max":
		fs.StringVar(&s.tlsMax, name, s.tlsMax, "highest TLS `VERSION` to use: 1.2 or 1.3 (default 1.3)")
	case "active-addr":
		fs.StringVar(&s.activeAddr, name, s.activeAddr, "active mode behind NAT: send `ADDR` (public IP or host name) in PORT/EPRT; implies --active")
	case "active-ports":
		fs.StringVar(&s.activePorts, name, s.activePorts, "active mode: listen on a port in `LO-HI` (the range the NAT forwards); implies --active")
	case "no-mlsd":
		fs.BoolVar(&s.noMLSD, name, s.noMLSD, "list with LIST even when the server advertises MLSD")
	}
}

// apply sets d's options from the flags; tlsOn says whether the session
// uses TLS (d.TLS set).
func (s *serverFlags) apply(d *ftp.Dialer) error {
	d.DisableEPSV = d.DisableEPSV || s.noEPSV
	d.TrustPASVHost = d.TrustPASVHost || s.trustPASVHost
	d.ListHidden = d.ListHidden || s.listHidden
	d.Compress = d.Compress || s.compress
	d.VerifyChecksums = d.VerifyChecksums || s.verify
	d.DisableMLSD = d.DisableMLSD || s.noMLSD
	if s.encoding != "" {
		enc, err := lookupEncoding(s.encoding)
		if err != nil {
			return usagef("--encoding: %v", err)
		}
		d.Encoding = enc
	}
	if s.serverTZ != "" {
		loc, err := parseZone(s.serverTZ)
		if err != nil {
			return usagef("--server-tz: %v", err)
		}
		d.ServerLocation = loc
	}
	if s.activeAddr != "" {
		d.Active, d.ActiveAddr = true, s.activeAddr
	}
	if s.activePorts != "" {
		lo, hi, err := parsePortRange(s.activePorts)
		if err != nil {
			return usagef("--active-ports: %v", err)
		}
		d.Active, d.ActivePortMin, d.ActivePortMax = true, lo, hi
	}
	if s.tlsMin == "" && s.tlsMax == "" {
		return nil
	}
	if d.TLS == nil {
		return usagef("--tls-min and --tls-max need TLS: use an ftps:// or ftpes:// URL or --tls")
	}
	var err error
	if d.TLS.MinVersion, err = tlsVersion("--tls-min", s.tlsMin); err != nil {
		return err
	}
	if d.TLS.MaxVersion, err = tlsVersion("--tls-max", s.tlsMax); err != nil {
		return err
	}
	if d.TLS.MinVersion != 0 && d.TLS.MaxVersion != 0 && d.TLS.MinVersion > d.TLS.MaxVersion {
		return usagef("--tls-min %s is above --tls-max %s", s.tlsMin, s.tlsMax)
	}
	return nil
}

// tlsVersion parses a --tls-min or --tls-max value ("" is 0: the default).
func tlsVersion(flagName, v string) (uint16, error) {
	switch strings.TrimPrefix(strings.ToLower(v), "tls") {
	case "":
		return 0, nil
	case "1.2", "12":
		return tls.VersionTLS12, nil
	case "1.3", "13":
		return tls.VersionTLS13, nil
	}
	return 0, usagef("%s must be 1.2 or 1.3, not %q", flagName, v)
}

// lookupEncoding finds a character set by name: "latin1" and
// "iso-8859-1" are ISO 8859-1 itself (not the Web's windows-1252), other
// names are the WHATWG labels (cp1251, gbk, shift-jis, euc-kr, big5, …)
// or IANA names. UTF-8 gives nil, the Dialer's default.
func lookupEncoding(name string) (encoding.Encoding, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "utf-8", "utf8":
		return nil, nil
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "l1":
		return charmap.ISO8859_1, nil
	}
	if enc, err := htmlindex.Get(n); err == nil {
		return enc, nil
	}
	if enc, err := ianaindex.IANA.Encoding(n); err == nil && enc != nil {
		return enc, nil
	}
	return nil, fmt.Errorf("unknown character set %q (try latin1, cp1251, gbk, shift-jis, euc-kr, big5)", name)
}

// parseZone reads a time zone: "UTC", an IANA name, or a fixed offset
// from UTC written "UTC+02:00", "UTC-5", "+0200" or "-05:30".
func parseZone(s string) (*time.Location, error) {
	off := strings.TrimPrefix(strings.TrimPrefix(s, "UTC"), "GMT")
	if off != s || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		if off == "" {
			return time.UTC, nil
		}
		sign := 1
		switch off[0] {
		case '-':
			sign = -1
		case '+':
		default:
			return nil, fmt.Errorf("bad offset %q (want UTC+HH:MM)", s)
		}
		hh, mm, _ := strings.Cut(off[1:], ":")
		if len(hh) == 4 && mm == "" {
			hh, mm = hh[:2], hh[2:]
		}
		h, err1 := strconv.Atoi(hh)
		m := 0
		var err2 error
		if mm != "" {
			m, err2 = strconv.Atoi(mm)
		}
		if err1 != nil || err2 != nil || h > 14 || m > 59 || h < 0 || m < 0 {
			return nil, fmt.Errorf("bad offset %q (want UTC+HH:MM)", s)
		}
		return time.FixedZone(s, sign*(h*3600+m*60)), nil
	}
	return time.LoadLocation(s)
}

// parsePortRange reads "LO-HI" (or one port).
func parsePortRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || lo < 1 || hi < lo || hi > 65535 {
		return 0, 0, errors.New("want LO-HI, ports from 1 to 65535, LO <= HI (e.g. 50000-50100)")
	}
	return lo, hi, nil
}
