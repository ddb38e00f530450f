package ftp_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
)

// gate is a loopback front for an FTP server's control connections
// (frontProxy). It hangs up the first connection whose client sends
// cutVerb. It takes max sessions and answers one more "421 Too many
// connections" (and closes it); a session counts until 200 ms after it
// ended, as a server notices a client gone a moment later. A client's
// SIZE reaches the server after slowSize.
type gate struct {
	addr     string
	sessions atomic.Int32
	cutDone  atomic.Bool
}

func newGate(t *testing.T, target, cutVerb string, max int, slowSize time.Duration) *gate {
	t.Helper()
	g := &gate{}
	accept := func(client net.Conn) bool {
		if int(g.sessions.Load()) >= max {
			io.WriteString(client, "421 Too many connections\r\n")
			return false
		}
		g.sessions.Add(1)
		return true
	}
	g.addr = frontProxy(t, target, accept, func(wg *sync.WaitGroup, client, server net.Conn) {
		wg.Go(func() {
			io.Copy(client, server)
			client.Close()
		})
		wg.Go(func() {
			defer func() {
				server.Close()
				client.Close()
				time.Sleep(200 * time.Millisecond)
				g.sessions.Add(-1)
			}()
			r := bufio.NewReader(client)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				verb := strings.ToUpper(strings.Fields(line + " x")[0])
				if verb == "SIZE" {
					time.Sleep(slowSize)
				}
				if verb == cutVerb && g.cutDone.CompareAndSwap(false, true) {
					return
				}
				if _, err := io.WriteString(server, line); err != nil {
					return
				}
			}
		})
	})
	return g
}

// TestSegmentedParkedConn: a connection dialled for a range while the
// file was inspected, and not needed at once, is the one that work falls
// back on when its own connection fails and the server refuses another
// (421): the range when one range was asked (RETR cut), the inspection
// itself (SIZE cut). Such a connection used to stay parked until the end
// of the download, holding the Pool's only place, while the range or the
// inspection waited for a place until WaitTimeout and failed.
func TestSegmentedParkedConn(t *testing.T) {
	t.Parallel()
	for _, cut := range []string{"RETR", "SIZE"} {
		t.Run(cut, func(t *testing.T) {
			t.Parallel()
			testParkedConn(t, cut)
		})
	}
}

func testParkedConn(t *testing.T, cut string) {
	content := bytes.Repeat([]byte("parked-range."), 40000) // 520 000 bytes: one range
	srv := ftptest.New(t, ftptest.Options{})
	if err := srv.WriteFile("f.bin", content); err != nil {
		t.Fatal(err)
	}
	// The inspection (SIZE) ends, or fails, after the other connection
	// is ready (TYPE I and EPSV): that one waits for a range.
	// The server takes two sessions, the Pool's two.
	g := newGate(t, srv.Addr, cut, 2, 300*time.Millisecond)
	p := ftp.NewPool(g.addr, ftp.PoolConfig{
		Dialer:      ftp.Dialer{Timeout: 5 * time.Second},
		User:        ftptest.DefaultUser,
		Password:    ftptest.DefaultPassword,
		MaxConns:    2,
		WaitTimeout: 5 * time.Second,
	})
	defer p.Close()
	dst := make(writerAt, len(content))
	start := time.Now()
	n, err := p.RetrSegmented(t.Context(), "f.bin", dst, ftp.SegmentOptions{Segments: 2, MinSegment: 1 << 20, NoChecksum: true})
	el := time.Since(start)
	if err != nil || n != int64(len(content)) || !bytes.Equal(dst, content) {
		t.Fatalf("RetrSegmented = %d, %v after %v; identical %v", n, err, el, bytes.Equal(dst, content))
	}
	if !g.cutDone.Load() {
		t.Fatalf("no %s was cut: the test did not set up its case", cut)
	}
	if el > 3*time.Second {
		t.Errorf("took %v", el)
	}
}
