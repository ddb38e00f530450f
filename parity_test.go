package ftp_test

// Transcript tests of the replies where ftplib's behaviour was checked
// against ours (issue 13, item 7). Each test names the ftplib function it
// compares with; docs/FTPLIB.md lists the deliberate differences.

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp"
)

// ftplib's size: only a 213 reply holds a size (test_ftplib's server
// answers "250 1000", for which size returns None).
func TestParitySizeOnly213(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE foo", Reply: "250 1000"},
		{Cmd: "SIZE foo", Reply: "213 1000"},
	})...)
	login(t, c)
	ctx := t.Context()
	if n, err := c.Size(ctx, "foo"); !errors.Is(err, ftp.ErrUnexpectedReply) {
		t.Errorf("Size with 250 = %d, %v; want ErrUnexpectedReply", n, err)
	}
	if n, err := c.Size(ctx, "foo"); n != 1000 || err != nil {
		t.Errorf("Size with 213 = %d, %v", n, err)
	}
}

// ftplib's delete: 250 and 200 succeed, anything else is error_reply,
// including a stray 1xx before the 250 (test_delete).
func TestParityDeleteReplies(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "DELE a", Reply: "250 deleted"},
		{Cmd: "DELE b", Reply: "200 ok"},
		{Cmd: "DELE c", Reply: "226 what"},
		{Cmd: "DELE d", Reply: "199 stray\n250 deleted"},
	})...)
	login(t, c)
	ctx := t.Context()
	for _, p := range []string{"a", "b"} {
		if _, err := c.Delete(ctx, p); err != nil {
			t.Errorf("Delete(%s) = %v", p, err)
		}
	}
	if _, err := c.Delete(ctx, "c"); !errors.Is(err, ftp.ErrUnexpectedReply) {
		t.Errorf("Delete with 226 = %v, want ErrUnexpectedReply", err)
	}
	// The 250 after the 1xx would answer the next command: the Conn is
	// closed instead of being left out of step.
	if _, err := c.Delete(ctx, "d"); !errors.Is(err, ftp.ErrUnexpectedReply) {
		t.Errorf("Delete with 199 then 250 = %v, want ErrUnexpectedReply", err)
	}
	if _, err := c.Noop(ctx); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop after a stray 1xx = %v, want net.ErrClosed", err)
	}
}

// ftplib's login: an anonymous password "-" becomes "-anonymous@" (the
// "-" asks some servers for a quiet login), "" becomes "anonymous@".
func TestParityAnonymousDashPassword(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "220 ready"},
		step{Cmd: "USER anonymous", Reply: "331 password please"},
		step{Cmd: "PASS -anonymous@", Reply: "230 in"},
		step{Cmd: "FEAT", Reply: "502 no"},
	)
	if _, err := c.Login(t.Context(), "anonymous", "-"); err != nil {
		t.Fatal(err)
	}
}

// ftplib's login: a 3xx reply to PASS is followed by ACCT, with an empty
// account when none was given, instead of failing.
func TestParityAccountEmptyOn332(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil,
		step{Reply: "220 ready"},
		step{Cmd: "USER bob", Reply: "331 password"},
		step{Cmd: "PASS pw", Reply: "332 need account"},
		step{Cmd: "ACCT", Reply: "230 in"},
		step{Cmd: "FEAT", Reply: "502 no"},
	)
	if _, err := c.Login(t.Context(), "bob", "pw"); err != nil {
		t.Fatal(err)
	}
}

// ftplib's login sends PASS after any 3xx reply to USER (an S/Key or OTP
// challenge such as 336); a 332 to USER is followed by ACCT at once, as
// RFC 959's state diagram has it (ftplib would send PASS).
func TestParityUserReplies3xx(t *testing.T) {
	t.Parallel()
	t.Run("336", func(t *testing.T) {
		t.Parallel()
		c, _ := dialScript(t, nil,
			step{Reply: "220 ready"},
			step{Cmd: "USER bob", Reply: "336 challenge otp-md5 499 ke1234"},
			step{Cmd: "PASS response", Reply: "230 in"},
			step{Cmd: "FEAT", Reply: "502 no"},
		)
		if _, err := c.Login(t.Context(), "bob", "response"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("332", func(t *testing.T) {
		t.Parallel()
		c, _ := dialScript(t, nil,
			step{Reply: "220 ready"},
			step{Cmd: "USER bob", Reply: "332 need account"},
			step{Cmd: "ACCT acc", Reply: "230 in"},
			step{Cmd: "FEAT", Reply: "502 no"},
		)
		if _, err := c.LoginAccount(t.Context(), "bob", "pw", "acc"); err != nil {
			t.Fatal(err)
		}
	})
}

// ftplib's acct is a voidcmd: only 2xx succeeds.
func TestParityAcct2xxOnly(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "ACCT passwd", Reply: "230 acct ok"},
		{Cmd: "ACCT x", Reply: "332 more"},
	})...)
	login(t, c)
	if _, err := c.Acct(t.Context(), "passwd"); err != nil {
		t.Errorf("Acct = %v", err)
	}
	if _, err := c.Acct(t.Context(), "x"); !errors.Is(err, ftp.ErrUnexpectedReply) {
		t.Errorf("Acct with 332 = %v, want ErrUnexpectedReply", err)
	}
}

// ftplib's rename: RNFR must get a 3xx reply (any), a 2xx is error_reply
// (test_rename), and RNTO must get a 2xx.
func TestParityRenameReplies(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "RNFR a", Reply: "200 what"},
		{Cmd: "RNFR a", Reply: "300 go on"},
		{Cmd: "RNTO b", Reply: "250 renamed"},
		{Cmd: "RNFR a", Reply: "350 ready"},
		{Cmd: "RNTO b", Reply: "350 what"},
	})...)
	login(t, c)
	ctx := t.Context()
	if _, err := c.Rename(ctx, "a", "b"); !errors.Is(err, ftp.ErrUnexpectedReply) {
		t.Errorf("Rename with 200 to RNFR = %v, want ErrUnexpectedReply", err)
	}
	if _, err := c.Rename(ctx, "a", "b"); err != nil {
		t.Errorf("Rename with 300 to RNFR = %v", err)
	}
	if _, err := c.Rename(ctx, "a", "b"); !errors.Is(err, ftp.ErrUnexpectedReply) {
		t.Errorf("Rename with 350 to RNTO = %v, want ErrUnexpectedReply", err)
	}
}

// ftplib's pwd returns "" for a 2xx other than 257 or a 257 without a
// quoted name; Pwd fails instead (deliberate: callers change directory
// back to what Pwd returned, and "" would leave them where they are).
// ftplib's mkd returns "" there too; Mkd returns the directory asked for.
func TestParityPwdMkdWithout257(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "PWD", Reply: "250 /home/bob"},
		{Cmd: "PWD", Reply: "257 /home/bob is cwd"},
		{Cmd: "PWD", Reply: `257 "pwd ok"`},
		{Cmd: "MKD /foo", Reply: "250 created"},
		{Cmd: "MKD /bar", Reply: `257 "/bar"`},
	})...)
	login(t, c)
	ctx := t.Context()
	for _, what := range []string{"250", "257 unquoted"} {
		if p, err := c.Pwd(ctx); !errors.Is(err, ftp.ErrUnexpectedReply) {
			t.Errorf("Pwd with %s = %q, %v; want ErrUnexpectedReply", what, p, err)
		}
	}
	if p, err := c.Pwd(ctx); p != "pwd ok" || err != nil {
		t.Errorf("Pwd = %q, %v", p, err)
	}
	if p, err := c.Mkd(ctx, "/foo"); p != "/foo" || err != nil {
		t.Errorf("Mkd with 250 = %q, %v", p, err)
	}
	if p, err := c.Mkd(ctx, "/bar"); p != "/bar" || err != nil {
		t.Errorf("Mkd = %q, %v", p, err)
	}
}

// ftplib's voidcmd: 2xx succeeds, 199 and 300 are error_reply
// (test_voidcmd). A 1xx also closes the Conn here: its final reply would
// answer the next command.
func TestParityVoidCmd(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "ECHO 200", Reply: "200"},
		{Cmd: "ECHO 299", Reply: "299"},
		{Cmd: "ECHO 300", Reply: "300"},
		{Cmd: "ECHO 199", Reply: "199"},
	})...)
	login(t, c)
	ctx := t.Context()
	for _, code := range []string{"200", "299"} {
		if _, err := c.VoidCmd(ctx, "ECHO "+code); err != nil {
			t.Errorf("VoidCmd(%s) = %v", code, err)
		}
	}
	for _, code := range []string{"300", "199"} {
		if _, err := c.VoidCmd(ctx, "ECHO "+code); !errors.Is(err, ftp.ErrUnexpectedReply) {
			t.Errorf("VoidCmd(%s) = %v, want ErrUnexpectedReply", code, err)
		}
	}
	if _, err := c.Noop(ctx); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop after VoidCmd's 1xx = %v, want net.ErrClosed", err)
	}
}

// ftplib's sendcmd returns a 1xx reply and leaves the final one unread;
// SendCmd reads up to the final reply (deliberate: the Conn stays in
// step), and a lone 1xx costs at most one Timeout, then closes the Conn.
// 4xx and 5xx are errors with the reply, as error_temp and error_perm.
func TestParitySendCmd(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 500 * time.Millisecond}
	c, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "ECHO 199", Reply: "199 wait\n200 done"},
		{Cmd: "ECHO 400", Reply: "400 later"},
		{Cmd: "ECHO 599", Reply: "599 no"},
		{Cmd: "ECHO lone", Reply: "199 and nothing more"},
		{Hang: true},
	})...)
	login(t, c)
	ctx := t.Context()
	if rep, err := c.SendCmd(ctx, "ECHO 199"); err != nil || rep.Code != 200 {
		t.Errorf("SendCmd(199 then 200) = %v, %v; want the 200", rep, err)
	}
	if rep, err := c.SendCmd(ctx, "ECHO 400"); !errors.Is(err, ftp.ErrTemporary) || rep == nil || rep.Code != 400 {
		t.Errorf("SendCmd(400) = %v, %v; want the reply and ErrTemporary", rep, err)
	}
	if rep, err := c.SendCmd(ctx, "ECHO 599"); !errors.Is(err, ftp.ErrPermanent) || rep == nil || rep.Code != 599 {
		t.Errorf("SendCmd(599) = %v, %v; want the reply and ErrPermanent", rep, err)
	}
	start := time.Now()
	if _, err := c.SendCmd(ctx, "ECHO lone"); !errors.Is(err, ftp.ErrProtocol) {
		t.Errorf("SendCmd(lone 199) = %v, want ErrProtocol", err)
	}
	if took := time.Since(start); took > 4*d.Timeout {
		t.Errorf("a lone 199 held SendCmd %v, want at most about %v", took, d.Timeout)
	}
	if _, err := c.Noop(ctx); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop after a lone 1xx = %v, want net.ErrClosed", err)
	}
}

// ftplib's cwd: ".." sends CDUP and falls back to "CWD .." on 500 only
// (here also 502, see TestErrorClasses); "" sends "CWD .".
func TestParityCwd(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "CDUP", Reply: "500 unknown command"},
		{Cmd: "CWD ..", Reply: "250 ok"},
		{Cmd: "CDUP", Reply: "550 no parent"},
		{Cmd: "CWD .", Reply: "250 ok"},
	})...)
	login(t, c)
	ctx := t.Context()
	if _, err := c.Cwd(ctx, ".."); err != nil {
		t.Errorf("Cwd(..) with CDUP 500 = %v", err)
	}
	if _, err := c.Cwd(ctx, ".."); !errors.Is(err, ftp.ErrPermanent) {
		t.Errorf("Cwd(..) with CDUP 550 = %v, want the 550", err)
	}
	if _, err := c.Cwd(ctx, ""); err != nil {
		t.Errorf("Cwd(\"\") = %v", err)
	}
}

// ftplib's dir leaves out empty arguments ("LIST"); List and Nlst send
// no argument for an empty one either (ftplib's nlst sends "NLST ").
func TestParityEmptyListArgs(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST", Reply: "150 here", Data: []byte("foo\r\nbar\r\n")},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "NLST", Reply: "150 here", Data: []byte("foo\r\nbar\r\n")},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST -a d", Reply: "150 here", Data: []byte("foo\r\n")},
		{Reply: "226 done"},
	})...)
	login(t, c)
	ctx := t.Context()
	if lines, err := c.List(ctx, ""); err != nil || strings.Join(lines, "|") != "foo|bar" {
		t.Errorf("List(\"\") = %q, %v", lines, err)
	}
	if names, err := c.Nlst(ctx, ""); err != nil || strings.Join(names, "|") != "foo|bar" {
		t.Errorf("Nlst(\"\") = %q, %v", names, err)
	}
	// Empty arguments are dropped, as ftplib's dir drops them: one space.
	if lines, err := c.List(ctx, "", "-a", "", "d"); err != nil || len(lines) != 1 {
		t.Errorf("List(\"\", \"-a\", \"\", \"d\") = %q, %v", lines, err)
	}
}

// ftplib's retrlines sends TYPE A with sendcmd, so a 350 reply passes;
// here TYPE must get a 2xx (deliberate: a 3xx means the type is not in
// effect), and no transfer command is sent (EPSV went out with TYPE; its
// port is left unused and the Conn stays in step).
func TestParityTypeA350(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "350 what"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	login(t, c)
	err := c.RetrLines(t.Context(), "t.txt", func(string) error { return nil })
	if !errors.Is(err, ftp.ErrUnexpectedReply) {
		t.Errorf("RetrLines with TYPE A 350 = %v, want ErrUnexpectedReply", err)
	}
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Noop after = %v", err)
	}
}

// ftplib sends TYPE before every transfer; the type is remembered here,
// so a raw REIN (which resets it, RFC 959 4.1.1) makes the next transfer
// send TYPE again, and a raw MODE S ends MODE Z.
func TestParityReinAndModeResetState(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second, Compress: true}
	feat := step{Cmd: "FEAT", Reply: "211-Features:\n EPSV\n MODE Z\n211 End"}
	c, _ := dialScript(t, d, script(loginSteps[:3], []step{
		feat,
		{Cmd: "MODE Z", Reply: "200 deflate"},
		{Cmd: "MODE S", Reply: "200 stream"},
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR a", Reply: "150 go", Data: []byte("plain\r\n")},
		{Reply: "226 done"},
		{Cmd: "REIN", Reply: "220 again"},
		{Cmd: "USER anonymous", Reply: "331 password please"},
		{Cmd: "PASS anonymous@", Reply: "230 in"},
		{Cmd: "FEAT", Reply: "211-Features:\n EPSV\n211 End"},
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR a", Reply: "150 go", Data: []byte("again\r\n")},
		{Reply: "226 done"},
	})...)
	login(t, c)
	ctx := t.Context()
	if _, err := c.SendCmd(ctx, "MODE S"); err != nil {
		t.Fatal(err)
	}
	var got []string
	collect := func(l string) error { got = append(got, l); return nil }
	if err := c.RetrLines(ctx, "a", collect); err != nil {
		t.Fatalf("RetrLines after MODE S = %v", err)
	}
	if _, err := c.SendCmd(ctx, "REIN"); err != nil {
		t.Fatal(err)
	}
	login(t, c)
	if err := c.RetrLines(ctx, "a", collect); err != nil {
		t.Fatalf("RetrLines after REIN = %v", err)
	}
	if strings.Join(got, "|") != "plain|again" {
		t.Errorf("lines = %q", got)
	}
}

// ftplib's retrlines strips CRLF or LF; storlines ends every line with
// CRLF, replacing a lone CR or LF at its end. A CR inside a line is data
// here (ftplib's text-mode reader would split the line there).
func TestParityLineEndings(t *testing.T) {
	t.Parallel()
	c, srv := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR t", Reply: "150 go", Data: []byte("a\r\nb\nc\rd\ne\r\r\nlast\r")},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "STOR u", Reply: "150 go", Recv: true},
		{Reply: "226 done"},
	})...)
	login(t, c)
	var got []string
	if err := c.RetrLines(t.Context(), "t", func(l string) error { got = append(got, l); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c\rd", "e\r", "last"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("RetrLines = %q, want %q", got, want)
	}
	if _, err := c.StorLines(t.Context(), "u", strings.NewReader("a\nb\r\nc\r\r\nd\r")); err != nil {
		t.Fatal(err)
	}
	if r := srv.Received(); len(r) != 1 || string(r[0]) != "a\r\nb\r\nc\r\r\nd\r\n" {
		t.Errorf("server received %q", r)
	}
}

// ftplib's getline: a reply line of maxline (8192) bytes with its CRLF is
// read; one byte more is an error (here a *ProtocolError that closes the
// Conn, see TestOversizeReplyLine).
func TestParityReplyLineLimit(t *testing.T) {
	t.Parallel()
	line := "200 " + strings.Repeat("x", 8192-len("200 ")-2)
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "NOOP", Reply: line},
		{Cmd: "NOOP", Reply: line + "x", WriteMayFail: true},
	})...)
	login(t, c)
	if rep, err := c.Noop(t.Context()); err != nil || len(rep.Msg) != 8192-len("200 ")-2 {
		t.Errorf("Noop with an 8192-byte line = %v", err)
	}
	if _, err := c.Noop(t.Context()); !errors.Is(err, ftp.ErrProtocol) {
		t.Errorf("Noop with an 8193-byte line = %v, want ErrProtocol", err)
	}
}

// ftplib's ntransfercmd discards one 2xx before the 1xx of a data command
// and reads the size from a 150 reply ("(N bytes)").
func TestParityTransferPreliminary(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR a", Reply: "200 early\n150 Opening BINARY mode data connection for a (5 bytes)", Data: []byte("hello")},
		{Reply: "226 done"},
	})...)
	login(t, c)
	r, err := c.Retr(t.Context(), "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != 5 {
		t.Errorf("Size() = %d, want 5", r.Size())
	}
	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil || b.String() != "hello" {
		t.Errorf("Close = %v, got %q", err, b.String())
	}
}

// ftplib's quit: QUIT must get a 2xx; the connection is closed here
// whatever the reply (ftplib leaves it open when it raises).
func TestParityQuitRefused(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{{Cmd: "QUIT", Reply: "500 no"}})...)
	login(t, c)
	if err := c.Quit(t.Context()); !errors.Is(err, ftp.ErrPermanent) {
		t.Errorf("Quit = %v, want the 500", err)
	}
	if _, err := c.Noop(t.Context()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop after Quit = %v, want net.ErrClosed", err)
	}
}

// Errors read once: an error wrapping another of this package says "ftp: "
// once, and still matches what it wraps.
func TestParityErrorPrefixOnce(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE a", Reply: "502 no SIZE"},
	})...)
	login(t, c)
	_, err := c.Retr(t.Context(), "a", 10)
	if !errors.Is(err, ftp.ErrResumeUnverified) || !errors.Is(err, ftp.ErrPermanent) {
		t.Fatalf("Retr from 10 = %v, want ErrResumeUnverified and the 502", err)
	}
	if n := strings.Count(err.Error(), "ftp: "); n != 1 || !strings.HasPrefix(err.Error(), "ftp: ") {
		t.Errorf("error %q has %d \"ftp: \" prefixes, want 1 at the start", err, n)
	}
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 502 {
		t.Errorf("errors.As ReplyError = %v", re)
	}
}

// The log records use the exported messages and keys.
func TestParityLogConstants(t *testing.T) {
	t.Parallel()
	h := &recordHandler{}
	d := &ftp.Dialer{Timeout: 5 * time.Second, Logger: slog.New(h)}
	c, _ := dialScript(t, d, script(loginSteps, []step{{Cmd: "NOOP", Reply: "200 fine"}})...)
	login(t, c)
	if _, err := c.Noop(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	var sent, recv, line, closed bool
	for _, r := range h.recs {
		switch r.msg {
		case ftp.LogSend:
			sent = sent || r.attrs[ftp.KeyCmd] == "NOOP"
		case ftp.LogRecv:
			recv = recv || r.attrs[ftp.KeyCode] == "200" && r.attrs[ftp.KeyMsg] == "fine"
		case ftp.LogRecvLine:
			line = line || r.attrs[ftp.KeyLine] == "200 fine"
		case ftp.LogClose:
			closed = true
		}
		if r.attrs[ftp.KeyConn] == "" {
			t.Errorf("record %q without %s", r.msg, ftp.KeyConn)
		}
	}
	if !sent || !recv || !line || !closed {
		t.Errorf("records: send %v, recv %v, recv line %v, close %v", sent, recv, line, closed)
	}
}

type record struct {
	msg   string
	attrs map[string]string
}

type recordHandler struct {
	mu    sync.Mutex
	with  []slog.Attr
	recs  []record
	share *recordHandler
}

func (h *recordHandler) root() *recordHandler {
	if h.share != nil {
		return h.share
	}
	return h
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{}
	for _, a := range h.with {
		m[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	root := h.root()
	root.mu.Lock()
	root.recs = append(root.recs, record{r.Message, m})
	root.mu.Unlock()
	return nil
}

func (h *recordHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &recordHandler{with: append(append([]slog.Attr{}, h.with...), as...), share: h.root()}
}

func (h *recordHandler) WithGroup(string) slog.Handler { return h }

// ftplib's parse227 takes the first six comma-separated numbers anywhere
// in the reply, whatever text comes before them.
func TestParityPASVNumbersAnywhere(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second, DisableEPSV: true}
	c, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "PASV", Reply: "227 Mode 2, port follows: 127,0,0,1,{PORT}."},
		{Cmd: "NLST", Reply: "150 here", Data: []byte("foo\r\n")},
		{Reply: "226 done"},
	})...)
	login(t, c)
	if names, err := c.Nlst(t.Context()); err != nil || len(names) != 1 || names[0] != "foo" {
		t.Errorf("Nlst = %q, %v", names, err)
	}
}
