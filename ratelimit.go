package ftp

import (
	"context"
	"io"
	"slices"
	"time"

	"golang.org/x/time/rate"
)

// Rate limits (PoolConfig.RateLimit and TotalRateLimit) are token buckets
// of golang.org/x/time/rate in bytes per second. A bucket holds a tenth
// of a second's worth of bytes (at least 4 KiB, at most 1 MiB): a
// transfer that was idle may send that much at once, never more.

// newLimiter returns a limiter of bps bytes a second, or nil for no limit.
func newLimiter(bps int64) *rate.Limiter {
	if bps <= 0 {
		return nil
	}
	burst := min(max(bps/10, 4<<10), 1<<20)
	return rate.NewLimiter(rate.Limit(bps), int(burst))
}

// rateLimits are the limiters one transfer waits on: its own and the
// Pool's total. A nil *rateLimits limits nothing.
type rateLimits struct {
	each, total *rate.Limiter
}

// rateLimits returns the limits for one new transfer of the Pool, or nil
// when it has none.
func (p *Pool) rateLimits() *rateLimits {
	each := newLimiter(p.cfg.RateLimit)
	if each == nil && p.total == nil {
		return nil
	}
	return &rateLimits{each: each, total: p.total}
}

// chunk is the most bytes one wait may cover: the smaller burst.
func (l *rateLimits) chunk() int {
	n := 1 << 20
	for _, lim := range []*rate.Limiter{l.each, l.total} {
		if lim != nil {
			n = min(n, lim.Burst())
		}
	}
	return n
}

// wait blocks until n more bytes may pass, or ctx is done (its error is
// returned, and the bytes are not counted).
func (l *rateLimits) wait(ctx context.Context, n int) error {
	if l == nil {
		return nil
	}
	for n > 0 {
		k := min(n, l.chunk())
		if err := l.waitChunk(ctx, k); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func (l *rateLimits) waitChunk(ctx context.Context, k int) error {
	now := time.Now()
	var rs []*rate.Reservation
	var delay time.Duration
	for _, lim := range []*rate.Limiter{l.each, l.total} {
		if lim == nil {
			continue
		}
		r := lim.ReserveN(now, k) // k <= Burst: always ok
		rs = append(rs, r)
		delay = max(delay, r.DelayFrom(now))
	}
	if delay <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		for _, r := range rs {
			r.CancelAt(time.Now())
		}
		return ctx.Err()
	}
}

// limitWriter passes writes to w at the rate of l.
type limitWriter struct {
	ctx context.Context
	w   io.Writer
	l   *rateLimits
}

func (w *limitWriter) Write(p []byte) (int, error) {
	var done int
	for len(p) > 0 {
		k := min(len(p), w.l.chunk())
		if err := w.l.wait(w.ctx, k); err != nil {
			return done, err
		}
		n, err := w.w.Write(p[:k])
		done += n
		if err != nil {
			return done, err
		}
		p = p[k:]
	}
	return done, nil
}

// limitReadSeeker passes reads of r at the rate of l; Seek goes to r.
type limitReadSeeker struct {
	ctx context.Context
	r   io.ReadSeeker
	l   *rateLimits
}

func (r *limitReadSeeker) Read(p []byte) (int, error) {
	if len(p) > r.l.chunk() {
		p = p[:r.l.chunk()]
	}
	n, err := r.r.Read(p)
	if werr := r.l.wait(r.ctx, n); werr != nil {
		return n, werr
	}
	return n, err
}

func (r *limitReadSeeker) Seek(off int64, whence int) (int64, error) {
	return r.r.Seek(off, whence)
}

// limitWriter returns w limited by the Pool's rates for one transfer.
func (p *Pool) limitWriter(ctx context.Context, w io.Writer) io.Writer {
	if l := p.rateLimits(); l != nil {
		return &limitWriter{ctx, w, l}
	}
	return w
}

// limitReadSeeker returns r limited by the Pool's rates for one transfer.
func (p *Pool) limitReadSeeker(ctx context.Context, r io.ReadSeeker) io.ReadSeeker {
	if l := p.rateLimits(); l != nil {
		return &limitReadSeeker{ctx, r, l}
	}
	return r
}

// RateLimitWriter returns w limited to the Pool's rates (RateLimit,
// TotalRateLimit) as one transfer, for a transfer run on a Conn of the
// Pool (Pool.Do, Get); w itself when the Pool has no limit. Waits end
// with ctx.
func (p *Pool) RateLimitWriter(ctx context.Context, w io.Writer) io.Writer {
	return p.limitWriter(ctx, w)
}

// RateLimitReader is RateLimitWriter for the source of an upload.
func (p *Pool) RateLimitReader(ctx context.Context, r io.Reader) io.Reader {
	if l := p.rateLimits(); l != nil {
		return &limitReader{ctx, r, l}
	}
	return r
}

// limitReader passes reads of r at the rate of l.
type limitReader struct {
	ctx context.Context
	r   io.Reader
	l   *rateLimits
}

func (r *limitReader) Read(p []byte) (int, error) {
	if len(p) > r.l.chunk() {
		p = p[:r.l.chunk()]
	}
	n, err := r.r.Read(p)
	if werr := r.l.wait(r.ctx, n); werr != nil {
		return n, werr
	}
	return n, err
}

// limitRetrItems returns items whose writers are limited by the Pool's
// rates, one transfer each (items itself when the Pool has no limit). A
// writer that is an io.Closer stays one, so the batch still closes it.
func (p *Pool) limitRetrItems(ctx context.Context, items []RetrItem) []RetrItem {
	if p.cfg.RateLimit <= 0 && p.total == nil {
		return items
	}
	out := slices.Clone(items)
	for i := range out {
		open := out[i].Open
		out[i].Open = func() (io.Writer, error) {
			w, err := open()
			if err != nil || w == nil {
				return w, err
			}
			lw := p.limitWriter(ctx, w)
			if c, ok := w.(io.Closer); ok {
				return struct {
					io.Writer
					io.Closer
				}{lw, c}, nil
			}
			return lw, nil
		}
	}
	return out
}

// limitStorItems is limitRetrItems for the readers of uploads.
func (p *Pool) limitStorItems(ctx context.Context, items []StorItem) []StorItem {
	if p.cfg.RateLimit <= 0 && p.total == nil {
		return items
	}
	out := slices.Clone(items)
	for i := range out {
		open := out[i].Open
		out[i].Open = func() (io.Reader, error) {
			r, err := open()
			if err != nil || r == nil {
				return r, err
			}
			lr := p.RateLimitReader(ctx, r)
			if c, ok := r.(io.Closer); ok {
				return struct {
					io.Reader
					io.Closer
				}{lr, c}, nil
			}
			return lr, nil
		}
	}
	return out
}
