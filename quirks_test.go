package ftp_test

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
)

// Quirky-server scenarios of issue 14: servers that advertise MLST but
// whose MLSD or MLST does not work are listed with LIST without any
// setting, and Dialer.DisableMLSD skips MLSD and MLST altogether.

// mlstLogin is a login whose FEAT advertises MLST.
var mlstLogin = []step{
	{Reply: "220 ready"},
	{Cmd: "USER anonymous", Reply: "331 password please"},
	{Cmd: "PASS anonymous@", Reply: "230 in"},
	{Cmd: "FEAT", Reply: "211-Features:\n EPSV\n MLST type*;size*;modify*;\n SIZE\n211 End"},
}

const unixLines = "-rw-r--r--   1 ftp ftp  12 Jan  2 12:34 a.txt\r\ndrwxr-xr-x   2 ftp ftp 4096 Jan  2 12:34 sub\r\n"

func checkUnixEntries(t *testing.T, what string, entries []listing.Entry, err error) {
	t.Helper()
	if err != nil || len(entries) != 2 || entries[0].Name != "a.txt" || entries[0].Size != 12 || entries[1].Type != listing.Dir {
		t.Errorf("%s = %+v, %v; want a.txt (12 bytes) and sub/", what, entries, err)
	}
}

// Scenario: FEAT advertises MLST but MLSD answers "500 unknown command".
// Expected: ReadDir lists with LIST, and the next ReadDir goes straight to
// LIST (remembered for the session).
func TestQuirkMLSDRefusedFallsBackToLIST(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"500", "502"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			c, _ := dialScript(t, nil, script(mlstLogin, []step{
				{Cmd: "TYPE A", Reply: "200 ascii"},
				{Cmd: "EPSV", Reply: "229 ({EPSV})"},
				{Cmd: "MLSD", Reply: code + " MLSD not understood"},
				{Cmd: "EPSV", Reply: "229 ({EPSV})"},
				{Cmd: "LIST", Reply: "150 here", Data: []byte(unixLines)},
				{Reply: "226 done"},
				{Cmd: "EPSV", Reply: "229 ({EPSV})"},
				{Cmd: "LIST", Reply: "150 here", Data: []byte(unixLines)},
				{Reply: "226 done"},
			})...)
			login(t, c)
			entries, err := c.ReadDir(t.Context(), "")
			checkUnixEntries(t, "ReadDir after MLSD "+code, entries, err)
			entries, err = c.ReadDir(t.Context(), "")
			checkUnixEntries(t, "second ReadDir", entries, err)
		})
	}
}

// Scenario: MLSD answers 150/226 but every line is garbage (a server
// sending LIST output for MLSD). Expected: the listing is redone with
// LIST, no ParseError reaches the caller, and LIST is used from then on.
func TestQuirkMLSDGarbageFallsBackToLIST(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(mlstLogin, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "MLSD d", Reply: "150 here", Data: []byte(unixLines)},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST d", Reply: "150 here", Data: []byte(unixLines)},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST d", Reply: "150 here", Data: []byte(unixLines)},
		{Reply: "226 done"},
	})...)
	login(t, c)
	entries, err := c.ReadDir(t.Context(), "d")
	checkUnixEntries(t, "ReadDir after garbage MLSD", entries, err)
	entries, err = c.ReadDir(t.Context(), "d")
	checkUnixEntries(t, "second ReadDir", entries, err)
}

// Scenario: an endless MLSD listing of garbage. Expected: after
// mlsdProbeLines unparsable lines the transfer is aborted and the
// directory listed with LIST.
func TestQuirkMLSDEndlessGarbage(t *testing.T) {
	t.Parallel()
	garbage := strings.Repeat("this is not an MLSD line\r\n", 5000)
	c, _ := dialScript(t, nil, script(mlstLogin, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "MLSD", Reply: "150 here", Data: []byte(garbage), DataMayFail: true},
		{Cmd: "ABOR", Reply: "426 aborted\n226 ok"},
		{Cmd: "PWD", Reply: `257 "/"`},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST", Reply: "150 here", Data: []byte(unixLines)},
		{Reply: "226 done"},
	})...)
	login(t, c)
	entries, err := c.ReadDir(t.Context(), "")
	checkUnixEntries(t, "ReadDir after endless garbage", entries, err)
}

// Scenario: MLSD sends good lines and one bad line. Expected: no
// fallback; the entries that parsed and one *listing.ParseError, in the
// order the lines came (the bad line held back until a good one arrived).
func TestQuirkMLSDOneBadLineKept(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(mlstLogin, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "MLSD", Reply: "150 here", Data: []byte("broken\r\ntype=file;size=3; a\r\n")},
		{Reply: "226 done"},
	})...)
	login(t, c)
	var got []string
	for e, err := range c.ReadDirSeq(t.Context(), "") {
		var pe *listing.ParseError
		switch {
		case errors.As(err, &pe):
			got = append(got, "err:"+pe.Raw)
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, e.Name)
		}
	}
	if strings.Join(got, ",") != "err:broken,a" {
		t.Errorf("ReadDirSeq = %q, want the bad line then a", got)
	}
}

// Scenario: MLST (advertised) answers 502 to Stat. Expected: Stat reads
// the parent's listing instead (with MLSD, which may still work), and
// later Stats skip MLST.
func TestQuirkMLSTRefusedStatListsParent(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(mlstLogin, []step{
		{Cmd: "MLST d/a.txt", Reply: "502 no MLST here"},
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "MLSD d", Reply: "150 here", Data: []byte("type=file;size=12; a.txt\r\n")},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "MLSD d", Reply: "150 here", Data: []byte("type=file;size=12; a.txt\r\n")},
		{Reply: "226 done"},
	})...)
	login(t, c)
	for i := range 2 {
		e, err := c.Stat(t.Context(), "d/a.txt")
		if err != nil || e.Name != "a.txt" || e.Size != 12 {
			t.Errorf("Stat %d = %+v, %v", i, e, err)
		}
	}
}

// Scenario: MLST answers 250 with a facts line that does not parse.
// Expected: Stat reads the parent's listing; a missing name is
// fs.ErrNotExist.
func TestQuirkMLSTGarbageStatListsParent(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, nil, script(mlstLogin, []step{
		{Cmd: "MLST b", Reply: "250-Listing b\n garbage\n250 End"},
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "MLSD", Reply: "150 here", Data: []byte("type=file;size=12; a.txt\r\n")},
		{Reply: "226 done"},
	})...)
	login(t, c)
	_, err := c.Stat(t.Context(), "b")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat b = %v, want fs.ErrNotExist from the listing", err)
	}
}

// Scenario: Dialer.DisableMLSD with a server advertising MLST. Expected:
// ReadDir sends LIST, Stat lists the parent with LIST, an empty listing of
// a named directory is confirmed with CWD (not MLST).
func TestQuirkDisableMLSD(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, &ftp.Dialer{DisableMLSD: true}, script(mlstLogin, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST", Reply: "150 here", Data: []byte(unixLines)},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST", Reply: "150 here", Data: []byte(unixLines)},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST empty", Reply: "150 here", Data: []byte{}},
		{Reply: "226 done"},
		{Cmd: "PWD", Reply: `257 "/"`},
		{Cmd: "CWD empty", Reply: "250 ok"},
		{Cmd: "CDUP", Reply: "250 ok"},
		{Cmd: "PWD", Reply: `257 "/"`},
	})...)
	login(t, c)
	entries, err := c.ReadDir(t.Context(), "")
	checkUnixEntries(t, "ReadDir with DisableMLSD", entries, err)
	e, err := c.Stat(t.Context(), "sub")
	if err != nil || e.Type != listing.Dir {
		t.Errorf("Stat sub = %+v, %v", e, err)
	}
	entries, err = c.ReadDir(t.Context(), "empty")
	if err != nil || len(entries) != 0 {
		t.Errorf("ReadDir empty = %+v, %v", entries, err)
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger and a test to share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Scenario: active mode behind NAT with an advertised host name and a
// port range. Expected: EPRT names the advertised address (resolved) and
// a port in the range, on which the client listens; the listing arrives.
func TestQuirkActiveAddrAndPorts(t *testing.T) {
	t.Parallel()
	var log lockedBuffer
	d := &ftp.Dialer{Timeout: 5 * time.Second, Active: true, ActiveAddr: "localhost", ActivePortMin: 41000, ActivePortMax: 41999,
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	c, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPRT |1|127.0.0.1|*", Reply: "200 ok"},
		{Cmd: "LIST", Reply: "150 here", Data: []byte(unixLines)},
		{Reply: "226 done"},
	})...)
	login(t, c)
	entries, err := c.ReadDir(t.Context(), "")
	checkUnixEntries(t, "active ReadDir", entries, err)
	m := regexp.MustCompile(`EPRT \|1\|127\.0\.0\.1\|(\d+)\|`).FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("no EPRT in the log:\n%s", log.String())
	}
	if p, _ := strconv.Atoi(m[1]); p < 41000 || p > 41999 {
		t.Errorf("EPRT port %d, want 41000-41999", p)
	}
}

// Scenario: active mode with an advertised public address, PORT only
// (DisableEPSV). Expected: PORT carries that address, not the local one.
func TestQuirkActiveAddrInPORT(t *testing.T) {
	t.Parallel()
	d := &ftp.Dialer{Timeout: 5 * time.Second, Active: true, DisableEPSV: true, ActiveAddr: "203.0.113.7"}
	c, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "PORT 203,0,113,7,*", Reply: "500 not from here"},
	})...)
	login(t, c)
	var re *ftp.ReplyError
	if _, err := c.ReadDir(t.Context(), ""); !errors.As(err, &re) || re.Code != 500 || !strings.HasPrefix(re.Cmd, "PORT 203,0,113,7,") {
		t.Errorf("ReadDir = %v, want the 500 to PORT 203,0,113,7,…", err)
	}
}

// Scenario: every port of the active range is taken. Expected: a clear
// error naming the range, nothing sent; a bad range fails Dial.
func TestQuirkActivePortsBusy(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	p := busy.Addr().(*net.TCPAddr).Port
	d := &ftp.Dialer{Timeout: 5 * time.Second, Active: true, ActivePortMin: p, ActivePortMax: p}
	c, _ := dialScript(t, d, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
	})...)
	login(t, c)
	if _, err := c.ReadDir(t.Context(), ""); err == nil || !strings.Contains(err.Error(), "ActivePortMin-ActivePortMax") {
		t.Errorf("ReadDir with the only port busy = %v", err)
	}
	if _, err := (&ftp.Dialer{ActivePortMin: 2000, ActivePortMax: 1000}).Dial(t.Context(), "127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "bad port range") {
		t.Errorf("Dial with range 2000-1000 = %v", err)
	}
}

// Scenario: Dialer.ListHidden with a server that takes "-a dir" for one
// path (pyftpdlib: 550). Expected: "LIST dir" lists it, and later
// listings of named directories go without "-a"; the working directory
// is still listed with "LIST -a".
func TestQuirkListHiddenRefused(t *testing.T) {
	t.Parallel()
	c, _ := dialScript(t, &ftp.Dialer{ListHidden: true}, script(loginSteps, []step{
		{Cmd: "TYPE A", Reply: "200 ascii"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST -a d", Reply: "550 No such file or directory."},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST d", Reply: "150 here", Data: []byte(unixLines)},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST d", Reply: "150 here", Data: []byte(unixLines)},
		{Reply: "226 done"},
		{Cmd: "EPSV", Reply: "229 ({EPSV})"},
		{Cmd: "LIST -a", Reply: "150 here", Data: []byte(unixLines)},
		{Reply: "226 done"},
	})...)
	login(t, c)
	for _, dir := range []string{"d", "d", ""} {
		entries, err := c.ReadDir(t.Context(), dir)
		checkUnixEntries(t, "ReadDir "+dir, entries, err)
	}
}
