package ftp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/scripted"
	"github.com/goftplib/ftp/listing"
)

type step = scripted.Step

// loginSteps is a greeting and an anonymous login with a FEAT without UTF8.
var loginSteps = []step{
	{Reply: "220 ready"},
	{Cmd: "USER anonymous", Reply: "331 password please"},
	{Cmd: "PASS anonymous@", Reply: "230 in"},
	{Cmd: "FEAT", Reply: "211-Features:\n EPSV\n MDTM\n SIZE\n211 End"},
}

func script(steps ...[]step) []step {
	var all []step
	for _, s := range steps {
		all = append(all, s...)
	}
	return all
}

func dialScript(t *testing.T, d *ftp.Dialer, steps ...step) (*ftp.Conn, *scripted.Server) {
	t.Helper()
	srv := scripted.New(t, steps...)
	if d == nil {
		d = &ftp.Dialer{Timeout: 5 * time.Second}
	}
	c, err := d.Dial(t.Context(), srv.Addr)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, srv
}

func login(t *testing.T, c *ftp.Conn) {
	t.Helper()
	if _, err := c.Login(t.Context(), "", ""); err != nil {
		t.Fatalf("Login: %v", err)
	}
}

func TestGreetingMultiLineAnd120(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "120 ready in 1 minute"},
		step{Reply: "220-Welcome\n 220 indented\n123 neither\n220 Done"},
	)
	want := "120 ready in 1 minute\n220-Welcome\n 220 indented\n123 neither\n220 Done"
	if got := c.Welcome(); got != want {
		t.Errorf("Welcome() = %q, want %q", got, want)
	}
}

func TestGreeting421(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, step{Reply: "421 too many users", Close: true})
	_, err := ftp.Dial(t.Context(), srv.Addr)
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 421 || !errors.Is(err, ftp.ErrTemporary) {
		t.Fatalf("Dial err = %v, want 421 ReplyError matching ErrTemporary", err)
	}
}

func TestLoginAnonymousDefaultsAndUTF8(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "220 ready"},
		step{Cmd: "USER anonymous", Reply: "331 password please"},
		step{Cmd: "PASS anonymous@", Reply: "230 in"},
		step{Cmd: "FEAT", Reply: "211-Features:\n UTF8\n MLST type*;size*;\n211 End"},
		step{Cmd: "OPTS UTF8 ON", Reply: "504 already on"},
		step{Cmd: "PWD", Reply: `257 "/a ""b"" c" is cwd`},
	)
	rep, err := c.Login(t.Context(), "", "")
	if err != nil || rep.Code != 230 {
		t.Fatalf("Login = %v, %v; want 230", rep, err)
	}
	f, err := c.Features(t.Context())
	if err != nil || f["MLST"] != "type*;size*;" {
		t.Errorf("Features = %v, %v", f, err)
	}
	if _, ok := f["UTF8"]; !ok {
		t.Errorf("Features lacks UTF8: %v", f)
	}
	if p, err := c.Pwd(t.Context()); p != `/a "b" c` || err != nil {
		t.Errorf("Pwd() = %q, %v; want %q", p, err, `/a "b" c`)
	}
}

func TestLoginAccount(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "220 ready"},
		step{Cmd: "USER bob", Reply: "331 password"},
		step{Cmd: "PASS pw", Reply: "332 need account"},
		step{Cmd: "ACCT acc", Reply: "230 in"},
		step{Cmd: "FEAT", Reply: "502 no"},
	)
	if _, err := c.LoginAccount(t.Context(), "bob", "pw", "acc"); err != nil {
		t.Fatal(err)
	}
}

func TestLoginRefused(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "220 ready"},
		step{Cmd: "USER bob", Reply: "331 password"},
		step{Cmd: "PASS wrong", Reply: "530 Login incorrect."},
	)
	_, err := c.Login(t.Context(), "bob", "wrong")
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 530 || re.Cmd != "PASS ****" || !errors.Is(err, ftp.ErrPermanent) {
		t.Fatalf("Login err = %#v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestErrorClasses(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "DELE missing", Reply: "550 No such file"},
		{Cmd: "DELE busy", Reply: "450 try later"},
		{Cmd: "NOOP", Reply: "331 what"},
		{Cmd: "CDUP", Reply: "502 not implemented"},
		{Cmd: "CWD ..", Reply: "250 ok"},
	})...)
	login(t, c)
	ctx := t.Context()
	_, err := c.Delete(ctx, "missing")
	if !errors.Is(err, ftp.ErrPermanent) || !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ftp.ErrTemporary) {
		t.Errorf("Delete(missing) = %v, want permanent and fs.ErrNotExist", err)
	}
	if got, want := err.Error(), "ftp: DELE missing: 550 No such file"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	_, err = c.Delete(ctx, "busy")
	if !errors.Is(err, ftp.ErrTemporary) || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Delete(busy) = %v, want temporary", err)
	}
	_, err = c.Noop(ctx)
	if !errors.Is(err, ftp.ErrUnexpectedReply) {
		t.Errorf("Noop = %v, want ErrUnexpectedReply", err)
	}
	if _, err := c.Cwd(ctx, ".."); err != nil {
		t.Errorf("Cwd(..) = %v", err)
	}
}

func TestInjectionRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{{Cmd: "NOOP", Reply: "200 ok"}})...)
	login(t, c)
	ctx := t.Context()
	for _, bad := range []string{"a\r\nDELE b", "a\nb", "a\rb", "a\x00b"} {
		if _, err := c.Cwd(ctx, bad); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Cwd(%q) = %v, want fs.ErrInvalid", bad, err)
		}
		if _, err := c.SendCmd(ctx, "SITE "+bad); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("SendCmd(%q) = %v, want fs.ErrInvalid", bad, err)
		}
		if _, err := c.Retr(ctx, bad, 0); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Retr(%q) = %v, want fs.ErrInvalid", bad, err)
		}
	}
	// The connection is still in step.
	if _, err := c.Noop(ctx); err != nil {
		t.Errorf("Noop after refusals = %v", err)
	}
}

func TestOversizeReplyLine(t *testing.T) {
	t.Parallel()
	long := "200 " + strings.Repeat("x", 9000)
	c, _ := dialScript(t, nil, script(loginSteps, []step{{Cmd: "NOOP", Reply: long, WriteMayFail: true}})...)
	login(t, c)
	_, err := c.Noop(t.Context())
	var pe *ftp.ProtocolError
	if !errors.As(err, &pe) || !errors.Is(err, ftp.ErrProtocol) {
		t.Fatalf("Noop = %v, want ProtocolError", err)
	}
	if _, err := c.Noop(t.Context()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop after protocol error = %v, want net.ErrClosed", err)
	}
}

func TestMalformedReplies(t *testing.T) {
	t.Parallel()
	for name, reply := range map[string]string{
		"no code":  "hello",
		"code 600": "600 what",
		"code 099": "099 what",
		"no space": "200x",
		"unended":  "200-first\nsecond",
		"letters":  "2a0 x",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := dialScript(t, nil, script(loginSteps, []step{{Cmd: "NOOP", Reply: reply, Close: true}})...)
			login(t, c)
			_, err := c.Noop(t.Context())
			if err == nil {
				t.Fatal("Noop succeeded")
			}
			if name != "unended" && !errors.Is(err, ftp.ErrProtocol) {
				t.Errorf("Noop = %v, want ErrProtocol", err)
			}
		})
	}
}

func TestPassiveFallbackAndHostPolicy(t *testing.T) {
	t.Parallel()
	data := []byte("hello\r\nworld\r\n")
	c, srv := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE f.txt", Reply: "213 17"},
		{Cmd: "EPSV", Reply: "500 EPSV not understood"},
		// The PASV host is a foreign one; the client must use the control peer.
		{Cmd: "PASV", Reply: "227 Entering Passive Mode (10,9,8,7,{PORT})"},
		{Cmd: "REST 3", Reply: "350 restarting"},
		{Cmd: "RETR f.txt", Reply: "150 Opening BINARY mode data connection for f.txt (17 bytes)", Data: data},
		{Reply: "226 done"},
		{Cmd: "PASV", Reply: "227 ({PASV})"},
		{Cmd: "STOR up.bin", Reply: "150 go", Recv: true},
		{Reply: "226 stored"},
	})...)
	login(t, c)
	ctx := t.Context()
	var got bytes.Buffer
	n, err := c.RetrBinary(ctx, "f.txt", &got, 3)
	if err != nil || n != int64(len(data)) || got.String() != string(data) {
		t.Fatalf("RetrBinary = %d, %v, %q", n, err, got.String())
	}
	if n, err := c.StorBinary(ctx, "up.bin", strings.NewReader("payload"), 0); err != nil || n != 7 {
		t.Fatalf("StorBinary = %d, %v", n, err)
	}
	if r := srv.Received(); len(r) != 1 || string(r[0]) != "payload" {
		t.Errorf("server received %q", r)
	}
}

// The PASV fix to 10.9.8.7 was ignored above; with TrustPASVHost the
// client would dial 10.9.8.7. Here the trusted host is loopback itself.
func TestTrustPASVHost(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second, TrustPASVHost: true, DisableEPSV: true}
	c, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "PASV", Reply: "227 =127,0,0,1,{PORT}"},
		{Cmd: "NLST", Reply: "150 here", Data: []byte("a\r\nb c\r\n\r\n")},
		{Reply: "226 done"},
	})...)
	login(t, c)
	names, err := c.Nlst(t.Context())
	if err != nil || strings.Join(names, "|") != "a|b c" {
		t.Fatalf("NLST = %q, %v", names, err)
	}
}

func TestBadPASVReplies(t *testing.T) {
	t.Parallel()
	for name, reply := range map[string]string{
		"port 0":     "227 (127,0,0,1,0,0)",
		"too few":    "227 (127,0,0,1,4)",
		"over 255":   "227 (127,0,0,1,256,1)",
		"no numbers": "227 passive",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := &ftp.Dialer{Timeout: 5 * time.Second, DisableEPSV: true}
			c, _ := dialScript(t, d, script(loginSteps, []step{{Cmd: "TYPE A", Reply: "200 ok"}, {Cmd: "PASV", Reply: reply}})...)
			login(t, c)
			_, err := c.Nlst(t.Context())
			if !errors.Is(err, ftp.ErrProtocol) {
				t.Errorf("NLST = %v, want ErrProtocol", err)
			}
		})
	}
}

func TestBadEPSVReplies(t *testing.T) {
	t.Parallel()
	for name, reply := range map[string]string{
		"port 0":     "229 (|||0|)",
		"port 70000": "229 (|||70000|)",
		"garbage":    "229 (|||x|)",
		"no parens":  "229 |||21|",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, _ := dialScript(t, nil, script(loginSteps, []step{{Cmd: "TYPE A", Reply: "200 ok"}, {Cmd: "EPSV", Reply: reply}})...)
			login(t, c)
			_, err := c.Nlst(t.Context())
			if !errors.Is(err, ftp.ErrProtocol) {
				t.Errorf("NLST = %v, want ErrProtocol", err)
			}
		})
	}
}

func TestActiveModeEPRT(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second, Active: true}
	c, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPRT |1|127.0.0.1|*", Reply: "200 ok"},
		{Cmd: "LIST", Reply: "150 here", Data: []byte("-rw-r--r-- 1 a b 3 Jan 1 2020 x\r\n")},
		{Reply: "226 done"},
		{Cmd: "EPRT |1|127.0.0.1|*", Reply: "502 no EPRT"},
		{Cmd: "PORT 127,0,0,1,*", Reply: "200 ok"},
		{Cmd: "LIST sub", Reply: "150 here", Data: []byte("line\n")},
		{Reply: "226 done"},
		{Cmd: "PORT 127,0,0,1,*", Reply: "200 ok"},
		{Cmd: "LIST", Reply: "150 here", Data: []byte{}},
		{Reply: "226 done"},
	})...)
	login(t, c)
	ctx := t.Context()
	lines, err := c.List(ctx)
	if err != nil || len(lines) != 1 || !strings.HasSuffix(lines[0], " x") {
		t.Fatalf("List = %q, %v", lines, err)
	}
	if lines, err = c.List(ctx, "sub"); err != nil || len(lines) != 1 || lines[0] != "line" {
		t.Fatalf("List(sub) = %q, %v", lines, err)
	}
	if lines, err = c.List(ctx); err != nil || len(lines) != 0 {
		t.Fatalf("List(empty) = %q, %v", lines, err)
	}
}

func TestRetrLinesAndStorLines(t *testing.T) {
	t.Parallel()
	c, srv := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
		{Cmd: "RETR t.txt", Reply: "150 go", Data: []byte("one\r\n\r\nthree\nlast")},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "STOR u.txt", Reply: "150 go", Recv: true},
		{Reply: "226 done"},
	})...)
	login(t, c)
	var got []string
	err := c.RetrLines(t.Context(), "t.txt", func(l string) error { got = append(got, l); return nil })
	if err != nil || strings.Join(got, "|") != "one||three|last" {
		t.Fatalf("RetrLines = %q, %v", got, err)
	}
	if _, err := c.StorLines(t.Context(), "u.txt", strings.NewReader("a\nb\r\nc")); err != nil {
		t.Fatal(err)
	}
	if r := srv.Received(); len(r) != 1 || string(r[0]) != "a\r\nb\r\nc\r\n" {
		t.Errorf("server received %q", r)
	}
}

func TestMLSDAndMLST(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "OPTS MLST type;size;", Reply: "200 MLST OPTS type;size;"},
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "MLSD dir", Reply: "150 go", Data: []byte("Type=cdir;Size=0; .\r\ntype=file;size=12; a b.txt\r\nbroken\r\n")},
		{Reply: "226 done"},
		{Cmd: "MLST a b.txt", Reply: "250-Listing a b.txt\n type=file;size=12;modify=20200102030405.5; /dir/a b.txt\n250 End"},
	})...)
	login(t, c)
	entries, err := c.Mlsd(t.Context(), "dir", "type", "size")
	if len(entries) != 2 || entries[1].Name != "a b.txt" || entries[1].Size != 12 || entries[1].Type != listing.File || entries[0].Type != listing.CurrentDir {
		t.Errorf("MLSD entries = %+v", entries)
	}
	var pe *listing.ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || pe.Raw != "broken" {
		t.Errorf("MLSD err = %v, want a ParseError for line 3", err)
	}
	e, err := c.Mlst(t.Context(), "a b.txt")
	if err != nil || e.Name != "a b.txt" || e.Raw != "type=file;size=12;modify=20200102030405.5; /dir/a b.txt" || e.Facts["modify"] != "20200102030405.5" || e.Time.Nanosecond() != 500000000 {
		t.Errorf("MLST = %+v, %v", e, err)
	}
}

func TestSizeModTimeRename(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE a", Reply: "213 1234"},
		{Cmd: "SIZE b", Reply: "213 -5"},
		{Cmd: "SIZE c", Reply: "213 lots"},
		{Cmd: "MDTM a", Reply: "213 20240229235959.25"},
		{Cmd: "MDTM b", Reply: "213 2024"},
		{Cmd: "MDTM 20240101000000 a", Reply: "213 set"},
		{Cmd: "RNFR a", Reply: "250 what"},
		{Cmd: "RNFR a", Reply: "350 ready"},
		{Cmd: "RNTO b", Reply: "250 renamed"},
		{Cmd: "MKD new", Reply: `257 "/x/new" created`},
		{Cmd: "RMD new", Reply: "250 gone"},
		{Cmd: "SITE CHMOD 600 a", Reply: "200 ok"},
	})...)
	login(t, c)
	ctx := t.Context()
	if n, err := c.Size(ctx, "a"); n != 1234 || err != nil {
		t.Errorf("Size(a) = %d, %v", n, err)
	}
	for _, p := range []string{"b", "c"} {
		if _, err := c.Size(ctx, p); !errors.Is(err, ftp.ErrProtocol) {
			t.Errorf("Size(%s) = %v, want ErrProtocol", p, err)
		}
	}
	mt, err := c.ModTime(ctx, "a")
	if want := time.Date(2024, 2, 29, 23, 59, 59, 250e6, time.UTC); !mt.Equal(want) || err != nil {
		t.Errorf("ModTime = %v, %v; want %v", mt, err, want)
	}
	if _, err := c.ModTime(ctx, "b"); !errors.Is(err, ftp.ErrProtocol) {
		t.Errorf("ModTime(b) = %v", err)
	}
	if _, err := c.SetModTime(ctx, "a", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("SetModTime = %v", err)
	}
	if _, err := c.Rename(ctx, "a", "b"); !errors.Is(err, ftp.ErrUnexpectedReply) {
		t.Errorf("Rename with 250 to RNFR = %v, want ErrUnexpectedReply", err)
	}
	if _, err := c.Rename(ctx, "a", "b"); err != nil {
		t.Errorf("Rename = %v", err)
	}
	if p, err := c.Mkd(ctx, "new"); p != "/x/new" || err != nil {
		t.Errorf("Mkd = %q, %v", p, err)
	}
	if _, err := c.Rmd(ctx, "new"); err != nil {
		t.Errorf("Rmd = %v", err)
	}
	if _, err := c.Site(ctx, "CHMOD 600 a"); err != nil {
		t.Errorf("Site = %v", err)
	}
}

func TestSendCmdReadsPastPreliminary(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "XYZ 1", Reply: "150 working\n200 finished"},
		{Cmd: "XYZ 2", Reply: "331 more"},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	login(t, c)
	rep, err := c.SendCmd(t.Context(), "XYZ 1")
	if err != nil || rep.Code != 200 {
		t.Errorf("SendCmd = %v, %v", rep, err)
	}
	if rep, err = c.SendCmd(t.Context(), "XYZ 2"); err != nil || rep.Code != 331 {
		t.Errorf("SendCmd = %v, %v", rep, err)
	}
	if _, err = c.VoidCmd(t.Context(), "NOOP"); err != nil {
		t.Errorf("VoidCmd = %v", err)
	}
}

func TestBusyWhileReaderOpen(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR f", Reply: "150 go", Data: []byte("abc")},
		{Reply: "226 done"},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	login(t, c)
	ctx := t.Context()
	r, err := c.Retr(ctx, "f", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pwd(ctx); !errors.Is(err, ftp.ErrBusy) {
		t.Errorf("Pwd during Retr = %v, want ErrBusy", err)
	}
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "abc" {
		t.Errorf("ReadAll = %q, %v", b, err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if rep := r.Reply(); rep == nil || rep.Code != 226 {
		t.Errorf("Reply() = %v, want the 226", rep)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Errorf("Noop after Close = %v", err)
	}
}

func TestAbortEarlyClose(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 8<<20)
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR big", Reply: "150 go"},
		{Cmd: "ABOR", Reply: "426 aborted\n226 abort ok"},
		{Cmd: "PWD", Reply: "257 \"/\""},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	_ = big
	login(t, c)
	ctx := t.Context()
	r, err := c.Retr(ctx, "big", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if _, err := c.Noop(ctx); err != nil {
		t.Errorf("Noop after abort = %v", err)
	}
}

func TestUrgentAbort(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second, UrgentAbort: true}
	c, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR big", Reply: "150 go"},
		// The urgent DM byte is taken out of the stream by the kernel.
		{Cmd: "\xff\xf4\xffABOR", Reply: "426 aborted\n226 abort ok"},
		{Cmd: "PWD", Reply: "257 \"/\""},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	login(t, c)
	r, err := c.Retr(t.Context(), "big", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Noop after abort = %v", err)
	}
}

func TestInactivityTimeout(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 300 * time.Millisecond}
	c, _ := dialScript(t, d, script(loginSteps, []step{{Cmd: "NOOP", Hang: true}})...)
	login(t, c)
	start := time.Now()
	_, err := c.Noop(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Noop = %v, want a deadline error", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("Noop took %v with a 300ms timeout", el)
	}
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{{Cmd: "NOOP", Hang: true}})...)
	login(t, c)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.Noop(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Noop = %v, want context.Canceled", err)
	}
	ctx, cancel2 := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel2()
	if _, err := c.Noop(ctx); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop on a closed conn = %v, want net.ErrClosed", err)
	}
}

func TestNegativeOffset(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{{Cmd: "NOOP", Reply: "200 ok"}})...)
	login(t, c)
	if _, err := c.RetrBinary(t.Context(), "f", io.Discard, -1); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("RetrBinary(offset -1) = %v, want fs.ErrInvalid", err)
	}
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Noop after a refused offset = %v", err)
	}
}

func TestDialerValidation(t *testing.T) {
	t.Parallel()
	// A negative Timeout turns the inactivity limit off: only the ctx
	// bounds a greeting that never comes.
	srv := scripted.New(t, step{Hang: true})
	d := ftp.Dialer{Timeout: -time.Second}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := d.Dial(ctx, srv.Addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial with a negative timeout = %v; want the ctx's deadline", err)
	}
	d = ftp.Dialer{ImplicitTLS: true}
	if _, err := d.Dial(t.Context(), "127.0.0.1:1"); err == nil {
		t.Error("Dial with ImplicitTLS and no TLS config succeeded")
	}
}

func TestLatin1Encoding(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second, Encoding: charmap.ISO8859_1}
	c, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "CWD caf\xe9", Reply: "250 ok"},
		{Cmd: "PWD", Reply: "257 \"/caf\xe9\""},
	})...)
	login(t, c)
	if _, err := c.Cwd(t.Context(), "café"); err != nil {
		t.Fatal(err)
	}
	if p, err := c.Pwd(t.Context()); p != "/café" || err != nil {
		t.Errorf("Pwd = %q, %v", p, err)
	}
	if _, err := c.Cwd(t.Context(), "日本"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Cwd(unencodable) = %v, want fs.ErrInvalid", err)
	}
}

func TestPasswordNeverLogged(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: ftp.LevelTrace}))
	d := &ftp.Dialer{Timeout: 5 * time.Second, Logger: logger}
	c, _ := dialScript(t, d,
		step{Reply: "220 ready"},
		step{Cmd: "USER bob", Reply: "331 password"},
		step{Cmd: "PASS Sekr1t-pw", Reply: "332 account"},
		step{Cmd: "ACCT Sekr1t-acct", Reply: "530 no"},
	)
	_, err := c.LoginAccount(t.Context(), "bob", "Sekr1t-pw", "Sekr1t-acct")
	if err == nil {
		t.Fatal("login succeeded")
	}
	for _, s := range []string{buf.String(), err.Error()} {
		if strings.Contains(s, "Sekr1t") {
			t.Errorf("secret leaked in %q", s)
		}
	}
	if !strings.Contains(buf.String(), "PASS ****") || !strings.Contains(buf.String(), "USER bob") {
		t.Errorf("log lacks the dialogue:\n%s", buf.String())
	}
}

func TestQuitAndClose(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{{Cmd: "QUIT", Reply: "221 bye"}})...)
	login(t, c)
	if err := c.Quit(t.Context()); err != nil {
		t.Errorf("Quit = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close after Quit = %v", err)
	}
	if _, err := c.Noop(t.Context()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop after Quit = %v", err)
	}
}

func TestCancelMidTransferAborts(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 16<<20)
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR big", Reply: "150 go", Data: big, DataMayFail: true},
		{Reply: "150 still going\n226 transfer complete"},
		{Cmd: "ABOR", Reply: "225 no transfer to abort"},
		{Cmd: "PWD", Reply: `257 "/"`},
		{Cmd: "PWD", Reply: `257 "/"`},
	})...)
	login(t, c)
	ctx, cancel := context.WithCancel(t.Context())
	r, err := c.Retr(ctx, "big", 0)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(r); !errors.Is(err, context.Canceled) {
		t.Errorf("Read after cancel = %v, want context.Canceled", err)
	}
	if err := r.Close(); !errors.Is(err, context.Canceled) {
		t.Errorf("Close = %v, want context.Canceled", err)
	}
	if p, err := c.Pwd(t.Context()); err != nil || p != "/" {
		t.Errorf("Pwd after abort = %q, %v", p, err)
	}
}

func TestAuthTLSRefusedFailsClosed(t *testing.T) {
	t.Parallel()
	for _, reply := range []string{"502 AUTH not implemented", "431 unavailable", "334 ADAT needed"} {
		t.Run(reply[:3], func(t *testing.T) {
			t.Parallel()
			srv := scripted.New(t, step{Reply: "220 ready"}, step{Cmd: "AUTH TLS", Reply: reply})
			d := &ftp.Dialer{Timeout: 5 * time.Second, TLS: &tls.Config{}}
			_, err := d.Dial(t.Context(), srv.Addr)
			var re *ftp.ReplyError
			if !errors.Is(err, ftp.ErrTLSRequired) || !errors.As(err, &re) || re.Cmd != "AUTH TLS" {
				t.Fatalf("Dial = %v, want ErrTLSRequired with the AUTH TLS reply", err)
			}
			// The script ends after AUTH: any USER or PASS would be reported
			// by the scripted server as an unexpected line.
		})
	}
}

func TestTLSHandshakeFailureIsClear(t *testing.T) {
	t.Parallel()
	// The "server" accepts AUTH TLS and then speaks plain text.
	srv := scripted.New(t, step{Reply: "220 ready"}, step{Cmd: "AUTH TLS", Reply: "234 go ahead"}, step{Raw: []byte("500 OOPS: not TLS at all\r\n"), Close: true})
	d := &ftp.Dialer{Timeout: 5 * time.Second, TLS: &tls.Config{}}
	_, err := d.Dial(t.Context(), srv.Addr)
	if !errors.Is(err, ftp.ErrTLSRequired) {
		t.Fatalf("Dial = %v, want a TLS handshake error matching ErrTLSRequired", err)
	}
}

func TestVerifyChecksumMismatch(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second, VerifyChecksums: true}
	c, _ := dialScript(t, d,
		step{Reply: "220 ready"},
		step{Cmd: "USER anonymous", Reply: "331 password please"},
		step{Cmd: "PASS anonymous@", Reply: "230 in"},
		step{Cmd: "FEAT", Reply: "211-Features:\n HASH SHA-1*;SHA-256;MD5\n XCRC\n211 End"},
		step{Cmd: "TYPE I", Reply: "200 binary"},
		step{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		step{Cmd: "RETR f", Reply: "150 go", Data: []byte("hello world")},
		step{Reply: "226 done"},
		step{Cmd: "OPTS HASH SHA-256", Reply: "200 SHA-256"},
		// The server's digest is of other bytes.
		step{Cmd: "HASH f", Reply: "213 SHA-256 0-11 0000000000000000000000000000000000000000000000000000000000000000 f"},
		step{Cmd: "HASH f", Reply: "213 SHA-256 0-11 b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9 f"},
		step{Cmd: "XCRC f", Reply: "250 0D4A1185"},
	)
	login(t, c)
	_, err := c.RetrBinary(t.Context(), "f", io.Discard, 0)
	if !errors.Is(err, ftp.ErrChecksumMismatch) {
		t.Fatalf("RetrBinary = %v, want ErrChecksumMismatch", err)
	}
	if sum, err := c.Checksum(t.Context(), "f", ftp.SHA256); err != nil || sum != "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9" {
		t.Errorf("Checksum = %q, %v", sum, err)
	}
	if sum, err := c.Checksum(t.Context(), "f", ftp.CRC32); err != nil || sum != "0d4a1185" {
		t.Errorf("Checksum(CRC32) = %q, %v", sum, err)
	}
	if _, err := c.Checksum(t.Context(), "f", ftp.SHA512); !errors.Is(err, ftp.ErrNoChecksum) {
		t.Errorf("Checksum(SHA-512) = %v, want ErrNoChecksum", err)
	}
}
