package ftp

// The start of a segmented download (RetrSegmented): the connections
// dialled ahead, the inspection of the file (TYPE I, SIZE, MDTM and EPSV
// in one write), the data connections opened ahead, and the transfer of
// a range over one of them.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

type preConn struct {
	c *Conn
	// pd is a data connection opened ahead (EPSV) for the first range
	// fetched on c, or nil.
	pd  *pendingData
	err error
}

// look is what the first connection ready learnt of the file; ok is
// false when no connection dialled by predial worked.
type look struct {
	ok     bool
	single bool
	size   int64
	mtime  time.Time
	err    error
}

// predial gets n connections of the Pool at once, without waiting for
// one to be free (Pool.tryGet), and makes those a range will need ready
// for it while the file is inspected. The first one ready asks the
// file's size and time (TYPE I, SIZE, MDTM) and EPSV in one write and
// reports them (setLook). The others send TYPE I and EPSV together, when
// a range will need them (see wanted), or before that is known when they
// are new (just logged in, while the file is inspected: the usual start
// of a command). Each opens its data connection ahead, so that its first
// range costs one round trip (REST and RETR) once its place in the file
// is known. A connection no range needs goes back to the Pool at once.
// All of them, with their failures, go to the workers through d.pre.
func (d *segDownload) predial(ctx context.Context, n int) {
	n = max(n, 0)
	d.pre = make(chan preConn, n)
	d.preLeft = n
	d.lookDone = make(chan struct{})
	if n == 0 {
		d.setLook(look{})
		return
	}
	var claimed atomic.Bool
	var left atomic.Int32
	left.Store(int32(n))
	for range n {
		d.preWG.Go(func() {
			c, err := d.p.tryGet(ctx)
			var pd *pendingData
			if err == nil {
				port, need, inspected := 0, true, false
				if claimed.CompareAndSwap(false, true) {
					d.ready.Add(1)
					var lk look
					lk, port = d.lookOn(ctx, c)
					d.setLook(lk)
					err, inspected = lk.err, lk.err != nil
					if d.wanted == 0 {
						// No range (one connection, or nothing left):
						// EPSV's port is left unused, the Conn in step.
						port = 0
					}
				} else {
					port, need, err = d.prepareAhead(ctx, c)
				}
				if err == nil && port > 0 {
					if pd, err = openAhead(ctx, c, port); err != nil && ctx.Err() == nil {
						// Only EPSV was sent: the Conn is in step, and
						// the range's own transfer tries again (and says
						// why it fails, if it does).
						pd, err = nil, nil
					}
				}
				if err != nil {
					c.Close()
				}
				if err != nil || !need {
					d.p.Put(c)
					c = nil // (with no error: none for the workers)
				}
				if inspected {
					err = nil // inspect's failure, not a worker's
				}
			}
			if left.Add(-1) == 0 && claimed.CompareAndSwap(false, true) {
				d.setLook(look{}) // none worked: inspect asks on its own
			}
			d.pre <- preConn{c, pd, err}
		})
	}
}

// setLook publishes what the file's inspection found, and how many
// connections its ranges can use.
func (d *segDownload) setLook(lk look) {
	d.look = lk
	if lk.ok && lk.err == nil && !lk.single {
		d.wanted = d.rangeConns(lk.size)
	}
	close(d.lookDone)
}

// rangeConns returns how many connections the ranges of a file of size
// bytes use: opts.Segments, within the Pool's limit, one for each
// MinSegment bytes still to fetch (see run).
func (d *segDownload) rangeConns(size int64) int {
	var done []Range
	if st := d.opts.State; st != nil && st.Size == size {
		done = mergeRanges(st.Done, size)
	}
	var todo int64
	for _, g := range gapsOf(done, size) {
		todo += g.End - g.Start
	}
	if todo == 0 {
		return 0
	}
	n := min(cmp.Or(d.opts.Segments, 4), d.p.Limit(), int(max(1, (todo+d.minSeg-1)/d.minSeg)))
	return max(n, 1)
}

// typeBinary sets c to TYPE I (at once when it is already).
func typeBinary(ctx context.Context, c *Conn) error {
	if err := c.begin(); err != nil {
		return err
	}
	defer c.end()
	return c.setType(ctx, "I")
}

// aheadOK reports whether a data connection may be opened on c before
// its transfer command is known: passive mode with EPSV not known to be
// refused, and pipelining not known to fail.
func aheadOK(c *Conn) bool {
	return !c.d.Active && !c.d.DisableEPSV && !c.noEPSV && !c.noPipeline
}

// segPiped sends cmds in one write and reads a reply to each, in order.
// A preliminary reply, which none of them takes, closes the Conn. The
// busy guard must be held.
func segPiped(ctx context.Context, c *Conn, cmds ...pipedCmd) ([]*Reply, []string, error) {
	displays, err := c.writeCmds(ctx, cmds...)
	if err != nil {
		return nil, displays, err
	}
	reps := make([]*Reply, len(cmds))
	for i, disp := range displays {
		rep, err := c.pipedReply(ctx, disp)
		if err != nil {
			c.Close()
			return nil, displays, err
		}
		if rep.Code/100 == 1 {
			c.Close()
			return nil, displays, &ProtocolError{Cmd: disp, Msg: fmt.Sprintf("unexpected %d reply", rep.Code)}
		}
		reps[i] = rep
	}
	return reps, displays, nil
}

// epsvPort returns the port of a pipelined EPSV's 229 reply, or 0 when
// EPSV was not taken (a 5xx is remembered: PASV from then on).
func epsvPort(ctx context.Context, c *Conn, rep *Reply, display string) (int, error) {
	switch {
	case rep.Code == CodeEnteringExtPassive:
		port, err := parseEPSV(rep.Msg)
		if err != nil {
			return 0, c.fail(ctx, display, &ProtocolError{Cmd: display, Msg: err.Error()})
		}
		c.epsvOK = true
		return port, nil
	case rep.Code >= 500:
		c.noEPSV, c.epsvOK = true, false
	}
	return 0, nil
}

// prepareAhead readies c, dialled by predial, for a range: TYPE I and,
// where a data connection can be opened ahead, EPSV in the same write; it
// returns EPSV's port, or 0. need is false when no range needs c (the
// file is inspected and has fewer ranges than connections ready): then
// nothing is sent. A connection that has been used before (it comes from
// the Pool's idle ones, all ready at once) waits for the inspection to
// know; a new one, just logged in, prepares while the file is inspected,
// on the chance that it is needed (if not, its data connection is closed
// with it: see drain).
func (d *segDownload) prepareAhead(ctx context.Context, c *Conn) (port int, need bool, err error) {
	if c.curType != "" {
		select {
		case <-d.lookDone:
		case <-ctx.Done():
			return 0, false, ctx.Err()
		}
	}
	k := int(d.ready.Add(1)) // c is the k-th connection ready
	select {
	case <-d.lookDone:
		if k > d.wanted {
			return 0, false, nil
		}
	default:
	}
	if err := c.begin(); err != nil {
		return 0, true, err
	}
	defer c.end()
	stop := c.watch(ctx, c.nc)
	defer stop()
	if !aheadOK(c) {
		return 0, true, c.setType(ctx, "I")
	}
	var cmds []pipedCmd
	if c.curType != "I" {
		cmds = append(cmds, pipedCmd{"TYPE", "I"})
	}
	cmds = append(cmds, pipedCmd{"EPSV", ""})
	reps, displays, err := segPiped(ctx, c, cmds...)
	if err != nil {
		return 0, true, err
	}
	if len(reps) == 2 {
		if reps[0].Code/100 != 2 {
			return 0, true, c.unexpected(displays[0], reps[0])
		}
		c.curType = "I"
	}
	port, err = epsvPort(ctx, c, reps[len(reps)-1], displays[len(displays)-1])
	select {
	case <-d.lookDone:
		if k > d.wanted {
			// The file was inspected meanwhile: no range for c. EPSV's
			// port is left unused, the Conn in step.
			return 0, false, err
		}
	default:
	}
	return port, true, err
}

// openAhead connects to the passive port of c's EPSV.
func openAhead(ctx context.Context, c *Conn, port int) (*pendingData, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	conn, err := c.dialPassive(ctx, nil, port)
	if err != nil {
		return nil, err
	}
	return &pendingData{conn: conn}, nil
}

// lookOn inspects the file on c, the first connection ready: TYPE I,
// SIZE, MDTM and (when ranges can be fetched and a data connection
// opened ahead) EPSV in one write. It returns what inspect needs and
// EPSV's port, or 0.
func (d *segDownload) lookOn(ctx context.Context, c *Conn) (look, int) {
	lk := look{ok: true}
	feats, err := c.Features(ctx)
	if err != nil {
		lk.err = err
		return lk, 0
	}
	rest := strings.Contains(strings.ToUpper(feats["REST"]), "STREAM")
	if err := c.begin(); err != nil {
		lk.err = err
		return lk, 0
	}
	if c.noPipeline {
		c.end()
		lk.single, lk.err = d.inspectOn(ctx, c, rest)
		lk.size, lk.mtime = d.size, d.mtime
		return lk, 0
	}
	defer c.end()
	stop := c.watch(ctx, c.nc)
	defer stop()
	var cmds []pipedCmd
	if c.curType != "I" {
		cmds = append(cmds, pipedCmd{"TYPE", "I"})
	}
	cmds = append(cmds, pipedCmd{"SIZE", d.path}, pipedCmd{"MDTM", d.path})
	ahead := rest && aheadOK(c)
	if ahead {
		cmds = append(cmds, pipedCmd{"EPSV", ""})
	}
	reps, displays, err := segPiped(ctx, c, cmds...)
	if err != nil {
		lk.err = err
		return lk, 0
	}
	if c.curType != "I" {
		if reps[0].Code/100 != 2 {
			lk.err = c.unexpected(displays[0], reps[0])
			return lk, 0
		}
		c.curType = "I"
		reps, displays = reps[1:], displays[1:]
	}
	port := 0
	if ahead {
		if port, err = epsvPort(ctx, c, reps[2], displays[2]); err != nil {
			lk.err = err
			return lk, 0
		}
	}
	// SIZE, as Conn.Size reads it.
	var sizeErr error
	if reps[0].Code != CodeFileStatus {
		re := c.unexpected(displays[0], reps[0])
		re.pathCmd = true
		sizeErr = re
	} else if n, perr := strconv.ParseInt(strings.TrimSpace(reps[0].Msg), 10, 64); perr != nil || n < 0 {
		sizeErr = &ProtocolError{Cmd: displays[0], Msg: fmt.Sprintf("size is not a non-negative number: %q", reps[0].Msg)}
	} else {
		lk.size = n
	}
	switch {
	case errors.Is(sizeErr, fs.ErrNotExist) || errors.Is(sizeErr, ErrPermanent) && d.opts.State == nil:
		// No SIZE for this file: one connection, which explains a
		// missing file better (RETR's reply).
		lk.size, lk.single = -1, true
		return lk, port
	case sizeErr != nil:
		lk.err = sizeErr
		return lk, port
	}
	lk.single = !rest
	// MDTM, as Conn.ModTime reads it; a server without it gives the zero
	// time.
	if rep := reps[1]; rep.Code/100 == 2 {
		t, ok := parseTimeVal(strings.TrimSpace(rep.Msg))
		if !ok {
			lk.err = &ProtocolError{Cmd: displays[1], Msg: fmt.Sprintf("bad time value %q", rep.Msg)}
			return lk, port
		}
		lk.mtime = t
	} else if re := c.unexpected(displays[1], rep); !errors.Is(re, ErrPermanent) {
		re.pathCmd = true
		lk.err = re
	}
	return lk, port
}

// inspectOn learns the file's size and time on c one command at a time,
// and whether ranges can be fetched (rest: REST STREAM in FEAT).
func (d *segDownload) inspectOn(ctx context.Context, c *Conn, rest bool) (single bool, err error) {
	d.size, err = c.Size(ctx, d.path)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrPermanent) && d.opts.State == nil:
		d.size = -1
		return true, nil
	case err != nil:
		return false, err
	}
	d.mtime, err = c.ModTime(ctx, d.path)
	if errors.Is(err, ErrPermanent) {
		d.mtime, err = time.Time{}, nil
	}
	return !rest, err
}

// takePre returns the next connection dialled by predial, or its
// failure; ok is false when none is left.
func (d *segDownload) takePre() (preConn, bool) {
	d.mu.Lock()
	if d.preLeft == 0 {
		d.mu.Unlock()
		return preConn{}, false
	}
	d.preLeft--
	d.mu.Unlock()
	return <-d.pre, true
}

// drain gives the connections dialled for workers that did not start
// back to the Pool. One with a data connection opened ahead is closed
// with it: a server may answer the data connection's close with a reply
// of its own (pyftpdlib sends "226 Transfer complete."), which would put
// the Conn out of step.
func (d *segDownload) drain() {
	d.preWG.Wait() // every one is in d.pre
	d.mu.Lock()
	left := d.preLeft
	d.preLeft = 0 // takePre finds none
	d.mu.Unlock()
	for range left {
		pc := <-d.pre
		if pc.pd != nil {
			pc.pd.close()
			pc.c.Close()
		}
		if pc.c != nil {
			d.p.Put(pc.c)
		}
	}
}

// inspect learns the file's size and time, and whether ranges can be
// fetched; it checks them against a resumed state.
func (d *segDownload) inspect(ctx context.Context) (single bool, err error) {
	// Asked on the first connection dialled that works (see predial);
	// else as any operation of the Pool.
	err = errPoolFull
	<-d.lookDone
	if lk := d.look; lk.ok {
		single, d.size, d.mtime, err = lk.single, lk.size, lk.mtime, lk.err
	}
	if err != nil && (err == errPoolFull || IsTransient(err)) {
		// The connections dialled meanwhile go back to the Pool first:
		// parked, they would hold the places that Retry waits for.
		d.drain()
		err = d.p.Retry(ctx, func(c *Conn) error {
			feats, err := c.Features(ctx)
			if err != nil {
				return err
			}
			single, err = d.inspectOn(ctx, c, strings.Contains(strings.ToUpper(feats["REST"]), "STREAM"))
			return err
		})
	}
	if err != nil {
		return false, err
	}
	if st := d.opts.State; st != nil {
		if d.size != st.Size || !d.mtime.Equal(st.ModTime) {
			return false, fmt.Errorf("%w: %s: size %d, time %s; the partial download is of size %d, time %s",
				ErrFileChanged, d.path, d.size, fmtTime(d.mtime), st.Size, fmtTime(st.ModTime))
		}
		d.prior = mergeRanges(st.Done, d.size)
	}
	return single, nil
}

// open starts the transfer of the file from pos on c: over pd, its data
// connection opened ahead, when not nil (see retrAhead); else with
// Transfer (TYPE I first), which checks that REST is answered 350.
func (d *segDownload) open(ctx context.Context, c *Conn, pd *pendingData, pos int64) (*DataConn, error) {
	if pd == nil {
		if err := typeBinary(ctx, c); err != nil {
			return nil, err
		}
		return c.Transfer(ctx, "RETR "+d.path, pos)
	}
	if err := c.begin(); err != nil {
		pd.close()
		return nil, err
	}
	t, err := d.retrAhead(ctx, c, pd, pos)
	if err != nil {
		c.end()
		return nil, err
	}
	return &DataConn{t}, nil
}

// retrAhead sends REST pos (when pos > 0) and RETR in one write, the data
// connection pd being open already, and reads their replies: the range's
// first bytes come one round trip after it is known. A REST not answered
// 350 fails the range and nothing of the data connection is read (a
// RETR that started anyway, from the file's start, is aborted). The busy
// guard must be held.
func (d *segDownload) retrAhead(ctx context.Context, c *Conn, pd *pendingData, pos int64) (*transfer, error) {
	stop := c.watch(ctx, c.nc)
	ok := false
	defer func() {
		if !ok {
			stop()
		}
	}()
	var cmds []pipedCmd
	if pos > 0 {
		cmds = append(cmds, pipedCmd{"REST", strconv.FormatInt(pos, 10)})
	}
	cmds = append(cmds, pipedCmd{"RETR", d.path})
	displays, err := c.writeCmds(ctx, cmds...)
	if err != nil {
		pd.close()
		return nil, err
	}
	display := displays[len(displays)-1]
	if pos > 0 {
		rep, err := c.pipedReply(ctx, displays[0])
		if err != nil {
			pd.close()
			return nil, err
		}
		if rep.Code != CodePendingFurtherInfo {
			re := c.unexpected(displays[0], rep)
			vrep, err := c.firstReply(ctx, "RETR", display)
			if err == nil && vrep.Code/100 == 1 {
				c.abort(ctx, pd.conn, 0) // closes pd; closes the Conn if it fails
				return nil, re
			}
			pd.close()
			if err != nil && !errors.As(err, new(*ReplyError)) {
				return nil, err // the connection failed
			}
			return nil, re
		}
	}
	t, err := c.beginData(ctx, "RETR", display, pd, stop, false)
	if err != nil {
		return nil, err
	}
	ok = true
	t.ka = c.startKeepAlive(ctx)
	return t, nil
}
