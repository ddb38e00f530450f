package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.uber.org/goleak"

	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/internal/refusing"
	"github.com/goftplib/ftp/internal/scripted"
)

// These tests check the exit status of each failure class (see exitCodes),
// end to end through run, against the scripted server, a counting fake
// server, ftptest, and addresses where nothing listens.

// scriptedNetrc writes a .netrc with the scripted server's credentials
// (user, secret) and returns its path.
func scriptedNetrc(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(p, []byte("machine 127.0.0.1 login user password secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// timedRun runs goftp with ctx and reports how long it took.
func timedRun(ctx context.Context, args ...string) (result, time.Duration) {
	start := time.Now()
	r := runCtx(ctx, "", args...)
	return r, time.Since(start)
}

// sized is the start of a download whose SIZE is size.
func sized(name string, size string) []scripted.Step {
	return []scripted.Step{
		{Cmd: "TYPE I", Reply: "200 binary"},
		{Cmd: "SIZE " + name, Reply: "213 " + size},
		{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
	}
}

// TestRetriesZeroSilentServer: a server that goes silent after 150, with
// --timeout 3s --retries 0, fails after about one timeout (no retry),
// with an error that blames the network, not the local file.
func TestRetriesZeroSilentServer(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, script(
		login("SIZE"),
		sized("dir/x.bin", "100"),
		[]scripted.Step{
			{Cmd: "RETR dir/x.bin", Reply: "150 Opening BINARY mode data connection (100 bytes)"},
			{Hang: true},
		},
	)...)
	target := t.TempDir()
	r, took := timedRun(t.Context(), "--netrc", scriptedNetrc(t), "--timeout", "3s", "--retries", "0",
		"get", "-o", target+"/", "ftp://user@"+srv.Addr+"/dir/x.bin")
	t.Logf("took %v; stderr:\n%s", took, r.stderr)
	r.want(t, exitTimeout, nil, []string{"RETR dir/x.bin", "no activity for 3s"})
	if strings.Contains(r.stderr, "goftp-part") || strings.Contains(r.stderr, "write ") {
		t.Errorf("the error blames the local file:\n%s", r.stderr)
	}
	if took > 12*time.Second {
		t.Errorf("get took %v, want less than 4 x --timeout (12s): it was retried", took)
	}
	if _, err := os.Stat(filepath.Join(target, "x.bin")); err == nil {
		t.Errorf("x.bin was installed")
	}
}

// TestRetriesZeroNoReconnect: a control connection dropped at the end of
// a transfer (data complete, no 226) is not silently reconnected with
// --retries 0. A reconnection would wait --timeout (10s) for a greeting
// from the scripted server, which serves one connection only.
func TestRetriesZeroNoReconnect(t *testing.T) {
	t.Parallel()
	srv := scripted.New(t, script(
		login("SIZE"),
		sized("dir/x.bin", "5"),
		[]scripted.Step{{Cmd: "RETR dir/x.bin", Reply: "150 here it comes", Data: []byte("hello"), Close: true}},
	)...)
	target := t.TempDir()
	r, took := timedRun(t.Context(), "--netrc", scriptedNetrc(t), "--timeout", "10s", "--retries", "0",
		"get", "-o", target+"/", "ftp://user@"+srv.Addr+"/dir/x.bin")
	t.Logf("took %v; stderr:\n%s", took, r.stderr)
	r.want(t, exitTransfer, nil, []string{"RETR dir/x.bin"})
	if took > 5*time.Second {
		t.Errorf("get took %v: the dropped connection was reconnected", took)
	}
	if _, err := os.Stat(filepath.Join(target, "x.bin")); err == nil {
		t.Errorf("x.bin was installed without the server's 226")
	}
}

// loginCounter is a fake FTP server for many connections that refuses
// every login with 530 and counts the connections and PASS commands.
type loginCounter struct {
	addr        string
	mu          sync.Mutex
	conns, pass int
	wg          sync.WaitGroup
}

func newLoginCounter(t *testing.T) *loginCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &loginCounter{addr: ln.Addr().String()}
	var open sync.Map
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			open.Store(c, true)
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			s.wg.Go(func() { s.serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		open.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		s.wg.Wait()
	})
	return s
}

func (s *loginCounter) serve(c net.Conn) {
	defer c.Close()
	c.Write([]byte("220 counter ready\r\n"))
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch strings.ToUpper(verb) {
		case "USER":
			c.Write([]byte("331 password please\r\n"))
		case "PASS":
			s.mu.Lock()
			s.pass++
			s.mu.Unlock()
			c.Write([]byte("530 Login incorrect.\r\n"))
		case "QUIT":
			c.Write([]byte("221 bye\r\n"))
			return
		default:
			c.Write([]byte("530 Please login with USER and PASS.\r\n"))
		}
	}
}

func (s *loginCounter) counts() (conns, pass int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, s.pass
}

// TestWrongPasswordOnce: get with a wrong password sends PASS once (the
// pool remembers the refusal) and exits with the login-refused status.
func TestWrongPasswordOnce(t *testing.T) {
	t.Parallel()
	for _, cmd := range [][]string{{"get", "-o", "DIR/"}, {"cat"}, {"ls"}, {"--retries", "5", "get", "-o", "DIR/"}} {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			t.Parallel()
			srv := newLoginCounter(t)
			netrc := filepath.Join(t.TempDir(), "netrc")
			os.WriteFile(netrc, []byte("machine 127.0.0.1 login user password wrong\n"), 0o600)
			dir := t.TempDir()
			args := []string{"--netrc", netrc}
			for _, a := range cmd {
				args = append(args, strings.ReplaceAll(a, "DIR", dir))
			}
			r := runGoftp(t, "", append(args, "ftp://user@"+srv.addr+"/x.bin")...)
			r.want(t, exitLogin, nil, []string{"530 Login incorrect."})
			if conns, pass := srv.counts(); pass != 1 || conns != 1 {
				t.Errorf("%d connections, %d PASS commands; want 1 and 1", conns, pass)
			}
		})
	}
}

// TestNoPasswordPrinted: no error path prints the password of the URL,
// with or without -v.
func TestNoPasswordPrinted(t *testing.T) {
	t.Parallel()
	const pw = "Sup3rSecretPw"
	counter := newLoginCounter(t)
	tlsEnv := newEnv(t, ftptest.Options{TLS: ftptest.TLSExplicit})
	tlsAddr := strings.TrimPrefix(tlsEnv.base, "ftpes://user@")
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"530", []string{"get", "-o", "DIR/", "ftp://user:" + pw + "@" + counter.addr + "/x.bin"}, exitLogin},
		{"530 -v", []string{"-v", "cat", "ftp://user:" + pw + "@" + counter.addr + "/x.bin"}, exitLogin},
		{"refused", []string{"get", "-o", "DIR/", "ftp://user:" + pw + "@" + refusing.Addr(t) + "/x.bin"}, exitConnect},
		{"refused -v", []string{"-vv", "ls", "ftp://user:" + pw + "@" + refusing.Addr(t) + "/"}, exitConnect},
		{"bad port", []string{"ls", "ftp://user:" + pw + "@host:99999999/"}, exitUsage},
		{"bad escape", []string{"ls", "ftp://user:" + pw + "%zz@host/"}, exitUsage},
		{"directory given to get", []string{"get", "ftp://user:" + pw + "@" + counter.addr + "/"}, exitUsage},
		{"unknown host", []string{"--timeout", "5s", "cat", "ftp://user:" + pw + "@host.invalid/x.bin"}, exitConnect},
		{"untrusted certificate", []string{"get", "-o", "DIR/", "ftpes://user:" + pw + "@" + tlsAddr + "/hello.txt"}, exitTLS},
		{"untrusted certificate -v", []string{"-v", "ls", "ftpes://user:" + pw + "@" + tlsAddr + "/"}, exitTLS},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var args []string
			for _, a := range c.args {
				args = append(args, strings.ReplaceAll(a, "DIR", dir))
			}
			r := runGoftp(t, "", args...)
			t.Logf("stderr:\n%s", r.stderr)
			r.want(t, c.code, nil, nil)
			if strings.Contains(r.stdout+r.stderr, pw) {
				t.Errorf("the password was printed:\nstdout: %q\nstderr: %q", r.stdout, r.stderr)
			}
		})
	}
}

// TestServerTextEscaped: a reply carrying terminal escapes (OSC title,
// clear screen, BEL, NUL, CR, a C1 CSI) reaches stderr escaped, in the
// error and in the -v dialogue.
func TestServerTextEscaped(t *testing.T) {
	t.Parallel()
	const nasty = "550 no\x1b]0;pwned\x07\x1b[2J\x00\rforged \xc2\x9b31m\x7f end"
	for _, verbose := range []string{"", "-v", "-vv"} {
		name := map[string]string{"": "error", "-v": "-v", "-vv": "-vv"}[verbose]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := scripted.New(t, script(
				login("SIZE"),
				[]scripted.Step{
					{Cmd: "TYPE I", Reply: "200 binary"},
					{Cmd: "SIZE dir/x.bin", Raw: []byte(nasty + "\r\n")},
					{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
					{Cmd: "RETR dir/x.bin", Raw: []byte("550-first\x1b[31m\r\n" + nasty + "\r\n")},
					quit,
				},
			)...)
			args := []string{"--netrc", scriptedNetrc(t)}
			if verbose != "" {
				args = append(args, verbose)
			}
			r := runGoftp(t, "", append(args, "get", "-o", t.TempDir()+"/", "ftp://user@"+srv.Addr+"/dir/x.bin")...)
			srv.Wait()
			r.want(t, exitNotFound, nil, []string{`no\x1b]0;pwned\x07\x1b[2J\x00\x0dforged \u009b31m\x7f end`})
			checkEscaped(t, r.stderr)
			if verbose != "" && !strings.Contains(r.stderr, `< 550 no\x1b]0;pwned`) {
				t.Errorf("the %s dialogue does not show the escaped reply:\n%s", verbose, r.stderr)
			}
		})
	}
}

// TestServerNameEscaped: a file name from the server (a get glob) with
// terminal escapes is shown escaped in the progress line.
func TestServerNameEscaped(t *testing.T) {
	t.Parallel()
	const name = "e\x1b]0;t\x07vil.txt"
	srv := scripted.New(t, script(
		login("SIZE"),
		listingSteps("NLST", "dir", "dir/"+name),
		[]scripted.Step{
			{Cmd: "TYPE I", Reply: "200 binary"},
			{Cmd: "SIZE dir/" + name, Reply: "213 5"},
			{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
			{Cmd: "RETR dir/" + name, Reply: "150 here it comes", Data: []byte("hello")},
			{Reply: "226 done"},
			quit,
		},
	)...)
	target := t.TempDir()
	r := runGoftp(t, "", "--netrc", scriptedNetrc(t), "get", "-o", target+"/", "ftp://user@"+srv.Addr+"/dir/*.txt")
	srv.Wait()
	r.want(t, 0, nil, []string{`dir/e\x1b]0;t\x07vil.txt  5 B in `})
	checkEscaped(t, r.stdout+r.stderr)
}

// checkEscaped fails the test if out holds a control character other
// than newline: C0, DEL or C1.
func checkEscaped(t *testing.T, out string) {
	t.Helper()
	for i, r := range out {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == utf8.RuneError {
			t.Errorf("control character %U at byte %d of the output:\n%q", r, i, out)
			return
		}
	}
}

// TestExitCodes checks each failure class end to end.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ftptest.Options{})
	tlsEnv := newEnv(t, ftptest.Options{TLS: ftptest.TLSImplicit})
	t.Run("usage", func(t *testing.T) {
		t.Parallel()
		runGoftp(t, "", "get").want(t, exitUsage, nil, []string{"get needs at least one URL"})
		runGoftp(t, "", "--retries", "x", "ls", "ftp://h/").want(t, exitUsage, nil, nil)
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		runGoftp(t, "", "ls", "ftp://"+refusing.Addr(t)+"/").want(t, exitConnect, nil, []string{"connection refused"})
	})
	t.Run("421 greeting", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, scripted.Step{Reply: "421 Too many connections", Close: true})
		runGoftp(t, "", "cat", "ftp://"+srv.Addr+"/x").want(t, exitConnect, nil, []string{"421 Too many connections"})
	})
	t.Run("421 to PASS", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t,
			scripted.Step{Reply: "220 ready"},
			scripted.Step{Cmd: "USER user", Reply: "331 password please"},
			scripted.Step{Cmd: "PASS secret", Reply: "421 Too many connections from your address", Close: true},
		)
		runGoftp(t, "", "--netrc", scriptedNetrc(t), "cat", "ftp://user@"+srv.Addr+"/x").
			want(t, exitConnect, nil, []string{"421 Too many connections"})
	})
	t.Run("421 to RETR", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, script(
			login("SIZE"),
			sized("dir/x.bin", "5"),
			[]scripted.Step{{Cmd: "RETR dir/x.bin", Reply: "421 Timeout.", Close: true}},
		)...)
		r := runGoftp(t, "", "--netrc", scriptedNetrc(t), "--retries", "0", "get", "-o", t.TempDir()+"/", "ftp://user@"+srv.Addr+"/dir/x.bin")
		srv.Wait()
		r.want(t, exitTransfer, nil, []string{"RETR dir/x.bin: 421 Timeout."})
	})
	t.Run("no greeting", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, scripted.Step{Hang: true})
		r, took := timedRun(t.Context(), "--timeout", "2s", "ls", "ftp://"+srv.Addr+"/")
		r.want(t, exitTimeout, nil, []string{"no activity for 2s"})
		if took > 8*time.Second {
			t.Errorf("took %v, want less than 4 x --timeout", took)
		}
	})
	t.Run("data connection refused", func(t *testing.T) {
		t.Parallel()
		_, port, _ := net.SplitHostPort(refusing.Addr(t))
		srv := scripted.New(t, script(
			login("SIZE"),
			[]scripted.Step{
				{Cmd: "TYPE I", Reply: "200 binary"},
				{Cmd: "SIZE dir/x.bin", Reply: "213 5"},
				{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode (|||" + port + "|)"},
				quit,
			},
		)...)
		r := runGoftp(t, "", "--netrc", scriptedNetrc(t), "--retries", "0", "get", "-o", t.TempDir()+"/", "ftp://user@"+srv.Addr+"/dir/x.bin")
		srv.Wait()
		r.want(t, exitTransfer, nil, []string{"data connection", "connection refused"})
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		r := tlsEnv.run(t, "cat", tlsEnv.url("hello.txt"))
		r.want(t, exitTLS, nil, []string{"certificate"})
		if r.stdout != "" {
			t.Errorf("stdout = %q, want nothing", r.stdout)
		}
	})
	t.Run("TLS not offered", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t,
			scripted.Step{Reply: "220 plain only"},
			scripted.Step{Cmd: "AUTH TLS", Reply: "500 AUTH not understood"},
		)
		runGoftp(t, "", "--netrc", scriptedNetrc(t), "ls", "ftpes://user@"+srv.Addr+"/").
			want(t, exitTLS, nil, []string{"AUTH TLS: 500"})
	})
	t.Run("not found", func(t *testing.T) {
		t.Parallel()
		e.run(t, "get", "-o", t.TempDir()+"/", e.url("nope.txt")).want(t, exitNotFound, nil, []string{"RETR nope.txt: 550"})
		e.run(t, "cat", e.url("nope.txt")).want(t, exitNotFound, nil, []string{"550"})
		e.run(t, "put", filepath.Join(t.TempDir(), "missing.txt"), e.url("pub/")).want(t, exitNotFound, nil, []string{"missing.txt"})
	})
	t.Run("short transfer", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, script(
			login("SIZE"),
			sized("dir/x.bin", "10"),
			[]scripted.Step{
				{Cmd: "RETR dir/x.bin", Reply: "150 here it comes", Data: []byte("hello")},
				{Reply: "226 done"},
				quit,
			},
		)...)
		target := t.TempDir()
		r := runGoftp(t, "", "--netrc", scriptedNetrc(t), "--retries", "0", "get", "-o", target+"/", "ftp://user@"+srv.Addr+"/dir/x.bin")
		srv.Wait()
		r.want(t, exitTransfer, nil, []string{"RETR dir/x.bin"})
		if _, err := os.Stat(filepath.Join(target, "x.bin")); err == nil {
			t.Errorf("the short file was installed")
		}
	})
	t.Run("several failures: the most serious", func(t *testing.T) {
		t.Parallel()
		// a.bin is missing (not found), b.bin arrives short (transfer):
		// the transfer failure is the more serious.
		srv := scripted.New(t, script(
			login("SIZE"),
			[]scripted.Step{
				{Cmd: "TYPE I", Reply: "200 binary"},
				// The sizes of the files named, asked together.
				{Cmd: "SIZE dir/a.bin"},
				{Cmd: "SIZE dir/b.bin", Reply: "550 No such file\n213 10"},
				// Then each (a batch of one saves nothing).
				{Cmd: "SIZE dir/a.bin", Reply: "550 No such file"},
				{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
				{Cmd: "RETR dir/a.bin", Reply: "550 No such file"},
				{Cmd: "SIZE dir/b.bin", Reply: "213 10"},
				{Cmd: "EPSV", Reply: "229 Entering Extended Passive Mode ({EPSV})"},
				{Cmd: "RETR dir/b.bin", Reply: "150 here it comes", Data: []byte("hello")},
				{Reply: "226 done"},
				quit,
			},
		)...)
		base := "ftp://user@" + srv.Addr + "/dir/"
		r := runGoftp(t, "", "--netrc", scriptedNetrc(t), "--retries", "0", "get", "-o", t.TempDir()+"/", base+"a.bin", base+"b.bin")
		srv.Wait()
		r.want(t, exitTransfer, nil, []string{"RETR dir/a.bin: 550", "RETR dir/b.bin"})
	})
	t.Run("interrupted", func(t *testing.T) {
		t.Parallel()
		srv := scripted.New(t, script(
			login("SIZE"),
			sized("dir/x.bin", "100"),
			[]scripted.Step{
				{Cmd: "RETR dir/x.bin", Reply: "150 here it comes"},
				{Hang: true},
			},
		)...)
		// Interrupted during the transfer (well before the inactivity
		// limit). The library then waits for ABOR's reply for at most
		// min(10s, --timeout): the server is silent here.
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(500*time.Millisecond, cancel)
		r, took := timedRun(ctx, "--timeout", "3s", "--netrc", scriptedNetrc(t), "get", "-o", t.TempDir()+"/", "ftp://user@"+srv.Addr+"/dir/x.bin")
		t.Logf("took %v; stderr:\n%s", took, r.stderr)
		r.want(t, exitInterrupted, nil, []string{"goftp: interrupted"})
		if took > 12*time.Second {
			t.Errorf("took %v after the interruption", took)
		}
	})
	t.Run("help lists them", func(t *testing.T) {
		t.Parallel()
		r := runGoftp(t, "", "help")
		r.want(t, 0, []string{"Exit status:\n    0  success\n", "  2  usage", "  4  login refused", "130  interrupted"}, nil)
		for _, c := range exitCodes {
			if !strings.Contains(r.stdout, c.text) {
				t.Errorf("goftp help does not list exit status %d (%s)", c.code, c.text)
			}
		}
	})
}

// noLeaks checks (for tests that are not parallel), after the test and its cleanups, that no goroutine it
// started is left.
func noLeaks(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

// TestRetriesFlag: --retries N maps to the library's convention, where 0
// is the default (3) and -1 none: absent → 0 (3 retries), 0 → -1 (none).
func TestRetriesFlag(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want int
	}{
		{nil, 0},
		{[]string{"--retries", "0"}, -1},
		{[]string{"--retries", "-1"}, -1},
		{[]string{"--retries", "3"}, 3},
		{[]string{"--retries", "7"}, 7},
	} {
		a := &app{}
		fs := a.flagSet("goftp", nil)
		if err := fs.Parse(c.args); err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if a.g.retries != c.want {
			t.Errorf("%q: PoolConfig.Retries = %d, want %d", c.args, a.g.retries, c.want)
		}
	}
}
