package ftp_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp"
)

// How a fake server treats the NOOPs it receives during a transfer, after
// the real servers' behaviours (interop/keepalive_test.go).
type noopPolicy int

const (
	answerAtOnce noopPolicy = iota // pyftpdlib; ProFTPD during uploads
	answerAfter                    // vsftpd; ProFTPD during downloads
	swallow                        // Pure-FTPd: one 500 for two NOOPs read
	drop421                        // 421 and the control connection closed
)

// noopServer serves one client: login, TYPE, EPSV, then RETR of data
// sent slowly (about 300 ms) while NOOPs are handled by policy, then
// final as the transfer's reply; then PWD, NOOP and QUIT.
func noopServer(t *testing.T, policy noopPolicy, data []byte, final string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		lines := make(chan string)
		wg.Go(func() {
			defer close(lines)
			br := bufio.NewReader(c)
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				lines <- strings.TrimRight(l, "\r\n")
			}
		})
		say := func(s string) { fmt.Fprintf(c, "%s\r\n", s) }
		say("220 fake")
		var dln net.Listener
		defer func() {
			if dln != nil {
				dln.Close()
			}
		}()
		for l := range lines {
			verb, _, _ := strings.Cut(l, " ")
			switch verb {
			case "USER":
				say("331 pass")
			case "PASS":
				say("230 in")
			case "FEAT":
				say("211 no features")
			case "TYPE", "NOOP":
				say("200 ok")
			case "PWD":
				say(`257 "/"`)
			case "QUIT":
				say("221 bye")
				return
			case "EPSV":
				dln, _ = net.Listen("tcp", "127.0.0.1:0")
				say(fmt.Sprintf("229 (|||%d|)", dln.Addr().(*net.TCPAddr).Port))
			case "RETR":
				say(fmt.Sprintf("150 sending (%d bytes)", len(data)))
				dc, err := dln.Accept()
				if err != nil {
					return
				}
				done := make(chan struct{})
				wg.Go(func() {
					defer close(done)
					defer dc.Close()
					for i := 0; i < len(data); i += len(data) / 30 {
						dc.Write(data[i:min(i+len(data)/30, len(data))])
						time.Sleep(10 * time.Millisecond)
					}
				})
				queued, read := 0, 0
			transfer:
				for {
					select {
					case <-done:
						break transfer
					case l, ok := <-lines:
						if !ok {
							<-done
							return
						}
						if l != "NOOP" {
							t.Errorf("during the transfer the client sent %q", l)
						}
						read++
						switch policy {
						case answerAtOnce:
							say("200 NOOP ok")
						case answerAfter:
							queued++
						case swallow:
							if read%2 == 0 {
								say("500 Unknown command")
							}
						case drop421:
							say("421 Timeout, closing")
							c.Close()
							<-done
							return
						}
					}
				}
				if read == 0 {
					t.Errorf("no NOOP during a %d ms transfer", 300)
				}
				say(final)
				for range queued {
					say("200 NOOP ok")
				}
			default:
				say("502 no")
			}
		}
	})
	return ln.Addr().String()
}

func keepAliveConn(t *testing.T, addr string) *ftp.Conn {
	t.Helper()
	d := ftp.Dialer{Timeout: 5 * time.Second, ControlKeepAlive: 20 * time.Millisecond}
	c, err := d.Dial(t.Context(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Login(t.Context(), "u", "p"); err != nil {
		t.Fatal(err)
	}
	return c
}

// inStep checks that the next replies are the next commands' own.
func inStep(t *testing.T, c *ftp.Conn) {
	t.Helper()
	if dir, err := c.Pwd(t.Context()); err != nil || dir != "/" {
		t.Errorf("Pwd after the transfer = %q, %v", dir, err)
	}
	if rep, err := c.Noop(t.Context()); err != nil || rep.Msg != "ok" {
		t.Errorf("Noop after the transfer = %v, %v; want its own 200 ok", rep, err)
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Errorf("Quit: %v", err)
	}
}

// TestKeepAliveReplies: whether the server answers the keep-alive NOOPs
// at once during the transfer, only after its 226, or swallows them with
// a 500, the transfer ends with its own reply and the next commands get
// theirs.
func TestKeepAliveReplies(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789abcdef"), 30<<10)
	for _, tc := range []struct {
		name   string
		policy noopPolicy
	}{{"at once", answerAtOnce}, {"after the 226", answerAfter}, {"swallowed with 500", swallow}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := keepAliveConn(t, noopServer(t, tc.policy, data, "226 done"))
			var got bytes.Buffer
			n, err := c.RetrBinary(t.Context(), "f", &got, 0)
			if err != nil || n != int64(len(data)) || !bytes.Equal(got.Bytes(), data) {
				t.Fatalf("RetrBinary = %d, %v", n, err)
			}
			inStep(t, c)
		})
		t.Run(tc.name+", transfer failed", func(t *testing.T) {
			t.Parallel()
			c := keepAliveConn(t, noopServer(t, tc.policy, data, "451 Local error"))
			var got bytes.Buffer
			_, err := c.RetrBinary(t.Context(), "f", &got, 0)
			var re *ftp.ReplyError
			if !errors.As(err, &re) || re.Code != 451 {
				t.Fatalf("RetrBinary = %v; want the transfer's 451, not a NOOP reply", err)
			}
			if !bytes.Equal(got.Bytes(), data) {
				t.Errorf("%d bytes delivered, want all %d", got.Len(), len(data))
			}
			inStep(t, c)
		})
	}
}

// TestKeepAlive421DuringTransfer: a server that answers a keep-alive NOOP
// with 421 and closes the control connection in the middle of a transfer
// does not cost a byte: the data connection is read to its end, and the
// 421 is the error.
func TestKeepAlive421DuringTransfer(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789abcdef"), 30<<10)
	c := keepAliveConn(t, noopServer(t, drop421, data, "226 done"))
	var got bytes.Buffer
	n, err := c.RetrBinary(t.Context(), "f", &got, 0)
	var re *ftp.ReplyError
	if !errors.As(err, &re) || re.Code != 421 {
		t.Errorf("RetrBinary = %v; want the 421", err)
	}
	if n != int64(len(data)) || !bytes.Equal(got.Bytes(), data) {
		t.Errorf("%d bytes delivered (identical: %v), want all %d", n, bytes.Equal(got.Bytes(), data), len(data))
	}
	if _, err := c.Noop(t.Context()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Noop after the 421 = %v; want the Conn closed", err)
	}
}
