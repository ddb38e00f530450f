package ftp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// abortGrace bounds how long the client waits for the server's replies
// after an aborted or failed transfer before giving up on the Conn;
// cancelGrace replaces it when the caller's ctx was cancelled (a user
// pressing Ctrl-C wants the program back, not the Conn).
const (
	abortGrace  = 10 * time.Second
	cancelGrace = 2 * time.Second
)

// chunkTimeout is the time one chunk of a zero-copy transfer may take
// before the inactivity deadline is renewed.
func (c *Conn) chunkTimeout() time.Duration {
	if c.d.Timeout < 0 {
		return DefaultTimeout
	}
	return c.d.Timeout
}

// grace returns how long to wait for the replies that end an aborted
// transfer.
func (c *Conn) grace(ctx context.Context) time.Duration {
	g := abortGrace
	if ctx.Err() != nil {
		g = cancelGrace
	}
	if c.d.Timeout >= 0 {
		g = min(g, c.d.Timeout)
	}
	return g
}

// transfer is an open data connection and the command that opened it.
type transfer struct {
	c       *Conn
	ctx     context.Context
	stop    func()
	conn    net.Conn // as used: TLS or plain, or z
	z       *zconn   // MODE Z wrapper of conn, or nil
	display string
	size    int64 // announced in the 150 reply, or -1
	n       int64 // bytes moved
	offset  int64 // REST offset of a download
	want    int64 // bytes a download must deliver, or -1 when unknown
	wantSrc string
	tooLong bool  // the server sent more than want
	eof     bool  // the server closed the data connection (downloads)
	err     error // first I/O error
	srcErr  bool  // err came from the upload's source, not the network
	wrote   bool  // the transfer is an upload
	closed  bool
	result  error
	final   *Reply
	ka      *keepAlive // NOOPs on the control connection, or nil
	noops   int        // keep-alive NOOPs sent (see skipNoops)
	// pending, when not nil, delivers the upload's 1xx reply (or its
	// refusal), read in the background; nil once it has been taken.
	pending chan firstResult
	refused error // the refusal delivered by pending
}

// startTransfer opens a data connection, sends REST offset if non-zero,
// sends verb arg and waits for the 1xx reply. The busy guard must be held;
// on error it is released by the caller.
//
// Once EPSV is known to work on the Conn, EPSV and the command go out in
// one write (see openPipelined). An upload returns as soon as the data
// connection is open: its 1xx is read in the background (see
// transfer.pending), so the first bytes leave one round trip earlier, and a
// refusal still fails the Writer's Close and later Writes. Over TLS the 1xx
// is read while the data connection's handshake runs.
func (c *Conn) startTransfer(ctx context.Context, verb, arg string, offset int64) (*transfer, error) {
	if offset < 0 {
		return nil, fmt.Errorf("ftp: %s: negative restart offset %d: %w", verb, offset, fs.ErrInvalid)
	}
	stop := c.watch(ctx, c.nc)
	ok := false
	defer func() {
		if !ok {
			stop()
		}
	}()
	var (
		pd        *pendingData
		display   string
		err       error
		verbFirst bool // verb was sent before the data connection was opened
	)
	if c.pipelineEPSV() {
		pd, display, verbFirst, err = c.openPipelined(ctx, verb, arg, offset)
		if err != nil && !errors.Is(err, errEPSVRefused) {
			return nil, err
		}
	}
	if pd == nil {
		if pd, err = c.openData(ctx); err != nil {
			return nil, err
		}
		if offset > 0 {
			if _, err := c.expect(ctx, "REST", strconv.FormatInt(offset, 10), 3, CodePendingFurtherInfo); err != nil {
				pd.close()
				return nil, err
			}
		}
		if display, err = c.writeCmd(ctx, verb, arg); err != nil {
			pd.close()
			return nil, err
		}
	}
	if c.greetingNames("(vsFTPd ") && (verb == "LIST" || verb == "NLST" || verb == "MLSD") {
		// vsftpd sends its 226 only once the client closed the data
		// connection, and reads nothing from it before: with the FIN at
		// once, the 226 comes with the listing, a round trip sooner.
		// (Not everywhere: pyftpdlib ends a transfer on the client's FIN.)
		c.halfCloseData(pd.conn)
	}
	t, err := c.beginData(ctx, verb, display, pd, stop, verbFirst)
	if err != nil {
		if verbFirst {
			c.pipelineSilence(ctx, err)
		}
		return nil, err
	}
	ok = true
	t.ka = c.startKeepAlive(ctx)
	return t, nil
}

// halfCloseData says at once (FIN) that the client sends nothing on a
// plain TCP data connection (passive mode: conn nil otherwise).
func (c *Conn) halfCloseData(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok && !c.protP {
		tc.CloseWrite()
	}
}

// beginData turns pd, the data connection of the command display (verb
// and its argument) that was just sent, into a transfer: it reads the 1xx,
// accepts the server's connection in active mode and starts TLS. It owns
// pd: on error pd is closed. stop is the transfer's control-connection
// watch, called when the transfer ends.
//
// When verbFirst says the command reached the server before the data
// connection was opened, the 1xx of an upload is left to be read in the
// background (see transfer.pending), and over TLS the 1xx is read while
// the handshake runs. Otherwise the 1xx is awaited before anything is
// sent on the data connection, TLS handshake included: a server that gets
// bytes on the connection before the command may drop them (pyftpdlib,
// seen through a SOCKS proxy: an upload stored empty, a handshake cut).
func (c *Conn) beginData(ctx context.Context, verb, display string, pd *pendingData, stop func(), verbFirst bool) (*transfer, error) {
	ok := false
	defer func() {
		if !ok {
			pd.close()
		}
	}()
	upload := isUpload(verb)
	var pending chan firstResult
	var rep *Reply
	var err error
	if pd.ln == nil && verbFirst && (upload || c.protP) {
		// Passive: the data connection is open already. The 1xx is read
		// in the background while the TLS handshake runs, or (uploads)
		// while the first bytes are sent. A refusal closes the data
		// connection, which ends a handshake in progress at once.
		pending = make(chan firstResult, 1)
		data := pd.conn
		go func() {
			rep, err := c.firstReply(ctx, verb, display)
			if err != nil {
				data.Close()
			}
			pending <- firstResult{rep, err}
		}()
	} else {
		if rep, err = c.firstReply(ctx, verb, display); err != nil {
			return nil, err
		}
	}
	conn := pd.conn
	if pd.ln != nil {
		conn, err = c.accept(ctx, pd.ln)
		if err != nil {
			// The server may still be waiting to connect; nothing sensible
			// can follow on this control connection.
			c.Close()
			return nil, err
		}
		pd.ln.Close()
	}
	pd.conn = conn
	conn, err = c.secureData(ctx, conn)
	if err != nil {
		pd.conn = nil
		if pending != nil {
			r := <-pending
			if r.err != nil {
				return nil, r.err // the refusal explains the failed handshake
			}
		}
		c.abort(ctx, nil, 0)
		return nil, err
	}
	if pending != nil && (!upload || !verbFirst) {
		r := <-pending
		if r.err != nil {
			conn.Close()
			return nil, r.err
		}
		rep, pending = r.rep, nil
	}
	c.log.LogAttrs(ctx, LevelTrace, LogDataOpen, slog.String(KeyAddr, conn.RemoteAddr().String()))
	c.setData(conn)
	var z *zconn
	if c.modeZ {
		z = &zconn{Conn: conn}
		conn = z
	}
	ok = true
	dstop := c.watch(ctx, conn)
	size := int64(-1)
	if rep != nil {
		size = parse150(rep.Msg)
	}
	return &transfer{
		c: c, ctx: ctx, conn: conn, z: z, display: display,
		size: size, want: -1, pending: pending,
		stop: func() { dstop(); stop() },
	}, nil
}

// isUpload reports whether verb sends a file to the server.
func isUpload(verb string) bool {
	switch strings.ToUpper(verb) {
	case "STOR", "APPE", "STOU":
		return true
	}
	return false
}

// firstResult is the 1xx reply of a transfer command, or its refusal.
type firstResult struct {
	rep *Reply
	err error
}

// firstReply reads the reply that starts a transfer: a 1xx, after a 2xx
// that some servers send first (ftplib discards it, and so do we). Any
// other reply is returned as a *ReplyError.
func (c *Conn) firstReply(ctx context.Context, verb, display string) (*Reply, error) {
	rep, err := c.readReply(ctx, display)
	if err == nil && rep.Code/100 == 2 && rep.Code < CodeEnteringExtPassive && rep.Code != CodeFileStatus {
		// (A 229, 213 or 250 answers a pipelined EPSV, SIZE or RNTO: out
		// of sequence, and not skipped.)
		rep, err = c.readReply(ctx, display)
	}
	if err != nil {
		return nil, err
	}
	if rep.Code/100 != 1 {
		re := c.unexpected(display, rep)
		re.pathCmd = verb == "RETR" || verb == "STOR" || verb == "APPE" || verb == "LIST" || verb == "NLST" || verb == "MLSD"
		return rep, re
	}
	return rep, nil
}

// errEPSVRefused reports that a pipelined EPSV was refused (5xx) and the
// replies to what followed it were read: the Conn is in step and the
// transfer starts over with PASV.
var errEPSVRefused = errors.New("ftp: EPSV refused")

// openPipelined sends EPSV, REST offset (when offset > 0) and verb arg in
// one write, reads the 229, connects, and reads REST's reply. It returns
// the open data connection, with the 1xx (or refusal) of verb still to be
// read.
//
// REST is pipelined with RETR only: a 350 is required before anything
// read from the data connection is trusted, and when REST is refused the
// transfer that may have started from offset 0 is aborted and nothing is
// returned. REST is never sent together with an upload command (a server
// ignoring it would overwrite the file from its start): STOR and APPE then
// follow the 350 in a write of their own.
//
// When EPSV is refused after all (5xx), the replies to the commands sent
// with it are read (a transfer started without a data connection is
// waited out) and errEPSVRefused is returned: the caller starts over, and
// PASV is used from now on.
func (c *Conn) openPipelined(ctx context.Context, verb, arg string, offset int64) (_ *pendingData, _ string, verbFirst bool, _ error) {
	cmds := []pipedCmd{{"EPSV", ""}}
	tc, typed := c.takeTypeAhead()
	if typed {
		cmds = append([]pipedCmd{tc}, cmds...)
	}
	if offset > 0 {
		cmds = append(cmds, pipedCmd{"REST", strconv.FormatInt(offset, 10)})
	}
	withVerb := offset == 0 || strings.EqualFold(verb, "RETR")
	if withVerb {
		cmds = append(cmds, pipedCmd{verb, arg})
	}
	displays, err := c.writeCmds(ctx, cmds...)
	if err != nil {
		return nil, "", false, err
	}
	if typed {
		if err := c.typeReply(ctx, tc, displays[0]); err != nil {
			return nil, "", false, err
		}
		displays = displays[1:]
	}
	display := displays[len(displays)-1]
	rep, err := c.readReply(ctx, "EPSV")
	if err != nil {
		c.pipelineSilence(ctx, err)
		return nil, "", false, err
	}
	if rep.Code != CodeEnteringExtPassive {
		// Read the replies of what followed EPSV: the Conn stays in step.
		for _, d := range displays[1:] {
			r, err := c.readReply(ctx, d)
			if err != nil {
				return nil, "", false, err
			}
			if r.Code/100 == 1 {
				if _, err := c.finalAfterPrelim(ctx, d); err != nil {
					return nil, "", false, err
				}
			}
		}
		if rep.Code >= 500 {
			c.noEPSV, c.epsvOK = true, false
			return nil, "", false, errEPSVRefused
		}
		return nil, "", false, c.unexpected("EPSV", rep)
	}
	port, perr := parseEPSV(rep.Msg)
	if perr != nil {
		return nil, "", false, c.fail(ctx, "EPSV", &ProtocolError{Cmd: "EPSV", Msg: perr.Error()})
	}
	conn, err := c.dialPassive(ctx, nil, port)
	if err != nil {
		return nil, "", false, c.dialFailed(ctx, verb, displays[1:], err)
	}
	if offset > 0 {
		rrep, err := c.readReply(ctx, displays[1])
		if err != nil {
			c.pipelineSilence(ctx, err)
			conn.Close()
			return nil, "", false, err
		}
		if rrep.Code != CodePendingFurtherInfo {
			// The server did not take the offset: RETR, if it starts,
			// sends the file from its start. Nothing of it is read.
			re := c.unexpected(displays[1], rrep)
			if !withVerb {
				conn.Close()
				return nil, "", false, re
			}
			vrep, err := c.firstReply(ctx, verb, display)
			if err == nil && vrep.Code/100 == 1 {
				c.abort(ctx, conn, 0) // closes conn; closes the Conn if it fails
				return nil, "", false, re
			}
			conn.Close()
			if err != nil && !errors.As(err, new(*ReplyError)) {
				return nil, "", false, err // the connection failed
			}
			return nil, "", false, re
		}
		if !withVerb {
			if display, err = c.writeCmd(ctx, verb, arg); err != nil {
				conn.Close()
				return nil, "", false, err
			}
		}
	}
	return &pendingData{conn: conn}, display, withVerb, nil
}

// dialFailed handles the failure to open the data connection of
// pipelined commands (displays: those sent after EPSV, ending with the
// transfer command). A server that refused the command at once (ProFTPD
// refusing an anonymous STOR closes its passive port as it does) has
// its refusal waiting: that is returned, the Conn in step. A server that
// accepted it waits for a connection that will not come: its replies
// would arrive only when it gives up, so the Conn is closed. The replies
// are awaited for at most a second.
func (c *Conn) dialFailed(ctx context.Context, verb string, displays []string, err error) error {
	if ctx.Err() != nil {
		c.Close()
		return err
	}
	bctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	stop := c.watch(bctx, c.nc)
	defer stop()
	for i, d := range displays {
		rep, rerr := c.readReply(bctx, d)
		if rerr != nil {
			return err // the Conn was closed by the failed read
		}
		last := i == len(displays)-1
		switch {
		case last && rep.Code >= 400:
			re := c.unexpected(d, rep)
			re.pathCmd = verb == "RETR" || verb == "STOR" || verb == "APPE"
			return re
		case !last && rep.Code == CodePendingFurtherInfo:
			continue // REST taken
		case !last && rep.Code >= 400:
			continue // REST refused: the command's own reply follows
		}
		break
	}
	c.Close()
	return err
}

// pipelineSilence notes, after a read failure, a server that went
// silent while replies to pipelined commands were due (one that drops
// the commands it reads ahead): the Pool the Conn belongs to sends them
// one at a time from then on.
func (c *Conn) pipelineSilence(ctx context.Context, err error) {
	if ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.noPipeline = true
	}
}

// finalAfterPrelim reads replies after a 1xx until a final one, within a
// Timeout and at most maxPreliminary of them (a transfer that started
// without a usable data connection ends with a 425).
func (c *Conn) finalAfterPrelim(ctx context.Context, display string) (*Reply, error) {
	bctx, cancel := c.d.bound(ctx)
	defer cancel()
	stop := c.watch(bctx, c.nc)
	defer stop()
	for range maxPreliminary {
		rep, err := c.readReply(bctx, display)
		if err != nil || rep.Code >= 200 {
			return rep, err
		}
	}
	c.Close()
	return nil, &ProtocolError{Cmd: display, Msg: fmt.Sprintf("more than %d preliminary replies without a final one", maxPreliminary)}
}

var re150 = regexp.MustCompile(`(?i)\((\d+) bytes\)`)

// parse150 returns the size announced in a 150 reply, or -1.
func parse150(msg string) int64 {
	m := re150.FindStringSubmatch(msg)
	if m == nil {
		return -1
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func (t *transfer) read(p []byte) (int, error) {
	return t.readBy(p, time.Time{})
}

// errFillCut reports a read of fill stopped by fill's own deadline: the
// connection is fine, and the bytes read so far are to be handed on.
var errFillCut = errors.New("ftp: fill deadline")

// readBy is read, the read ending by cut when cut is not zero: it then
// returns errFillCut, and the transfer goes on (a TLS connection keeps a
// record it had begun to read). cut must come before the inactivity
// deadline and the ctx's (see fill): the read deadline is set to cut
// alone, which costs nothing when the last read of the same fill set it.
func (t *transfer) readBy(p []byte, cut time.Time) (int, error) {
	if t.closed {
		return 0, net.ErrClosed
	}
	if t.err != nil {
		return 0, t.err
	}
	if t.eof {
		return 0, io.EOF
	}
	if cut.IsZero() {
		if err := t.c.deadline(t.ctx, t.conn); err != nil {
			t.err = t.fail(err)
			return 0, t.err
		}
	} else {
		t.conn.SetReadDeadline(cut)
		if err := t.ctx.Err(); err != nil {
			t.err = t.fail(err)
			return 0, t.err
		}
	}
	if t.want >= 0 && int64(len(p)) > t.want-t.n+1 {
		// Read at most one byte past the size: enough to tell that the
		// server sends too much, without handing it to the caller.
		p = p[:t.want-t.n+1]
	}
	n, err := t.conn.Read(p)
	if !cut.IsZero() && n == 0 && errors.Is(err, os.ErrDeadlineExceeded) && t.ctx.Err() == nil {
		return 0, errFillCut
	}
	t.n += int64(n)
	if t.want >= 0 && t.n > t.want {
		n -= int(t.n - t.want)
		t.n = t.want
		t.tooLong = true
		t.err = t.sizeError()
		return n, t.err
	}
	if err == io.EOF {
		t.eof = true
	} else if err != nil {
		t.err = t.fail(err)
		err = t.err
	}
	return n, err
}

// sizeError describes a download that did not end at its known size.
func (t *transfer) sizeError() error {
	got := t.n
	if t.tooLong {
		got++ // at least one byte more than wanted
	}
	return &SizeError{Cmd: t.display, Offset: t.offset, Got: got, Want: t.offset + t.want, Source: t.wantSrc}
}

func (t *transfer) write(p []byte) (int, error) {
	if t.closed {
		return 0, net.ErrClosed
	}
	if t.err != nil {
		return 0, t.err
	}
	if err := t.takePending(false); err != nil {
		t.err = err
		return 0, err
	}
	if err := t.c.deadline(t.ctx, t.conn); err != nil {
		t.err = t.fail(err)
		return 0, t.err
	}
	t.wrote = true
	n, err := t.conn.Write(p)
	t.n += int64(n)
	if err != nil {
		t.err = t.writeFailed(err)
		return n, t.err
	}
	return n, nil
}

// takePending takes the upload's 1xx reply, read in the background (see
// startTransfer): when wait is set it waits for it, otherwise it looks
// only if it has arrived. It returns the refusal of the command, if any.
// The wait is bounded by the Timeout and the ctx of the transfer.
func (t *transfer) takePending(wait bool) error {
	if t.pending == nil {
		return t.refused
	}
	var r firstResult
	if wait {
		r = <-t.pending
	} else {
		select {
		case r = <-t.pending:
		default:
			return nil
		}
	}
	t.pending = nil
	if r.err != nil {
		t.refused = r.err
	} else {
		t.size = parse150(r.rep.Msg)
	}
	return t.refused
}

// writeFailed returns the error of a failed write to the data connection:
// the refusal of the command when the server refused it (and closed the
// data connection for that reason), else the I/O error.
func (t *transfer) writeFailed(err error) error {
	if rerr := t.takePending(true); rerr != nil {
		return rerr
	}
	return t.fail(err)
}

func (t *transfer) fail(err error) error {
	return &opError{cmd: t.display, err: t.c.ioError(t.ctx, err)}
}

// bufPool holds the copy buffers of the non-zero-copy paths (TLS, MODE Z,
// sources and destinations that are not files). 128 KiB measured fastest
// for uploads over loopback (bench/results/notes.md, section 1).
var bufPool = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}

// spliceTarget returns w as an io.ReaderFrom when its ReadFrom moves bytes
// from a socket inside the kernel (splice into a file or a TCP socket). Other
// ReaderFroms (io.Discard, bufio.Writer, bytes.Buffer) copy through small
// buffers of their own and are slower than our pooled buffer.
func spliceTarget(w io.Writer) (io.ReaderFrom, bool) {
	switch w := w.(type) {
	case *os.File:
		return w, true
	case *net.TCPConn:
		return w, true
	}
	return nil, false
}

// isLoopback reports whether the data connection goes to this machine.
// sendfile saves nothing there (the receiver copies anyway) and measured
// slower than plain writes of 128 KiB (bench/results/notes.md, section 1),
// so uploads to loopback use the buffered path.
func isLoopback(tc *net.TCPConn) bool {
	a, ok := tc.RemoteAddr().(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}

// chunk is the amount copied between inactivity-deadline refreshes on the
// zero-copy paths (splice, sendfile), adapted to the observed rate so that
// one chunk takes well under the Timeout.
type chunker struct {
	size    int64
	timeout time.Duration
}

func (k *chunker) next(n int64, took time.Duration) {
	if n < k.size {
		return
	}
	// Aim at a quarter of the timeout per chunk.
	if took < k.timeout/16 && k.size < 64<<20 {
		k.size *= 2
	} else if took > k.timeout/4 && k.size > 64<<10 {
		k.size /= 2
	}
}

// writeTo copies the download to w. Plain TCP into an io.ReaderFrom (such
// as *os.File) goes through the kernel (splice); otherwise a pooled buffer
// is used.
func (t *transfer) writeTo(w io.Writer) (int64, error) {
	if t.closed {
		return 0, net.ErrClosed
	}
	if t.err != nil {
		return 0, t.err
	}
	var total int64
	if tc, ok := t.conn.(*net.TCPConn); ok {
		if rf, ok := spliceTarget(w); ok {
			k := chunker{size: 1 << 20, timeout: t.c.chunkTimeout()}
			for !t.eof {
				limit := k.size
				if t.want >= 0 {
					if t.n >= t.want {
						break // the buffered path below checks that EOF follows
					}
					limit = min(limit, t.want-t.n)
				}
				if err := t.c.deadline(t.ctx, tc); err != nil {
					t.err = t.fail(err)
					return total, t.err
				}
				start := time.Now()
				n, err := rf.ReadFrom(&io.LimitedReader{R: tc, N: limit})
				total += n
				t.n += n
				if err != nil {
					if isWriteSide(err, w) {
						t.err = &opError{cmd: t.display, err: err}
					} else {
						t.err = t.fail(err)
					}
					return total, t.err
				}
				if n < limit {
					t.eof = true
				}
				k.next(n, time.Since(start))
			}
			if t.eof {
				return total, nil
			}
		}
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	_, coalesce := t.conn.(*tls.Conn)
	for {
		var n int
		var err error
		if coalesce {
			n, err = t.fill(buf)
		} else {
			n, err = t.read(buf)
		}
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr == nil && m < n {
				werr = io.ErrShortWrite
			}
			if werr != nil {
				t.err = &opError{cmd: t.display, err: werr}
				return total, t.err
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// fillWait bounds how long fill goes on reading into a buffer that holds
// data already: bytes received are handed on at most this long after the
// first of them.
const fillWait = 10 * time.Millisecond

// fill reads into p until it is full, the download ends or fails, or
// fillWait has passed since the first read returned data. A TLS
// connection returns one record (at most 16 KiB) per Read: handing each
// on at once costs one write to the file per record, eight per buffer.
// An error is returned with the bytes read before it.
func (t *transfer) fill(p []byte) (int, error) {
	n, err := t.read(p)
	if err != nil || n == 0 {
		return n, err
	}
	cut := time.Now().Add(fillWait)
	if t.c.d.Timeout >= 0 && t.c.d.Timeout <= fillWait {
		return n, nil // the inactivity deadline comes first
	}
	if dl, ok := t.ctx.Deadline(); ok && !cut.Before(dl) {
		return n, nil
	}
	for n < len(p) {
		m, err := t.readBy(p[n:], cut)
		n += m
		if err == errFillCut {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// isWriteSide reports whether an error from ReadFrom came from the
// destination rather than from the network. Errors from the socket are
// *net.OpError; anything else (disk full, closed file) is the writer's.
func isWriteSide(err error, w io.Writer) bool {
	var ne *net.OpError
	if errors.As(err, &ne) {
		return false
	}
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// readFrom copies r to the upload. Plain TCP from an *os.File uses
// sendfile; otherwise a pooled buffer.
func (t *transfer) readFrom(r io.Reader) (int64, error) {
	if t.closed {
		return 0, net.ErrClosed
	}
	if t.err != nil {
		return 0, t.err
	}
	var total int64
	if tc, ok := t.conn.(*net.TCPConn); ok && !isLoopback(tc) {
		if _, ok := r.(*os.File); ok {
			k := chunker{size: 1 << 20, timeout: t.c.chunkTimeout()}
			t.wrote = true
			for {
				if err := t.takePending(false); err != nil {
					t.err = err
					return total, err
				}
				if err := t.c.deadline(t.ctx, tc); err != nil {
					t.err = t.fail(err)
					return total, t.err
				}
				start := time.Now()
				n, err := tc.ReadFrom(&io.LimitedReader{R: r, N: k.size})
				total += n
				t.n += n
				if err != nil {
					t.err = t.writeFailed(err)
					return total, t.err
				}
				if n < k.size {
					return total, nil
				}
				k.next(n, time.Since(start))
			}
		}
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, rerr := r.Read(buf)
		if n > 0 {
			if _, err := t.write(buf[:n]); err != nil {
				return total, err
			}
			total += int64(n)
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			t.err = &opError{cmd: t.display, err: rerr}
			t.srcErr = true
			return total, t.err
		}
	}
}

// finish ends the transfer. For a clean end it closes the data connection
// and reads the final reply (226 or 250). When abort is set, or the
// transfer failed because of the ctx, it aborts (ABOR) and resynchronises
// the control connection within abortGrace, closing the Conn if that fails.
func (t *transfer) finish(abort bool) error {
	if t.closed {
		return t.result
	}
	t.closed = true
	c := t.c
	defer c.end()
	defer t.stop()
	defer c.setData(nil)
	// The keep-alive NOOPs go on while the final reply is awaited (a
	// server may take its time after a large upload), and are stopped
	// before anything else is written on the control connection.
	defer t.stopKeepAlive()
	if err := t.takePending(true); err != nil {
		// The command was refused (its reply was the last one), or the
		// control connection failed while its 1xx was awaited.
		t.conn.Close()
		t.stopKeepAlive()
		if t.noops > 0 && !c.closed.Load() {
			t.skipNoops()
		}
		t.result = err
		return err
	}
	ctxDone := t.ctx.Err() != nil
	if t.err != nil && errors.Is(t.err, os.ErrDeadlineExceeded) && !t.srcErr && !ctxDone {
		// The server went silent for a whole Timeout: waiting as long
		// again for its reply to ABOR, or for one that explains the
		// failure, would double what a dead server costs. The Conn is
		// closed instead (a retry dials anew).
		t.stop()
		c.Close()
		t.result = t.err
		return t.result
	}
	if abort || ctxDone {
		t.stop() // the cancelled ctx must not touch the deadlines any more
		t.stopKeepAlive()
		t.result = c.abort(t.ctx, t.conn, t.noops)
		if t.err != nil {
			t.result = t.err
		}
		return t.result
	}
	fullClose, closeErr := t.closeData()
	defer fullClose()
	if t.err != nil {
		// The server usually explains a failed transfer (426, 451, 552);
		// its reply is more useful than our I/O error.
		t.stop()
		gctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), c.grace(t.ctx))
		defer cancel()
		rep, err := t.finalReply(gctx)
		t.stopKeepAlive()
		if err == nil {
			t.skipNoops()
		}
		switch {
		case err != nil:
			t.result = t.err
		case rep.Code/100 != 2:
			t.result = t.explain(c.unexpected(t.display, rep))
		default:
			t.result = t.err
		}
		return t.result
	}
	stopDrain := t.watchDrain()
	rep, err := t.finalReply(t.ctx)
	stopDrain()
	t.stopKeepAlive()
	if err != nil {
		t.result = t.lostFinal(err)
		return t.result
	}
	t.skipNoops()
	t.final = rep
	if rep.Code/100 != 2 {
		t.result = t.explain(c.unexpected(t.display, rep))
		return t.result
	}
	if !t.wrote && t.want >= 0 && t.n != t.want {
		t.result = t.sizeError()
		return t.result
	}
	if closeErr != nil && !errors.Is(closeErr, net.ErrClosed) {
		c.log.LogAttrs(t.ctx, LevelTrace, LogDataCloseError, slog.String(KeyErr, closeErr.Error()))
	}
	c.log.LogAttrs(t.ctx, LevelTrace, LogDataClosed, slog.Int64(KeyBytes, t.n))
	return nil
}

// lostFinal explains the failure to read the final reply of a transfer
// whose data connection ended cleanly: the bytes moved may be complete,
// and the likely cause, when the keep-alive was off, is a NAT box or
// firewall that dropped the idle control connection.
func (t *transfer) lostFinal(err error) error {
	if t.ctx.Err() != nil || errors.As(err, new(*ReplyError)) || errors.As(err, new(*ProtocolError)) {
		return err
	}
	why := ""
	if t.ka == nil {
		why = "; a NAT box or firewall may have dropped it as idle: NOOPs during transfers (Dialer.ControlKeepAlive) keep it open"
	}
	return errorf("%w (no final reply: the control connection was lost after the data connection had moved %d bytes%s)", err, t.n, why)
}

// explain adds the likely cause to a refusal of a TLS data connection
// that did not resume the control connection's session.
func (t *transfer) explain(re *ReplyError) error {
	tc, ok := t.conn.(*tls.Conn)
	if t.z != nil {
		tc, ok = t.z.Conn.(*tls.Conn)
	}
	if !ok || tc.ConnectionState().DidResume || (re.Code != CodeCantOpenData && re.Code != 522) {
		return re
	}
	return fmt.Errorf("%w (the TLS data connection did not resume the control connection's session, "+
		"which this server may require; Go resumes TLS 1.2 sessions only with session tickets: "+
		"use TLS 1.3, or enable session tickets on the server)", re)
}

// closeData ends the data connection at the end of a transfer and
// returns a function that finishes closing it, to be called once the
// final reply has been read. After an upload it half-closes the TCP
// connection (over TLS, after close_notify) and releases the socket only
// after the server's 226, so that its send queue can be watched
// (watchDrain). Over TLS it matters twice: closing a socket that still
// holds unread bytes (TLS 1.3 session tickets) sends a reset that could
// destroy the end of the upload before the server has read it, and
// waiting for the server's own close instead would hang on servers that
// keep it open.
func (t *transfer) closeData() (func(), error) {
	conn := t.conn
	if t.z != nil {
		conn = t.z.Conn
		if t.wrote || !t.eof {
			if err := t.z.finish(); err != nil {
				conn.Close()
				return func() {}, err
			}
		}
	}
	if !t.wrote {
		return func() {}, conn.Close()
	}
	tc, ok := conn.(*tls.Conn)
	if !ok {
		if tcp, ok := conn.(*net.TCPConn); ok {
			// The FIN now; the socket is released after the final reply,
			// its send queue watched meanwhile (watchDrain). (A FIN that
			// cannot be sent is no error of the close, as before: the
			// server's reply tells how the upload ended.)
			tcp.CloseWrite()
			return func() { tcp.Close() }, nil
		}
		return func() {}, conn.Close()
	}
	err := tc.CloseWrite() // close_notify
	if hc, ok := tc.NetConn().(interface{ CloseWrite() error }); ok {
		hc.CloseWrite() // FIN: the server sees the end of the file
	}
	return func() { tc.NetConn().Close() }, err
}

// abort sends ABOR, closes the data connection and reads what follows
// within abortGrace, closing the Conn if that fails. It returns nil when
// the Conn is usable.
//
// Servers answer in different ways: 426 then 225/226 (vsftpd, ProFTPD,
// pyftpdlib); a 1xx then 226 (Pure-FTPd); 226 for a transfer that had
// completed, then 225/226 for ABOR; or a refusal of ABOR (500, 502) and
// perhaps nothing more. Since it is unknown whether another reply is still
// to come, the client sends PWD after the first final reply and skips
// replies up to its 257, which nothing else produces. A refusal of ABOR
// is returned as a *ReplyError once the Conn is back in step. Replies to
// the transfer's keep-alive NOOPs (when noops were sent) are
// skipped on the way.
func (c *Conn) abort(ctx context.Context, data net.Conn, noops int) error {
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.grace(ctx))
	defer cancel()
	stop := c.watch(gctx, c.nc)
	defer stop()
	// On ProFTPD, a TLS data connection is drained rather than closed
	// (see drainData), unless keep-alive NOOPs went before the ABOR:
	// ProFTPD then left the data connection open past the drain, and the
	// close that followed ended the session as often as before.
	tlsData, _ := data.(*tls.Conn)
	abortFirst := tlsData != nil && noops == 0 && c.greetingNames("ProFTPD")
	if data != nil {
		// Closed now, or after the drain; and on every early return.
		// (A second Close does nothing.)
		defer data.Close()
		if !abortFirst {
			data.Close()
		}
	}
	if c.closed.Load() {
		return &opError{cmd: "ABOR", err: net.ErrClosed}
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, LogSend, slog.String(KeyCmd, "ABOR"))
	if err := c.deadline(gctx, c.nc); err != nil {
		return c.fail(gctx, "ABOR", err)
	}
	if err := c.sendAbort(); err != nil {
		return c.fail(gctx, "ABOR", err)
	}
	if abortFirst {
		drainData(tlsData, abortDrain)
	}
	final := func() (*Reply, error) {
		for {
			rep, err := c.readReply(gctx, "ABOR")
			if err == nil && noops > 0 && rep.Code == CodeCommandOK {
				continue // a keep-alive's reply (see keepAlive)
			}
			if err != nil || rep.Code >= 200 {
				return rep, err
			}
		}
	}
	rep, err := final()
	if err != nil {
		return err
	}
	// Whether more replies follow (ABOR's own after the transfer's 426, or
	// nothing after a refusal) is not known for sure: resynchronise
	// without waiting for them.
	if _, err := c.writeCmd(gctx, "PWD", ""); err != nil {
		return err
	}
	for {
		r, err := c.readReply(gctx, "PWD")
		if err != nil {
			return err
		}
		if r.Code == CodePathCreated {
			break
		}
	}
	switch rep.Code {
	case CodeTransferAborted, CodeLocalError, CodeFileBusy, CodeCantOpenData:
		return nil // the transfer's reply to being aborted
	}
	if rep.Code >= 400 && !(noops > 0 && isNoopReply(rep)) {
		// ABOR itself was refused: say so at once, as ftplib does. (After
		// keep-alive NOOPs, a 500 may be the answer to them: Pure-FTPd's
		// "500 Unknown command" for what it read during the transfer.
		// The Conn is in step either way.)
		return &ReplyError{Cmd: "ABOR", Code: rep.Code, Msg: rep.Msg}
	}
	return nil
}

// abortDrain bounds drainData.
const abortDrain = time.Second

// drainData reads and drops what arrives on a TLS data connection being
// aborted, until the server closes it or for at most d, then closes it.
// ProFTPD reads an ABOR sent during a transfer and closes the data
// connection itself; a TLS data connection closed by the client while
// ProFTPD writes to it resets the connection under its SSL_write, which
// mod_tls takes for a fatal error: it ends the whole session ("unexpected
// OpenSSL error, disconnecting"), control connection included.
func drainData(data *tls.Conn, d time.Duration) {
	data.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 32<<10)
	for {
		if _, err := data.Read(buf); err != nil {
			break
		}
	}
	data.Close()
}

// sendAbort writes ABOR. With Dialer.UrgentAbort on a plain TCP control
// connection it is preceded by Telnet IP and Synch, the Synch's DM byte
// sent as urgent data (RFC 959 section 4.1.3).
func (c *Conn) sendAbort() error {
	if tc, ok := c.nc.(*net.TCPConn); ok && c.d.UrgentAbort {
		if err := sendSynch(tc); err != nil {
			return err
		}
	}
	_, err := c.nc.Write([]byte("ABOR\r\n"))
	return err
}

// retrLines reads a text data connection line by line.
func (t *transfer) lines(fn func(line string) error) error {
	br := bufio.NewReaderSize(readerFunc(t.read), 64<<10)
	for {
		line, err := readLine(br)
		if len(line) > 0 || (err == nil) {
			if ferr := fn(t.c.decode(string(line))); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// MaxTextLine bounds one line of a line-mode transfer (RetrLines, listings).
const MaxTextLine = 1 << 20

func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxTextLine {
			return nil, &ProtocolError{Msg: fmt.Sprintf("line longer than %d bytes in a text transfer", MaxTextLine)}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(line) > 0 {
			err = nil // last line without newline
			return trimEOL(line), io.EOF
		}
		if err != nil {
			return nil, err
		}
		return trimEOL(line), nil
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
