package ftp

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
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
		d.drain() // connections no range took: free for verify's
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
		// First the connections dialled while the file was inspected,
		// for as long as any is left (not only for a worker's first
		// range: one no worker took holds a place of the Pool, which
		// the last worker, waiting in Get, would wait for in vain).
		// Those the server refused (which lowered the Pool's limit) are
		// passed over for one that works, if any.
		pc, ok := preConn{}, false
		for {
			pc, ok = d.takePre()
			if !ok || pc.c != nil || pc.err != nil && !refusedConn(pc.err) {
				break
			}
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
