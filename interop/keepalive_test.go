//go:build linux

package interop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/faultproxy"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// The NAT box of TestControlKeepAlive forgets a control connection idle
// for keepAliveIdle; the transfers last several times that (keepAliveSize
// bytes at keepAliveRate bytes a second, the server's socket buffers
// holding at most 4 MiB of it), and the keep-alive NOOPs go every
// keepAliveEvery.
const (
	keepAliveIdle  = time.Second
	keepAliveEvery = 200 * time.Millisecond
	keepAliveSize  = 8 << 20
	keepAliveRate  = 1 << 20
)

// TestControlKeepAlive puts a connection-dropping proxy (a control
// connection idle for a second is forgotten, as NAT boxes forget them
// after minutes) in front of each real server, plain and TLS, and moves a
// file slowly enough that the transfer lasts several seconds. With
// Dialer.ControlKeepAlive the download and the upload complete with the
// exact bytes, the NOOP replies are all accounted for (before or after
// the 226, as the server sends them: the Conn stays in step), and nothing
// is dropped. Without it the control connection is dropped, the download
// fails for want of its 226, and every byte received is still delivered.
func TestControlKeepAlive(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		for _, mode := range []ftpservers.TLSMode{ftpservers.TLSNone, ftpservers.TLSExplicit} {
			t.Run(fmt.Sprintf("%s/%s", kind, mode), func(t *testing.T) {
				t.Parallel()
				testControlKeepAlive(t, ftpservers.Config{Kind: kind, TLS: mode})
			})
		}
	}
}

func testControlKeepAlive(t *testing.T, cfg ftpservers.Config) {
	srv, reason := server(t, cfg)
	if srv == nil {
		t.Skip(reason)
	}
	px, err := faultproxy.Start(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	px.DropIdle(keepAliveIdle)
	content := data(keepAliveSize)
	name := fmt.Sprintf("keepalive-%d.bin", time.Now().UnixNano())
	if err := srv.WriteFile(name, content); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	dial := func(keepAlive time.Duration) (*ftp.Conn, *dialogue) {
		d := dialer(srv, dataModes[0])
		d.ControlKeepAlive = keepAlive
		d.DialContext = slowData(px.Addr, keepAliveRate)
		log := &dialogue{}
		d.Logger = slog.New(log)
		c, err := d.Dial(ctx, px.Addr)
		if err != nil {
			t.Fatalf("Dial through the proxy: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Login(ctx, srv.User, srv.Password); err != nil {
			t.Fatalf("Login: %v", err)
		}
		return c, log
	}

	// Keep-alive on: the download completes, and the NOOP replies are
	// counted exactly, wherever the server puts them.
	c, log := dial(keepAliveEvery)
	start := time.Now()
	var got bytes.Buffer
	n, err := c.RetrBinary(ctx, name, &got, 0)
	took := time.Since(start)
	if err != nil || n != int64(len(content)) || !bytes.Equal(got.Bytes(), content) {
		t.Fatalf("RetrBinary with keep-alive = %d, %v (identical: %v); proxy dropped %d\n%s", n, err, bytes.Equal(got.Bytes(), content), px.Dropped.Load(), log)
	}
	sent, before, after, refused := log.noops("RETR " + name)
	t.Logf("%s: download of %d bytes took %v; %d NOOPs: %d answered before the 226, %d after, %d refusals (500-504)", srv, n, took, sent, before, after, refused)
	if took < 3*keepAliveIdle {
		t.Errorf("the download took %v, not several times the idle limit %v: the test proves nothing", took, keepAliveIdle)
	}
	checkNoops(t, srv, sent, before, after, refused, log)
	if d := px.Dropped.Load(); d != 0 {
		t.Errorf("the proxy dropped %d control connections despite the keep-alive", d)
	}
	// In step: the next replies are the next commands' own.
	if _, err := c.Pwd(ctx); err != nil {
		t.Fatalf("Pwd after the download: %v", err)
	}
	if rep, err := c.Noop(ctx); err != nil || rep.Code != 200 {
		t.Fatalf("Noop after the download: %v, %v", rep, err)
	}
	if sz, err := c.Size(ctx, name); err != nil || sz != int64(len(content)) {
		t.Fatalf("Size after the download = %d, %v", sz, err)
	}

	// The upload too.
	up := "up-" + name
	upContent := content[:keepAliveSize/2]
	start = time.Now()
	n, err = c.StorBinary(ctx, up, bytes.NewReader(upContent), 0)
	took = time.Since(start)
	if err != nil || n != int64(len(upContent)) {
		t.Fatalf("StorBinary with keep-alive = %d, %v; proxy dropped %d\n%s", n, err, px.Dropped.Load(), log)
	}
	sent, before, after, refused = log.noops("STOR " + up)
	t.Logf("%s: upload of %d bytes took %v; %d NOOPs: %d answered before the 226, %d after, %d refusals (500-504)", srv, n, took, sent, before, after, refused)
	checkNoops(t, srv, sent, before, after, refused, log)
	if onDisk, err := os.ReadFile(filepath.Join(srv.Dir, up)); err != nil || !bytes.Equal(onDisk, upContent) {
		t.Errorf("uploaded file: %d bytes, %v; identical: %v", len(onDisk), err, bytes.Equal(onDisk, upContent))
	}
	if d := px.Dropped.Load(); d != 0 {
		t.Errorf("the proxy dropped %d control connections during the upload", d)
	}
	if _, err := c.Pwd(ctx); err != nil {
		t.Fatalf("Pwd after the upload: %v", err)
	}

	// An abort in the middle, with NOOPs sent: the Conn stays in step.
	r, err := c.Retr(ctx, name, 0)
	if err != nil {
		t.Fatalf("Retr: %v", err)
	}
	if _, err := io.CopyN(io.Discard, r, 2<<20); err != nil {
		t.Fatalf("reading the first 2 MiB: %v", err)
	}
	aerr := r.Close()
	if aerr != nil {
		t.Errorf("aborting a download with NOOPs sent: %v\n%s", aerr, log)
	}
	if _, err := c.Pwd(ctx); err != nil {
		t.Fatalf("Pwd after the abort: %v", err)
	}
	if rep, err := c.Noop(ctx); err != nil || rep.Code != 200 {
		t.Fatalf("Noop after the abort: %v, %v", rep, err)
	}

	// Keep-alive off: the proxy drops the idle control connection, the
	// 226 never arrives, and the download fails, with every byte received
	// handed over all the same.
	// The proxy too holds the data back (with small socket buffers), so
	// that the server is still sending when the control connection has
	// been idle for a second: else a server that has written the whole
	// file into the kernel's buffers (Pure-FTPd, with large loopback
	// buffers) sends its 226 before the drop.
	px.SlowData(keepAliveRate)
	c, log = dial(-1)
	got.Reset()
	n, err = c.RetrBinary(ctx, name, &got, 0)
	if err == nil {
		t.Fatalf("RetrBinary without keep-alive through a NAT that drops idle connections succeeded\n%s", log)
	}
	if px.Dropped.Load() == 0 {
		t.Errorf("the proxy dropped nothing: %v", err)
	}
	if n != int64(len(content)) || !bytes.Equal(got.Bytes(), content) {
		t.Errorf("without keep-alive: %d bytes received (identical: %v), want all %d kept", n, bytes.Equal(got.Bytes(), content), len(content))
	}
	if errors.Is(err, ftp.ErrSizeMismatch) {
		t.Errorf("the error blames the size: %v", err)
	}
	t.Logf("%s: without keep-alive: %v", srv, err)
}

// checkNoops checks the replies seen to the keep-alive NOOPs of one
// transfer: one 200 each, except on Pure-FTPd, which answers what it reads
// during a transfer with one 500 for all of it.
func checkNoops(t *testing.T, srv *ftpservers.Server, sent, before, after, refused int, log *dialogue) {
	t.Helper()
	switch {
	case sent < 3:
		t.Errorf("only %d NOOPs sent\n%s", sent, log)
	case srv.Config.Kind == ftpservers.PureFTPd && before+after+refused > sent:
		t.Errorf("%d NOOPs sent, %d + %d + %d replies seen\n%s", sent, before, after, refused, log)
	case srv.Config.Kind != ftpservers.PureFTPd && (before+after != sent || refused != 0):
		t.Errorf("%d NOOPs sent, %d + %d replies seen, %d refusals\n%s", sent, before, after, refused, log)
	}
}

// slowData returns a DialContext that dials control (the proxy) as usual
// and every other address (the data connections) with a small receive
// buffer and reads and writes limited to rate bytes a second, so that the
// server's side of a transfer lasts about as long as the client's.
func slowData(control string, rate int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var nd net.Dialer
		nc, err := nd.DialContext(ctx, network, addr)
		if err != nil || addr == control {
			return nc, err
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetReadBuffer(32 << 10)
			tc.SetWriteBuffer(32 << 10)
		}
		return &slowConn{Conn: nc, rate: rate, start: time.Now()}, nil
	}
}

type slowConn struct {
	net.Conn
	rate  int64
	start time.Time
	mu    sync.Mutex
	n     int64
}

func (s *slowConn) pace(n int) {
	s.mu.Lock()
	s.n += int64(n)
	due := s.start.Add(time.Duration(float64(s.n) / float64(s.rate) * float64(time.Second)))
	s.mu.Unlock()
	time.Sleep(time.Until(due))
}

func (s *slowConn) Read(p []byte) (int, error) {
	p = p[:min(len(p), 16<<10)]
	n, err := s.Conn.Read(p)
	s.pace(n)
	return n, err
}

// CloseWrite half-closes the connection, as TLS uploads do to end the
// file (see transfer.closeData).
func (s *slowConn) CloseWrite() error {
	if cw, ok := s.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (s *slowConn) Write(p []byte) (int, error) {
	var total int
	for len(p) > 0 {
		k := min(len(p), 16<<10)
		n, err := s.Conn.Write(p[:k])
		total += n
		s.pace(n)
		if err != nil {
			return total, err
		}
		p = p[k:]
	}
	return total, nil
}

// dialogue is a slog.Handler recording the commands sent and the reply
// codes received, in order.
type dialogue struct {
	mu    sync.Mutex
	lines []string
}

func (d *dialogue) Enabled(context.Context, slog.Level) bool { return true }
func (d *dialogue) WithAttrs([]slog.Attr) slog.Handler       { return d }
func (d *dialogue) WithGroup(string) slog.Handler            { return d }

func (d *dialogue) Handle(_ context.Context, r slog.Record) error {
	var line string
	r.Attrs(func(a slog.Attr) bool {
		switch {
		case r.Message == ftp.LogSend && a.Key == ftp.KeyCmd:
			line = "> " + a.Value.String()
		case r.Message == ftp.LogRecv && a.Key == ftp.KeyCode:
			line = "< " + a.Value.String()
		}
		return true
	})
	if line != "" {
		d.mu.Lock()
		d.lines = append(d.lines, line)
		d.mu.Unlock()
	}
	return nil
}

func (d *dialogue) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b bytes.Buffer
	for _, l := range d.lines {
		fmt.Fprintln(&b, l)
	}
	return b.String()
}

// noops returns, for the last transfer sent as cmd, the keep-alive NOOPs
// sent, the 200 replies read before and after its final reply (the first
// reply after the 150 that is neither a 200 nor a 500-504), and the 500-504
// replies (Pure-FTPd's answer to what it reads during a transfer), up to the
// 257 of the PWD that ends the accounting.
func (d *dialogue) noops(cmd string) (sent, before, after, refused int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	start := -1
	for i, l := range d.lines {
		if l == "> "+cmd {
			start = i
		}
	}
	if start < 0 {
		return
	}
	final := false
	for _, l := range d.lines[start+1:] {
		switch {
		case l == "> NOOP":
			sent++
		case l == "> PWD", l == "< 150", l == "< 125":
		case l == "< 257":
			return
		case l == "< 200" && !final:
			before++
		case l == "< 200":
			after++
		case l >= "< 500" && l <= "< 504":
			refused++
		case l[:2] == "< ":
			final = true
		default:
			return
		}
	}
	return
}
