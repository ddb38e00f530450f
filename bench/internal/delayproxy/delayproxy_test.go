package delayproxy_test

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"go.uber.org/goleak"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/bench/internal/delayproxy"
	"github.com/goftplib/ftp/ftptest"
)

// TestProxy runs FTP sessions through the proxy, in passive mode with EPSV
// and with PASV (whose replies the proxy rewrites), and checks contents,
// the delay on each exchange (a lower bound only) and the counters.
func TestProxy(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	content := bytes.Repeat([]byte("delay line "), 100000) // ~1 MiB
	srv, err := ftptest.NewServer(ftptest.Options{Files: fstest.MapFS{"a.bin": {Data: content}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const delay = 10 * time.Millisecond
	p, err := delayproxy.New(srv.Addr, delay)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	for _, tc := range []struct {
		name string
		d    ftp.Dialer
		verb string
	}{
		{"EPSV", ftp.Dialer{Timeout: 10 * time.Second}, "EPSV"},
		{"PASV", ftp.Dialer{Timeout: 10 * time.Second, DisableEPSV: true}, "PASV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.ResetStats()
			ctx := t.Context()
			c, err := tc.d.Dial(ctx, p.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Login(ctx, ftptest.DefaultUser, ftptest.DefaultPassword); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if _, err := c.Noop(ctx); err != nil {
				t.Fatal(err)
			}
			if rtt := time.Since(start); rtt < 2*delay {
				t.Errorf("NOOP took %v through the proxy, want at least %v", rtt, 2*delay)
			}
			var got bytes.Buffer
			if n, err := c.RetrBinary(ctx, "a.bin", &got, 0); err != nil || !bytes.Equal(got.Bytes(), content) {
				t.Fatalf("RetrBinary = %d, %v; identical %v", n, err, bytes.Equal(got.Bytes(), content))
			}
			if _, err := c.StorBinary(ctx, "up.bin", bytes.NewReader(content), 0); err != nil {
				t.Fatal(err)
			}
			if back, err := srv.ReadFile("up.bin"); err != nil || !bytes.Equal(back, content) {
				t.Errorf("uploaded file: %d bytes, %v; identical %v", len(back), err, bytes.Equal(back, content))
			}
			if err := c.Quit(ctx); err != nil {
				t.Fatal(err)
			}
			st := p.Stats()
			if st.Sessions != 1 || st.DataConns != 2 || st.Commands[tc.verb] != 2 || st.Commands["RETR"] != 1 || st.Commands["STOR"] != 1 {
				t.Errorf("Stats = %v; want 1 session, 2 data connections, 2 %s, 1 RETR, 1 STOR", st, tc.verb)
			}
		})
	}
}

// TestCloseStopsEverything checks that Close ends idle sessions and
// returns with no goroutine left.
func TestCloseStopsEverything(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := ftptest.NewServer(ftptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p, err := delayproxy.New(srv.Addr, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	greeting := make([]byte, 3)
	if _, err := io.ReadFull(c, greeting); err != nil || string(greeting) != "220" {
		t.Fatalf("greeting %q, %v", greeting, err)
	}
	// A passive listener waiting for its client must be stopped too.
	if _, err := c.Write([]byte("USER user\r\nPASS pass\r\nEPSV\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := p.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("reading from a closed proxy: %v, want EOF", err)
	}
	if c2, err := net.Dial("tcp", p.Addr); err == nil {
		c2.Close()
		t.Error("proxy still accepts connections after Close")
	}
}

// TestProxyConnRate downloads and uploads 2 MB through a proxy that caps
// each connection at 4 MB/s: each transfer takes about half a second
// (never less than 90% of it; more only by the machine's load), and the
// bytes are intact.
func TestProxyConnRate(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	const size, rate = 2_000_000, 4_000_000
	content := bytes.Repeat([]byte("0123456789"), size/10)
	srv, err := ftptest.NewServer(ftptest.Options{Files: fstest.MapFS{"a.bin": {Data: content}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p, err := delayproxy.Start(srv.Addr, delayproxy.Options{Delay: time.Millisecond, ConnRate: rate})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := t.Context()
	d := ftp.Dialer{Timeout: 10 * time.Second}
	c, err := d.Dial(ctx, p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(ctx, ftptest.DefaultUser, ftptest.DefaultPassword); err != nil {
		t.Fatal(err)
	}
	want := time.Duration(float64(size) / rate * float64(time.Second))
	check := func(what string, took time.Duration) {
		t.Logf("%s: %v (cap alone %v)", what, took, want)
		if took < want*9/10 || took > want*3 {
			t.Errorf("%s took %v, want about %v", what, took, want)
		}
	}
	var got bytes.Buffer
	start := time.Now()
	if _, err := c.RetrBinary(ctx, "a.bin", &got, 0); err != nil || !bytes.Equal(got.Bytes(), content) {
		t.Fatalf("RetrBinary: %v; identical %v", err, bytes.Equal(got.Bytes(), content))
	}
	check("download", time.Since(start))
	start = time.Now()
	if _, err := c.StorBinary(ctx, "up.bin", bytes.NewReader(content), 0); err != nil {
		t.Fatal(err)
	}
	check("upload", time.Since(start))
	if back, err := srv.ReadFile("up.bin"); err != nil || !bytes.Equal(back, content) {
		t.Errorf("uploaded file: %d bytes, %v", len(back), err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestTrace checks the event log: the session and its data connection,
// commands and replies in order, and no password.
func TestTrace(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := ftptest.NewServer(ftptest.Options{Files: fstest.MapFS{"a.bin": {Data: []byte("abc")}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var log bytes.Buffer
	p, err := delayproxy.Start(srv.Addr, delayproxy.Options{Delay: time.Millisecond, Trace: &log})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	c, err := ftp.Dial(ctx, p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, ftptest.DefaultUser, ftptest.DefaultPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RetrBinary(ctx, "a.bin", io.Discard, 0); err != nil {
		t.Fatal(err)
	}
	c.Quit(ctx)
	c.Close()
	p.Close()
	got := log.String()
	if strings.Contains(got, ftptest.DefaultPassword) {
		t.Errorf("the trace holds the password:\n%s", got)
	}
	last := 0
	for _, want := range []string{"s1 accepted", "s1 dialled", "s1 < 220", "s1 > PASS ***", "s1 > EPSV", "s1 < 229", "s1 > RETR a.bin", "s1 > QUIT"} {
		i := strings.Index(got[last:], want)
		if i < 0 {
			t.Fatalf("trace lacks %q after byte %d:\n%s", want, last, got)
		}
		last += i
	}
	for _, want := range []string{"d2 accepted (s1)", "d2 dialled", "d2 ended"} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
}
