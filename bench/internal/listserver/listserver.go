// Package listserver is a minimal FTP server for memory benchmarks: every
// directory it lists holds N generated files, written to the data
// connection as they are produced, so a listing of millions of entries
// costs the server no memory and no disk.
//
// It speaks just enough FTP for a client to log in (any user and
// password), list with MLSD (when Options.MLSD, announced in FEAT as
// MLST), LIST or NLST over passive connections (EPSV or PASV), and answer
// CWD, PWD, MLST and SIZE the way a server holding such a directory
// would. Other commands get 502. It serves any number of sessions at once.
package listserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a Server.
type Options struct {
	// Entries is the number of files in every listed directory.
	Entries int
	// MLSD makes the server announce MLST in FEAT and answer MLSD and
	// MLST; otherwise clients must use LIST (ls -l style lines).
	MLSD bool
}

// Server is a running listing server.
type Server struct {
	// Addr is the host:port of the control connection (127.0.0.1).
	Addr string

	opts Options
	ln   net.Listener
	wg   sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Start listens on 127.0.0.1 and serves until Close.
func Start(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), opts: opts, ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Go(s.accept)
	return s, nil
}

// Close stops the server, closes every connection and waits for its
// goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

func (s *Server) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if !s.track(c) {
			return
		}
		s.wg.Go(func() {
			defer s.untrack(c)
			s.session(c)
		})
	}
}

// session serves one control connection.
type session struct {
	s    *Server
	c    net.Conn
	r    *bufio.Reader
	pasv net.Listener // the open passive listener, if any
	cwd  string
}

func (s *Server) session(c net.Conn) {
	ss := &session{s: s, c: c, r: bufio.NewReader(c), cwd: "/"}
	defer func() {
		if ss.pasv != nil {
			ss.pasv.Close()
		}
	}()
	ss.reply("220 listserver ready")
	for {
		line, err := ss.r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		if !ss.command(strings.ToUpper(verb), arg) {
			return
		}
	}
}

func (ss *session) reply(format string, args ...any) {
	fmt.Fprintf(ss.c, format+"\r\n", args...)
}

// command runs one command; false ends the session.
func (ss *session) command(verb, arg string) bool {
	switch verb {
	case "USER":
		ss.reply("331 any password will do")
	case "PASS":
		ss.reply("230 logged in")
	case "FEAT":
		feats := "211-Features:\r\n SIZE\r\n UTF8\r\n EPSV\r\n PASV\r\n"
		if ss.s.opts.MLSD {
			feats += " MLST type*;size*;modify*;\r\n"
		}
		ss.reply("%s211 End", feats)
	case "SYST":
		ss.reply("215 UNIX Type: L8")
	case "OPTS", "TYPE", "MODE", "STRU", "NOOP", "PBSZ", "PROT":
		ss.reply("200 ok")
	case "PWD", "XPWD":
		ss.reply(`257 "%s" is the current directory`, ss.cwd)
	case "CWD", "XCWD":
		if arg != "" {
			ss.cwd = arg
		}
		ss.reply("250 ok")
	case "CDUP", "XCUP":
		ss.reply("250 ok")
	case "SIZE":
		ss.reply("550 not a plain file")
	case "MLST":
		if !ss.s.opts.MLSD {
			ss.reply("502 not implemented")
			break
		}
		ss.reply("250-Listing %s\r\n type=dir;modify=20240102030405; %s\r\n250 End", arg, arg)
	case "EPSV", "PASV":
		if err := ss.listen(verb); err != nil {
			ss.reply("425 %v", err)
		}
	case "MLSD", "LIST", "NLST":
		if verb == "MLSD" && !ss.s.opts.MLSD {
			ss.reply("502 not implemented")
			break
		}
		ss.list(verb)
	case "QUIT":
		ss.reply("221 bye")
		return false
	default:
		ss.reply("502 %s not implemented", verb)
	}
	return true
}

// listen opens the passive listener and announces it.
func (ss *session) listen(verb string) error {
	if ss.pasv != nil {
		ss.pasv.Close()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ss.pasv = ln
	port := ln.Addr().(*net.TCPAddr).Port
	if verb == "EPSV" {
		ss.reply("229 Entering Extended Passive Mode (|||%d|)", port)
	} else {
		ss.reply("227 Entering Passive Mode (127,0,0,1,%d,%d)", port>>8, port&0xff)
	}
	return nil
}

// list sends the listing on the passive connection.
func (ss *session) list(verb string) {
	if ss.pasv == nil {
		ss.reply("425 use EPSV or PASV first")
		return
	}
	ln := ss.pasv
	ss.pasv = nil
	defer ln.Close()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second))
	dc, err := ln.Accept()
	if err != nil {
		ss.reply("425 no data connection: %v", err)
		return
	}
	if !ss.s.track(dc) {
		return
	}
	defer ss.s.untrack(dc)
	ss.reply("150 here it comes")
	if err := WriteListing(dc, verb, ss.s.opts.Entries); err != nil {
		ss.reply("426 %v", err)
		return
	}
	if err := dc.Close(); err != nil {
		ss.reply("426 %v", err)
		return
	}
	ss.reply("226 done")
}

// WriteListing writes n generated lines in the format of verb (MLSD,
// LIST or NLST), each ending in CRLF, to w. Entry i is the file
// "file%07d.dat" of size i.
func WriteListing(w io.Writer, verb string, n int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	buf := make([]byte, 0, 128)
	for i := range n {
		buf = buf[:0]
		switch verb {
		case "MLSD":
			buf = append(buf, "type=file;size="...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, ";modify=20240102030405;unique=fe01u"...)
			buf = strconv.AppendInt(buf, int64(i), 16)
			buf = append(buf, "; "...)
		case "LIST":
			buf = append(buf, "-rw-r--r--   1 owner    group    "...)
			buf = strconv.AppendInt(buf, int64(i), 10)
			buf = append(buf, " Jan 02  2024 "...)
		case "NLST":
		default:
			return errors.New("unknown listing verb " + verb)
		}
		buf = fmt.Appendf(buf, "file%07d.dat\r\n", i)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
