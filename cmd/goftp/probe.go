package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
)

// probe connects to a server a few times and reports what it does and
// which settings make it work best: `goftp probe URL`.
//
// The --json form is one object, probeReport; its field names are
// stable (documented in docs/INTEROP.md). Every check is a probeCheck
// whose status is "ok", "failed", "unsupported" or "skipped".
func (a *app) probe(args []string) error {
	fs := a.subFlags("probe")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	noWrite := fs.Bool("no-write", false, "do not upload (and delete) a small file to measure the clock skew and test MFMT")
	maxConns := fs.Int("max-conns-test", 0, "open up to `N` connections at once to find the server's limit (off by default)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("probe needs one URL")
	}
	u, err := a.parseURL(pos[0])
	if err != nil {
		return err
	}
	r, err := a.runProbe(u, probeOptions{write: !*noWrite, maxConns: *maxConns})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.stdout, r)
	}
	a.printf(a.stdout, "%s", r.text())
	return nil
}

// probeOptions are the probe's own flags.
type probeOptions struct {
	write    bool // upload a temporary file (clock skew, MFMT)
	maxConns int  // >0: find the connection limit up to this many
}

// probeCheck is the outcome of one check.
type probeCheck struct {
	Status string `json:"status"` // "ok", "failed", "unsupported" or "skipped"
	Detail string `json:"detail,omitempty"`
}

func okCheck(format string, args ...any) probeCheck {
	return probeCheck{Status: "ok", Detail: fmt.Sprintf(format, args...)}
}

func failedCheck(err error) probeCheck {
	return probeCheck{Status: "failed", Detail: ftp.EscapeText(errText(err))}
}

func unsupported(why string) probeCheck { return probeCheck{Status: "unsupported", Detail: why} }
func skipped(why string) probeCheck     { return probeCheck{Status: "skipped", Detail: why} }

func (p probeCheck) ok() bool { return p.Status == "ok" }

// probeReport is what probe found. Its JSON form is stable: fields may
// be added, never renamed or removed.
type probeReport struct {
	URL      string            `json:"url"`      // redacted
	TLSMode  string            `json:"tls_mode"` // "none", "explicit" or "implicit"
	Greeting string            `json:"greeting"`
	System   string            `json:"system"` // SYST
	Features map[string]string `json:"features"`

	Listing struct {
		Dir    string     `json:"dir"` // the directory listed ("" is the login directory)
		MLSD   probeCheck `json:"mlsd"`
		MLST   probeCheck `json:"mlst"`
		LIST   probeCheck `json:"list"`
		Format string     `json:"list_format"` // listing.Entry.Format of the LIST lines ("unix", "dos", …)
	} `json:"listing"`

	Data struct {
		EPSV   probeCheck `json:"epsv"`
		PASV   probeCheck `json:"pasv"`
		Active probeCheck `json:"active"`
		// PASVHost is the address a PASV reply announced; PASVHostIgnored
		// is true when it differs from the server's (goftp then dials the
		// server's address, unless Dialer.TrustPASVHost); NAT when it is a
		// private address while the server's is not.
		PASVHost        string `json:"pasv_host,omitempty"`
		PASVHostIgnored bool   `json:"pasv_host_ignored"`
		NAT             bool   `json:"nat"`
	} `json:"data"`

	Names struct {
		UTF8Feature bool   `json:"utf8_feature"` // FEAT lists UTF8
		ValidUTF8   bool   `json:"valid_utf8"`   // every name listed is valid UTF-8
		Encoding    string `json:"encoding"`     // "utf-8", or the guess: "latin1", "cp1251", "gbk", "shift-jis"
		Sample      string `json:"sample,omitempty"`
	} `json:"names"`

	// TLS is set when the URL uses TLS.
	TLS *probeTLS `json:"tls,omitempty"`

	// Commands: "REST", "SIZE", "MDTM", "MFMT", "HASH".
	Commands map[string]probeCheck `json:"commands"`

	// Clock compares the server's MDTM of a file just uploaded with the
	// local clock (only with write access); SkewSeconds is server minus
	// local. ListOffsetMinutes is the LIST time of that file minus its
	// MDTM: the server's LIST time zone when not zero.
	Clock struct {
		probeCheck
		SkewSeconds       *float64 `json:"skew_seconds,omitempty"`
		ListOffsetMinutes *int     `json:"list_offset_minutes,omitempty"`
	} `json:"clock"`

	// MaxConns is the connection limit found by --max-conns-test.
	MaxConns struct {
		probeCheck
		Limit int `json:"limit,omitempty"` // 0: none found up to the number tried
	} `json:"max_conns"`

	Advice []probeAdvice `json:"advice"`
}

// probeTLS is what probe found about TLS.
type probeTLS struct {
	Version string     `json:"version"` // negotiated by default
	TLS12   probeCheck `json:"tls12"`   // login and a listing with TLS 1.2 only
	TLS13   probeCheck `json:"tls13"`   // login and a listing with TLS 1.3 only
	// SessionReuse is "required" when a data connection that does not
	// resume the control connection's TLS session is refused, "not
	// required", or "unknown".
	SessionReuse string `json:"session_reuse"`
	// TLS12DataFails: TLS 1.2 data connections fail with Go because the
	// server requires session reuse and issues no TLS 1.2 session tickets
	// (see README "Known limitations").
	TLS12DataFails bool `json:"tls12_data_fails"`
}

// probeAdvice is one setting to use with this server: a goftp flag and
// the Dialer field it sets.
type probeAdvice struct {
	Flag string `json:"flag"` // "--no-epsv"
	// FlagAvailable is false when this goftp has no such flag yet: set
	// the Dialer field.
	FlagAvailable bool   `json:"flag_available"`
	Field         string `json:"dialer_field"` // "Dialer.DisableEPSV = true"
	Why           string `json:"why"`

	apply func(*ftp.Dialer) // sets Field
}

// probeLog records the dialogue of one probe connection: the replies to
// each command, the PASV host ignored, the TLS version. It passes every
// record on to the -v dialogue, if any.
type probeLog struct {
	mu       sync.Mutex
	sent     []string // commands sent whose final reply has not come yet
	replies  []probeReply
	pasvSeen string // KeyPASVHost of LogPASVHostIgnored
	version  string
}

type probeReply struct {
	cmd  string
	code int
	msg  string
}

// reply returns the first reply to a command starting with verb.
func (l *probeLog) reply(verb string) (probeReply, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.replies {
		if r.cmd == verb || strings.HasPrefix(r.cmd, verb+" ") {
			return r, true
		}
	}
	return probeReply{}, false
}

type probeHandler struct {
	log  *probeLog
	next slog.Handler // nil without -v
}

func (h *probeHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *probeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := &probeHandler{log: h.log}
	if h.next != nil {
		n.next = h.next.WithAttrs(attrs)
	}
	return n
}

func (h *probeHandler) WithGroup(name string) slog.Handler {
	n := &probeHandler{log: h.log}
	if h.next != nil {
		n.next = h.next.WithGroup(name)
	}
	return n
}

func (h *probeHandler) Handle(ctx context.Context, r slog.Record) error {
	attrs := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value
		return true
	})
	l := h.log
	l.mu.Lock()
	switch r.Message {
	case ftp.LogSend:
		l.sent = append(l.sent, attrs[ftp.KeyCmd].String())
	case ftp.LogRecv:
		// Replies come in the order the commands went (several may go
		// in one write); a 1xx is followed by its command's final reply.
		code, _ := strconv.Atoi(attrs[ftp.KeyCode].String())
		cmd := ""
		if len(l.sent) > 0 {
			cmd = l.sent[0]
			if code >= 200 {
				l.sent = l.sent[1:]
			}
		}
		l.replies = append(l.replies, probeReply{cmd: cmd, code: code, msg: attrs[ftp.KeyMsg].String()})
	case ftp.LogPASVHostIgnored:
		l.pasvSeen = attrs[ftp.KeyPASVHost].String()
	case ftp.LogTLS:
		l.version = attrs[ftp.KeyTLSVersion].String()
	}
	l.mu.Unlock()
	if h.next != nil && h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// prober holds what every probe connection needs.
type prober struct {
	a    *app
	u    *ftp.URL
	d    ftp.Dialer
	cr   creds
	dir  string
	feat map[string]string
}

// dial opens a probe connection with the Dialer adjusted by adjust, and
// logs in.
func (p *prober) dial(adjust func(*ftp.Dialer)) (*ftp.Conn, *probeLog, error) {
	d := p.d
	if d.TLS != nil {
		d.TLS = d.TLS.Clone()
	}
	if adjust != nil {
		adjust(&d)
	}
	log := &probeLog{}
	h := &probeHandler{log: log}
	if l := p.a.logger(true); l != nil {
		h.next = l.Handler()
	}
	d.Logger = slog.New(h)
	c, err := d.Dial(p.a.ctx, p.u.Host)
	if err != nil {
		return nil, log, err
	}
	if _, err := c.LoginAccount(p.a.ctx, p.cr.user, p.cr.password, p.cr.account); err != nil {
		c.Close()
		return nil, log, err
	}
	return c, log, nil
}

// list lists the probe directory with LIST on c.
func (p *prober) list(c *ftp.Conn) ([]string, error) {
	if p.dir == "" {
		return c.List(p.a.ctx)
	}
	return c.List(p.a.ctx, p.dir)
}

// tryList opens a connection with adjust, lists, and reports.
func (p *prober) tryList(adjust func(*ftp.Dialer)) (probeCheck, *probeLog) {
	c, log, err := p.dial(adjust)
	if err != nil {
		return failedCheck(err), log
	}
	defer p.a.quit(c)
	lines, err := p.list(c)
	if err != nil {
		return failedCheck(err), log
	}
	return okCheck("%d lines listed", len(lines)), log
}

// runProbe probes the server of u.
func (a *app) runProbe(u *ftp.URL, opt probeOptions) (*probeReport, error) {
	d, err := a.dialer(u)
	if err != nil {
		return nil, err
	}
	if d.Timeout == 0 {
		d.Timeout = 15 * time.Second // a check that hangs fails sooner than a transfer would
	}
	cr, err := a.credentials(u)
	if err != nil {
		return nil, err
	}
	mode, _ := a.tlsMode(u)
	p := &prober{a: a, u: u, d: d, cr: cr, dir: u.Path()}
	r := &probeReport{URL: u.Redacted(), TLSMode: mode, Commands: map[string]probeCheck{}}
	r.Listing.Dir = p.dir

	c, log, err := p.dial(nil)
	if err != nil {
		return nil, err
	}
	r.Greeting = ftp.EscapeText(strings.TrimSpace(c.Welcome()))
	if s, err := c.Syst(a.ctx); err == nil {
		r.System = ftp.EscapeText(s)
	}
	p.feat, _ = c.Features(a.ctx)
	r.Features = p.feat
	if r.Features == nil {
		r.Features = map[string]string{}
	}
	_, r.Names.UTF8Feature = p.feat["UTF8"]

	// LIST, through the default data connection (EPSV, then PASV).
	lines, err := p.list(c)
	var names []string
	var file listing.Entry // a regular file to try commands on
	if err != nil {
		r.Listing.LIST = failedCheck(err)
	} else {
		r.Listing.LIST = okCheck("%d lines", len(lines))
		formats := map[string]int{}
		for _, line := range lines {
			e, err := listing.ParseLine(line, nil)
			if err != nil || e.Name == "" {
				continue
			}
			formats[e.Format]++
			if e.Type == listing.CurrentDir || e.Type == listing.ParentDir {
				continue
			}
			names = append(names, e.Name)
			if e.Type == listing.File && e.Size > 1 && file.Name == "" {
				file = e
			}
		}
		for f, n := range formats {
			if r.Listing.Format == "" || n > formats[r.Listing.Format] || n == formats[r.Listing.Format] && f < r.Listing.Format {
				r.Listing.Format = f
			}
		}
		if r.Listing.Format == "" && len(lines) > 0 {
			r.Listing.Format = "unknown"
		}
	}
	r.Data.EPSV = p.modeCheck(log, "EPSV", r.Listing.LIST)

	// MLSD and MLST, when advertised.
	if _, ok := p.feat["MLST"]; !ok {
		r.Listing.MLSD = unsupported("not in FEAT")
		r.Listing.MLST = unsupported("not in FEAT")
	} else {
		es, err := c.Mlsd(a.ctx, p.dir)
		if err != nil {
			r.Listing.MLSD = failedCheck(err)
		} else {
			r.Listing.MLSD = okCheck("%d entries", len(es))
			if len(names) == 0 {
				for _, e := range es {
					if e.Type != listing.CurrentDir && e.Type != listing.ParentDir {
						names = append(names, e.Name)
					}
				}
			}
		}
		target := p.dir
		if target == "" {
			target = "."
		}
		if e, err := c.Mlst(a.ctx, target); err != nil {
			r.Listing.MLST = failedCheck(err)
		} else {
			r.Listing.MLST = okCheck("type %s", e.Type)
		}
	}
	r.names(names)
	p.commands(c, r, file)
	if opt.write {
		p.clock(c, r)
	} else {
		r.Clock.probeCheck = skipped("--no-write")
		if _, ok := r.Commands["MFMT"]; !ok {
			r.Commands["MFMT"] = skipped("needs a file of our own: --no-write")
		}
	}
	a.quit(c)

	// PASV alone, then active mode, each on a connection of its own.
	chk, plog := p.tryList(func(d *ftp.Dialer) { d.DisableEPSV, d.Active = true, false })
	r.Data.PASV = p.modeCheck(plog, "PASV", chk)
	p.pasvHost(r, plog, c.RemoteAddr())
	if !r.Data.PASV.ok() && r.Data.PASVHostIgnored {
		if chk, _ := p.tryList(func(d *ftp.Dialer) { d.DisableEPSV, d.Active, d.TrustPASVHost = true, false, true }); chk.ok() {
			r.Data.PASV = okCheck("only when connecting to the host the PASV reply names (--trust-pasv-host)")
		}
	}
	chk, alog := p.tryList(func(d *ftp.Dialer) { d.Active = true })
	if rep, ok := alog.reply("EPRT"); ok && rep.code/100 != 2 {
		r.Data.Active = p.modeCheck(alog, "PORT", chk)
		r.Data.Active.Detail = fmt.Sprintf("EPRT refused (%d), PORT: %s", rep.code, r.Data.Active.Detail)
	} else {
		r.Data.Active = p.modeCheck(alog, "EPRT", chk)
	}

	if d.TLS != nil {
		r.TLS = p.probeTLS(log.version)
	}
	if opt.maxConns > 0 {
		p.connLimit(r, opt.maxConns)
	} else {
		r.MaxConns.probeCheck = skipped("not tested (--max-conns-test N)")
	}
	r.advise(a)
	return r, nil
}

// modeCheck reports on the data connection command verb from the replies
// of a connection whose listing ended with list.
func (p *prober) modeCheck(log *probeLog, verb string, list probeCheck) probeCheck {
	rep, ok := log.reply(verb)
	switch {
	case !ok && list.ok():
		return skipped(verb + " was not needed")
	case !ok && list.Status == "failed":
		return list
	case !ok:
		return skipped("no data connection was tried")
	case rep.code/100 != 2:
		return probeCheck{Status: "failed", Detail: fmt.Sprintf("%d %s", rep.code, ftp.EscapeText(firstLine(rep.msg)))}
	case !list.ok():
		return probeCheck{Status: "failed", Detail: "accepted, but the listing failed: " + list.Detail}
	}
	return okCheck("%d %s", rep.code, ftp.EscapeText(firstLine(rep.msg)))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

var pasvRE = regexp.MustCompile(`(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)`)

// pasvHost fills in the host of the PASV reply and judges it against the
// server's address.
func (p *prober) pasvHost(r *probeReport, log *probeLog, server net.Addr) {
	if log == nil {
		return
	}
	rep, ok := log.reply("PASV")
	if !ok || rep.code != 227 {
		return
	}
	m := pasvRE.FindStringSubmatch(rep.msg)
	if m == nil {
		return
	}
	host := strings.Join(m[1:5], ".")
	r.Data.PASVHost = host
	ta, ok := server.(*net.TCPAddr)
	if !ok {
		return
	}
	sa, _ := netip.AddrFromSlice(ta.IP)
	pa, err := netip.ParseAddr(host)
	if err != nil {
		return
	}
	r.Data.PASVHostIgnored = sa.Unmap() != pa
	r.Data.NAT = r.Data.PASVHostIgnored && privateAddr(pa) && !privateAddr(sa.Unmap())
}

// privateAddr reports whether a is not reachable from the Internet:
// RFC 1918 and 4193, loopback, link-local, CGNAT (RFC 6598).
func privateAddr(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}

// commands tries SIZE, MDTM, REST and a checksum on file.
func (p *prober) commands(c *ftp.Conn, r *probeReport, file listing.Entry) {
	ctx := p.a.ctx
	if file.Name == "" {
		why := "no file of 2 bytes or more in the directory to try it on"
		for _, k := range []string{"SIZE", "MDTM", "REST", "HASH"} {
			r.Commands[k] = skipped(why)
		}
		return
	}
	name := path.Join(p.dir, file.Name)
	if n, err := c.Size(ctx, name); err != nil {
		r.Commands["SIZE"] = failedCheck(err)
	} else {
		r.Commands["SIZE"] = okCheck("%d bytes", n)
	}
	if t, err := c.ModTime(ctx, name); err != nil {
		r.Commands["MDTM"] = failedCheck(err)
	} else {
		r.Commands["MDTM"] = okCheck("%s", t.UTC().Format(time.RFC3339))
	}
	var got countWriter
	if n, err := c.RetrBinary(ctx, name, &got, file.Size-1); err != nil {
		r.Commands["REST"] = failedCheck(err)
	} else {
		r.Commands["REST"] = okCheck("resumed a download %d bytes from the end", n)
	}
	algo, how := p.hashAlgo()
	if algo == "" {
		r.Commands["HASH"] = unsupported("no HASH, XSHA256, XSHA1, XMD5 or XCRC in FEAT")
	} else if sum, err := c.Checksum(ctx, name, algo); err != nil {
		r.Commands["HASH"] = failedCheck(err)
	} else {
		r.Commands["HASH"] = okCheck("%s via %s (%.16s…)", algo, how, sum)
	}
}

// hashAlgo returns the strongest checksum FEAT offers and the command
// that computes it.
func (p *prober) hashAlgo() (ftp.HashAlgorithm, string) {
	if h, ok := p.feat["HASH"]; ok {
		offered := strings.ToUpper(strings.ReplaceAll(h, "*", ""))
		for _, a := range []ftp.HashAlgorithm{ftp.SHA256, ftp.SHA512, ftp.SHA1, ftp.MD5, ftp.CRC32} {
			if slices.Contains(strings.Split(offered, ";"), string(a)) {
				return a, "HASH"
			}
		}
	}
	for _, x := range []struct {
		feat string
		algo ftp.HashAlgorithm
	}{{"XSHA256", ftp.SHA256}, {"XSHA512", ftp.SHA512}, {"XSHA1", ftp.SHA1}, {"XMD5", ftp.MD5}, {"XCRC", ftp.CRC32}} {
		if _, ok := p.feat[x.feat]; ok {
			return x.algo, x.feat
		}
	}
	return "", ""
}

type countWriter int64

func (w *countWriter) Write(b []byte) (int, error) {
	*w += countWriter(len(b))
	return len(b), nil
}

// clock uploads a small file, compares its MDTM with the local clock and
// its LIST time with its MDTM, tries MFMT on it and deletes it.
func (p *prober) clock(c *ftp.Conn, r *probeReport) {
	ctx := p.a.ctx
	name := path.Join(p.dir, fmt.Sprintf(".goftp-probe-%d", time.Now().UnixNano()))
	before := time.Now()
	if _, err := c.StorBinary(ctx, name, strings.NewReader("goftp probe\n"), 0); err != nil {
		r.Clock.probeCheck = skipped("no write access (uploading " + name + ": " + ftp.EscapeText(errText(err)) + ")")
		r.Commands["MFMT"] = skipped("no write access")
		return
	}
	after := time.Now()
	defer func() {
		if _, err := c.Delete(ctx, name); err != nil {
			r.Clock.Detail += "; deleting it failed: " + ftp.EscapeText(errText(err))
		}
	}()
	mt, err := c.ModTime(ctx, name)
	if err != nil {
		r.Clock.probeCheck = failedCheck(err)
	} else {
		// MDTM has whole seconds: within a second either side is no skew.
		local := before.Add(after.Sub(before) / 2)
		skew := mt.Sub(local).Round(time.Second).Seconds()
		if mt.After(before.Add(-time.Second)) && mt.Before(after.Add(time.Second)) {
			skew = 0
		}
		r.Clock.SkewSeconds = &skew
		r.Clock.probeCheck = okCheck("uploaded and deleted %s; server clock %+.0f s from ours", name, skew)
		if lines, err := c.List(ctx, name); err == nil && len(lines) > 0 {
			if e, err := listing.ParseLine(lines[len(lines)-1], nil); err == nil && !e.Time.IsZero() && e.Format != listing.FormatMLSx {
				off := int(e.Time.Sub(mt.Truncate(time.Minute)).Round(15 * time.Minute).Minutes())
				r.Clock.ListOffsetMinutes = &off
			}
		}
	}
	_, mfmt := p.feat["MFMT"]
	want := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if _, err := c.SetModTime(ctx, name, want); err != nil {
		if mfmt {
			r.Commands["MFMT"] = failedCheck(err)
		} else {
			r.Commands["MFMT"] = unsupported("not in FEAT, and MDTM does not set times: " + ftp.EscapeText(errText(err)))
		}
	} else if got, err := c.ModTime(ctx, name); err != nil || !got.Equal(want) {
		r.Commands["MFMT"] = probeCheck{Status: "failed", Detail: fmt.Sprintf("set %s, read back %s (%v)", want.Format(time.RFC3339), got.UTC().Format(time.RFC3339), err)}
	} else if mfmt {
		r.Commands["MFMT"] = okCheck("sets modification times")
	} else {
		r.Commands["MFMT"] = okCheck("not in FEAT; MDTM with a time sets modification times")
	}
}

// probeTLS tries TLS 1.2 and 1.3 alone, and a data connection that does
// not resume the control connection's session.
func (p *prober) probeTLS(version string) *probeTLS {
	t := &probeTLS{Version: version, SessionReuse: "unknown"}
	pin := func(v uint16) func(*ftp.Dialer) {
		return func(d *ftp.Dialer) { d.TLS.MinVersion, d.TLS.MaxVersion = v, v }
	}
	t.TLS12, _ = p.tryList(pin(tls.VersionTLS12))
	t.TLS13, _ = p.tryList(pin(tls.VersionTLS13))
	t.TLS12DataFails = !t.TLS12.ok() && strings.Contains(t.TLS12.Detail, "did not resume")
	// A data connection with a full handshake: no session to resume.
	fresh, _ := p.tryList(func(d *ftp.Dialer) { d.TLS.SessionTicketsDisabled = true })
	switch {
	case fresh.ok():
		t.SessionReuse = "not required"
	case strings.Contains(fresh.Detail, "did not resume"):
		t.SessionReuse = "required"
	}
	return t
}

// connLimit opens up to n connections at once and reports when the
// server refuses one.
func (p *prober) connLimit(r *probeReport, n int) {
	var open []*ftp.Conn
	defer func() {
		for _, c := range open {
			p.a.quit(c)
		}
	}()
	for len(open) < n {
		c, _, err := p.dial(nil)
		if err != nil {
			r.MaxConns.Limit = len(open)
			r.MaxConns.probeCheck = okCheck("connection %d refused: %s", len(open)+1, ftp.EscapeText(errText(err)))
			return
		}
		open = append(open, c)
	}
	r.MaxConns.probeCheck = okCheck("%d connections at once accepted", n)
}

// names judges the names listed: UTF-8, or a guess at their encoding.
func (r *probeReport) names(names []string) {
	r.Names.ValidUTF8 = true
	r.Names.Encoding = "utf-8"
	var bad []string
	for _, n := range names {
		if !utf8.ValidString(n) {
			bad = append(bad, n)
		}
	}
	if len(bad) == 0 {
		return
	}
	r.Names.ValidUTF8 = false
	r.Names.Sample = ftp.EscapeText(bad[0])
	r.Names.Encoding = guessEncoding(bad)
}

// guessEncoding guesses the 8-bit or double-byte encoding of names that
// are not UTF-8: "shift-jis", "gbk", "cp1251" or "latin1". It scores
// each by the share of its characters that are common in that script
// (JIS level-1 kanji and kana; GB2312 level-1 hanzi; Cyrillic letters
// in words of their own; Latin-1 letters) and prefers them in that order
// on a tie. It is a guess; a few names can fool it.
func guessEncoding(names []string) string {
	var b []byte
	for _, n := range names {
		b = append(append(b, n...), '/')
	}
	best, bestScore := "latin1", -1.0
	for _, c := range []struct {
		name  string
		score func([]byte) float64
	}{{"shift-jis", sjisScore}, {"gbk", gbkScore}, {"cp1251", cp1251Score}, {"latin1", latin1Score}} {
		if s := c.score(b); s > bestScore {
			best, bestScore = c.name, s
		}
	}
	return best
}

func share(good, bad int) float64 {
	if good+bad == 0 {
		return -1
	}
	return float64(good) / float64(good+bad)
}

func sjisScore(b []byte) float64 {
	good, bad := 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80:
		case c >= 0xA1 && c <= 0xDF: // half-width katakana: rare in names
			bad++
		case (c >= 0x81 && c <= 0x9F || c >= 0xE0 && c <= 0xFC) && i+1 < len(b) && (b[i+1] >= 0x40 && b[i+1] <= 0xFC && b[i+1] != 0x7F):
			if c == 0x82 || c == 0x83 || c >= 0x88 && c <= 0x9F {
				good++ // kana or level-1 kanji
			} else {
				bad++
			}
			i++
		default:
			return -1
		}
	}
	return share(good, bad)
}

func gbkScore(b []byte) float64 {
	good, bad := 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80:
		case c >= 0x81 && c <= 0xFE && i+1 < len(b) && b[i+1] >= 0x40 && b[i+1] <= 0xFE && b[i+1] != 0x7F:
			if c >= 0xB0 && c <= 0xD7 && b[i+1] >= 0xA1 {
				good++ // GB2312 level-1 hanzi
			} else {
				bad++
			}
			i++
		default:
			return -1
		}
	}
	return share(good, bad)
}

func asciiLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func cp1251Score(b []byte) float64 {
	good, bad := 0, 0
	for i, c := range b {
		if c < 0x80 {
			continue
		}
		letter := c >= 0xC0 || c == 0xA8 || c == 0xB8 // А-я, Ё, ё
		nextToLatin := i > 0 && asciiLetter(b[i-1]) || i+1 < len(b) && asciiLetter(b[i+1])
		if letter && !nextToLatin {
			good++
		} else {
			bad++
		}
	}
	return share(good, bad)
}

func latin1Score(b []byte) float64 {
	good, bad := 0, 0
	for _, c := range b {
		switch {
		case c >= 0xC0 && c != 0xD7 && c != 0xF7:
			good++
		case c >= 0x80:
			bad++
		}
	}
	return share(good, bad)
}

// advise turns the findings into settings.
func (r *probeReport) advise(a *app) {
	fs := a.flagSet("probe", nil)
	add := func(flag, field, why string, apply func(*ftp.Dialer)) {
		name, _, _ := strings.Cut(strings.TrimPrefix(flag, "--"), " ")
		r.Advice = append(r.Advice, probeAdvice{Flag: flag, FlagAvailable: fs.Lookup(name) != nil, Field: field, Why: why, apply: apply})
	}
	d := &r.Data
	passive := d.EPSV.ok() || d.PASV.ok()
	switch {
	case !passive && d.Active.ok():
		add("--active", "Dialer.Active = true", "passive mode fails and active mode works", func(d *ftp.Dialer) { d.Active = true })
	case !d.EPSV.ok() && d.EPSV.Status == "failed" && d.PASV.ok():
		add("--no-epsv", "Dialer.DisableEPSV = true", "EPSV fails and PASV works: skip the EPSV attempt", func(d *ftp.Dialer) { d.DisableEPSV = true })
	}
	if strings.Contains(d.PASV.Detail, "--trust-pasv-host") && !d.EPSV.ok() {
		add("--trust-pasv-host", "Dialer.TrustPASVHost = true", "data connections work only to the host the PASV reply names (this lets the server point the client elsewhere)",
			func(d *ftp.Dialer) { d.TrustPASVHost = true })
	}
	if r.Listing.MLSD.Status == "failed" && r.Listing.LIST.ok() {
		add("--no-mlsd", "Dialer.DisableMLSD = true", "MLSD is advertised but fails; LIST works", func(d *ftp.Dialer) { setField(d, "DisableMLSD") })
	}
	if !r.Names.ValidUTF8 {
		enc := r.Names.Encoding
		add("--encoding "+enc, "Dialer.Encoding = "+encodingExpr(enc), "names are not UTF-8; they look like "+enc+" (a guess: check a listing)",
			func(d *ftp.Dialer) { d.Encoding = encodingFor(enc) })
	}
	if t := r.TLS; t != nil {
		switch {
		case t.TLS12DataFails && t.TLS13.ok():
			add("--tls-min 1.3", "Dialer.TLS.MinVersion = tls.VersionTLS13",
				"TLS 1.2 data connections fail (the server requires session reuse without TLS 1.2 session tickets, which Go cannot resume); TLS 1.3 works",
				func(d *ftp.Dialer) { d.TLS.MinVersion = tls.VersionTLS13 })
		case !t.TLS13.ok() && t.TLS12.ok():
			add("--tls-max 1.2", "Dialer.TLS.MaxVersion = tls.VersionTLS12", "only TLS 1.2 works", func(d *ftp.Dialer) { d.TLS.MaxVersion = tls.VersionTLS12 })
		}
	}
	if off := r.Clock.ListOffsetMinutes; off != nil && *off != 0 && r.Listing.MLSD.Status != "ok" {
		zone := fmt.Sprintf("UTC%+03d:%02d", *off/60, abs(*off%60))
		add("--server-tz "+zone, fmt.Sprintf("Dialer.ServerLocation = time.FixedZone(%q, %d)", zone, *off*60),
			"LIST shows times in the server's zone, "+zone+" (from a file just uploaded); MLSD, which would be UTC, is not available",
			func(d *ftp.Dialer) { d.ServerLocation = time.FixedZone(zone, *off*60) })
	}
	if r.Commands["HASH"].ok() {
		add("--verify", "Dialer.VerifyChecksums = true", "optional: the server computes "+strings.Fields(r.Commands["HASH"].Detail)[0]+" checksums, so every transfer can be verified end to end",
			func(d *ftp.Dialer) { d.VerifyChecksums = true })
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// text formats the report for people.
func (r *probeReport) text() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	check := func(label string, c probeCheck) {
		w("  %-8s %s", label, c.Status)
		if c.Detail != "" {
			w(": %s", c.Detail)
		}
		w("\n")
	}
	w("probe %s (TLS: %s)\n", r.URL, r.TLSMode)
	w("  greeting %s\n", strings.ReplaceAll(r.Greeting, "\n", " | "))
	w("  system   %s\n", r.System)
	feats := slices.Sorted(func(yield func(string) bool) {
		for k, v := range r.Features {
			if !yield(strings.TrimSpace(k + " " + v)) {
				return
			}
		}
	})
	w("FEAT: %s\n", strings.Join(feats, ", "))
	w("Listing (%s):\n", displayPath(r.Listing.Dir))
	check("MLSD", r.Listing.MLSD)
	check("MLST", r.Listing.MLST)
	check("LIST", r.Listing.LIST)
	w("  format   %s\n", r.Listing.Format)
	w("Data connections:\n")
	check("EPSV", r.Data.EPSV)
	check("PASV", r.Data.PASV)
	check("active", r.Data.Active)
	switch {
	case r.Data.NAT:
		w("  PASV host %s is private while the server's is not: the server is behind NAT; goftp ignores it (do not set --trust-pasv-host)\n", r.Data.PASVHost)
	case r.Data.PASVHostIgnored:
		w("  PASV host %s differs from the server's address; goftp connects to the server's address\n", r.Data.PASVHost)
	case r.Data.PASVHost != "":
		w("  PASV host %s is the server's address\n", r.Data.PASVHost)
	}
	w("Names: ")
	switch {
	case r.Names.ValidUTF8 && r.Names.UTF8Feature:
		w("UTF-8 (FEAT lists UTF8)\n")
	case r.Names.ValidUTF8:
		w("valid UTF-8 (FEAT does not list UTF8)\n")
	default:
		w("not UTF-8, e.g. %q; they look like %s\n", r.Names.Sample, r.Names.Encoding)
	}
	if t := r.TLS; t != nil {
		w("TLS (negotiated: %s):\n", t.Version)
		check("TLS 1.2", t.TLS12)
		check("TLS 1.3", t.TLS13)
		w("  session reuse on data connections: %s\n", t.SessionReuse)
		if t.TLS12DataFails {
			w("  TLS 1.2 data connections fail with Go: the server requires session reuse and issues no TLS 1.2 session tickets\n")
		}
	}
	w("Commands:\n")
	for _, k := range []string{"REST", "SIZE", "MDTM", "MFMT", "HASH"} {
		check(k, r.Commands[k])
	}
	w("Clock: %s", r.Clock.Status)
	if r.Clock.Detail != "" {
		w(": %s", r.Clock.Detail)
	}
	w("\n")
	if off := r.Clock.ListOffsetMinutes; off != nil {
		w("  LIST times are %+d min from MDTM (UTC)\n", *off)
	}
	w("Connection limit: %s", r.MaxConns.Status)
	if r.MaxConns.Detail != "" {
		w(": %s", r.MaxConns.Detail)
	}
	w("\n")
	if len(r.Advice) == 0 {
		w("Advice: the defaults work best with this server; no flag needed.\n")
	} else {
		w("Advice:\n")
		for _, adv := range r.Advice {
			flag := adv.Flag
			if !adv.FlagAvailable {
				flag += " (not in this goftp yet)"
			}
			w("  %s   %s\n      %s\n", flag, adv.Field, adv.Why)
		}
	}
	return b.String()
}

// setField sets the bool field name of d, for Dialer fields this goftp
// may be built without (added by another change).
func setField(d *ftp.Dialer, name string) {
	if f := reflect.ValueOf(d).Elem().FieldByName(name); f.IsValid() && f.Kind() == reflect.Bool {
		f.SetBool(true)
	}
}

// encodingFor returns the encoding of a guessEncoding name.
func encodingFor(name string) encoding.Encoding {
	switch name {
	case "shift-jis":
		return japanese.ShiftJIS
	case "gbk":
		return simplifiedchinese.GBK
	case "cp1251":
		return charmap.Windows1251
	}
	return charmap.ISO8859_1
}

// encodingExpr is the Go expression for the encoding of a guessEncoding
// name.
func encodingExpr(name string) string {
	return map[string]string{
		"shift-jis": "japanese.ShiftJIS", "gbk": "simplifiedchinese.GBK",
		"cp1251": "charmap.Windows1251", "latin1": "charmap.ISO8859_1",
	}[name]
}
