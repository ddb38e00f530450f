package mirror

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goftplib/ftp"
)

// BatchMax is the largest file that Download and Upload move in a
// pipelined batch (ftp.Pool.RetrBatch, ftp.Pool.StorBatch) rather than one
// transfer at a time: for small files the round trips, not the bytes, are
// what takes time. Larger files, and files with a partial copy to resume,
// go through Fetch and Send.
const BatchMax = 1 << 20

// batchGet is a download planned for the batch.
type batchGet struct {
	a      Action
	remote string // remote path
	local  string // path under root
	size   int64
	mtime  time.Time
}

// batchPut is an upload planned for the batch.
type batchPut struct {
	a      Action
	local  string // path under root
	remote string // final remote path
	temp   string // partial name beside it
	size   int64
	mtime  time.Time
}

// canBatchGet reports whether a download can go in the batch: its size is
// known exactly and small, and no partial file waits to be resumed.
func (s *syncer) canBatchGet(e entry, lp string) bool {
	if s.opts.DryRun || !e.Exact || e.Size < 0 || e.Size > BatchMax || s.root == nil {
		return false
	}
	_, err := s.root.Lstat(filepath.Join(filepath.Dir(lp), partName(filepath.Base(lp))))
	return errors.Is(err, fs.ErrNotExist)
}

// planGet adds a download to the batch.
func (s *syncer) planGet(g batchGet) {
	s.mu.Lock()
	s.gets = append(s.gets, g)
	s.mu.Unlock()
}

// planPut adds an upload to the batch.
func (s *syncer) planPut(p batchPut) {
	s.mu.Lock()
	s.puts = append(s.puts, p)
	s.mu.Unlock()
}

// ended counts and reports a transfer of the batch as the workers do.
func (s *syncer) ended(a Action, n int64, err error) {
	if err != nil && s.ctx.Err() != nil {
		return // reported once, at the end
	}
	if err == nil {
		s.count(func(r *Result) {
			r.Files++
			r.Bytes += n
		})
	}
	s.report(a, err)
}

// runBatches runs the planned downloads and uploads as pipelined batches
// over the Pool, with the safety rules of Fetch and Send: bytes go to a
// partial file (a partial name on the server) renamed only once the size
// is confirmed, and a failed download keeps what it received for the next
// run to resume.
func (s *syncer) runBatches() {
	s.mu.Lock()
	gets, puts := s.gets, s.puts
	s.gets, s.puts = nil, nil
	s.mu.Unlock()
	if len(gets) > 0 && s.ctx.Err() == nil {
		s.runGets(gets)
	}
	if len(puts) > 0 && s.ctx.Err() == nil {
		s.runPuts(puts)
	}
}

// meteredFile is a partial file that also feeds a Meter.
type meteredFile struct {
	*os.File
	m io.Writer
}

func (f *meteredFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	f.m.Write(p[:n])
	return n, err
}

func (s *syncer) runGets(gets []batchGet) {
	if len(gets) < 2 {
		// A batch of one saves nothing: Fetch it.
		for _, g := range gets {
			n, err := Fetch(s.ctx, s.p, g.remote, s.root, g.local, FetchOptions{
				Resume: true, Size: g.size, SizeKnown: true, ModTime: g.mtime, Meter: s.meter(g.a),
			})
			s.ended(g.a, n, err)
		}
		return
	}
	items := make([]ftp.RetrItem, len(gets))
	for i, g := range gets {
		part := filepath.Join(filepath.Dir(g.local), partName(filepath.Base(g.local)))
		var m Meter
		items[i] = ftp.RetrItem{
			Path: g.remote, Size: g.size, SizeKnown: true,
			Open: func() (io.Writer, error) {
				f, err := s.root.OpenFile(part, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
				if err != nil {
					return nil, err
				}
				if s.opts.Meter != nil {
					m = s.opts.Meter(g.a, g.size, 0)
				}
				if mw, ok := m.(io.Writer); ok {
					return &meteredFile{f, mw}, nil
				}
				return f, nil
			},
			Done: func(n int64, err error) {
				if err == nil && n != g.size {
					err = &ftp.SizeError{Cmd: "RETR " + g.remote, Got: n, Want: g.size, Source: "listing"}
				}
				if err == nil && !g.mtime.IsZero() {
					err = s.root.Chtimes(part, g.mtime, g.mtime)
				}
				switch {
				case err == nil:
					err = s.root.Rename(part, g.local)
				case n == 0:
					s.root.Remove(part) // nothing worth resuming
				case !g.mtime.IsZero():
					// Stamp the partial file with the version it belongs
					// to (see FetchOptions.Resume).
					s.root.Chtimes(part, g.mtime, g.mtime)
				}
				if m != nil {
					m.Done(n, err)
				}
				s.ended(g.a, n, err)
			},
		}
	}
	s.p.RetrBatch(s.ctx, items) // every file is reported by its Done
}

func (s *syncer) runPuts(puts []batchPut) {
	if len(puts) < 2 {
		// A batch of one saves nothing: Send it.
		for _, p := range puts {
			n, err := Send(s.ctx, s.p, s.root, p.local, p.remote, SendOptions{
				Resume: true, ModTime: p.mtime, Meter: s.meter(p.a),
			})
			s.ended(p.a, n, err)
		}
		return
	}
	items := make([]ftp.StorItem, len(puts))
	// Uploads complete under their partial name whose rename the server
	// refused: Replace (moving the old version aside) runs after the
	// batch, on a connection of its own.
	type refused struct {
		p   batchPut
		n   int64
		err error
	}
	var renames []refused
	for i, p := range puts {
		var m Meter
		started := false
		items[i] = ftp.StorItem{
			Path: p.remote, Temp: p.temp, Size: p.size, ModTime: p.mtime,
			Open: func() (io.Reader, error) {
				f, err := s.root.Open(p.local)
				if err != nil {
					return nil, err
				}
				fi, err := f.Stat()
				if err == nil && !fi.Mode().IsRegular() {
					err = &fs.PathError{Op: "upload", Path: p.local, Err: errors.New("not a regular file")}
				}
				if err != nil {
					f.Close()
					return nil, err
				}
				if !started {
					started = true
					if s.opts.Meter != nil {
						m = s.opts.Meter(p.a, p.size, 0)
					}
				}
				if mw, ok := m.(io.Writer); ok {
					return struct {
						io.Reader
						io.Closer
					}{io.TeeReader(f, mw), f}, nil
				}
				return f, nil
			},
			Done: func(n int64, err error) {
				var re *ftp.ReplyError
				if errors.As(err, &re) && strings.HasPrefix(re.Cmd, "RNTO ") && errors.Is(err, ftp.ErrPermanent) {
					renames = append(renames, refused{p, n, err}) // Done calls are serialised
					return
				}
				if m != nil {
					m.Done(n, err)
				}
				s.ended(p.a, n, err)
			},
		}
	}
	s.p.StorBatch(s.ctx, items)
	for _, r := range renames {
		err := s.p.Do(s.ctx, func(c *ftp.Conn) error {
			_, err := Replace(s.ctx, c, r.p.temp, r.p.remote)
			return err
		})
		if err == nil && !r.p.mtime.IsZero() {
			s.p.Do(s.ctx, func(c *ftp.Conn) error {
				c.SetModTime(s.ctx, r.p.remote, r.p.mtime)
				return nil
			})
		}
		s.ended(r.p.a, r.n, err)
	}
}
