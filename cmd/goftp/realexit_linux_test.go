//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/goftplib/ftp/internal/ftpservers"
)

// startReal starts a real server of kind in plain FTP, or skips the test
// when it is not installed (unless FTP_INTEROP=required).
func startReal(t *testing.T, kind ftpservers.Kind) *ftpservers.Server {
	t.Helper()
	srv := ftpservers.ForTest(t, ftpservers.Config{Kind: kind})
	return srv
}

// passCounter is a TCP proxy in front of a plain FTP server that counts
// the client's connections and PASS commands.
type passCounter struct {
	addr        string
	mu          sync.Mutex
	conns, pass int
}

func newPassCounter(t *testing.T, target string) *passCounter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &passCounter{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var open sync.Map
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns++
			p.mu.Unlock()
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			open.Store(c, s)
			wg.Go(func() { io.Copy(c, s); c.Close() })
			wg.Go(func() {
				defer s.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadString('\n')
					if strings.HasPrefix(strings.ToUpper(line), "PASS ") {
						p.mu.Lock()
						p.pass++
						p.mu.Unlock()
					}
					if _, werr := io.WriteString(s, line); werr != nil || err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		open.Range(func(k, v any) bool { k.(net.Conn).Close(); v.(net.Conn).Close(); return true })
		wg.Wait()
	})
	return p
}

func (p *passCounter) counts() (conns, pass int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns, p.pass
}

// TestRealServerExitCodes checks exit statuses against each real server:
// a wrong password is sent once and exits "login refused"; a missing file
// or directory exits "not found".
func TestRealServerExitCodes(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv := startReal(t, kind)
			if err := srv.WriteFile("a.txt", []byte("aaa\n")); err != nil {
				t.Fatal(err)
			}
			netrc := filepath.Join(t.TempDir(), "netrc")
			os.WriteFile(netrc, []byte(fmt.Sprintf("machine %s login %s password %s\n", srv.Host, srv.User, srv.Password)), 0o600)
			base := fmt.Sprintf("ftp://%s@%s/", srv.User, srv.Addr)
			run := func(t *testing.T, args ...string) result {
				t.Helper()
				return runGoftp(t, "", append([]string{"--netrc", netrc}, args...)...)
			}
			t.Run("wrong password", func(t *testing.T) {
				proxy := newPassCounter(t, srv.Addr)
				const wrong = "Wr0ng-Pass-x"
				r := runGoftp(t, "", "get", "-o", t.TempDir()+"/", fmt.Sprintf("ftp://%s:%s@%s/a.txt", srv.User, wrong, proxy.addr))
				r.want(t, exitLogin, nil, []string{"PASS ****: 530"})
				if conns, pass := proxy.counts(); conns != 1 || pass != 1 {
					t.Errorf("%d connections, %d PASS commands; want 1 and 1", conns, pass)
				}
				if strings.Contains(r.stdout+r.stderr, wrong) {
					t.Errorf("the password was printed:\n%s", r.stderr)
				}
			})
			t.Run("missing file", func(t *testing.T) {
				run(t, "get", "-o", t.TempDir()+"/", base+"nope.txt").want(t, exitNotFound, nil, []string{"RETR nope.txt: 55"})
				run(t, "cat", base+"nope.txt").want(t, exitNotFound, nil, []string{"RETR nope.txt: 55"})
			})
			t.Run("missing directory", func(t *testing.T) {
				run(t, "ls", base+"typo-dir/").want(t, exitNotFound, nil, []string{"typo-dir"})
			})
			t.Run("success", func(t *testing.T) {
				run(t, "cat", base+"a.txt").want(t, 0, []string{"aaa\n"}, nil)
			})
		})
	}
}
