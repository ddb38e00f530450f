package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
)

// storPrev is an upload whose data is done and whose final reply, SIZE
// reply and bookkeeping are still to be read.
type storPrev struct {
	f       *batchFile
	t       *transfer
	sizeCmd string // the argument of the SIZE that checks it
}

// storFiles uploads the files that next returns, on c, pipelined when
// the Conn allows, else one at a time. It returns the connection's
// failure; the files it took and did not end are left to the caller.
func (c *Conn) storFiles(ctx context.Context, b *batch, next func() *batchFile) (err error) {
	lockstep := func() error {
		for f := next(); f != nil; f = next() {
			if err := c.storLockstep(ctx, b, f); err != nil {
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
		if err := c.storLockstep(ctx, b, f); err != nil {
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
	// The time is set as SetModTime does: MFMT, else the older
	// "MDTM time path" form (vsftpd) where FEAT lists MDTM.
	setTime := "MFMT"
	if mfmt, err := c.hasFeature(ctx, "MFMT"); err != nil {
		return err
	} else if !mfmt {
		setTime = ""
		if mdtm, err := c.hasFeature(ctx, "MDTM"); err != nil {
			return err
		} else if mdtm {
			setTime = "MDTM"
		}
	}

	// after holds the bookkeeping of the files verified: their commands
	// go out with the next write.
	type pendingOps struct {
		f        *batchFile
		cmds     []pipedCmd
		temp     string
		renaming bool
		timing   bool
	}
	var after []*pendingOps
	// bookkeeping builds the commands that follow a verified upload.
	bookkeeping := func(f *batchFile) *pendingOps {
		it := &b.stor[f.idx]
		op := &pendingOps{f: f, temp: it.Temp}
		if it.Temp != "" && it.Temp != it.Path {
			op.cmds = append(op.cmds, pipedCmd{"RNFR", it.Temp}, pipedCmd{"RNTO", it.Path})
			op.renaming = true
		}
		if !it.ModTime.IsZero() && setTime != "" {
			op.cmds = append(op.cmds, pipedCmd{setTime, it.ModTime.UTC().Format("20060102150405") + " " + it.Path})
			op.timing = true
		}
		return op
	}
	// readAfter reads the replies of the bookkeeping sent and ends its
	// file.
	readAfter := func(op *pendingOps, displays []string) error {
		var ferr error
		i := 0
		if op.renaming {
			rep, err := c.pipedReply(ctx, displays[0])
			if err != nil {
				return err
			}
			rep2, err := c.pipedReply(ctx, displays[1])
			if err != nil {
				return err
			}
			switch {
			case rep.Code != CodePendingFurtherInfo:
				ferr = fmt.Errorf("%w (the upload is complete in %s)", c.unexpected(displays[0], rep), op.temp)
			case rep2.Code/100 != 2:
				ferr = fmt.Errorf("%w (the upload is complete in %s)", c.unexpected(displays[1], rep2), op.temp)
			}
			i = 2
		}
		if op.timing {
			if _, err := c.pipedReply(ctx, displays[i]); err != nil {
				return err
			}
		}
		b.end(op.f, ferr)
		return nil
	}
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
	// verify is the upload whose 226 was read and whose SIZE goes out
	// with the next write.
	var verify []*storPrev
	// A group is one write: the next file's EPSV, the pending bookkeeping,
	// the pending SIZEs, and the next file's STOR. The bookkeeping goes
	// between EPSV and STOR so that the server does it while the data
	// connection is being made (a round trip it would otherwise wait
	// idle), not between two transfers. send writes it; recv reads the
	// replies of the bookkeeping and SIZEs (mid); xfer holds the displays
	// of EPSV and STOR.
	type group struct {
		ops  []*pendingOps
		vs   []*storPrev
		mid  []string
		xfer []string
		skip bool // mid ends with a reply to read and leave (a failed upload's SIZE)
	}
	// send writes a group; xfer is the EPSV and STOR of the next file, or
	// nothing for the last bookkeeping, or QUIT to end with it (its
	// display is left out of mid), or the SIZE of the upload under way
	// (its storPrev joins vs once the upload ended).
	send := func(xfer ...pipedCmd) (*group, error) {
		ops, vs := after, verify
		after, verify = nil, nil
		g := &group{}
		var cmds []pipedCmd
		for _, op := range ops {
			if len(op.cmds) == 0 {
				b.end(op.f, nil) // nothing to rename or stamp
				continue
			}
			g.ops = append(g.ops, op)
			cmds = append(cmds, op.cmds...)
		}
		for _, v := range vs {
			g.vs = append(g.vs, v)
			cmds = append(cmds, pipedCmd{"SIZE", v.sizeCmd})
		}
		switch len(xfer) {
		case 2:
			cmds = append(append([]pipedCmd{xfer[0]}, cmds...), xfer[1])
		case 1:
			if len(cmds) == 0 && xfer[0].verb == "QUIT" {
				return g, nil // nothing to end with
			}
			cmds = append(cmds, xfer[0])
		}
		if len(cmds) == 0 {
			return g, nil
		}
		displays, err := c.writeBatch(ctx, cmds...)
		if err != nil {
			for _, op := range g.ops {
				if op.renaming {
					b.end(op.f, errorf("%w (the upload is complete in %s)", err, op.temp))
				}
			}
			return nil, err
		}
		g.mid = displays
		switch len(xfer) {
		case 2:
			g.xfer = []string{displays[0], displays[len(displays)-1]}
			g.mid = displays[1 : len(displays)-1]
		case 1:
			if xfer[0].verb == "QUIT" {
				g.xfer = displays[len(displays)-1:]
				g.mid = displays[:len(displays)-1]
			}
		}
		return g, nil
	}
	recv := func(g *group) (err error) {
		displays := g.mid
		for _, op := range g.ops {
			if err := readAfter(op, displays[:len(op.cmds)]); err != nil {
				return err
			}
			displays = displays[len(op.cmds):]
		}
		if g.skip {
			defer func() {
				if err == nil {
					_, err = c.pipedReply(ctx, displays[len(displays)-1])
				}
			}()
		}
		for _, v := range g.vs {
			rep, err := c.pipedReply(ctx, displays[0])
			if err != nil {
				return err
			}
			if rep.Code == CodeEnteringExtPassive || rep.Code/100 == 1 {
				return c.pipelineBroken(displays[0], rep, usedDeep)
			}
			if serr := c.checkSize(v, &b.stor[v.f.idx], displays[0], rep); serr != nil {
				b.end(v.f, serr)
			} else {
				after = append(after, bookkeeping(v.f))
			}
			displays = displays[1:]
		}
		return nil
	}
	// prepare takes the next file that can be sent, opened.
	prepare := func() (*batchFile, io.Reader, string) {
		for {
			f := next()
			if f == nil {
				return nil, nil, ""
			}
			it := &b.stor[f.idx]
			target := it.Path
			if it.Temp != "" {
				target = it.Temp
			}
			if err := c.checkArgs(target, it.Path); err != nil {
				b.end(f, err) // refused before anything is sent
				continue
			}
			r, err := it.Open()
			if err != nil {
				b.end(f, err)
				continue
			}
			return f, r, target
		}
	}
	// ahead is the file whose group went out while the current file's
	// upload was starting (deep pipelining, as for downloads).
	var (
		aheadF      *batchFile
		aheadR      io.Reader
		aheadG      *group
		aheadTarget string
		// curTarget is the name the upload under way writes (curF its
		// file); tailG the group sent behind it when no file was left,
		// and tailQuit a QUIT sent after it.
		curTarget string
		curF      *batchFile
		tailG     *group
		tailQuit  bool
	)
	// needsBookkeeping reports whether a command may still follow the
	// SIZE of the file under way or of those awaiting theirs: a rename or
	// a time to set.
	needsBookkeeping := func(cur *batchFile) bool {
		if len(bookkeeping(cur).cmds) > 0 {
			return true
		}
		for _, v := range verify {
			if len(bookkeeping(v.f).cmds) > 0 {
				return true
			}
		}
		return false
	}
	defer func() {
		if aheadR != nil {
			closeReader(aheadR)
		}
	}()
	sendAhead := func() error {
		if c.noDeep || !b.deep {
			return nil
		}
		f, r, target := prepare()
		if f == nil {
			// None left: the checks still due, and the SIZE of the
			// upload under way, go behind it (the server answers them
			// once it has ended): the last file's bookkeeping then
			// follows its 226 by one round trip, not two.
			usedDeep = true
			quit := b.quit != nil && b.quit() && !needsBookkeeping(curF)
			g, err := send(pipedCmd{"SIZE", curTarget})
			if err != nil {
				return err
			}
			tailG = g
			if quit {
				// Nothing can follow on this connection: QUIT too (the
				// Pool is finishing).
				if _, err := c.writeCmds(ctx, pipedCmd{"QUIT", ""}); err != nil {
					return err
				}
				tailQuit = true
			}
			return nil
		}
		usedDeep = true
		g, err := send(pipedCmd{"EPSV", ""}, pipedCmd{"STOR", target})
		if err != nil {
			closeReader(r)
			return err
		}
		aheadF, aheadR, aheadG, aheadTarget = f, r, g, target
		return nil
	}
	deepNow := func() bool { return aheadF != nil || tailG != nil }
	for {
		var (
			f *batchFile
			r io.Reader
			g *group
		)
		if aheadF != nil {
			f, r, g, curTarget = aheadF, aheadR, aheadG, aheadTarget
			aheadF, aheadR, aheadG = nil, nil, nil
		} else {
			if f, r, curTarget = prepare(); f == nil {
				break
			}
			if g, err = send(pipedCmd{"EPSV", ""}, pipedCmd{"STOR", curTarget}); err != nil {
				closeReader(r)
				return err
			}
		}
		curF = f
		p, ferr, err := c.storOne(ctx, f, &b.stor[f.idx], r, g.xfer, func() error { return recv(g) }, sendAhead, deepNow)
		closeReader(r)
		if err != nil {
			return err
		}
		if ferr != nil {
			b.end(f, ferr)
		} else {
			verify = append(verify, p)
		}
		if tg := tailG; tg != nil {
			// Its SIZE went already: read with the rest of the tail.
			tailG = nil
			if ferr == nil {
				tg.vs = append(tg.vs, p)
				verify = verify[:len(verify)-1]
			} else {
				tg.skip = true
			}
			if err := recv(tg); err != nil {
				return err
			}
			if tailQuit {
				for _, op := range after {
					b.end(op.f, nil) // nothing to rename or stamp
				}
				return c.quitRead(ctx)
			}
		}
	}
	// The last SIZEs, then the last bookkeeping (with QUIT when the Pool
	// is finishing: nothing follows on this connection).
	for len(after) > 0 || len(verify) > 0 {
		var end []pipedCmd
		if len(verify) == 0 && b.quit != nil && b.quit() {
			end = append(end, pipedCmd{"QUIT", ""})
		}
		g, err := send(end...)
		if err == nil {
			err = recv(g)
		}
		if err != nil {
			return err
		}
		if len(g.xfer) == 1 {
			return c.quitRead(ctx)
		}
	}
	return nil
}

// checkArgs refuses names that cannot be sent (CR, LF, NUL, or not
// encodable), before anything of a pipelined group is written.
func (c *Conn) checkArgs(names ...string) error {
	for _, n := range names {
		if err := c.argError("STOR "+n, n); err != nil {
			return err
		}
	}
	return nil
}

func closeReader(r io.Reader) {
	if cl, ok := r.(io.Closer); ok {
		cl.Close()
	}
}

// storOne runs one pipelined upload whose EPSV and STOR were sent
// (displays), through its data, final reply and SIZE check. It returns
// the file ready for its bookkeeping, or the file's error (ferr), or the
// connection's failure (err).
func (c *Conn) storOne(ctx context.Context, f *batchFile, it *StorItem, r io.Reader, displays []string, mid, afterDial func() error, deep func() bool) (_ *storPrev, ferr, err error) {
	t, err := c.pipedData(ctx, "STOR", displays, mid, afterDial, false)
	if err != nil {
		var re *ReplyError
		if errors.As(err, &re) && !c.closed.Load() {
			if deep() && (re.Code/100 == 2 || re.Code/100 == 3 || isSyntaxRefusal(&Reply{Code: re.Code})) {
				// An answer to the commands queued behind STOR.
				return nil, nil, c.pipelineBroken(t0display(displays), &Reply{Code: re.Code, Msg: re.Msg}, true)
			}
			return nil, err, nil // this file refused: the batch goes on
		}
		return nil, nil, err
	}
	n, werr := t.readFrom(r)
	f.n = n
	if werr == nil && it.Size >= 0 && n != it.Size {
		werr = fmt.Errorf("ftp: %s: the source gave %d bytes, %d expected (changed while uploading?)", t.display, n, it.Size)
		t.srcErr = true
	}
	if werr != nil {
		if t.refused != nil {
			t.stop()
			c.setData(nil)
			return nil, t.refused, nil
		}
		if deep() {
			// ABOR and its replies cannot be told apart from those of
			// the commands queued behind: the Conn is given up.
			t.stop()
			c.setData(nil)
			c.Close()
			return nil, nil, &opError{cmd: t.display, err: werr, closed: true}
		}
		if t.srcErr {
			// Never let the server keep a truncated file as complete.
			t.takePending(true)
			if t.refused != nil {
				t.stop()
				c.setData(nil)
				return nil, t.refused, nil
			}
			if aerr := c.abort(ctx, t.conn, 0); aerr != nil && c.closed.Load() {
				t.stop()
				c.setData(nil)
				return nil, nil, aerr
			}
			t.stop()
			c.setData(nil)
			return nil, werr, nil
		}
	}
	fullClose, cerr := t.closeData()
	defer fullClose()
	defer c.setData(nil)
	defer t.stop()
	if err := t.takePending(true); err != nil {
		if c.closed.Load() {
			return nil, nil, err
		}
		return nil, err, nil
	}
	stopDrain := t.watchDrain()
	rep, err := c.pipedReply(ctx, t.display)
	stopDrain()
	if err != nil {
		return nil, nil, err
	}
	if rep.Code == CodeEnteringExtPassive || rep.Code/100 == 1 || deep() && !endsTransfer(rep) {
		// With commands queued behind STOR, only a transfer's own end
		// is taken as its end: a server that answered them during the
		// upload (ProFTPD: a 350 for RNFR, a 213 for SIZE) is caught
		// before any of those replies is taken for another.
		return nil, nil, c.pipelineBroken(t.display, rep, deep())
	}
	switch {
	case rep.Code/100 != 2:
		return nil, t.explain(c.unexpected(t.display, rep)), nil
	case werr != nil:
		return nil, werr, nil
	case cerr != nil && !errors.Is(cerr, net.ErrClosed):
		return nil, &opError{cmd: t.display, err: cerr}, nil
	}
	// The server holds the file: SIZE checks it, sent with the next
	// commands (sent now, a server that reads ahead during the
	// transfer, as ProFTPD and pyftpdlib do, would answer it early with
	// the size so far).
	return &storPrev{f: f, t: t, sizeCmd: displayArg(t.display)}, nil, nil
}

// t0display is the display of the transfer command of a pipelined group.
func t0display(displays []string) string { return displays[len(displays)-1] }

// checkSize verifies the SIZE reply rep for the upload p.
func (c *Conn) checkSize(p *storPrev, it *StorItem, display string, rep *Reply) error {
	if rep.Code != CodeFileStatus {
		return errorf("%w: %s cannot be verified (%w)%s", ErrSizeMismatch, p.t.display, c.unexpected(display, rep), kept(it))
	}
	got, perr := strconv.ParseInt(strings.TrimSpace(rep.Msg), 10, 64)
	if perr != nil || got != p.f.n {
		return &SizeError{Cmd: p.t.display, Got: got, Want: p.f.n, Source: "SIZE after the upload"}
	}
	return nil
}

// kept tells where a verified-failed upload stays.
func kept(it *StorItem) string {
	if it.Temp != "" && it.Temp != it.Path {
		return "; not renamed to " + it.Path
	}
	return ""
}

// displayArg returns the argument of a display form "VERB arg".
func displayArg(display string) string {
	_, arg, _ := strings.Cut(display, " ")
	return arg
}

// storLockstep uploads f one command at a time: STOR, SIZE, RNFR and
// RNTO, MFMT, each reply awaited. It returns the connection's failure.
func (c *Conn) storLockstep(ctx context.Context, b *batch, f *batchFile) error {
	err := c.storOneLockstep(ctx, b, f)
	if err != nil && c.closed.Load() {
		return err
	}
	b.end(f, err)
	return nil
}

// storOneLockstep uploads f in lock-step and returns its error.
func (c *Conn) storOneLockstep(ctx context.Context, b *batch, f *batchFile) error {
	it := &b.stor[f.idx]
	r, err := it.Open()
	if err != nil {
		return err
	}
	defer closeReader(r)
	return c.storLockstepOne(ctx, f, it, r)
}

func (c *Conn) storLockstepOne(ctx context.Context, f *batchFile, it *StorItem, r io.Reader) error {
	target := it.Path
	if it.Temp != "" {
		target = it.Temp
	}
	w, err := c.Stor(ctx, target, 0)
	if err != nil {
		return err
	}
	n, err := copyUp(w, r)
	f.n = n
	if err != nil {
		return err
	}
	if it.Size >= 0 && n != it.Size {
		return fmt.Errorf("ftp: STOR %s: the source gave %d bytes, %d expected (changed while uploading?)%s", target, n, it.Size, kept(it))
	}
	got, err := c.Size(ctx, target)
	if err != nil {
		if c.closed.Load() {
			return err
		}
		return errorf("%w: STOR %s cannot be verified (%w)%s", ErrSizeMismatch, target, err, kept(it))
	}
	if got != n {
		return &SizeError{Cmd: "STOR " + target, Got: got, Want: n, Source: "SIZE after the upload"}
	}
	if target != it.Path {
		if _, err := c.Rename(ctx, target, it.Path); err != nil {
			return fmt.Errorf("%w (the upload is complete in %s)", err, target)
		}
	}
	if !it.ModTime.IsZero() {
		c.SetModTime(ctx, it.Path, it.ModTime) // a refusal is ignored
	}
	return nil
}
