package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

// RetrItem is one file of a batch download ([Conn.RetrBatch],
// [Pool.RetrBatch]).
type RetrItem struct {
	// Path is the remote file.
	Path string
	// Size is the file's size (from a listing), checked when SizeKnown
	// is set; otherwise the size announced in the 150 reply is checked
	// when there is one. A download that ends with another number of
	// bytes fails with a *SizeError.
	Size      int64
	SizeKnown bool
	// Open returns where the bytes go. It is called once, just before the
	// file's transfer starts (a retry after a transient failure writes
	// the rest of the file to the same writer, from where it stopped, so
	// every byte is written exactly once). A writer that is an io.Closer
	// is closed by the batch before Done is called. *os.File keeps the
	// kernel's zero-copy path (splice) on plain FTP.
	Open func() (io.Writer, error)
	// Done, when not nil, is called once when the file's transfer has
	// ended, with the bytes written and nil when every byte arrived and
	// the size checked out, or the file's error.
	Done func(n int64, err error)
}

// StorItem is one file of a batch upload ([Conn.StorBatch],
// [Pool.StorBatch]).
type StorItem struct {
	// Path is the file's final remote name.
	Path string
	// Temp, when not empty, is the name the file is uploaded under; it is
	// renamed to Path (RNFR, RNTO) only once SIZE has confirmed that the
	// server holds every byte sent. A failed upload is never renamed, and
	// an existing Path is untouched until then.
	Temp string
	// Size is the number of bytes the reader returned by Open yields, or
	// -1 when unknown. When known, a reader that yields another number of
	// bytes fails the file (a local file that changed meanwhile).
	Size int64
	// ModTime, when not zero, is set on Path after the upload with MFMT,
	// when the server offers it (a refusal is ignored).
	ModTime time.Time
	// Open returns the bytes to upload. It is called once per attempt (a
	// Pool retries a file from its start after a transient failure), and
	// must return the same bytes each time. A reader that is an io.Closer
	// is closed by the batch when the attempt ends.
	Open func() (io.Reader, error)
	// Done, when not nil, is called once when the file's upload has
	// ended: with the bytes sent and nil once the file is complete and
	// verified (and renamed, with Temp), or with the file's error.
	Done func(n int64, err error)
}

// errPipeline reports a server that answered pipelined commands out of
// sequence or refused them; the Conn was closed.
var errPipeline = errors.New("the server does not take pipelined commands")

// batchFile is the state of one file of a batch. It is used by one
// Conn at a time.
type batchFile struct {
	idx    int
	n      int64 // bytes done (downloads: written to w; uploads: sent in the last attempt)
	w      io.Writer
	opened bool
	ended  bool
	err    error // a transient failure left for a retry (Pool)
}

// batch holds the files of one batch and reports their ends. It is safe
// for use by several Conns at once (Pool).
type batch struct {
	retr  []RetrItem
	stor  []StorItem
	files []*batchFile
	// retry, when not nil, is asked about each failure: true keeps the
	// file for a later attempt instead of ending it.
	retry func(f *batchFile, err error) bool
	// deep allows sending the next file's commands while a transfer is
	// starting (see Conn.noDeep); a server that cannot take it closes
	// the Conn, which only a Pool can replace.
	deep bool
	// quit, when set and true, makes a connection that runs out of
	// files while its last transfer is under way (deep pipelining) send
	// QUIT behind it (see Pool.Finishing).
	quit func() bool

	mu     sync.Mutex
	failed int
	first  error
}

// end ends f with err (nil: success), unless retry keeps it for another
// attempt. The items' Done calls are serialised.
func (b *batch) end(f *batchFile, err error) {
	if f.ended {
		return
	}
	if err != nil && b.retry != nil && b.retry(f, err) {
		return
	}
	b.final(f, err)
}

// final ends f with err.
func (b *batch) final(f *batchFile, err error) {
	if f.ended {
		return
	}
	f.ended = true
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.failed++
		if b.first == nil {
			b.first = err
		}
	}
	b.done(f, err)
}

// done closes what Open returned and calls the item's Done.
func (b *batch) done(f *batchFile, err error) {
	if b.retr != nil {
		it := &b.retr[f.idx]
		if cl, ok := f.w.(io.Closer); ok && f.opened {
			if cerr := cl.Close(); err == nil && cerr != nil {
				err = cerr
			}
		}
		if it.Done != nil {
			it.Done(f.n, err)
		}
		return
	}
	if it := &b.stor[f.idx]; it.Done != nil {
		it.Done(f.n, err)
	}
}

func (b *batch) result() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed == 0 {
		return nil
	}
	return errorf("%d of %d files failed; the first: %w", b.failed, len(b.files), b.first)
}

func newBatch(n int) []*batchFile {
	files := make([]*batchFile, n)
	for i := range files {
		files[i] = &batchFile{idx: i}
	}
	return files
}

// sliceSource returns the files one by one, then nil.
func sliceSource(files []*batchFile) func() *batchFile {
	i := 0
	return func() *batchFile {
		for i < len(files) {
			f := files[i]
			i++
			if !f.ended {
				return f
			}
		}
		return nil
	}
}

// RetrBatch downloads items in binary mode over this Conn, pipelining
// its commands: once EPSV is known to work, EPSV and RETR go out in one
// write, and the next file's EPSV and RETR are sent as soon as the
// previous file's data has ended, before its final reply (226) has been
// read, so that one file costs about two round trips. Every reply is
// accounted for in order.
//
// A file that fails (550, a size mismatch, a data connection cut) is
// reported to its Done and the batch goes on. A failure of the control
// connection ends the batch: the files not done get that error, and the
// Conn is closed. So does a server that answers pipelined commands out of
// sequence; [Pool.RetrBatch] then finishes the batch in lock-step on a new
// connection. The ctx governs the whole batch.
//
// RetrBatch returns nil when every file succeeded, else an error that
// counts the failures and wraps the first one. It is not safe for
// concurrent use (see Conn).
func (c *Conn) RetrBatch(ctx context.Context, items []RetrItem) error {
	b := &batch{retr: items, files: newBatch(len(items))}
	err := c.retrFiles(ctx, b, sliceSource(b.files))
	for _, f := range b.files {
		b.final(f, unfinished(err))
	}
	return b.result()
}

// StorBatch uploads items in binary mode over this Conn, pipelining its
// commands. Per file: EPSV and STOR in one write, the data, the 226; the
// file's SIZE then goes out with the next file's EPSV and STOR, and once
// SIZE confirmed every byte, its RNFR and RNTO (with Temp) and MFMT (with
// ModTime) go out with the following file's. About three round trips per
// file. A file is renamed into place only after SIZE confirmed every
// byte, and only after the server's 226: a SIZE sent during the upload
// would be answered, by servers that read commands during a transfer,
// with the size so far.
//
// Failures are reported per file as in RetrBatch; a server that refuses
// SIZE leaves the file under its Temp name with an error saying so. A
// source that fails mid-file aborts that upload (ABOR). It returns nil
// when every file succeeded, else an error that counts the failures and
// wraps the first one.
func (c *Conn) StorBatch(ctx context.Context, items []StorItem) error {
	b := &batch{stor: items, files: newBatch(len(items))}
	err := c.storFiles(ctx, b, sliceSource(b.files))
	for _, f := range b.files {
		b.final(f, unfinished(err))
	}
	return b.result()
}

// errUnfinished is the error of a file that a batch left without an
// outcome: never reported as a success.
var errUnfinished = errors.New("ftp: the batch ended before this file was finished")

// unfinished is the error for the files a batch did not end: the
// connection's failure, or errUnfinished.
func unfinished(err error) error {
	if err == nil {
		return errUnfinished
	}
	return err
}

// batchStart claims the Conn for a batch. TYPE I goes with the first
// commands (see writeBatch).
func (c *Conn) batchStart(ctx context.Context) (stop func(), err error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	wstop := c.watch(ctx, c.nc)
	return func() { wstop(); c.end() }, nil
}

// writeBatch sends cmds in one write, preceded by TYPE I when that is not
// the type in effect; TYPE's reply, the first to come, is read at once.
func (c *Conn) writeBatch(ctx context.Context, cmds ...pipedCmd) ([]string, error) {
	typed := c.curType != "I"
	if typed {
		cmds = append([]pipedCmd{{"TYPE", "I"}}, cmds...)
	}
	displays, err := c.writeCmds(ctx, cmds...)
	if err != nil || !typed {
		return displays, err
	}
	rep, err := c.pipedReply(ctx, displays[0])
	if err != nil {
		return nil, err
	}
	if rep.Code/100 != 2 {
		// The replies to the rest are on their way: out of step.
		c.Close()
		return nil, &opError{cmd: displays[0], err: c.unexpected(displays[0], rep), closed: true}
	}
	c.curType = "I"
	return displays[1:], nil
}

// pipelineBroken closes the Conn after a reply out of sequence and
// returns the error that makes the Pool go on in lock-step.
func (c *Conn) pipelineBroken(display string, rep *Reply, deep bool) error {
	c.Close()
	if deep {
		c.noDeep = true // shallow pipelining may still work
	} else {
		c.noPipeline = true
	}
	what := "no reply"
	if rep != nil {
		what = strconv.Itoa(rep.Code) + " " + rep.Msg
	}
	return &opError{cmd: display, err: fmt.Errorf("%w (got %q)", errPipeline, what), closed: true}
}

// pipedReply reads the reply to a pipelined command. A silence of a
// whole Timeout there (a server that dropped commands it read ahead) is
// reported as errPipeline, as is a 500-504 refusal.
func (c *Conn) pipedReply(ctx context.Context, display string) (*Reply, error) {
	rep, err := c.readReply(ctx, display)
	if err != nil && ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		c.noPipeline = true
		return nil, errorf("%w (%w)", err, errPipeline)
	}
	return rep, err
}

// retrOpen opens f's writer once.
func (b *batch) retrOpen(f *batchFile) error {
	if f.opened {
		return nil
	}
	w, err := b.retr[f.idx].Open()
	if err != nil {
		return err
	}
	if w == nil {
		return errors.New("ftp: RetrItem.Open returned a nil writer")
	}
	f.w, f.opened = w, true
	return nil
}

// retrFiles downloads the files that next returns, on c, pipelined when
// the Conn allows, else one at a time. It returns the connection's
// failure; the files it took and did not end are left to the caller.
func (c *Conn) retrFiles(ctx context.Context, b *batch, next func() *batchFile) (err error) {
	lockstep := func() error {
		for f := next(); f != nil; f = next() {
			if err := c.retrLockstep(ctx, b, f); err != nil {
				return err
			}
		}
		return nil
	}
	if c.noPipeline || c.d.Active || c.d.DisableEPSV || c.noEPSV {
		return lockstep()
	}
	// The first file learns whether EPSV works.
	for !c.epsvOK && !c.noEPSV {
		f := next()
		if f == nil {
			return nil
		}
		if err := c.retrLockstep(ctx, b, f); err != nil {
			return err
		}
	}
	if !c.epsvOK {
		return lockstep()
	}
	stop, err := c.batchStart(ctx)
	if err != nil {
		return err
	}
	defer stop()

	// prev is the file whose data has ended and whose final reply is
	// still to be read.
	var prev *batchFile
	var prevT *transfer
	// ahead is the file whose EPSV and RETR were sent while the current
	// file's transfer was starting (deep pipelining, see Conn.noDeep):
	// the server finds them queued the moment it has sent the current
	// file's 226, so its 229 comes back with that 226.
	var ahead *batchFile
	var aheadDisplays []string
	// quitSent: QUIT went behind the last transfer (batch.quit); its 221
	// follows that transfer's 226.
	quitSent := false
	queued := func() bool { return ahead != nil || quitSent }
	endPrev := func() error {
		if prev == nil {
			return nil
		}
		f, t := prev, prevT
		prev, prevT = nil, nil
		rep, err := c.pipedReply(ctx, t.display)
		t.stop()
		c.setData(nil)
		if err != nil {
			return err
		}
		if rep.Code == CodeEnteringExtPassive || rep.Code/100 == 1 || queued() && !endsTransfer(rep) {
			// With the next file's commands queued, a failure here may
			// answer them (a server that read them during the transfer:
			// "450 EPSV: data transfer in progress", "500 Unknown
			// command", a 221 to QUIT): the Conn cannot be trusted to be
			// in step.
			return c.pipelineBroken(t.display, rep, queued())
		}
		b.end(f, t.downloadResult(rep))
		return nil
	}
	// send opens f and sends its EPSV and RETR; false when f ended at
	// once (its writer or name refused).
	send := func(f *batchFile) ([]string, bool, error) {
		if err := b.retrOpen(f); err != nil {
			b.end(f, err)
			return nil, false, nil
		}
		it := &b.retr[f.idx]
		if err := c.checkArgs(it.Path); err != nil {
			b.end(f, err)
			return nil, false, nil
		}
		displays, err := c.writeBatch(ctx, pipedCmd{"EPSV", ""}, pipedCmd{"RETR", it.Path})
		return displays, err == nil, err
	}
	// sendAhead sends the next file's commands (deep pipelining).
	usedDeep := false
	defer func() {
		if err != nil && ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, errPipeline) {
			// Silence while replies to pipelined commands were due: a
			// server that dropped the commands it read ahead.
			c.noPipeline = true
			err = errorf("%w (%w)", err, errPipeline)
		}
		if usedDeep && c.noPipeline {
			// Broken with commands queued during a transfer: the next
			// attempt goes without them, still pipelined.
			c.noPipeline, c.noDeep = false, true
		}
		if err != nil {
			// The connection's failure, with replies to pipelined
			// commands perhaps still due (a data connection that failed
			// with the transfer command sent): never given back to a
			// Pool in that state.
			c.Close()
		}
	}()
	sendAhead := func() error {
		if c.noDeep || !b.deep {
			return nil
		}
		usedDeep = true
		for {
			f := next()
			if f == nil {
				if b.quit != nil && b.quit() {
					if _, err := c.writeCmds(ctx, pipedCmd{"QUIT", ""}); err != nil {
						return err
					}
					quitSent = true
				}
				return nil
			}
			displays, ok, err := send(f)
			if err != nil {
				return err
			}
			if ok {
				ahead, aheadDisplays = f, displays
				return nil
			}
		}
	}
	for {
		var f *batchFile
		var displays []string
		if ahead != nil {
			f, displays, ahead = ahead, aheadDisplays, nil
		} else {
			if f = next(); f == nil {
				break
			}
			var ok bool
			var err error
			displays, ok, err = send(f)
			if err != nil {
				return err
			}
			if err := endPrev(); err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		it := &b.retr[f.idx]
		t, err := c.pipedData(ctx, "RETR", displays, nil, sendAhead, it.SizeKnown && it.Size <= halfCloseMax)
		if err != nil {
			var re *ReplyError
			if errors.As(err, &re) && !c.closed.Load() {
				if queued() && (re.Code == CodeEnteringExtPassive || isSyntaxRefusal(&Reply{Code: re.Code})) {
					return c.pipelineBroken(displays[1], &Reply{Code: re.Code, Msg: re.Msg}, true)
				}
				b.end(f, err) // this file refused (550): the batch goes on
				continue
			}
			return err
		}
		t.offset = 0
		switch {
		case it.SizeKnown:
			t.want, t.wantSrc = it.Size, "listing"
		case t.size >= 0 && !c.modeZ:
			t.want, t.wantSrc = t.size, "150 reply"
		}
		n, werr := t.writeTo(f.w)
		f.n += n
		if werr != nil || !t.eof {
			// Cut short or refused by the writer: end this transfer alone
			// (ABOR when the server may still be sending), then go on.
			if werr == nil {
				werr = t.sizeError()
			}
			if queued() {
				// The next file's commands are queued behind: ABOR and
				// its replies cannot be told apart from theirs.
				t.stop()
				c.setData(nil)
				c.Close()
				b.end(f, werr)
				return &opError{cmd: t.display, err: net.ErrClosed, closed: true}
			}
			rerr := c.batchAbortData(ctx, t, werr)
			b.end(f, rerr)
			if c.closed.Load() {
				return rerr
			}
			continue
		}
		fullClose, _ := t.closeData()
		fullClose()
		prev, prevT = f, t
		if ahead != nil {
			// Its 226 is on the way, with the next file's 229.
			if err := endPrev(); err != nil {
				return err
			}
		}
	}
	if err := endPrev(); err != nil || !quitSent {
		return err
	}
	return c.quitRead(ctx)
}

// quitRead reads the reply to a QUIT sent behind a batch's last transfer
// and closes the Conn, which the Pool then discards.
func (c *Conn) quitRead(ctx context.Context) error {
	defer c.Close()
	rep, err := c.pipedReply(ctx, "QUIT")
	if err != nil {
		return err
	}
	if rep.Code/100 != 2 {
		return c.pipelineBroken("QUIT", rep, true)
	}
	return nil
}

// endsTransfer reports a reply that ends a successful transfer: 226, or
// 250 (RFC 959 allows either).
func endsTransfer(rep *Reply) bool {
	return rep.Code == CodeClosingData || rep.Code == CodeFileActionOK
}

// halfCloseMax is the largest download whose data connection a batch
// half-closes at once (see pipedData): small enough to fit in the
// server's socket buffer, so sent whole before the FIN arrives.
const halfCloseMax = 32 << 10

// isSyntaxRefusal reports a 500-504 reply: what a server that reads
// commands during a transfer answers to those it cannot take then
// (Pure-FTPd), never the end of a transfer that has started.
func isSyntaxRefusal(rep *Reply) bool { return rep.Code >= 500 && rep.Code <= 504 }

// downloadResult is the outcome of a download whose data ended at EOF and
// whose final reply is rep.
func (t *transfer) downloadResult(rep *Reply) error {
	t.final = rep
	if rep.Code/100 != 2 {
		return t.explain(t.c.unexpected(t.display, rep))
	}
	if t.want >= 0 && t.n != t.want {
		return t.sizeError()
	}
	return nil
}

// batchAbortData ends a transfer of a batch that did not end cleanly: the
// server's final reply is read (ABOR first when it may still be moving
// data) within the abort grace, and the file's error is returned. The
// Conn is closed when it cannot be brought back in step.
func (c *Conn) batchAbortData(ctx context.Context, t *transfer, err error) error {
	defer c.setData(nil)
	defer t.stop()
	if t.eof && t.err == nil {
		// All data arrived (a size mismatch): the final reply follows.
		t.conn.Close()
		if _, rerr := c.readReply(ctx, t.display); rerr != nil {
			return rerr
		}
		return err
	}
	if aerr := c.abort(ctx, t.conn, 0); aerr != nil && c.closed.Load() {
		return errorf("%w (and the connection was lost: %w)", err, aerr)
	}
	return err
}

// pipedData reads the replies to a pipelined EPSV and transfer command
// (displays: EPSV's, then the command's), connects, and starts the
// transfer. A refusal of the command is a *ReplyError with the Conn in
// step.
//
// mid, when set, reads the replies of the commands sent between the EPSV
// and the transfer command: it runs once the data connection is dialled
// (or failed to be), so that the server works through them while the
// connection is being made.
func (c *Conn) pipedData(ctx context.Context, verb string, displays []string, mid, afterDial func() error, halfClose bool) (*transfer, error) {
	display := displays[len(displays)-1]
	rep, err := c.pipedReply(ctx, "EPSV")
	if err != nil {
		return nil, err
	}
	if rep.Code != CodeEnteringExtPassive {
		return nil, c.pipelineBroken("EPSV", rep, false)
	}
	port, perr := parseEPSV(rep.Msg)
	if perr != nil {
		return nil, c.fail(ctx, "EPSV", &ProtocolError{Cmd: "EPSV", Msg: perr.Error()})
	}
	conn, err := c.dialPassive(ctx, nil, port)
	if mid != nil {
		if merr := mid(); merr != nil {
			if conn != nil {
				conn.Close()
			}
			return nil, merr
		}
	}
	if err != nil {
		return nil, c.dialFailed(ctx, verb, displays[1:], err)
	}
	if halfClose {
		// Nothing is sent on a download's data connection: say so at
		// once (FIN). Servers that wait for the client's close before
		// their 226 (vsftpd) then send it with the data, a round trip
		// sooner. Only for small files, which the server has sent before
		// it notices: pyftpdlib aborts a transfer in progress on the
		// client's FIN.
		c.halfCloseData(conn)
	}
	if afterDial != nil {
		if err := afterDial(); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return c.beginData(ctx, verb, display, &pendingData{conn: conn}, func() {}, true)
}

// retrLockstep downloads f one command at a time, as RetrBinary does; a
// file resumed after a failure restarts at the byte where it stopped
// (REST, verified with SIZE). It returns the connection's failure.
func (c *Conn) retrLockstep(ctx context.Context, b *batch, f *batchFile) error {
	err := c.retrOne(ctx, b, f)
	if err != nil && c.closed.Load() {
		return err
	}
	b.end(f, err)
	return nil
}

// retrOne downloads f in lock-step and returns its error.
func (c *Conn) retrOne(ctx context.Context, b *batch, f *batchFile) error {
	if err := b.retrOpen(f); err != nil {
		return err
	}
	it := &b.retr[f.idx]
	r, err := c.Retr(ctx, it.Path, f.n)
	if err != nil {
		return err
	}
	if f.n == 0 && it.SizeKnown {
		r.t.want, r.t.wantSrc = it.Size, "listing"
	}
	n, err := r.WriteTo(f.w)
	f.n += n
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return err
}
