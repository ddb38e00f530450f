package mirror

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/goftplib/ftp"
)

// DefaultSegmentMin is the smallest file Download fetches in segments
// when Options.Segments asks for them and Options.SegmentMin is zero.
const DefaultSegmentMin = 64 << 20

// segmented reports whether the download of e to lp goes over several
// connections at once (ftp.Pool.RetrSegmentedFile): Segments asks for it,
// the file's exact size is known and large enough, and no partial file of
// a one-connection download waits to be resumed (Fetch continues that
// one; a segmented partial file is continued here).
func (s *syncer) segmented(e entry, lp string) bool {
	min := s.opts.SegmentMin
	if min <= 0 {
		min = DefaultSegmentMin
	}
	if s.opts.Segments < 2 || s.opts.DryRun || s.root == nil || !e.Exact || e.Size < min {
		return false
	}
	_, err := s.root.Lstat(filepath.Join(filepath.Dir(lp), partName(filepath.Base(lp))))
	return errors.Is(err, fs.ErrNotExist) || ftp.SegmentedPartial(s.root, lp)
}

// segGet is a download planned in segments.
type segGet struct {
	a             Action
	remote, local string
	e             entry
}

func (s *syncer) planSeg(g segGet) {
	s.mu.Lock()
	s.segs = append(s.segs, g)
	s.mu.Unlock()
}

// runSegs runs the planned segmented downloads one after the other, once
// the walk and its transfers are over: each may then have every
// connection of the Pool (two at once could each hold some and wait for
// the others').
func (s *syncer) runSegs() {
	s.mu.Lock()
	segs := s.segs
	s.segs = nil
	s.mu.Unlock()
	for _, g := range segs {
		if s.ctx.Err() != nil {
			return
		}
		n, err := s.fetchSegmented(g.a, g.remote, g.local, g.e)
		s.ended(g.a, n, err)
	}
}

// fetchSegmented downloads remote to lp in Options.Segments ranges at
// once: verified, resumable from its partial file, installed only when
// complete, and given the listing's modification time.
func (s *syncer) fetchSegmented(a Action, remote, lp string, e entry) (int64, error) {
	sm := &segMeter{start: s.meter(a)}
	n, err := s.p.RetrSegmentedFile(s.ctx, remote, s.root, lp, ftp.SegmentOptions{
		Segments:   s.opts.Segments,
		Resume:     true,
		Checkpoint: sm.checkpoint,
		Progress:   sm.progress,
	})
	if err == nil && !e.Time.IsZero() {
		err = s.root.Chtimes(lp, e.Time, e.Time)
	}
	sm.done(n, err)
	return n, err
}

// segMeter feeds a Meter from a segmented download: started at the first
// checkpoint (which gives the size and the bytes already there), given
// the count of each write.
type segMeter struct {
	start func(size, offset int64) Meter // nil: no meter
	mu    sync.Mutex
	m     Meter
	w     io.Writer
}

func (s *segMeter) checkpoint(st ftp.SegmentState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil && s.start != nil {
		var have int64
		for _, r := range st.Done {
			have += r.End - r.Start
		}
		s.m = s.start(st.Size, have)
		s.w, _ = s.m.(io.Writer)
	}
	return nil
}

// zeros stands for the bytes of a write, for Meters that count what they
// are given.
var zeros [32 << 10]byte

func (s *segMeter) progress(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.w != nil && n > 0 {
		k := min(n, int64(len(zeros)))
		s.w.Write(zeros[:k])
		n -= k
	}
}

func (s *segMeter) done(n int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m != nil {
		s.m.Done(n, err)
	}
}
