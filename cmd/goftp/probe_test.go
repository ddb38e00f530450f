package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/listing"
)

// probeApp returns an app that reads its credentials from netrc, with
// the extra global flags set by setup.
func probeApp(t *testing.T, netrc string, setup func(*globals)) *app {
	var out, errb syncBuffer
	a := &app{ctx: t.Context(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	a.g.netrc = netrc
	if setup != nil {
		setup(&a.g)
	}
	return a
}

// checkAdvice applies the probe's advice to the Dialer the URL gives and
// checks that a listing of the probed directory and a download of file
// (in it) then succeed with the exact bytes.
func checkAdvice(t *testing.T, a *app, u *ftp.URL, r *probeReport, file string, want []byte) {
	t.Helper()
	d, err := a.dialer(u)
	if err != nil {
		t.Fatal(err)
	}
	for _, adv := range r.Advice {
		adv.apply(&d)
	}
	cr, err := a.credentials(u)
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Dial(t.Context(), u.Host)
	if err != nil {
		t.Fatalf("with the advice %+v: %v", r.Advice, err)
	}
	defer c.Close()
	if _, err := c.LoginAccount(t.Context(), cr.user, cr.password, cr.account); err != nil {
		t.Fatalf("with the advice: %v", err)
	}
	es, err := c.ReadDir(t.Context(), u.Path())
	if err != nil {
		t.Fatalf("with the advice: ReadDir: %v", err)
	}
	if !slices.ContainsFunc(es, func(e listing.Entry) bool { return e.Name == file }) {
		t.Errorf("with the advice: %s not listed in %v", file, es)
	}
	var got bytes.Buffer
	if _, err := c.RetrBinary(t.Context(), path.Join(u.Path(), file), &got, 0); err != nil {
		t.Fatalf("with the advice: RETR: %v", err)
	}
	sameBytes(t, "download with the advice", got.Bytes(), want)
}

// TestProbeFtptest probes the in-process server, in text and JSON, and
// applies its advice.
func TestProbeFtptest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	r := e.run(t, "probe", e.url("pub"))
	r.want(t, 0, []string{
		"MLSD     ok: ", "LIST     ok: ", "format   unix\n", "EPSV     ok: 229 ", "PASV     ok: 227 ", "active   ok: 200 ",
		"Names: UTF-8", "REST     ok: ", "SIZE     ok: 4 bytes", "MFMT     ok: ", "Clock: ok: uploaded and deleted pub/.goftp-probe-",
		"Connection limit: skipped", "Advice:\n  --verify",
	}, nil)
	e.run(t, "probe", "--no-write", e.url("pub")).want(t, 0, []string{"Clock: skipped: --no-write", "MFMT     skipped: "}, nil)

	r = e.run(t, "probe", "--json", "--max-conns-test", "4", e.url("pub"))
	r.want(t, 0, nil, nil)
	var rep probeReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if rep.Listing.Format != "unix" || !rep.Listing.MLSD.ok() || !rep.Data.EPSV.ok() || !rep.Data.PASV.ok() || !rep.Data.Active.ok() ||
		rep.Names.Encoding != "utf-8" || !rep.Commands["SIZE"].ok() || rep.Clock.SkewSeconds == nil || *rep.Clock.SkewSeconds != 0 ||
		rep.MaxConns.Status != "ok" || rep.MaxConns.Limit != 0 || rep.TLS != nil {
		t.Errorf("--json report: %s", r.stdout)
	}
	files, _ := fs.ReadDir(e.srv.FS(), "pub")
	for _, f := range files {
		if strings.HasPrefix(f.Name(), ".goftp-probe") {
			t.Errorf("probe left %s behind", f.Name())
		}
	}

	a := probeApp(t, e.netrc, nil)
	u, _ := ftp.ParseURL(e.url("pub"))
	rp, err := a.runProbe(u, probeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkAdvice(t, a, u, rp, "a.txt", []byte("aaa\n"))

	e.run(t, "probe").want(t, exitUsage, nil, []string{"probe needs one URL"})
}

// TestProbeFtptestTLS: explicit TLS on the in-process server.
func TestProbeFtptestTLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{TLS: ftptest.TLSExplicit})
	a := probeApp(t, e.netrc, func(g *globals) { g.ca = e.ca })
	u, _ := ftp.ParseURL(e.url("pub"))
	r, err := a.runProbe(u, probeOptions{write: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.TLS == nil || !r.TLS.TLS13.ok() || r.TLS.Version == "" {
		t.Errorf("TLS: %+v", r.TLS)
	}
	checkAdvice(t, a, u, r, "a.txt", []byte("aaa\n"))
}

// TestGuessEncoding: names in each legacy encoding are recognised.
func TestGuessEncoding(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"caf\xe9.txt", "M\xfcller.pdf"}, "latin1"},
		{[]string{"\xcf\xf0\xe8\xe2\xe5\xf2.txt", "\xee\xf2\xf7\xb8\xf2"}, "cp1251"}, // Привет, отчёт
		{[]string{"\xd6\xd0\xce\xc4.txt", "\xb2\xe2\xca\xd4"}, "gbk"},                // 中文, 测试
		{[]string{"\x93\xfa\x96{\x8c\xea.txt", "\x82\xa0\x82\xa2.doc"}, "shift-jis"}, // 日本語, あい
	} {
		if got := guessEncoding(tc.names); got != tc.want {
			t.Errorf("guessEncoding(%q) = %s, want %s", tc.names, got, tc.want)
		}
		var r probeReport
		r.names(append([]string{"plain.txt"}, tc.names...))
		if r.Names.ValidUTF8 || r.Names.Encoding != tc.want {
			t.Errorf("names(%q): %+v", tc.names, r.Names)
		}
		r.advise(probeApp(t, "", nil))
		if len(r.Advice) != 1 || r.Advice[0].Flag != "--encoding "+tc.want {
			t.Errorf("advice for %q: %+v", tc.names, r.Advice)
		}
		var d ftp.Dialer
		r.Advice[0].apply(&d)
		if enc, _ := d.Encoding.NewDecoder().String(tc.names[0]); !strings.Contains(enc, ".") || strings.ContainsRune(enc, '\uFFFD') {
			t.Errorf("%s decodes %q as %q", tc.want, tc.names[0], enc)
		}
	}
}
