package ftp_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/scripted"
	"github.com/goftplib/ftp/listing"
)

// Hostile-server scenarios of issue 12, each stated with its expected
// outcome; docs/RELIABILITY.md lists them. Replies real servers cannot be
// made to send come from the scripted server; a few need a server that
// writes on its own schedule (rawServer).

// elapsedWithin fails the test when f takes more than n times the fault
// timeout (plus slack for a loaded machine), and logs the ratio.
func elapsedWithin(t *testing.T, n float64, f func()) {
	t.Helper()
	start := time.Now()
	f()
	el := time.Since(start)
	t.Logf("took %v = %.1f x the %v timeout", el, float64(el)/float64(faultTimeout), faultTimeout)
	if el > time.Duration(n*float64(faultTimeout))+3*time.Second {
		t.Errorf("took %v, bound %.1f x %v", el, n, faultTimeout)
	}
}

// rawServer accepts connections on loopback and runs serve for each, for
// servers that write on their own schedule. It counts connections.
func rawServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) (addr string, conns *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int32)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			wg.Go(func() {
				defer c.Close()
				go func() { <-done; c.Close() }()
				serve(c, bufio.NewReader(c))
			})
		}
	})
	t.Cleanup(func() {
		close(done)
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), conns
}

// Scenario: the server accepts REST, then sends the file from byte 0.
// Expected: a *SizeError (ErrSizeMismatch, not short) naming REST; the
// writer receives no byte beyond the file's size; the Conn stays usable.
func TestHostileRESTIgnored(t *testing.T) {
	t.Parallel()
	content := []byte("0123456789abcdefghij")
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE f", Reply: "213 20"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "REST 10", Reply: "350 restarting at 10"},
		{Cmd: "RETR f", Reply: "150 sending f (20 bytes)", Data: content, DataMayFail: true},
		{Cmd: "ABOR", Reply: "426 aborted\n226 ok"},
		{Cmd: "PWD", Reply: `257 "/"`},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	login(t, c)
	var buf bytes.Buffer
	elapsedWithin(t, 2, func() {
		n, err := c.RetrBinary(t.Context(), "f", &buf, 10)
		var se *ftp.SizeError
		if !errors.As(err, &se) || !errors.Is(err, ftp.ErrSizeMismatch) || errors.Is(err, ftp.ErrShortTransfer) {
			t.Fatalf("RetrBinary with REST ignored = %d, %v; want a SizeError (too long)", n, err)
		}
		if !strings.Contains(err.Error(), "REST") || buf.Len() > 10 || n != int64(buf.Len()) {
			t.Errorf("error %q, %d bytes written (n=%d); want REST named and at most 10 bytes", err, buf.Len(), n)
		}
	})
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Conn unusable: %v", err)
	}
}

// Scenario: REST ignored, downloading into a file (the splice path).
// Expected: the same SizeError; the file holds no byte past the size.
func TestHostileRESTIgnoredIntoFile(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("x"), 300000)
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE f", Reply: "213 300000"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "REST 200000", Reply: "350 restarting"},
		{Cmd: "RETR f", Reply: "150 go", Data: content, DataMayFail: true},
		{Cmd: "ABOR", Reply: "426 aborted\n226 ok"},
		{Cmd: "PWD", Reply: `257 "/"`},
	})...)
	login(t, c)
	f, err := os.Create(filepath.Join(t.TempDir(), "part"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = c.RetrBinary(t.Context(), "f", f, 200000)
	fi, _ := f.Stat()
	if !errors.Is(err, ftp.ErrSizeMismatch) || fi.Size() > 100000 {
		t.Errorf("RetrBinary into a file = %v, file %d bytes; want ErrSizeMismatch and at most 100000 bytes", err, fi.Size())
	}
}

// Scenario: at offset 0 the 150 reply announces 10 bytes and 15 arrive.
// Expected: ErrSizeMismatch (too long as well as too short fails).
func TestHostileTooLongDownload(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), retrScript(
		step{Cmd: "RETR f", Reply: "150 Opening BINARY mode data connection for f (10 bytes)", Data: []byte("0123456789extra"), DataMayFail: true},
		step{Cmd: "ABOR", Reply: "226 done\n226 abort ok"},
		step{Cmd: "PWD", Reply: `257 "/"`},
	)...)
	login(t, c)
	var buf bytes.Buffer
	_, err := c.RetrBinary(t.Context(), "f", &buf, 0)
	if !errors.Is(err, ftp.ErrSizeMismatch) || buf.String() != "0123456789" {
		t.Errorf("RetrBinary = %v, got %q; want ErrSizeMismatch and the 10 announced bytes only", err, buf.String())
	}
}

// Scenario: a resumed download ends before the size SIZE gave.
// Expected: ErrShortTransfer (and ErrSizeMismatch).
func TestHostileResumeShort(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE f", Reply: "213 100"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "REST 50", Reply: "350 ok"},
		{Cmd: "RETR f", Reply: "150 go", Data: bytes.Repeat([]byte("y"), 30)},
		{Reply: "226 done"},
	})...)
	login(t, c)
	_, err := c.RetrBinary(t.Context(), "f", io.Discard, 50)
	if !errors.Is(err, ftp.ErrShortTransfer) || !errors.Is(err, ftp.ErrSizeMismatch) {
		t.Errorf("RetrBinary = %v; want ErrShortTransfer", err)
	}
}

// Scenario: a resume is asked for but the server has no SIZE.
// Expected: ErrResumeUnverified before any data connection; nothing
// written; the Conn usable.
func TestHostileResumeWithoutSize(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE f", Reply: "502 SIZE not implemented"},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	login(t, c)
	var buf bytes.Buffer
	_, err := c.RetrBinary(t.Context(), "f", &buf, 50)
	if !errors.Is(err, ftp.ErrResumeUnverified) || buf.Len() != 0 {
		t.Errorf("RetrBinary = %v, %d bytes; want ErrResumeUnverified and nothing", err, buf.Len())
	}
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Conn unusable: %v", err)
	}
}

// Scenario: "120 ready in 5 minutes", then silence. Expected: Dial fails
// after the inactivity timeout, not never.
func TestHostile120ThenSilence(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, step{Reply: "120 ready in 5 minutes"}, step{Hang: true})
	elapsedWithin(t, 3, func() {
		_, err := faultDialer().Dial(t.Context(), srv.Addr)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Dial = %v; want an inactivity timeout", err)
		}
	})
}

// Scenario: 120 replies without end. Expected: *ProtocolError after 8.
func TestHostile120Forever(t *testing.T) {
	t.Parallel()
	addr, _ := rawServer(t, func(c net.Conn, _ *bufio.Reader) {
		for range 100 {
			if _, err := io.WriteString(c, "120 ready soon\r\n"); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	elapsedWithin(t, 3, func() {
		_, err := faultDialer().Dial(t.Context(), addr)
		if !errors.Is(err, ftp.ErrProtocol) {
			t.Errorf("Dial = %v; want a ProtocolError", err)
		}
	})
}

// serveLogin answers the login and FEAT of a rawServer session, then
// calls then with the next command line.
func serveLogin(c net.Conn, br *bufio.Reader, then func(cmd string)) {
	io.WriteString(c, "220 ready\r\n")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(cmd, "USER"):
			io.WriteString(c, "331 pass\r\n")
		case strings.HasPrefix(cmd, "PASS"):
			io.WriteString(c, "230 in\r\n")
		case cmd == "FEAT":
			io.WriteString(c, "211-Features:\r\n SIZE\r\n211 End\r\n")
		default:
			then(cmd)
			return
		}
	}
}

// Scenario: the server answers a command with a 1xx every 100 ms for ever.
// Expected: DELE (no preliminary reply expected) fails at once with
// ErrUnexpectedReply and the Conn closed; SendCmd gives up after 8
// preliminary replies or one timeout, with a *ProtocolError.
func TestHostilePreliminaryForever(t *testing.T) {
	t.Parallel()
	trickle := func(c net.Conn, br *bufio.Reader) {
		serveLogin(c, br, func(string) {
			for range 100 {
				if _, err := io.WriteString(c, "150 still working\r\n"); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	addr, _ := rawServer(t, trickle)
	dial := func() *ftp.Conn {
		c, err := faultDialer().Dial(t.Context(), addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		login(t, c)
		return c
	}
	c := dial()
	elapsedWithin(t, 1, func() {
		_, err := c.Delete(t.Context(), "f")
		if !errors.Is(err, ftp.ErrUnexpectedReply) {
			t.Errorf("Delete = %v; want ErrUnexpectedReply", err)
		}
	})
	mustBeClosed(t, c)
	c = dial()
	elapsedWithin(t, 1, func() {
		if _, err := c.VoidCmd(t.Context(), "SITE X"); !errors.Is(err, ftp.ErrUnexpectedReply) {
			t.Errorf("VoidCmd = %v; want ErrUnexpectedReply", err)
		}
	})
	c = dial()
	elapsedWithin(t, 3, func() {
		if _, err := c.SendCmd(t.Context(), "SITE X"); !errors.Is(err, ftp.ErrProtocol) {
			t.Errorf("SendCmd = %v; want a ProtocolError", err)
		}
	})
	mustBeClosed(t, c)
}

// Scenario: ABOR answered "500 ABOR not understood" and nothing more.
// Expected: Close returns that refusal at once (not after a grace
// period), and the Conn is back in step (PWD resync) and usable.
func TestHostileAbortRefused(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second}
	c, _ := dialScript(t, d, retrScript(
		step{Cmd: "RETR big", Reply: "150 go"},
		step{Cmd: "ABOR", Reply: "500 ABOR not understood"},
		step{Cmd: "PWD", Reply: "426 transfer aborted\n257 \"/\""},
		step{Cmd: "NOOP", Reply: "200 ok"},
	)...)
	login(t, c)
	r, err := c.Retr(t.Context(), "big", 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = r.Close()
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 500 || re.Cmd != "ABOR" {
		t.Errorf("Close = %v; want the 500 refusal of ABOR", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Close took %v; a refused ABOR must be reported at once", el)
	}
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Conn unusable after a refused ABOR: %v", err)
	}
}

// Scenario: ABOR answered with 426 only (no 226 follows). Expected: Close
// returns at once with no error; the Conn is usable.
func TestHostileAbort426Only(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second}
	c, _ := dialScript(t, d, retrScript(
		step{Cmd: "RETR big", Reply: "150 go"},
		step{Cmd: "ABOR", Reply: "426 aborted"},
		step{Cmd: "PWD", Reply: `257 "/"`},
		step{Cmd: "NOOP", Reply: "200 ok"},
	)...)
	login(t, c)
	r, err := c.Retr(t.Context(), "big", 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := r.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Close took %v", el)
	}
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Conn unusable: %v", err)
	}
}

// Scenario: a URL with a password passed to Dial. Expected: ErrAddrIsURL,
// with no password (nor user, nor host) in the text, nothing dialled.
func TestHostileDialURL(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"ftp://user:s3cret@127.0.0.1/", "ftps://u:s3cret@h:990", "user:s3cret@127.0.0.1:21"} {
		_, err := ftp.Dial(t.Context(), addr)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Dial(%q) = %v; want an error without the password", addr, err)
		}
		if strings.Contains(addr, "://") && !errors.Is(err, ftp.ErrAddrIsURL) {
			t.Errorf("Dial(%q) = %v; want ErrAddrIsURL", addr, err)
		}
	}
}

// Scenario: a wrong password through a Pool. Expected: PASS sent once;
// ErrLoginRefused; the Pool remembers it (no second login), no retry.
func TestHostileWrongPasswordOnce(t *testing.T) {
	t.Parallel()
	var passes atomic.Int32
	addr, conns := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		io.WriteString(c, "220 ready\r\n")
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(line, "USER"):
				io.WriteString(c, "331 pass\r\n")
			case strings.HasPrefix(line, "PASS"):
				passes.Add(1)
				io.WriteString(c, "530 Login incorrect.\r\n")
			default:
				io.WriteString(c, "530 log in first\r\n")
			}
		}
	})
	p := ftp.NewPool(addr, ftp.PoolConfig{Dialer: *faultDialer(), User: "u", Password: "wrong", Retries: 5})
	defer p.Close()
	for range 3 {
		if _, err := p.RetrBinary(t.Context(), "f", io.Discard, 0); !errors.Is(err, ftp.ErrLoginRefused) {
			t.Errorf("RetrBinary = %v; want ErrLoginRefused", err)
		}
	}
	if n, c := passes.Load(), conns.Load(); n != 1 || c != 1 {
		t.Errorf("PASS sent %d times on %d connections; want once", n, c)
	}
}

// Scenario: every connection is greeted with 421. Expected: with Retries
// -1 one connection and an error matching ErrTemporary at once; with
// Retries 2, three connections in all (one budget, no hidden loop).
func TestHostile421GreetingBudget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ retries, conns int32 }{{-1, 1}, {2, 3}} {
		addr, conns := rawServer(t, func(c net.Conn, _ *bufio.Reader) {
			io.WriteString(c, "421 Too many connections\r\n")
		})
		p := ftp.NewPool(addr, ftp.PoolConfig{Dialer: *faultDialer(), Retries: int(tc.retries)})
		elapsedWithin(t, 2*float64(tc.conns), func() {
			if _, err := p.RetrBinary(t.Context(), "f", io.Discard, 0); !errors.Is(err, ftp.ErrTemporary) {
				t.Errorf("Retries %d: RetrBinary = %v; want the 421", tc.retries, err)
			}
		})
		p.Close()
		if n := conns.Load(); n != tc.conns {
			t.Errorf("Retries %d: %d connections; want %d", tc.retries, n, tc.conns)
		}
	}
}

// Scenario: the server goes silent after 150 while the download is spliced
// into a local file. Expected: within one timeout, an inactivity error
// naming the network ("no activity"), matching os.ErrDeadlineExceeded,
// that does not blame the local file; the Conn is closed rather than
// waiting another timeout for a reply to ABOR.
func TestHostileSilenceAfter150IntoFile(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), retrScript(
		step{Cmd: "RETR f", Reply: "150 go"},
		step{Hang: true},
	)...)
	login(t, c)
	f, err := os.Create(filepath.Join(t.TempDir(), ".x.goftp-part"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	elapsedWithin(t, 1.5, func() {
		_, err = c.RetrBinary(t.Context(), "f", f, 0)
	})
	if !errors.Is(err, os.ErrDeadlineExceeded) || !strings.Contains(err.Error(), "no activity") || strings.Contains(err.Error(), "goftp-part") {
		t.Errorf("RetrBinary = %v; want an inactivity error that does not name the local file", err)
	}
}

// Scenario: LIST of a missing directory answered like vsftpd: 150, no
// data, "226 Transfer done (but failed to open directory)". Expected:
// ReadDir fails with fs.ErrNotExist (confirmed by CWD's 550).
func TestHostileListMissingDirVsftpdStyle(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST typo-dir", Reply: "150 Here comes the directory listing.", Data: []byte{}},
		{Reply: "226 Transfer done (but failed to open directory)."},
		{Cmd: "PWD", Reply: `257 "/home/u" is the current directory`},
		{Cmd: "CWD typo-dir", Reply: "550 Failed to change directory."},
		{Cmd: "CDUP", Reply: "250 ok"},
		{Cmd: "PWD", Reply: `257 "/home" is the current directory`},
		{Cmd: "CWD /home/u", Reply: "250 ok"},
	})...)
	login(t, c)
	entries, err := c.ReadDir(t.Context(), "typo-dir")
	if !errors.Is(err, fs.ErrNotExist) || entries != nil {
		t.Errorf("ReadDir = %v, %v; want fs.ErrNotExist", entries, err)
	}
}

// Scenario: an unreadable directory reported with 226 "failed to open
// directory" although it exists. Expected: fs.ErrPermission; the working
// directory restored.
func TestHostileListUnreadableDir(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST locked", Reply: "150 Here comes the directory listing.", Data: []byte{}},
		{Reply: "226 Transfer done (but failed to open directory)."},
		{Cmd: "PWD", Reply: `257 "/home/u"`},
		{Cmd: "CWD locked", Reply: "250 ok"},
		{Cmd: "CDUP", Reply: "250 ok"},
		{Cmd: "PWD", Reply: `257 "/home/u"`},
	})...)
	login(t, c)
	_, err := c.ReadDir(t.Context(), "locked")
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("ReadDir = %v; want fs.ErrPermission", err)
	}
}

// Scenario: a listing cut short: part of the lines, then 426. Expected:
// no entries at all (a partial listing is never acted on) and the 426.
func TestHostileListTruncated(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST d", Reply: "150 listing", Data: []byte("-rw-r--r-- 1 u g 5 Jan 01 2024 a\r\n-rw-r--r-- 1 u g 5 Jan 01 2024 b\r\n")},
		{Reply: "426 Connection closed; transfer aborted."},
	})...)
	login(t, c)
	entries, err := c.ReadDir(t.Context(), "d")
	if !errors.Is(err, ftp.ErrTemporary) || entries != nil {
		t.Errorf("ReadDir = %v, %v; want no entries and the 426", entries, err)
	}
}

// Scenario: a caller stops iterating a listing early. Expected: the
// transfer is aborted and the Conn stays usable.
func TestHostileListSeqBreak(t *testing.T) {
	t.Parallel()
	var lines []byte
	for range 20000 {
		lines = append(lines, "-rw-r--r-- 1 u g 5 Jan 01 2024 some-file-name\r\n"...)
	}
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST d", Reply: "150 listing", Data: lines, DataMayFail: true},
		{Cmd: "ABOR", Reply: "426 aborted\n226 ok"},
		{Cmd: "PWD", Reply: `257 "/"`},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	login(t, c)
	n := 0
	for e, err := range c.ReadDirSeq(t.Context(), "d") {
		if err != nil || e.Type != listing.File {
			t.Fatalf("entry %d: %v, %v", n, e, err)
		}
		if n++; n == 3 {
			break
		}
	}
	if _, err := c.Noop(t.Context()); err != nil {
		t.Errorf("Conn unusable after breaking out of ReadDirSeq: %v", err)
	}
}

// treeServer is a minimal MLSD server whose listing of any directory is
// produced by list(dir): enough for Walk over trees no real server holds.
func treeServer(t *testing.T, list func(dir string) []string) (addr string, listings *atomic.Int32) {
	listings = new(atomic.Int32)
	addr, _ = rawServer(t, func(c net.Conn, br *bufio.Reader) {
		io.WriteString(c, "220 ready\r\n")
		var dl net.Listener
		defer func() {
			if dl != nil {
				dl.Close()
			}
		}()
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			verb, arg, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
			switch verb {
			case "USER":
				io.WriteString(c, "331 pass\r\n")
			case "PASS":
				io.WriteString(c, "230 in\r\n")
			case "FEAT":
				io.WriteString(c, "211-Features:\r\n MLST type*;unique*;\r\n211 End\r\n")
			case "TYPE":
				io.WriteString(c, "200 ok\r\n")
			case "MLST":
				io.WriteString(c, "250-facts\r\n type=dir;unique=root; "+arg+"\r\n250 End\r\n")
			case "EPSV":
				dl, _ = net.Listen("tcp", "127.0.0.1:0")
				_, port, _ := net.SplitHostPort(dl.Addr().String())
				io.WriteString(c, "229 (|||"+port+"|)\r\n")
			case "MLSD":
				listings.Add(1)
				dc, err := dl.Accept()
				dl.Close()
				dl = nil
				if err != nil {
					return
				}
				io.WriteString(c, "150 here\r\n")
				for _, l := range list(arg) {
					io.WriteString(dc, l+"\r\n")
				}
				dc.Close()
				io.WriteString(c, "226 done\r\n")
			case "ABOR":
				io.WriteString(c, "225 no transfer to abort\r\n")
			case "PWD":
				io.WriteString(c, "257 \"/\"\r\n")
			case "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			default:
				io.WriteString(c, "502 no\r\n")
			}
		}
	})
	return addr, listings
}

// Scenario: a listing that nests for ever — every directory holds a
// directory, each with a new unique fact (and, second case, the same
// directory under new names: the same unique fact). Expected: Walk ends
// with ErrTooDeep after MaxWalkDepth levels, or ErrCycle at the first
// repeat, listing a bounded number of directories.
func TestHostileWalkNestsForever(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		unique func(dir string) string
		want   error
	}{
		{"deeper", func(dir string) string { return dir }, ftp.ErrTooDeep},
		{"cycle", func(string) string { return "same" }, ftp.ErrCycle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, listings := treeServer(t, func(dir string) []string {
				return []string{"type=dir;unique=" + tc.unique(dir+"/x") + "; x", "type=file;size=1;unique=f; f"}
			})
			c, err := faultDialer().Dial(t.Context(), addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			login(t, c)
			var seen error
			err = c.Walk(t.Context(), "top", func(p string, e listing.Entry, err error) error {
				if err != nil {
					seen = err
					return fs.SkipDir
				}
				return nil
			})
			if err != nil || !errors.Is(seen, tc.want) {
				t.Errorf("Walk = %v, error passed to fn %v; want %v", err, seen, tc.want)
			}
			if n := listings.Load(); n > ftp.MaxWalkDepth+1 {
				t.Errorf("%d listings; want at most %d", n, ftp.MaxWalkDepth+1)
			}
		})
	}
}

// Scenario: a listing longer than the bound. Expected: ReadDir fails
// with ErrListingTooLarge (memory stays bounded); ReadDirSeq, which
// holds nothing, streams it all.
func TestHostileListingTooLarge(t *testing.T) {
	t.Parallel()
	lines := make([]string, 5000)
	for i := range lines {
		lines[i] = "type=file;size=1; f" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
	}
	addr, _ := treeServer(t, func(string) []string { return lines })
	d := faultDialer()
	d.MaxListEntries = 1000
	c, err := d.Dial(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	login(t, c)
	if _, err := c.ReadDir(t.Context(), "big"); !errors.Is(err, ftp.ErrListingTooLarge) {
		t.Errorf("ReadDir = %v; want ErrListingTooLarge", err)
	}
	n := 0
	for _, err := range c.ReadDirSeq(t.Context(), "big") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(lines) {
		t.Errorf("ReadDirSeq gave %d entries, want %d", n, len(lines))
	}
}

// Scenario: malformed URLs carrying a password. Expected: ParseURL's
// errors never contain the password.
func TestHostileURLErrorsHidePassword(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"ftp://user:s3cret@[::1/x", "ftp://user:s3cret@host:99999/", "ftp://user:s3cret@ho st/",
		"ftp://user:s3cret@host/a%zz", "ftp://user:s3cret@host/a\r\nDELE x", "ftp://user:s3cret@/x",
		"ftp://user:s3cret@h\x00/", "gopher://user:s3cret@host/", "ftp://user:s3cret@hôst/",
	} {
		_, err := ftp.ParseURL(raw)
		if err == nil {
			t.Errorf("ParseURL(%q) = nil error", raw)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ParseURL(%q) error shows the password: %v", raw, err)
		}
	}
}

// Scenario: a resumed upload to a server that accepts REST but writes the
// bytes from 0 (the remote file ends up holding only the tail).
// Expected: a *SizeError from the SIZE check after the upload.
func TestHostileUploadRESTIgnored(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE up", Reply: "213 4000"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "REST 4000", Reply: "350 ok"},
		{Cmd: "STOR up", Reply: "150 go", Recv: true},
		{Reply: "226 done"},
		{Cmd: "SIZE up", Reply: "213 6000"},
	})...)
	login(t, c)
	_, err := c.StorBinary(t.Context(), "up", bytes.NewReader(make([]byte, 6000)), 4000)
	if !errors.Is(err, ftp.ErrSizeMismatch) {
		t.Errorf("StorBinary = %v; want ErrSizeMismatch", err)
	}
}

// Scenario: a resumed upload to a server without SIZE. Expected:
// ErrResumeUnverified and no data connection.
func TestHostileUploadResumeWithoutSize(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, faultDialer(), script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE up", Reply: "500 unknown command"},
	})...)
	login(t, c)
	if _, err := c.StorBinary(t.Context(), "up", bytes.NewReader(make([]byte, 10)), 4); !errors.Is(err, ftp.ErrResumeUnverified) {
		t.Errorf("StorBinary = %v; want ErrResumeUnverified", err)
	}
}

// Scenario: every data connection is cut after 3000 bytes although the
// server answers 226 (the 150 reply gives the size). Expected: the Pool
// resumes (SIZE, REST) until the file is complete, byte-identical.
func TestHostileShortTransferResumed(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("abcdefghij"), 700)
	srv := scripted.New(t, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR f", Reply: "150 Opening BINARY mode data connection for f (7000 bytes)", Data: content[:3000]},
		{Reply: "226 done"},
		{Cmd: "SIZE f", Reply: "213 7000"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "REST 3000", Reply: "350 ok"},
		{Cmd: "RETR f", Reply: "150 go", Data: content[3000:6000]},
		{Reply: "226 done"},
		{Cmd: "SIZE f", Reply: "213 7000"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "REST 6000", Reply: "350 ok"},
		{Cmd: "RETR f", Reply: "150 go", Data: content[6000:]},
		{Reply: "226 done"},
		{Cmd: "QUIT", Reply: "221 bye"},
	})...)
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *faultDialer(), MaxConns: 1})
	var got bytes.Buffer
	n, err := p.RetrBinary(t.Context(), "f", &got, 0)
	if err != nil || n != 7000 || !bytes.Equal(got.Bytes(), content) {
		t.Errorf("RetrBinary = %d, %v; identical %v", n, err, bytes.Equal(got.Bytes(), content))
	}
	p.Close()
}

// Scenario: a server-to-server copy whose source refuses RETR (550)
// after the target accepted STOR. Expected: the 550 at once and the
// target's STOR aborted, not a wait of a whole timeout for data that
// will never come; both Conns usable.
func TestHostileFXPSourceRefuses(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second}
	src, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "RETR f", Reply: "550 no such file"},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	dst, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "EPRT *", Reply: "200 ok"},
		{Cmd: "STOR g", Reply: "150 waiting for data"},
		{Cmd: "ABOR", Reply: "426 aborted\n226 ok"},
		{Cmd: "PWD", Reply: `257 "/"`},
		{Cmd: "NOOP", Reply: "200 ok"},
	})...)
	login(t, src)
	login(t, dst)
	start := time.Now()
	err := ftp.FXP(t.Context(), src, "f", dst, "g")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("FXP = %v; want the source's 550", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("FXP took %v; the target must be aborted, not waited for", el)
	}
	for _, c := range []*ftp.Conn{src, dst} {
		if _, err := c.Noop(t.Context()); err != nil {
			t.Errorf("Conn unusable after the refused copy: %v", err)
		}
	}
}
