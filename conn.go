package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goftplib/ftp/internal/proto"
)

// Conn is one FTP session: a control connection and at most one data
// connection at a time. It corresponds to ftplib's FTP and FTP_TLS objects.
//
// A Conn is not safe for concurrent use, but misuse is detected: a call made
// while another is running, or while a Reader, Writer or DataConn is open,
// returns ErrBusy. Close is safe from any goroutine and interrupts what is
// in flight. Use a Pool for concurrency.
type Conn struct {
	_    noCopy
	d    *Dialer
	addr string
	id   uint64
	log  *slog.Logger

	nc  net.Conn // control connection as used (TLS or plain)
	raw net.Conn // underlying transport connection
	r   *proto.Reader

	ctrlTLS, dataTLS *tls.Config
	protP            bool // data connections use TLS

	welcome  string
	busy     atomic.Bool
	closed   atomic.Bool
	closeMu  sync.Mutex
	dataConn net.Conn // open data connection, closed by Close

	features map[string]string // nil until FEAT was read
	curType  string            // last TYPE sent ("A", "I"), "" if unknown
	// typeAhead is a TYPE to send with the next EPSV (see takeTypeAhead).
	typeAhead string
	noEPSV    bool // EPSV was refused: use PASV from now on
	epsvOK    bool // EPSV worked: it may be sent with the transfer command
	// noPipeline: the server answered pipelined commands out of
	// sequence; batches run in lock-step from now on.
	noPipeline bool
	// noDeep: the server took commands queued during a transfer out of
	// sequence; batches send the next file's commands only once a
	// transfer has ended.
	noDeep   bool
	noEPRT   bool // EPRT was refused: use PORT from now on
	noMLSD   bool // MLSD was refused or sent garbage: use LIST from now on
	noMLST   bool // MLST was refused or sent garbage: list the parent instead
	noListA  bool // "LIST -a dir" was refused and "LIST dir" worked: no -a with a path
	loggedIn bool
	modeZ    bool // MODE Z (deflate) is in effect
	// loginShape is USER's reply code when it asked for a password
	// (331) and no account followed; 0 otherwise.
	loginShape int
	utf8Code   int // the reply to OPTS UTF8 ON, 0 when not sent
	// wd is the working directory as PWD last gave it, "" when unknown:
	// any command that may change it (see keepsWD) forgets it.
	wd string
	// ctrlCtx is the ctx of the operation using the control connection,
	// so that every read of a long reply renews the inactivity deadline.
	ctrlCtx context.Context
}

// Welcome returns the server's greeting, all its lines, including any
// "120" reply that preceded the 220 (ftplib's getwelcome).
func (c *Conn) Welcome() string { return c.welcome }

// Host returns the address the Conn was dialled with, "host:port" (like
// http.Request.Host); RemoteAddr gives the peer as a net.Addr.
func (c *Conn) Host() string { return c.addr }

// LocalAddr returns the local address of the control connection.
func (c *Conn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// RemoteAddr returns the server's address on the control connection.
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// begin claims the Conn for one operation.
func (c *Conn) begin() error {
	if c.closed.Load() {
		return &opError{err: net.ErrClosed}
	}
	if !c.busy.CompareAndSwap(false, true) {
		return ErrBusy
	}
	return nil
}

func (c *Conn) end() { c.busy.Store(false) }

// watch makes I/O on nc obey ctx: cancelling ctx sets an immediate
// deadline. The returned stop function must be called when the operation
// ends; once it returns, ctx no longer affects nc (it waits for a
// cancellation already under way). It may be called more than once.
func (c *Conn) watch(ctx context.Context, nc interface{ SetDeadline(time.Time) error }) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	fired := make(chan struct{})
	s := context.AfterFunc(ctx, func() {
		nc.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	return sync.OnceFunc(func() {
		if !s() {
			<-fired
		}
	})
}

// deadline sets nc's deadline for the next read or write: Timeout from now,
// or the ctx deadline if that is earlier. It returns ctx's error if ctx is
// already done (so a cancellation racing with this call is never lost).
func (c *Conn) deadline(ctx context.Context, nc net.Conn) error {
	if nc == c.nc {
		c.ctrlCtx = ctx
	}
	var t time.Time // no inactivity limit when Timeout is negative
	if c.d.Timeout >= 0 {
		t = time.Now().Add(c.d.Timeout)
	}
	if dl, ok := ctx.Deadline(); ok && dl.Before(t) {
		t = dl
	}
	nc.SetDeadline(t)
	return ctx.Err()
}

// ioError turns an I/O error into the error returned to the caller: the
// ctx's error when ctx caused it, an inactivity timeout otherwise.
func (c *Conn) ioError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ce := ctx.Err(); ce != nil {
		return ce
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// Only the network goes silent: whatever wrapped the deadline
		// (a splice into a local file names that file) is left out, so
		// the error does not blame the wrong side.
		return fmt.Errorf("no activity for %v: %w", c.d.Timeout, os.ErrDeadlineExceeded)
	}
	if c.closed.Load() && errors.Is(err, net.ErrClosed) {
		return net.ErrClosed
	}
	return err
}

// fail closes the Conn after an error that leaves the control channel out
// of step, and returns err annotated for the caller.
func (c *Conn) fail(ctx context.Context, cmd string, err error) error {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		c.Close()
		return err
	}
	err = c.ioError(ctx, err)
	c.Close()
	return &opError{cmd: cmd, err: err, closed: true}
}

// noteVerb forgets the working directory unless verb leaves it alone.
func (c *Conn) noteVerb(verb string) {
	if c.wd != "" && !keepsWD[strings.ToUpper(verb)] {
		c.wd = ""
	}
}

// keepsWD holds the commands known not to change the working directory;
// any other (CWD, CDUP, USER, REIN, SITE, a raw command…) makes the Conn
// forget it.
var keepsWD = map[string]bool{
	"PWD": true, "XPWD": true, "TYPE": true, "EPSV": true, "PASV": true, "EPRT": true, "PORT": true,
	"RETR": true, "STOR": true, "STOU": true, "APPE": true, "LIST": true, "NLST": true, "MLSD": true,
	"MLST": true, "SIZE": true, "MDTM": true, "MFMT": true, "REST": true, "RNFR": true, "RNTO": true,
	"DELE": true, "MKD": true, "RMD": true, "NOOP": true, "FEAT": true, "ABOR": true, "STAT": true,
	"PBSZ": true, "PROT": true, "MODE": true, "STRU": true, "ALLO": true, "SYST": true, "HASH": true,
}

// writeCmd sends one command line. arg is in the caller's encoding and is
// converted with the Dialer's Encoding.
func (c *Conn) writeCmd(ctx context.Context, verb, arg string) (display string, err error) {
	display = proto.Redact(verb, arg)
	wire, err := c.encode(arg)
	if err != nil {
		return display, &opError{cmd: display, err: err}
	}
	line, err := proto.Command(verb, wire)
	if err != nil {
		if errors.Is(err, proto.ErrInvalidArgument) {
			err = fmt.Errorf("%w: %w", fs.ErrInvalid, err)
		}
		return display, &opError{cmd: display, err: err}
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, LogSend, slog.String(KeyCmd, display))
	c.noteVerb(verb)
	if err := c.deadline(ctx, c.nc); err != nil {
		return display, c.fail(ctx, display, err)
	}
	if _, err := c.nc.Write(line); err != nil {
		return display, c.fail(ctx, display, err)
	}
	return display, nil
}

// pipedCmd is one command of a pipelined group (see writeCmds).
type pipedCmd struct{ verb, arg string }

// writeCmds sends several command lines in one write, before any reply is
// read (pipelining), and returns their display forms. Every line is
// checked before anything is written: an invalid argument sends nothing.
// A write failure closes the Conn.
func (c *Conn) writeCmds(ctx context.Context, cmds ...pipedCmd) ([]string, error) {
	displays := make([]string, len(cmds))
	var buf []byte
	for i, pc := range cmds {
		displays[i] = proto.Redact(pc.verb, pc.arg)
		wire, err := c.encode(pc.arg)
		if err != nil {
			return displays, &opError{cmd: displays[i], err: err}
		}
		line, err := proto.Command(pc.verb, wire)
		if err != nil {
			if errors.Is(err, proto.ErrInvalidArgument) {
				err = fmt.Errorf("%w: %w", fs.ErrInvalid, err)
			}
			return displays, &opError{cmd: displays[i], err: err}
		}
		buf = append(buf, line...)
	}
	for i, d := range displays {
		c.log.LogAttrs(ctx, slog.LevelDebug, LogSend, slog.String(KeyCmd, d))
		c.noteVerb(cmds[i].verb)
	}
	// Only the write deadline is set: the 1xx of an upload may be read
	// by another goroutine meanwhile (see beginData).
	var dl time.Time
	if c.d.Timeout >= 0 {
		dl = time.Now().Add(c.d.Timeout)
	}
	if t, ok := ctx.Deadline(); ok && (dl.IsZero() || t.Before(dl)) {
		dl = t
	}
	c.nc.SetWriteDeadline(dl)
	if err := ctx.Err(); err != nil {
		return displays, c.fail(ctx, displays[0], err)
	}
	if _, err := c.nc.Write(buf); err != nil {
		return displays, c.fail(ctx, displays[0], err)
	}
	return displays, nil
}

// readReply reads one reply; any failure closes the Conn.
func (c *Conn) readReply(ctx context.Context, cmd string) (*Reply, error) {
	if err := c.deadline(ctx, c.nc); err != nil {
		return nil, c.fail(ctx, cmd, err)
	}
	return c.readReplyNow(ctx, cmd)
}

// readReplyNow reads one reply with the deadline already set.
func (c *Conn) readReplyNow(ctx context.Context, cmd string) (*Reply, error) {
	pr, err := c.r.ReadReply()
	if err != nil {
		var fe *proto.FormatError
		if errors.As(err, &fe) {
			return nil, c.fail(ctx, cmd, &ProtocolError{Cmd: cmd, Msg: fe.Error()})
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("server closed the connection: %w", err)
		}
		return nil, c.fail(ctx, cmd, err)
	}
	for i, l := range pr.Lines {
		pr.Lines[i] = c.decode(l)
	}
	rep := newReply(pr)
	c.log.LogAttrs(ctx, slog.LevelDebug, LogRecv, slog.Int(KeyCode, rep.Code), slog.String(KeyMsg, rep.Msg))
	if rep.Code == CodeServiceNotAvailable {
		// 421: the server is closing the control connection.
		err := &ReplyError{Cmd: cmd, Code: rep.Code, Msg: rep.Msg}
		c.Close()
		return rep, err
	}
	return rep, nil
}

// cmd sends a command that takes no preliminary reply and reads its
// reply. A 1xx reply is an error matching ErrUnexpectedReply at once (as
// in ftplib's voidresp); the Conn is closed, since the final reply that
// would follow leaves the channel out of step.
func (c *Conn) cmd(ctx context.Context, verb, arg string) (*Reply, string, error) {
	return c.command(ctx, verb, arg, false)
}

// cmdPrelim sends a command and reads its reply, skipping preliminary
// (1xx) replies: at most maxPreliminary of them, all within one Timeout
// from the first, so that a server repeating them cannot hold the call.
func (c *Conn) cmdPrelim(ctx context.Context, verb, arg string) (*Reply, string, error) {
	return c.command(ctx, verb, arg, true)
}

func (c *Conn) command(ctx context.Context, verb, arg string, prelim bool) (*Reply, string, error) {
	stop := c.watch(ctx, c.nc)
	defer stop()
	display, err := c.writeCmd(ctx, verb, arg)
	if err != nil {
		return nil, display, err
	}
	rep, err := c.readReply(ctx, display)
	if err != nil || rep.Code >= 200 {
		return rep, display, err
	}
	if !prelim {
		c.Close()
		return rep, display, &ReplyError{Cmd: display, Code: rep.Code, Msg: rep.Msg + " (a preliminary reply to a command that takes none; connection closed)"}
	}
	bctx, cancel := c.d.bound(ctx)
	defer cancel()
	bstop := c.watch(bctx, c.nc)
	defer bstop()
	for i := 1; ; i++ {
		if i > maxPreliminary {
			err := &ProtocolError{Cmd: display, Msg: fmt.Sprintf("more than %d preliminary replies without a final one", maxPreliminary)}
			c.Close()
			return rep, display, err
		}
		rep, err = c.readReply(bctx, display)
		if err != nil && ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)) {
			return rep, display, &ProtocolError{Cmd: display, Msg: fmt.Sprintf("no final reply within %v of the first preliminary one", c.d.Timeout), Err: os.ErrDeadlineExceeded}
		}
		if err != nil || rep.Code >= 200 {
			return rep, display, err
		}
	}
}

// expect runs a command and returns a *ReplyError unless the reply code is
// in class (2 for 2xx, 3 for 3xx) or equals one of codes.
func (c *Conn) expect(ctx context.Context, verb, arg string, class int, codes ...int) (*Reply, error) {
	rep, display, err := c.cmd(ctx, verb, arg)
	if err != nil {
		return rep, err
	}
	if rep.Code/100 == class {
		return rep, nil
	}
	for _, code := range codes {
		if rep.Code == code {
			return rep, nil
		}
	}
	return rep, c.unexpected(display, rep)
}

// expectPath is expect for commands whose argument is a path: a 550 reply
// then matches fs.ErrNotExist.
func (c *Conn) expectPath(ctx context.Context, verb, path string, class int, codes ...int) (*Reply, error) {
	rep, err := c.expect(ctx, verb, path, class, codes...)
	var re *ReplyError
	if errors.As(err, &re) {
		re.pathCmd = true
	}
	return rep, err
}

func (c *Conn) unexpected(cmd string, rep *Reply) *ReplyError {
	return &ReplyError{Cmd: cmd, Code: rep.Code, Msg: rep.Msg}
}

// SendCmd sends a raw command line such as "SITE CHMOD 644 a.txt" and
// returns the server's reply (ftplib's sendcmd). A 4xx or 5xx reply is
// returned as a *ReplyError together with the reply. A 1xx reply is
// followed by reading the final reply, which is returned; at most 8
// preliminary replies are accepted, all within one Timeout, after which
// the Conn is closed with a *ProtocolError. Use Transfer for commands
// that need a data connection. Sending TYPE through SendCmd is noted, so
// later transfers set their type again.
func (c *Conn) SendCmd(ctx context.Context, line string) (*Reply, error) {
	return c.sendRaw(ctx, line, true)
}

// VoidCmd sends a raw command line and returns an error unless the reply is
// 2xx (ftplib's voidcmd): a *ReplyError that matches ErrUnexpectedReply,
// ErrTemporary or ErrPermanent. A 1xx reply is an error at once, as in
// ftplib, and closes the Conn (the final reply that would follow leaves
// it out of step).
func (c *Conn) VoidCmd(ctx context.Context, line string) (*Reply, error) {
	rep, err := c.sendRaw(ctx, line, false)
	if err != nil {
		return rep, err
	}
	if rep.Code/100 != 2 {
		verb, arg := proto.SplitCommand(line)
		return rep, c.unexpected(proto.Redact(verb, arg), rep)
	}
	return rep, nil
}

func (c *Conn) sendRaw(ctx context.Context, line string, prelim bool) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	verb, arg := proto.SplitCommand(line)
	switch strings.ToUpper(verb) {
	case "TYPE":
		c.curType = ""
	case "REIN":
		// Every transfer parameter returns to its default (RFC 959
		// section 4.1.1): TYPE is sent again before the next transfer,
		// and MODE Z no longer applies.
		c.curType = ""
		c.modeZ = false
		c.loggedIn = false
	}
	send := c.cmd
	if prelim {
		send = c.cmdPrelim
	}
	rep, display, err := send(ctx, verb, arg)
	if err != nil {
		return rep, err
	}
	if strings.EqualFold(verb, "MODE") && rep.Class() == 2 {
		c.modeZ = strings.EqualFold(strings.TrimSpace(arg), "Z")
	}
	if rep.Code >= 400 {
		return rep, c.unexpected(display, rep)
	}
	return rep, nil
}

// Close closes the connection unilaterally (ftplib's close), interrupting
// any operation in flight and closing an open data connection. It is safe
// to call from any goroutine and more than once; later calls return nil.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.closeMu.Lock()
	if c.dataConn != nil {
		c.dataConn.Close()
		c.dataConn = nil
	}
	c.closeMu.Unlock()
	c.log.LogAttrs(context.Background(), LevelTrace, LogClose)
	err := c.raw.Close()
	if c.nc != c.raw {
		c.nc.Close()
	}
	return err
}

// Quit sends QUIT and closes the connection (ftplib's quit), the polite way
// to end a session. The connection is closed whatever the server answers;
// an error reply is returned as a *ReplyError.
func (c *Conn) Quit(ctx context.Context) error {
	if err := c.begin(); err != nil {
		if errors.Is(err, ErrBusy) {
			c.Close()
		}
		return err
	}
	defer c.end()
	defer c.Close()
	_, err := c.expect(ctx, "QUIT", "", 2)
	return err
}

func (c *Conn) setData(dc net.Conn) {
	c.closeMu.Lock()
	c.dataConn = dc
	closed := c.closed.Load()
	c.closeMu.Unlock()
	if closed && dc != nil {
		dc.Close()
	}
}

// opError wraps a network or context error with the command it interrupted.
type opError struct {
	cmd    string
	err    error
	closed bool
}

func (e *opError) Error() string {
	var b strings.Builder
	b.WriteString("ftp: ")
	if e.cmd != "" {
		b.WriteString(e.cmd + ": ")
	}
	b.WriteString(bareText(e.err))
	if e.closed {
		b.WriteString(" (connection closed)")
	}
	return b.String()
}
func (e *opError) Unwrap() error { return e.err }

// bareText returns err's text without the "ftp: " prefix that this
// package's errors start with, for an error that wraps another: the
// prefix is printed once, at the start.
func bareText(err error) string {
	return strings.TrimPrefix(err.Error(), "ftp: ")
}

// errorf is fmt.Errorf for this package's errors: the text starts with
// "ftp: " once, whatever the errors among args (%w or %v) start with, and
// the result wraps what fmt.Errorf would wrap.
func errorf(format string, args ...any) error {
	shown := make([]any, len(args))
	for i, a := range args {
		if err, ok := a.(error); ok {
			shown[i] = bare(err)
		} else {
			shown[i] = a
		}
	}
	msg := fmt.Sprintf(strings.ReplaceAll(format, "%w", "%v"), shown...)
	return &wrapError{msg: "ftp: " + strings.TrimPrefix(msg, "ftp: "), err: fmt.Errorf(format, args...)}
}

// bare returns err with its text lacking the "ftp: " prefix, for use as
// a %w argument of fmt.Errorf in an error whose text does not start with
// "ftp: " itself (errors.Is and errors.As see through it).
func bare(err error) error { return bareError{err} }

type bareError struct{ err error }

func (b bareError) Error() string { return bareText(b.err) }
func (b bareError) Unwrap() error { return b.err }

// wrapError is an error made by errorf.
type wrapError struct {
	msg string
	err error // the fmt.Errorf error, for Unwrap
}

func (e *wrapError) Error() string { return e.msg }

func (e *wrapError) Unwrap() []error {
	switch u := e.err.(type) {
	case interface{ Unwrap() []error }:
		return u.Unwrap()
	case interface{ Unwrap() error }:
		return []error{u.Unwrap()}
	}
	return nil
}

// ctrlReader reads the control connection, renewing the inactivity
// deadline before every read so that Timeout bounds silence, not the time
// a long reply takes.
type ctrlReader struct{ c *Conn }

func (r ctrlReader) Read(p []byte) (int, error) {
	if ctx := r.c.ctrlCtx; ctx != nil {
		if err := r.c.deadline(ctx, r.c.nc); err != nil {
			return 0, err
		}
	}
	return r.c.nc.Read(p)
}

// SetPasv switches between passive (true, the default) and active
// (false) data connections for the rest of the session (ftplib's
// set_pasv). It must not be called while an operation is running.
func (c *Conn) SetPasv(passive bool) { c.d.Active = !passive }
