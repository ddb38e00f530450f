// Package scripted is a transcript FTP server for tests: it plays a fixed
// script of expected client lines and canned replies on loopback and
// records every mismatch, so tests can check the exact bytes a client sends
// in situations real servers cannot be made to produce.
package scripted

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Step is one exchange of the script.
type Step struct {
	// Cmd is the line the client must send next, without CRLF, compared
	// byte for byte. A trailing "*" matches any rest of line. Empty means
	// the step sends its reply without reading (greetings, final replies).
	Cmd string
	// Reply is sent after Cmd was read. Lines separated by "\n" are sent
	// with CRLF. "{PASV}" and "{EPSV}" open a data listener and are
	// replaced by its address in 227 or 229 form; "{PORT}" by the
	// listener's port as "p1,p2" (to build PASV replies naming other hosts).
	Reply string
	// Raw, if set, is sent as is instead of Reply.
	Raw []byte
	// Data, when non-nil, is written on the data connection after the
	// reply, which is then closed.
	Data []byte
	// WriteMayFail tolerates a failed write of the reply (a client that
	// gives up on an oversized reply and closes) and ends the script.
	WriteMayFail bool
	// DataMayFail tolerates a failed write of Data (the client aborting).
	DataMayFail bool
	// Recv reads the data connection to EOF after the reply; what was
	// read is available from Server.Received.
	Recv bool
	// RecvN, when positive, makes Recv stop after that many bytes and
	// close the data connection (a server failing mid-upload).
	RecvN int
	// ActiveFrom, for active mode, is the local IP the server's data
	// connection comes from (default 127.0.0.1); a foreign address tests
	// that the client refuses it.
	ActiveFrom string
	// Hang stops the script here without closing anything, until the
	// test ends (to model a stalled server).
	Hang bool
	// Close closes the control connection after the reply.
	Close bool
}

// Server plays a script to one client.
type Server struct {
	Addr string

	t       testing.TB
	ln      net.Listener
	steps   []Step
	done    chan struct{}
	mu      sync.Mutex
	errs    []string
	recv    [][]byte
	dataLn  net.Listener
	active  string
	stopped chan struct{}
}

// New starts a server on 127.0.0.1 playing steps to the first client. At
// the end of the test it checks that the whole script was played and
// reports every mismatch with t.Error.
func New(t testing.TB, steps ...Step) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), t: t, ln: ln, steps: steps, done: make(chan struct{}), stopped: make(chan struct{})}
	go s.run()
	t.Cleanup(func() {
		close(s.stopped)
		ln.Close()
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			t.Error("scripted: server did not finish")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, e := range s.errs {
			t.Error("scripted: " + e)
		}
	})
	return s
}

// Received returns the bytes read by Recv steps, in order.
func (s *Server) Received() [][]byte {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recv
}

// Wait blocks until the script has ended (played, failed or hung).
func (s *Server) Wait() { <-s.done }

func (s *Server) errorf(format string, args ...any) {
	s.mu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func (s *Server) run() {
	defer close(s.done)
	conn, err := s.ln.Accept()
	if err != nil {
		s.errorf("accept: %v", err)
		return
	}
	defer conn.Close()
	go func() { <-s.stopped; conn.Close() }()
	br := bufio.NewReader(conn)
	for i, st := range s.steps {
		if st.Cmd != "" {
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, err := br.ReadString('\n')
			if err != nil {
				s.errorf("step %d: want %q, read error %v", i, st.Cmd, err)
				return
			}
			if !strings.HasSuffix(line, "\r\n") {
				s.errorf("step %d: line %q not terminated by CRLF", i, line)
				return
			}
			line = strings.TrimSuffix(line, "\r\n")
			if !match(st.Cmd, line) {
				s.errorf("step %d: got %q, want %q", i, line, st.Cmd)
				return
			}
			s.noteActive(line)
		}
		if st.Hang {
			<-s.stopped
			return
		}
		out := st.Raw
		if out == nil && st.Reply != "" {
			r, err := s.expand(st.Reply)
			if err != nil {
				s.errorf("step %d: %v", i, err)
				return
			}
			out = []byte(strings.ReplaceAll(r, "\n", "\r\n") + "\r\n")
		}
		if _, err := conn.Write(out); err != nil {
			if !st.WriteMayFail {
				s.errorf("step %d: write: %v", i, err)
			}
			return
		}
		if st.Data != nil || st.Recv {
			if err := s.data(st); err != nil && !st.DataMayFail {
				s.errorf("step %d: data connection: %v", i, err)
				return
			}
		}
		if st.Close {
			return
		}
	}
	// The script is over: the client may still close or send QUIT; any
	// further line is a mismatch.
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if line, err := br.ReadString('\n'); err == nil {
		s.errorf("after script: unexpected %q", line)
	}
}

func match(pattern, line string) bool {
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(line, p)
	}
	return pattern == line
}

// noteActive remembers the address of an EPRT or PORT command.
func (s *Server) noteActive(line string) {
	verb, arg, _ := strings.Cut(line, " ")
	switch strings.ToUpper(verb) {
	case "EPRT":
		f := strings.Split(arg, arg[:1])
		if len(f) >= 4 {
			s.active = net.JoinHostPort(f[2], f[3])
		}
	case "PORT":
		f := strings.Split(arg, ",")
		if len(f) == 6 {
			p1, _ := strconv.Atoi(f[4])
			p2, _ := strconv.Atoi(f[5])
			s.active = net.JoinHostPort(strings.Join(f[:4], "."), strconv.Itoa(p1*256+p2))
		}
	}
}

func (s *Server) expand(r string) (string, error) {
	if !strings.Contains(r, "{PASV}") && !strings.Contains(r, "{EPSV}") && !strings.Contains(r, "{PORT}") {
		return r, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	if s.dataLn != nil {
		s.dataLn.Close()
	}
	s.dataLn = ln
	port := ln.Addr().(*net.TCPAddr).Port
	r = strings.ReplaceAll(r, "{PASV}", fmt.Sprintf("127,0,0,1,%d,%d", port>>8, port&0xff))
	r = strings.ReplaceAll(r, "{EPSV}", fmt.Sprintf("|||%d|", port))
	r = strings.ReplaceAll(r, "{PORT}", fmt.Sprintf("%d,%d", port>>8, port&0xff))
	return r, nil
}

func (s *Server) data(st Step) error {
	var conn net.Conn
	var err error
	if s.dataLn != nil {
		s.dataLn.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
		conn, err = s.dataLn.Accept()
		s.dataLn.Close()
		s.dataLn = nil
	} else if s.active != "" {
		d := net.Dialer{Timeout: 5 * time.Second}
		if st.ActiveFrom != "" {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(st.ActiveFrom)}
		}
		conn, err = d.Dial("tcp", s.active)
		s.active = ""
	} else {
		return fmt.Errorf("no PASV/EPSV listener and no EPRT/PORT address")
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if st.Data != nil {
		_, err = conn.Write(st.Data)
		return err
	}
	var r io.Reader = conn
	if st.RecvN > 0 {
		r = io.LimitReader(conn, int64(st.RecvN))
	}
	b, err := io.ReadAll(r)
	s.mu.Lock()
	s.recv = append(s.recv, b)
	s.mu.Unlock()
	return err
}
