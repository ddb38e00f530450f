package ftp

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Range is the byte range [Start, End) of a file.
type Range struct{ Start, End int64 }

// SegmentState describes a segmented download in progress: the remote
// file as it was when the download started and the ranges of it already
// written. Pool.RetrSegmented reports it through SegmentOptions.Checkpoint
// and resumes from it (SegmentOptions.State).
type SegmentState struct {
	Size    int64
	ModTime time.Time // from MDTM; zero when the server gives none
	Done    []Range   // sorted, merged
}

// SegmentOptions configures Pool.RetrSegmented and Pool.RetrSegmentedFile.
// Its zero value is ready to use.
type SegmentOptions struct {
	// Segments is how many ranges are fetched at once, each over its own
	// connection of the Pool. Zero means 4; it is capped by the Pool's
	// connection limit, and lowered while the download runs when the
	// server refuses more connections (421, connection refused): the
	// download goes on with those it has.
	Segments int
	// MinSegment is the smallest range worth a connection of its own:
	// a file smaller than Segments × MinSegment uses fewer connections.
	// Zero means 1 MiB; it is never below 256 KiB.
	MinSegment int64
	// State, when not nil, is an interrupted download into the same
	// destination: its Done ranges are not fetched again, provided the
	// remote file still has its Size and ModTime (otherwise
	// RetrSegmented fails with ErrFileChanged and writes nothing).
	State *SegmentState
	// Checkpoint, when not nil, is called with the download's state
	// before the first range starts, every CheckpointEvery while ranges
	// are fetched, and once more when the download fails, never
	// concurrently: a caller saves it to resume an interrupted download.
	// Every range it names has been written to the destination before
	// the call. After a checksum mismatch the ranges it named are not to
	// be trusted.
	Checkpoint func(SegmentState) error
	// CheckpointEvery is the least time between two checkpoints. Zero
	// means 2 s.
	CheckpointEvery time.Duration
	// Progress, when not nil, is called with the number of bytes of each
	// write to the destination, from several goroutines at once.
	Progress func(n int64)
	// NoChecksum turns off the check of the whole file against the
	// server's checksum (HASH, XSHA256, XMD5, …), which is made when the
	// server offers one and the destination is also an io.ReaderAt.
	NoChecksum bool
	// Resume, for RetrSegmentedFile only: continue the partial file of an
	// interrupted segmented download (see RetrSegmentedFile).
	Resume bool
}

// ErrFileChanged is returned by a resumed segmented download when the
// remote file's size or modification time is not what it was when the
// download started: the bytes already fetched belong to another version
// and must not be completed with this one's.
var ErrFileChanged = errors.New("ftp: the remote file changed since the download started")

// segment is a range being fetched: bytes [start, pos) are written, [pos,
// end) are to come. Guarded by segDownload.mu.
type segment struct {
	start, pos, end int64
	active          bool
	fails           int       // failed attempts in a row without progress
	began           time.Time // first byte of the current attempt
	base            int64     // pos then
}

// segDownload is the shared state of one RetrSegmented call.
type segDownload struct {
	p      *Pool
	path   string
	w      io.WriterAt
	opts   SegmentOptions
	size   int64
	mtime  time.Time
	prior  []Range // done before this call
	minSeg int64
	wl     *rateLimits // rate limits, or nil

	// Connections dialled while the file is inspected: the first ready
	// inspects it; all go to the workers through pre.
	pre     chan preConn
	preLeft int // results in pre not taken yet; guarded by mu
	preWG   sync.WaitGroup
	ready   atomic.Int32 // connections of pre counted for a range so far
	// What the inspection found (set before lookDone is closed), and the
	// connections its ranges can use.
	look     look
	wanted   int
	lookDone chan struct{}

	mu      sync.Mutex
	segs    []*segment
	live    int           // workers running
	err     error         // the first fatal error
	fetched int64         // bytes written in this call
	startup time.Duration // the longest wait from RETR to a range's first byte

	ckMu   sync.Mutex
	ckLast time.Time
}

// segBuf is the read size of a range and, so that a range split while a
// read is in flight cannot overlap the new one, the least MinSegment.
const segBuf = 256 << 10

// RetrSegmented downloads path into w over several connections of the
// Pool at once, each fetching one range of the file (REST and RETR, the
// REST answered 350 before any byte of it is taken; a range ends with
// ABOR once its bytes are in, the last one at the end of the file; when
// the other ranges are about to end too, the connection is closed rather
// than waiting for ABOR's replies). It is the way to speed up one large
// download over a link that caps each connection's rate (lftp's pget).
// The connections log in at once, while the file is inspected, and each
// opens its data connection ahead (EPSV) where it can: a range's REST
// and RETR then go out together, and its first bytes follow one round
// trip later.
//
// The file's size is read first (SIZE), and its modification time
// (MDTM) when the server gives it, both asked in one write. Each range
// must deliver exactly its bytes; a range cut short by a transient
// failure is fetched again from where it stopped, within
// PoolConfig.Retries attempts without progress.
// A connection refused by the server (421, too many connections) lowers
// the number of ranges fetched at once, never failing the download while
// one connection works. A connection that finishes its range takes half
// of the largest range still to come, when that ends it sooner (it takes
// longer than three times the slowest start of a range seen). When the
// server offers a checksum and w is also an io.ReaderAt, the whole file
// is checked against it at the end (ErrChecksumMismatch). Without SIZE,
// or without REST STREAM in FEAT, the file is fetched over one
// connection.
//
// It returns the bytes written in this call. On error, w holds the
// ranges reported by the last Checkpoint.
func (p *Pool) RetrSegmented(ctx context.Context, path string, w io.WriterAt, opts SegmentOptions) (int64, error) {
	d := &segDownload{p: p, path: path, w: w, opts: opts, wl: p.rateLimits()}
	d.minSeg = max(cmp.Or(opts.MinSegment, 1<<20), segBuf)
	if d.opts.CheckpointEvery == 0 {
		d.opts.CheckpointEvery = 2 * time.Second
	}
	// The other connections log in while the file is inspected.
	d.predial(ctx, min(cmp.Or(opts.Segments, 4), p.Limit()))
	defer d.drain()
	single, err := d.inspect(ctx)
	if err != nil {
		return 0, err
	}
	if single {
		d.drain() // the connections dialled meanwhile, free for RetrBinary
		return d.single(ctx)
	}
	return d.run(ctx)
}

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
	d.preWG.Wait()
	for {
		select {
		case pc := <-d.pre:
			if pc.pd != nil {
				pc.pd.close()
				pc.c.Close()
			}
			if pc.c != nil {
				d.p.Put(pc.c)
			}
		default:
			return
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

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

// single fetches the whole file over one connection.
func (d *segDownload) single(ctx context.Context) (int64, error) {
	if d.opts.State != nil && len(d.prior) > 0 {
		return 0, fmt.Errorf("ftp: %s: cannot resume a segmented download: the server offers no REST STREAM: %w", d.path, ErrResumeUnverified)
	}
	var w io.Writer = io.NewOffsetWriter(d.w, 0)
	if d.opts.Progress != nil {
		w = progressWriter{w, d.opts.Progress}
	}
	n, err := d.p.RetrBinary(ctx, d.path, w, 0)
	if err == nil && d.size >= 0 && n != d.size {
		err = &SizeError{Cmd: "RETR " + d.path, Got: n, Want: d.size, Source: "SIZE"}
	}
	if err == nil && d.size >= 0 {
		d.segs = []*segment{{start: 0, pos: d.size, end: d.size}}
		err = d.checkpoint(true)
	}
	return n, err
}

type progressWriter struct {
	w  io.Writer
	fn func(int64)
}

func (p progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.fn(int64(n))
	return n, err
}

// run fetches the ranges not yet done.
func (d *segDownload) run(ctx context.Context) (int64, error) {
	gaps := gapsOf(d.prior, d.size)
	var todo int64
	for _, g := range gaps {
		todo += g.End - g.Start
	}
	n := cmp.Or(d.opts.Segments, 4)
	n = min(n, d.p.Limit(), int(max(1, (todo+d.minSeg-1)/d.minSeg)))
	n = max(n, 1)
	piece := max((todo+int64(n)-1)/int64(n), 1)
	for _, g := range gaps {
		for s := g.Start; s < g.End; s += piece {
			e := min(s+piece, g.End)
			if g.End-e < d.minSeg/4 {
				e = g.End // no crumb of a range at the end of a gap
			}
			d.segs = append(d.segs, &segment{start: s, pos: s, end: e})
			s = e - piece
		}
	}
	if err := d.checkpoint(true); err != nil {
		return 0, err
	}
	if len(d.segs) > 0 {
		wctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		d.live = min(n, len(d.segs))
		for range d.live {
			// Each worker starts on a connection dialled while the file
			// was inspected.
			wg.Go(func() { d.worker(wctx, cancel) })
		}
		// Checkpoints are saved beside the workers, so that saving one
		// (an fsync) never holds up a range.
		stop := make(chan struct{})
		var ck sync.WaitGroup
		ck.Go(func() {
			t := time.NewTicker(d.opts.CheckpointEvery)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if err := d.checkpoint(true); err != nil {
						d.fatal(err, cancel)
					}
				}
			}
		})
		wg.Wait()
		close(stop)
		ck.Wait()
		cancel()
	}
	d.mu.Lock()
	err := d.err
	fetched := d.fetched
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil {
		for _, s := range d.segs {
			if s.pos != s.end {
				err = fmt.Errorf("ftp: RETR %s: range %d-%d left unfinished", d.path, s.pos, s.end)
				break
			}
		}
	}
	d.mu.Unlock()
	if err != nil {
		// What is done, for a later resume. (After a success the
		// caller needs no record: none is written, which spares an
		// fsync of the whole file.)
		d.checkpoint(true)
		return fetched, err
	}
	if !d.opts.NoChecksum {
		err = d.verify(ctx)
	}
	return fetched, err
}

// fatal records the first fatal error and stops the other workers.
func (d *segDownload) fatal(err error, cancel context.CancelFunc) {
	d.mu.Lock()
	if d.err == nil {
		d.err = err
	}
	d.mu.Unlock()
	cancel()
}

// take returns a range to fetch: one waiting, or the second half of the
// largest range another worker is fetching (it stops where this one
// starts); nil when none is left.
func (d *segDownload) take() *segment {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil
	}
	for _, s := range d.segs {
		if !s.active && s.pos < s.end {
			s.active = true
			return s
		}
	}
	var big *segment
	for _, s := range d.segs {
		if s.active && s.end-s.pos >= 2*d.minSeg && (big == nil || s.end-s.pos > big.end-big.pos) {
			big = s
		}
	}
	if big == nil || !d.worthSplitting(big) {
		return nil
	}
	// big's worker may have a read of up to segBuf bytes in flight from
	// big.pos: the split point is beyond it (minSeg >= segBuf).
	mid := big.pos + (big.end-big.pos)/2
	s := &segment{start: mid, pos: mid, end: big.end, active: true}
	big.end = mid
	d.segs = append(d.segs, s)
	return s
}

// worthSplitting reports whether the rest of s would come sooner split
// in two: when it takes its worker longer than three times the slowest
// start of a range seen (a new range's RETR, 150 and first byte). d.mu
// must be held.
func (d *segDownload) worthSplitting(s *segment) bool {
	if s.began.IsZero() || d.startup == 0 {
		return false // no measure yet
	}
	el := time.Since(s.began).Seconds()
	if el <= 0 || s.pos <= s.base {
		return false
	}
	rate := float64(s.pos-s.base) / el
	left := time.Duration(float64(s.end-s.pos) / rate * float64(time.Second))
	return left > 3*d.startup
}

// release gives s back after a failed attempt.
func (d *segDownload) release(s *segment, progressed bool) (tooMany bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s.active = false
	if progressed {
		s.fails = 0
	}
	s.fails++
	return s.fails > d.p.cfg.Retries
}

// worker fetches ranges until none is left. A worker takes only a
// connection free at once, and stops when there is none or the server
// refuses one more, unless it is the last worker: that one waits for a
// connection (Pool.Get), so the download goes on while one works.
func (d *segDownload) worker(ctx context.Context, cancel context.CancelFunc) {
	first := true
	backoff := 200 * time.Millisecond
	pause := func() bool {
		if sleepCtx(ctx, jitter(backoff)) != nil {
			d.leave(true)
			return false
		}
		backoff = min(2*backoff, 10*time.Second)
		return true
	}
	for {
		s := d.take()
		if s == nil {
			d.leave(true)
			return
		}
		pc, ok := preConn{}, false
		if first {
			// Dialled while the file was inspected; those the server
			// refused (which lowered the Pool's limit) are passed over
			// for one that works, if any.
			for {
				pc, ok = d.takePre()
				if !ok || pc.c != nil || pc.err != nil && !refusedConn(pc.err) {
					break
				}
			}
			first = false
		}
		c, err, pd := pc.c, pc.err, pc.pd
		if !ok {
			c, err = d.p.tryGet(ctx)
		}
		if errors.Is(err, errPoolFull) || err != nil && refusedConn(err) {
			if d.leave(false) {
				d.putBack(s)
				return
			}
			c, err = d.p.Get(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				d.putBack(s)
				d.fatal(ctx.Err(), cancel)
				d.leave(true)
				return
			}
			if !IsTransient(err) || d.release(s, false) {
				d.fatal(err, cancel)
				d.leave(true)
				return
			}
			if !pause() {
				return
			}
			continue
		}
		got, err := d.fetch(ctx, c, pd, s)
		if err != nil {
			c.Close()
		}
		d.p.Put(c)
		switch {
		case err == nil:
			d.putBack(s)
			backoff = 200 * time.Millisecond
		case ctx.Err() != nil:
			d.putBack(s)
			d.leave(true)
			return
		case !IsTransient(err) || d.release(s, got > 0):
			d.fatal(err, cancel)
			d.leave(true)
			return
		default:
			if !pause() {
				return
			}
		}
	}
}

// leave ends a worker: always with force, else only when it is not the
// last one (which must go on).
func (d *segDownload) leave(force bool) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if force || d.live > 1 {
		d.live--
		return true
	}
	return false
}

// putBack marks s as not being fetched, without counting a failure.
func (d *segDownload) putBack(s *segment) {
	d.mu.Lock()
	s.active = false
	d.mu.Unlock()
}

// refusedConn reports whether err is the server refusing one more
// connection: 421, or the TCP connection refused.
func refusedConn(err error) bool {
	return isServiceNotAvailable(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// fetch downloads s over c: REST s.pos (answered 350 before any byte is
// taken), RETR, then reads up to s.end, which another worker may lower
// meanwhile. pd, when not nil, is c's data connection opened ahead (it is
// used or closed). It returns the bytes written.
func (d *segDownload) fetch(ctx context.Context, c *Conn, pd *pendingData, s *segment) (int64, error) {
	d.mu.Lock()
	pos := s.pos
	d.mu.Unlock()
	asked := time.Now()
	r, err := d.open(ctx, c, pd, pos)
	if err != nil {
		return 0, err
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := (*bp)[:min(len(*bp), segBuf)]
	var got int64
	for {
		d.mu.Lock()
		want := s.end - s.pos
		d.mu.Unlock()
		if want <= 0 {
			break
		}
		n, rerr := r.Read(buf[:min(int64(len(buf)), want)])
		if n > 0 {
			d.mu.Lock()
			n = int(min(int64(n), s.end-s.pos)) // s.end may have moved down
			d.mu.Unlock()
			if err := d.wl.wait(ctx, n); err != nil {
				r.Abort()
				return got, err
			}
			if _, err := d.w.WriteAt(buf[:n], pos); err != nil {
				r.Abort()
				return got, &opError{cmd: "RETR " + d.path, err: err}
			}
			d.mu.Lock()
			if got == 0 {
				s.began, s.base = time.Now(), s.pos
				d.startup = max(d.startup, time.Since(asked))
			}
			pos += int64(n)
			got += int64(n)
			s.pos = pos
			d.fetched += int64(n)
			d.mu.Unlock()
			if d.opts.Progress != nil {
				d.opts.Progress(int64(n))
			}
		}
		if rerr == io.EOF {
			if err := r.Close(); err != nil {
				return got, err // the server's reply says why it stopped
			}
			d.mu.Lock()
			short := s.pos < s.end
			d.mu.Unlock()
			if short {
				// A complete transfer, ending before the size SIZE gave:
				// the file changed.
				return got, fmt.Errorf("%w: %s: the file ends at %d, SIZE said %d", ErrFileChanged, d.path, pos, d.size)
			}
			return got, nil
		}
		if rerr != nil {
			r.Close()
			return got, rerr
		}
	}
	if pos == d.size {
		// The end of the file: its end must follow, then the 226.
		var one [1]byte
		if _, err := r.Read(one[:]); err != io.EOF {
			r.Abort()
			if err == nil {
				err = fmt.Errorf("%w: %s: the file goes on beyond the size SIZE gave, %d", ErrFileChanged, d.path, d.size)
			}
			return got, err
		}
		return got, r.Close()
	}
	// The range is complete: stop the transfer. Its bytes are in whatever
	// the server says. With nothing left to fetch, the connection is
	// closed rather than kept with ABOR: the download ends without
	// waiting for ABOR's replies. Otherwise ABOR, and a Conn that is out of
	// step is closed.
	if d.nothingLeft(s) {
		c.Close()
		r.Abort()
		return got, nil
	}
	if err := r.Abort(); err != nil {
		c.Close()
	}
	return got, nil
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

// nothingLeft reports whether every range other than s is complete, or
// about to be: being fetched, with less left than a range's start takes
// (nothing this connection could take over in time).
func (d *segDownload) nothingLeft(s *segment) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, o := range d.segs {
		if o == s || o.pos >= o.end {
			continue
		}
		if !o.active || o.began.IsZero() || d.startup == 0 {
			return false
		}
		el := time.Since(o.began).Seconds()
		if el <= 0 || o.pos <= o.base {
			return false
		}
		left := time.Duration(float64(o.end-o.pos) / (float64(o.pos-o.base) / el) * float64(time.Second))
		if left > d.startup {
			return false
		}
	}
	return true
}

// checkpoint calls opts.Checkpoint with the ranges done, if it is time
// (or always, with force).
func (d *segDownload) checkpoint(force bool) error {
	if d.opts.Checkpoint == nil {
		return nil
	}
	d.ckMu.Lock()
	defer d.ckMu.Unlock()
	now := time.Now()
	if !force && now.Sub(d.ckLast) < d.opts.CheckpointEvery {
		return nil
	}
	d.ckLast = now
	d.mu.Lock()
	done := slices.Clone(d.prior)
	for _, s := range d.segs {
		if s.pos > s.start {
			done = append(done, Range{s.start, s.pos})
		}
	}
	d.mu.Unlock()
	return d.opts.Checkpoint(SegmentState{Size: d.size, ModTime: d.mtime, Done: mergeRanges(done, d.size)})
}

// verify checks the whole file against the server's checksum, when the
// server offers one and w can be read back.
func (d *segDownload) verify(ctx context.Context) error {
	ra, ok := d.w.(io.ReaderAt)
	if !ok {
		return nil
	}
	return d.p.Retry(ctx, func(c *Conn) error {
		if err := c.begin(); err != nil {
			return err
		}
		var algo HashAlgorithm
		for _, a := range preference {
			cmd, err := c.checksumCmd(ctx, a)
			if err != nil {
				c.end()
				return err
			}
			if cmd != "" {
				algo = a
				break
			}
		}
		c.end()
		if algo == "" {
			return nil
		}
		h := newHash(algo)
		if _, err := io.Copy(h, io.NewSectionReader(ra, 0, d.size)); err != nil {
			return &opError{cmd: "verify " + d.path, err: err}
		}
		local := hex.EncodeToString(h.Sum(nil))
		remote, err := c.Checksum(ctx, d.path, algo)
		if errors.Is(err, ErrPermanent) {
			return nil // offered in FEAT, refused for this file
		}
		if err != nil {
			return err
		}
		if local != remote {
			return fmt.Errorf("%w: %s %s: local %s, server %s", ErrChecksumMismatch, algo, d.path, local, remote)
		}
		return nil
	})
}

// mergeRanges returns rs clipped to [0, size), sorted and merged.
func mergeRanges(rs []Range, size int64) []Range {
	var out []Range
	for _, r := range rs {
		r.Start, r.End = max(r.Start, 0), min(r.End, size)
		if r.Start < r.End {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Range) int { return cmp.Compare(a.Start, b.Start) })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && r.Start <= merged[n-1].End {
			merged[n-1].End = max(merged[n-1].End, r.End)
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// gapsOf returns the ranges of [0, size) not in done (sorted, merged).
func gapsOf(done []Range, size int64) []Range {
	var gaps []Range
	at := int64(0)
	for _, r := range done {
		if r.Start > at {
			gaps = append(gaps, Range{at, r.Start})
		}
		at = max(at, r.End)
	}
	if at < size {
		gaps = append(gaps, Range{at, size})
	}
	return gaps
}

// errPoolFull is tryGet's answer when the Pool is at its limit.
var errPoolFull = errors.New("ftp: pool at its connection limit")

// tryGet is Get without waiting: an idle connection, or a new one when
// the Pool is below its limit, else errPoolFull. A 421 while other
// connections are open lowers the limit, and what the Pool learnt of the
// server is shared with the connection, as Get does.
func (p *Pool) tryGet(ctx context.Context) (*Conn, error) {
	c, full, _, err := p.getOnce(ctx, refusedConn)
	if full {
		p.mu.Unlock()
		return nil, errPoolFull
	}
	return c, err
}
