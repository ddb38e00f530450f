// Command hostile serves one misbehaving-FTP-server scenario on loopback, so
// that curl, lftp and goftp can be measured against it (bench/hostile/run.sh).
//
//	go run ./bench/hostile -scenario rest-ignored -addr 127.0.0.1:2121
//	go run ./bench/hostile -list
//	go run ./bench/hostile -write-expected /tmp/f   # the 100000-byte file it serves
//
// Every control line received and sent is logged to stderr as
// "HH:MM:SS.mmm conn N > LINE" / "conn N < LINE" (control bytes quoted), and
// each connection as "conn N open" / "conn N closed", so a script can count
// connections and PASS commands. Passive mode only (EPSV, PASV); EPRT/PORT
// are refused.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const fileSize = 100000

// content is the served file (its first fileSize bytes) followed by the
// 50000 extra bytes too-long sends: deterministic, not periodic.
var content = func() []byte {
	b := make([]byte, fileSize+50000)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x >> 24)
	}
	return b
}()

// scenario overrides the well-behaved server. Zero fields mean normal behaviour.
type scenario struct {
	doc      string
	greeting func(s *session) bool // false: the session ends after it
	pass     string                // reply to PASS (default "230 Logged in.")
	flood    bool                  // after login, every command gets "150 still working" each second, forever
	cwd      func(dir string) string
	list     func(s *session, verb, dir string) // LIST, NLST, MLSD (after the passive command)
	retr     func(s *session, name string)
	abor     string // reply to ABOR during a transfer; "" = 426 + 226
	noMLST   bool   // like vsftpd: FEAT has no MLST, MLST is an unknown command
}

var scenarios = map[string]scenario{
	"normal": {doc: "a well-behaved server (control): f is 100000 bytes, directories are empty"},
	"missing-dir": {
		doc:    "like vsftpd 3.0.3 (no MLST): LIST/NLST/MLSD answer 150, empty data, 226 (but failed to open directory); CWD of any dir but / answers 550",
		noMLST: true,
		cwd: func(dir string) string {
			if dir == "/" || dir == "" {
				return "250 Directory successfully changed."
			}
			return "550 Failed to change directory."
		},
		list: func(s *session, verb, dir string) {
			s.transfer("150 Here comes the directory listing.", nil, "226 Transfer done (but failed to open directory).")
		},
	},
	"rest-ignored": {
		doc:  "REST n answers 350 but RETR sends the whole file from byte 0",
		retr: func(s *session, name string) { s.offset = 0; s.sendFile(content[:fileSize], true) },
	},
	"truncated": {
		doc: "150 (100000 bytes); each data connection closes after 30000 bytes; 226",
		retr: func(s *session, name string) {
			end := min(s.offset+30000, fileSize)
			s.transfer(fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).", name, fileSize-s.offset),
				content[s.offset:end], "226 Transfer complete.")
		},
	},
	"too-long": {
		doc: "SIZE 100000, RETR sends 150000 bytes (150 gives no size) then 226",
		retr: func(s *session, name string) {
			s.transfer("150 Opening BINARY mode data connection for "+name+".", content[s.offset:], "226 Transfer complete.")
		},
	},
	"greeting-120-silence": {
		doc:      `greeting "120 ready in 5 minutes", then nothing`,
		greeting: func(s *session) bool { s.reply("120 ready in 5 minutes"); s.silent = true; return true },
	},
	"prelim-flood": {
		doc:   `after login every command gets "150 still working" every second, forever`,
		flood: true,
	},
	"abor-refused": {
		doc: "RETR sends 1000 bytes every 100 ms; ABOR answered 500 and nothing more (no 226/426 ever)",
		retr: func(s *session, name string) {
			s.reply(fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).", name, fileSize-s.offset))
			d := s.accept()
			if d == nil {
				return
			}
			defer d.Close()
			for off := s.offset; off < fileSize; off += 1000 {
				if _, err := d.Write(content[off:min(off+1000, fileSize)]); err != nil {
					s.logf("data connection closed by client after %d bytes; no reply sent", off-s.offset)
					return // hostile: no 426/226
				}
				s.pollAbor(100 * time.Millisecond)
			}
			s.reply("226 Transfer complete.")
		},
		abor: "500 ABOR not understood",
	},
	"greeting-421": {
		doc:      `every connection gets "421 Too many connections" then close`,
		greeting: func(s *session) bool { s.reply("421 Too many connections"); return false },
	},
	"wrong-password": {
		doc:  "PASS always answers 530",
		pass: "530 Login incorrect.",
	},
	"escape-in-reply": {
		doc:  `SIZE 213 100000; RETR answers "550 ESC]0;PWNED BEL ESC[2J no such file"`,
		retr: func(s *session, name string) { s.closeData(); s.reply("550 \x1b]0;PWNED\x07\x1b[2J no such file") },
	},
	"silence-after-150": {
		doc: "RETR answers 150 and then nothing on data or control",
		retr: func(s *session, name string) {
			s.reply("150 Opening BINARY mode data connection for " + name + " (100000 bytes).")
			if d := s.accept(); d != nil {
				defer d.Close()
			}
			s.silent = true
			<-s.done // hold the data connection open until the client leaves
		},
	},
	"nesting-listing": {
		doc:  "every directory lists one subdirectory x (same unique fact) and a 10-byte file",
		cwd:  func(string) string { return "250 Directory successfully changed." },
		list: nestingList,
	},
	"nesting-list-only": {
		doc:    "nesting-listing without MLST/MLSD (no unique fact): LIST only, x inside x forever",
		noMLST: true,
		cwd:    func(string) string { return "250 Directory successfully changed." },
		list:   nestingList,
	},
	"big-listing": {
		doc:  "LIST/NLST/MLSD of any directory: 1,000,000 entries generated on the fly",
		list: bigList,
	},
}

func nestingList(s *session, verb, dir string) {
	var b strings.Builder
	switch verb {
	case "MLSD":
		b.WriteString("type=cdir;unique=801U1;modify=20240101000000; .\r\n")
		b.WriteString("type=dir;unique=801U1;modify=20240101000000; x\r\n")
		b.WriteString("type=file;size=10;unique=801U2;modify=20240101000000; file.txt\r\n")
	case "NLST":
		b.WriteString("x\r\nfile.txt\r\n")
	default:
		b.WriteString("drwxr-xr-x    2 ftp      ftp          4096 Jan 01  2024 x\r\n")
		b.WriteString("-rw-r--r--    1 ftp      ftp            10 Jan 01  2024 file.txt\r\n")
	}
	s.transfer("150 Here comes the directory listing.", []byte(b.String()), "226 Directory send OK.")
}

const bigEntries = 1000000

func bigList(s *session, verb, dir string) {
	s.reply("150 Here comes the directory listing.")
	d := s.accept()
	if d == nil {
		return
	}
	w := bufio.NewWriterSize(d, 64<<10)
	var err error
	for i := 0; i < bigEntries && err == nil; i++ {
		switch verb {
		case "MLSD":
			_, err = fmt.Fprintf(w, "type=file;size=%d;modify=20240101000000;perm=r; file%07d.dat\r\n", i, i)
		case "NLST":
			_, err = fmt.Fprintf(w, "file%07d.dat\r\n", i)
		default:
			_, err = fmt.Fprintf(w, "-rw-r--r--    1 ftp      ftp      %8d Jan 01  2024 file%07d.dat\r\n", i, i)
		}
	}
	if err == nil {
		err = w.Flush()
	}
	d.Close()
	if err != nil {
		s.reply("426 Connection closed; transfer aborted.")
		return
	}
	s.reply("226 Directory send OK.")
}

// fileFor returns the size of the served file called name, or -1: "f" in
// every scenario but nesting-listing, whose directories each hold file.txt.
func fileFor(sc string, name string) int {
	base := name[strings.LastIndex(name, "/")+1:]
	switch {
	case strings.HasPrefix(sc, "nesting-") && base == "file.txt":
		return 10
	case !strings.HasPrefix(sc, "nesting-") && base == "f":
		return fileSize
	}
	return -1
}

type session struct {
	id                 int64
	name               string // scenario
	sc                 scenario
	c                  net.Conn
	cmds               chan string
	pending            []string
	done               chan struct{}
	wmu                sync.Mutex
	pasv               net.Listener
	offset             int
	silent             bool // answer nothing any more (log only)
	loggedIn, flooding bool
}

var connCount atomic.Int64

func (s *session) logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s conn %d %s\n", time.Now().Format("15:04:05.000"), s.id, fmt.Sprintf(format, a...))
}

func quote(line string) string {
	q := strconv.QuoteToASCII(line)
	return q[1 : len(q)-1]
}

func (s *session) reply(line string) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.logf("< %s", quote(line))
	s.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(s.c, line+"\r\n")
}

func (s *session) closeData() {
	if s.pasv != nil {
		s.pasv.Close()
		s.pasv = nil
	}
}

// accept takes the client's data connection on the pending passive listener.
func (s *session) accept() net.Conn {
	if s.pasv == nil {
		s.reply("425 Use PASV or EPSV first.")
		return nil
	}
	l := s.pasv.(*net.TCPListener)
	s.pasv = nil
	defer l.Close()
	l.SetDeadline(time.Now().Add(10 * time.Second))
	d, err := l.Accept()
	if err != nil {
		s.reply("425 Can't open data connection.")
		return nil
	}
	s.logf("data connection from %s", d.RemoteAddr())
	return d
}

// transfer sends a preliminary reply, data, then a final reply.
func (s *session) transfer(prelim string, data []byte, final string) {
	s.reply(prelim)
	d := s.accept()
	if d == nil {
		return
	}
	d.SetWriteDeadline(time.Now().Add(30 * time.Second))
	n, err := d.Write(data)
	d.Close()
	s.logf("data: sent %d bytes, closed", n)
	if err != nil {
		s.reply("426 Connection closed; transfer aborted.")
		return
	}
	s.reply(final)
}

func (s *session) sendFile(b []byte, withSize bool) {
	prelim := "150 Opening BINARY mode data connection for file"
	if withSize {
		prelim += fmt.Sprintf(" (%d bytes)", len(b))
	}
	s.transfer(prelim+".", b, "226 Transfer complete.")
}

// pollAbor waits up to d for a command during a transfer; ABOR gets the
// scenario's answer, anything else is kept for later.
func (s *session) pollAbor(d time.Duration) {
	select {
	case line, ok := <-s.cmds:
		if !ok {
			return
		}
		if verb, _ := split(line); verb == "ABOR" {
			s.reply(s.sc.abor)
		} else {
			s.pending = append(s.pending, line)
		}
	case <-time.After(d):
	}
}

func split(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), arg
}

func (s *session) next() (string, bool) {
	if len(s.pending) > 0 {
		l := s.pending[0]
		s.pending = s.pending[1:]
		return l, true
	}
	l, ok := <-s.cmds
	return l, ok
}

func (s *session) serve() {
	defer s.c.Close()
	defer s.closeData()
	s.logf("open from %s", s.c.RemoteAddr())
	go s.read()
	defer s.logf("closed")
	if s.sc.greeting != nil {
		if !s.sc.greeting(s) {
			return
		}
	} else {
		s.reply("220 hostile FTP server (" + s.name + ")")
	}
	for {
		line, ok := s.next()
		if !ok {
			return
		}
		if s.silent {
			continue
		}
		if s.loggedIn && s.sc.flood {
			if !s.flooding {
				s.flooding = true
				go func() {
					for {
						s.reply("150 still working")
						select {
						case <-s.done:
							return
						case <-time.After(time.Second):
						}
					}
				}()
			}
			continue
		}
		if !s.handle(line) {
			return
		}
	}
}

func (s *session) read() {
	defer close(s.done)
	defer close(s.cmds)
	r := bufio.NewReader(s.c)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			s.logf("> %s", quote(strings.TrimRight(line, "\r\n")))
			// Telnet IP/DM (urgent ABOR) bytes precede the verb: drop them.
			line = strings.TrimLeftFunc(strings.TrimRight(line, "\r\n"), func(r rune) bool {
				return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
			})
			select {
			case s.cmds <- line:
			case <-time.After(time.Minute):
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *session) passive(extended bool) {
	s.closeData()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.reply("425 Cannot listen.")
		return
	}
	s.pasv = l
	port := l.Addr().(*net.TCPAddr).Port
	if extended {
		s.reply(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port))
	} else {
		s.reply(fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d).", port>>8, port&255))
	}
}

// handle answers one command; false ends the session.
func (s *session) handle(line string) bool {
	verb, arg := split(line)
	switch verb {
	case "USER":
		s.reply("331 Please specify the password.")
	case "PASS":
		if s.sc.pass != "" {
			s.reply(s.sc.pass)
		} else {
			s.loggedIn = true
			s.reply("230 Login successful.")
		}
	case "SYST":
		s.reply("215 UNIX Type: L8")
	case "FEAT":
		s.reply("211-Features:")
		for _, f := range []string{"EPSV", "PASV", "SIZE", "MDTM", "REST STREAM", "MLST type*;size*;modify*;unique*;", "UTF8"} {
			if !s.sc.noMLST || !strings.HasPrefix(f, "MLST") {
				s.reply(" " + f)
			}
		}
		s.reply("211 End")
	case "PWD", "XPWD":
		s.reply(`257 "/" is the current directory`)
	case "CWD", "XCWD":
		if s.sc.cwd != nil {
			s.reply(s.sc.cwd(arg))
		} else {
			s.reply("250 Directory successfully changed.")
		}
	case "CDUP":
		s.reply("250 Directory successfully changed.")
	case "TYPE", "MODE", "STRU":
		s.reply("200 OK.")
	case "OPTS", "NOOP", "CLNT":
		s.reply("200 OK.")
	case "SIZE":
		if n := fileFor(s.name, arg); n >= 0 {
			s.reply("213 " + strconv.Itoa(n))
		} else {
			s.reply("550 Could not get file size.")
		}
	case "MDTM":
		if fileFor(s.name, arg) >= 0 {
			s.reply("213 20240101000000")
		} else {
			s.reply("550 Could not get file modification time.")
		}
	case "MLST":
		if s.sc.noMLST {
			s.reply("500 Unknown command.")
			break
		}
		s.reply("250-Listing " + arg)
		if n := fileFor(s.name, arg); n >= 0 {
			s.reply(fmt.Sprintf(" type=file;size=%d;modify=20240101000000; %s", n, arg))
		} else {
			s.reply(" type=dir;unique=801U1;modify=20240101000000; " + arg)
		}
		s.reply("250 End")
	case "REST":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 || n > fileSize {
			s.reply("501 Bad REST.")
			break
		}
		s.offset = n
		s.reply("350 Restart position accepted (" + arg + ").")
	case "EPSV":
		s.passive(true)
	case "PASV":
		s.passive(false)
	case "EPRT", "PORT":
		s.reply("500 Active mode not supported here; use EPSV or PASV.")
	case "RETR":
		defer func() { s.offset = 0 }()
		switch {
		case s.sc.retr != nil:
			s.sc.retr(s, arg)
		case fileFor(s.name, arg) == 10:
			s.transfer("150 Opening BINARY mode data connection for file.txt (10 bytes).", []byte("0123456789"), "226 Transfer complete.")
		case fileFor(s.name, arg) == fileSize:
			s.sendFile(content[s.offset:fileSize], s.offset == 0)
		default:
			s.closeData()
			s.reply("550 Failed to open file.")
		}
	case "LIST", "NLST", "MLSD":
		if verb == "MLSD" && s.sc.noMLST && s.name != "missing-dir" {
			s.closeData()
			s.reply("500 Unknown command.")
			break
		}
		dir := arg
		for strings.HasPrefix(dir, "-") { // LIST -la [dir]
			_, dir, _ = strings.Cut(dir, " ")
		}
		if s.sc.list != nil {
			s.sc.list(s, verb, dir)
		} else {
			s.transfer("150 Here comes the directory listing.", nil, "226 Directory send OK.")
		}
	case "ABOR":
		s.closeData()
		if s.sc.abor != "" {
			s.reply(s.sc.abor)
		} else {
			s.reply("226 No transfer to abort.")
		}
	case "QUIT":
		s.reply("221 Goodbye.")
		return false
	case "AUTH":
		s.reply("502 AUTH not supported.")
	default:
		s.reply("502 Command not implemented.")
	}
	return true
}

func main() {
	name := flag.String("scenario", "", "scenario to serve (see -list)")
	addr := flag.String("addr", "127.0.0.1:2121", "listen address")
	list := flag.Bool("list", false, "list the scenarios and exit")
	expected := flag.String("write-expected", "", "write the 100000-byte served file to this path and exit")
	flag.Parse()
	if *expected != "" {
		if err := os.WriteFile(*expected, content[:fileSize], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *list {
		names := make([]string, 0, len(scenarios))
		for n := range scenarios {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("%-22s %s\n", n, scenarios[n].doc)
		}
		return
	}
	sc, ok := scenarios[*name]
	if !ok {
		fmt.Fprintf(os.Stderr, "hostile: unknown scenario %q (see -list)\n", *name)
		os.Exit(2)
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "hostile: serving %s on %s\n", *name, l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		s := &session{id: connCount.Add(1), name: *name, sc: sc, c: c,
			cmds: make(chan string), done: make(chan struct{})}
		go s.serve()
	}
}
