package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goftplib/ftp"
)

// Meter follows one transfer, for progress reports. Done is called once
// when the transfer ends, with the bytes moved in this run (a resumed
// offset not included) and the error.
//
// A Meter that also implements io.Writer is given a copy of every byte as
// it passes. That takes the transfer off the kernel's zero-copy path
// (splice, sendfile), so implement Write only to show live progress.
type Meter interface {
	Done(n int64, err error)
}

// FetchOptions configures Fetch.
type FetchOptions struct {
	// Resume continues the partial file left by an interrupted earlier
	// attempt, from its size (REST), when the remote file's size is known
	// (Size, or SIZE) and the partial file is not larger. With ModTime
	// set, only a partial file stamped with that time is resumed (Fetch
	// stamps the partial file it leaves behind), so that the start of an
	// older version of the file is never completed with the end of a newer
	// one. Otherwise the partial file is started afresh.
	Resume bool
	// Size is the remote file's size as listed. It is used when SizeKnown
	// is set or Size is positive; otherwise Fetch asks the server (SIZE).
	Size int64
	// SizeKnown says that Size is the file's size even when it is 0 (an
	// empty file in a listing).
	SizeKnown bool
	// ModTime, when not zero, becomes the local file's modification time.
	ModTime time.Time
	// Meter, when not nil, is called as the transfer starts with the
	// file's size (-1 when unknown) and the offset it resumes from, and
	// returns the Meter that follows it (or nil).
	Meter func(size, offset int64) Meter
}

// Fetch downloads the remote file remote into name, a path relative to
// root (checked by the caller: see internal/safepath), through p. The
// bytes go to a partial file next to name (see PartSuffix), which is
// renamed to name only when the download is complete, so name is never
// left truncated, and an interrupted download can be resumed with
// FetchOptions.Resume. Every file operation goes through root, so nothing
// outside it can be touched, symbolic links included. It returns the bytes
// received in this run.
//
// When the file's size is known (FetchOptions.Size, else SIZE, else the
// server's 150 reply), the file is installed only if exactly that many
// bytes arrived; otherwise the error is an *ftp.SizeError matching
// ftp.ErrSizeMismatch (and ftp.ErrShortTransfer when short), and the
// partial file is kept for the next attempt. Without a known size there
// is no resume. SIZE and RETR go over the same connection when nothing
// else uses the Pool meanwhile (Pool connections are reused last in, first
// out), and a failure to get a connection (a refused login, say) is
// returned before anything else is sent. Transient failures of the
// transfer are retried by the Pool (PoolConfig.Retries) from the byte
// where they stopped.
func Fetch(ctx context.Context, p *ftp.Pool, remote string, root *os.Root, name string, opts FetchOptions) (int64, error) {
	size, source := int64(-1), "listing"
	if opts.SizeKnown || opts.Size > 0 {
		size = opts.Size
	} else {
		c, err := p.Get(ctx)
		if err != nil {
			return 0, err // a refused login, an unreachable server: final here
		}
		n, err := c.Size(ctx, remote)
		p.Put(c)
		switch {
		case err == nil && n >= 0:
			size, source = n, "SIZE"
		case ctx.Err() != nil:
			return 0, err
		}
		// Otherwise RETR's reply explains failures better, and the Pool
		// retries transient ones.
	}
	part := filepath.Join(filepath.Dir(name), partName(filepath.Base(name)))
	var offset int64
	if opts.Resume && size >= 0 {
		if fi, err := root.Lstat(part); err == nil && fi.Mode().IsRegular() && fi.Size() <= size &&
			(opts.ModTime.IsZero() || sameTime(fi.ModTime(), opts.ModTime, time.Second)) {
			offset = fi.Size()
		}
	}
	flags := os.O_RDWR | os.O_CREATE
	if offset == 0 {
		flags |= os.O_TRUNC
	}
	f, err := root.OpenFile(part, flags, 0o644)
	if err != nil {
		return 0, err
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return 0, err
		}
	}
	var m Meter
	if opts.Meter != nil {
		m = opts.Meter(size, offset)
	}
	var w io.Writer = f
	if mw, ok := m.(io.Writer); ok {
		w = io.MultiWriter(f, mw)
	}
	var n int64
	if offset > 0 {
		// Resume from a little before the end of the partial file and
		// compare the bytes that overlap: a server that ignored REST, or a
		// file that changed since, is caught before a byte is written.
		n, err = fetchOverlap(ctx, p, remote, f, w, offset)
		if errors.Is(err, errOverlap) {
			// The partial file is not the start of this file: start over.
			offset = 0
			if err = truncate(f, 0); err == nil {
				n, err = p.RetrBinary(ctx, remote, w, 0)
			}
		}
	} else if size < 0 || size == 0 || offset < size {
		n, err = p.RetrBinary(ctx, remote, w, offset)
	}
	if err == nil && size >= 0 && offset+n != size {
		err = &ftp.SizeError{Cmd: "RETR " + remote, Offset: offset, Got: n, Want: size, Source: source}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !opts.ModTime.IsZero() {
		err = root.Chtimes(part, opts.ModTime, opts.ModTime)
	}
	switch {
	case err == nil:
		err = root.Rename(part, name)
	case offset+n == 0:
		root.Remove(part) // nothing worth resuming
	case !opts.ModTime.IsZero():
		// Stamp the partial file with the version it belongs to (see
		// FetchOptions.Resume).
		root.Chtimes(part, opts.ModTime, opts.ModTime)
	}
	if m != nil {
		m.Done(n, err)
	}
	return n, err
}

// SendOptions configures Send.
type SendOptions struct {
	// Resume continues an interrupted upload: the size of the remote
	// partial file (SIZE) is the offset to resume from (REST, then STOR),
	// when it is not larger than the local file.
	Resume bool
	// Direct uploads to the final name, as ftp(1)'s put does, instead of
	// to a partial file (see PartSuffix) renamed when complete. Use it
	// where the server does not allow renaming (upload-only directories).
	// With Resume, the final name's size is then the offset.
	Direct bool
	// ModTime, when not zero, is set on the remote file after the upload
	// (MFMT, or MDTM with two arguments); servers that refuse it are
	// ignored.
	ModTime time.Time
	// Meter, when not nil, is called as the transfer starts with the
	// file's size and the offset it resumes from, and returns the Meter
	// that follows it (or nil).
	Meter func(size, offset int64) Meter
}

// Send uploads name, a path relative to root, to the remote path remote
// through a connection of p: by default to a partial file beside it,
// renamed to remote when complete, so that an interrupted upload never
// replaces remote with a truncated file (see SendOptions.Direct). It
// returns the bytes sent in this run.
func Send(ctx context.Context, p *ftp.Pool, root *os.Root, name, remote string, opts SendOptions) (int64, error) {
	f, err := root.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, &fs.PathError{Op: "upload", Path: name, Err: errors.New("not a regular file")}
	}
	size := fi.Size()
	target := remote
	if !opts.Direct {
		i := strings.LastIndexByte(remote, '/')
		target = remote[:i+1] + partName(remote[i+1:])
	}
	var m Meter
	started := false
	var sent int64
	resume := opts.Resume
	// One attempt per call of op; p.Retry retries transient failures
	// within PoolConfig.Retries (the one retry budget), resuming where the
	// server's copy ends.
	err = p.Retry(ctx, func(c *ftp.Conn) error {
		defer func() { resume = true }()
		var off int64
		if resume {
			n, err := c.Size(ctx, target)
			switch {
			case err == nil && n <= size:
				off = n
			case err == nil, errors.Is(err, fs.ErrNotExist), errors.Is(err, ftp.ErrPermanent):
				// Larger than the local file, absent, or SIZE refused:
				// start over.
			default:
				return err
			}
		}
		if !started {
			started = true
			if opts.Meter != nil {
				m = opts.Meter(size, off)
			}
		}
		if resume && off == size && size > 0 {
			return nil // the earlier attempt sent everything
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return err
		}
		var r io.Reader = f
		if mw, ok := m.(io.Writer); ok {
			r = io.TeeReader(f, mw)
		}
		r = p.RateLimitReader(ctx, r) // PoolConfig.RateLimit, TotalRateLimit
		n, err := c.StorBinary(ctx, target, r, off)
		sent += n
		return err
	})
	if err == nil && target != remote {
		err = p.Do(ctx, func(c *ftp.Conn) error {
			_, err := Replace(ctx, c, target, remote)
			return err
		})
	}
	if err == nil && !opts.ModTime.IsZero() {
		p.Do(ctx, func(c *ftp.Conn) error {
			c.SetModTime(ctx, remote, opts.ModTime)
			return nil
		})
	}
	if m != nil {
		m.Done(sent, err)
	}
	return sent, err
}

// OldSuffix ends the name under which Replace keeps the previous version
// of a file while it renames the new one in: ".NAME.goftp-old".
const OldSuffix = ".goftp-old"

// Replace renames the complete upload part to remote, replacing it. Some
// servers refuse to rename over an existing file: remote is then moved
// aside to ".NAME.goftp-old", part renamed in, and the old version
// deleted; if part still cannot be renamed, the old version is put back.
// remote is never deleted before its replacement is in place. leftover
// names the old version when it could not be deleted afterwards (the
// replacement succeeded). An error says that part holds the complete
// upload; for a server that forbids renaming, upload to the final name.
func Replace(ctx context.Context, c *ftp.Conn, part, remote string) (leftover string, err error) {
	_, err = c.Rename(ctx, part, remote)
	if err == nil || !errors.Is(err, ftp.ErrPermanent) {
		return "", err
	}
	hint := func(err error) error {
		return fmt.Errorf("%w (the upload is complete in %s)", err, part)
	}
	if _, serr := c.Size(ctx, remote); serr != nil {
		return "", hint(err) // nothing in the way: renaming itself is refused
	}
	i := strings.LastIndexByte(remote, '/')
	old := remote[:i+1] + "." + remote[i+1:] + OldSuffix
	if _, oerr := c.Rename(ctx, remote, old); oerr != nil {
		return "", hint(err)
	}
	if _, err := c.Rename(ctx, part, remote); err != nil {
		if _, berr := c.Rename(ctx, old, remote); berr != nil {
			return "", fmt.Errorf("%w; and putting %s back from %s failed: %w", hint(err), remote, old, berr)
		}
		return "", hint(err)
	}
	if _, err := c.Delete(ctx, old); err != nil {
		return old, nil
	}
	return "", nil
}

// errOverlap reports that the bytes before the resume offset differ from
// the partial file's.
var errOverlap = errors.New("the partial file does not match the start of the server's file (REST ignored, or the file changed)")

// overlapSize is how many bytes before the resume offset are fetched again
// and compared with the partial file.
const overlapSize = 64 << 10

// fetchOverlap resumes the download into the partial file f (open for
// writing, positioned at offset; w writes to it) from offset-K, comparing
// the K bytes before offset with f's. A complete partial file (offset at
// the end of the remote file) is verified the same way. It returns the
// bytes written after offset, or an error matching errOverlap.
func fetchOverlap(ctx context.Context, p *ftp.Pool, remote string, f *os.File, w io.Writer, offset int64) (int64, error) {
	k := min(offset, overlapSize)
	want := make([]byte, k)
	if _, err := f.ReadAt(want, offset-k); err != nil {
		return 0, fmt.Errorf("reading the partial file: %w", err)
	}
	ow := &overlapWriter{want: want, w: w}
	n, err := p.RetrBinary(ctx, remote, ow, offset-k)
	if err == nil && ow.off < len(want) {
		err = errOverlap // the file is now shorter than the partial one
	}
	return max(n-k, 0), err
}

// overlapWriter compares the first len(want) bytes written with want and
// passes the rest to w.
type overlapWriter struct {
	want []byte
	off  int
	w    io.Writer
}

func (o *overlapWriter) Write(p []byte) (int, error) {
	n := len(p)
	if o.off < len(o.want) {
		k := min(len(p), len(o.want)-o.off)
		if !bytes.Equal(p[:k], o.want[o.off:o.off+k]) {
			return 0, errOverlap
		}
		o.off += k
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	m, err := o.w.Write(p)
	return n - len(p) + m, err
}

// truncate cuts f to size and moves its offset there.
func truncate(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	_, err := f.Seek(size, io.SeekStart)
	return err
}
