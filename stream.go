package ftp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"strings"

	"github.com/goftplib/ftp/internal/proto"
)

var (
	_ io.ReadCloser      = (*Reader)(nil)
	_ io.WriterTo        = (*Reader)(nil)
	_ io.WriteCloser     = (*Writer)(nil)
	_ io.ReaderFrom      = (*Writer)(nil)
	_ io.ReadWriteCloser = (*DataConn)(nil)
)

// Reader is a download in progress, returned by [Conn.Retr]. It is an
// io.ReadCloser; the Conn is busy until Close. Close reads the server's
// final reply (226 or 250) and reports a failed transfer; closing before
// EOF aborts the transfer (ABOR) and leaves the Conn usable. The ctx given
// to Retr governs the Reader until Close. The caller must Close it.
type Reader struct{ t *transfer }

// Read reads from the data connection.
func (r *Reader) Read(p []byte) (int, error) { return r.t.read(p) }

// WriteTo copies the rest of the download to w. On a plain TCP data
// connection and a w such as *os.File the bytes go through the kernel
// (splice) without passing through user space. It implements io.WriterTo,
// so io.Copy uses it.
func (r *Reader) WriteTo(w io.Writer) (int64, error) { return r.t.writeTo(w) }

// Size returns the size the server announced in its 150 reply, or -1
// (ftplib's ntransfercmd size).
func (r *Reader) Size() int64 { return r.t.size }

// Close ends the download: see Reader. It is safe to call more than once.
func (r *Reader) Close() error { return r.t.finish(!r.t.eof) }

// Reply returns the server's final reply (226 or 250) once Close has
// succeeded, or nil (the string ftplib's retrbinary returns).
func (r *Reader) Reply() *Reply { return r.t.final }

// Writer is an upload in progress, returned by [Conn.Stor] and
// [Conn.Appe]. It is an io.WriteCloser; the Conn is busy until Close.
// Close closes the data connection, which tells the server the file is
// complete, and reads its final reply. The ctx given to Stor governs the
// Writer until Close. The caller must Close it.
type Writer struct{ t *transfer }

// Write writes to the data connection.
func (w *Writer) Write(p []byte) (int, error) { return w.t.write(p) }

// ReadFrom copies r to the upload until EOF. On a plain TCP data
// connection and an *os.File the kernel sends the file (sendfile). It
// implements io.ReaderFrom, so io.Copy uses it.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) { return w.t.readFrom(r) }

// Close ends the upload: see Writer. It is safe to call more than once.
func (w *Writer) Close() error { return w.t.finish(false) }

// Reply returns the server's final reply once Close has succeeded, or nil.
func (w *Writer) Reply() *Reply { return w.t.final }

// Abort stops the upload with ABOR instead of completing it; the server
// may keep the part already sent.
func (w *Writer) Abort() error { return w.t.finish(true) }

// DataConn is a data connection opened by [Conn.Transfer] for any command
// (ftplib's transfercmd/ntransfercmd). The Conn is busy until Close, which
// closes the data connection and reads the final reply; Abort sends ABOR
// instead. The caller must Close it.
type DataConn struct{ t *transfer }

// Read reads from the data connection.
func (d *DataConn) Read(p []byte) (int, error) { return d.t.read(p) }

// Write writes to the data connection.
func (d *DataConn) Write(p []byte) (int, error) { return d.t.write(p) }

// Size returns the size announced in the 150 reply, or -1.
func (d *DataConn) Size() int64 { return d.t.size }

// Close closes the data connection and reads the final reply.
func (d *DataConn) Close() error { return d.t.finish(false) }

// Reply returns the server's final reply once Close has succeeded, or nil.
func (d *DataConn) Reply() *Reply { return d.t.final }

// Abort aborts the transfer with ABOR and reads the replies that follow.
func (d *DataConn) Abort() error { return d.t.finish(true) }

// Transfer sends a raw data command such as "RETR a.txt", "LIST -a" or
// "STOR b.bin" over a new data connection (ftplib's ntransfercmd), after
// REST offset when offset > 0. It does not change TYPE: send "TYPE I" or
// "TYPE A" with VoidCmd first if needed. A reply other than 1xx is returned
// as a *ReplyError. Nothing is checked about the bytes moved.
func (c *Conn) Transfer(ctx context.Context, line string, offset int64) (*DataConn, error) {
	verb, arg, _ := strings.Cut(line, " ")
	t, err := c.openTransfer(ctx, "", verb, arg, offset, nil)
	if err != nil {
		return nil, err
	}
	return &DataConn{t}, nil
}

// openTransfer claims the Conn, checks the argument, sets the type (unless
// empty), runs before (if not nil) and starts a transfer; on error the
// Conn is released.
func (c *Conn) openTransfer(ctx context.Context, typ, verb, arg string, offset int64, before func() error) (*transfer, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	// Refuse a bad argument before anything (TYPE, EPSV) is sent.
	if _, err := c.encode(arg); err != nil {
		c.end()
		return nil, &opError{cmd: verb, err: err}
	}
	if err := proto.CheckArg(arg); err != nil {
		c.end()
		return nil, &opError{cmd: verb, err: fmt.Errorf("%w: %w", fs.ErrInvalid, err)}
	}
	if offset < 0 {
		c.end()
		return nil, fmt.Errorf("ftp: %s: negative restart offset %d: %w", verb, offset, fs.ErrInvalid)
	}
	if typ != "" || before != nil {
		stop := c.watch(ctx, c.nc)
		var err error
		switch {
		case typ != "" && before == nil && c.curType != typ && c.canTypeAhead():
			c.typeAhead = typ // sent with EPSV (see takeTypeAhead)
		case typ != "":
			err = c.setType(ctx, typ)
		}
		if err == nil && before != nil {
			err = before()
		}
		stop()
		if err != nil {
			c.end()
			return nil, err
		}
	}
	t, err := c.startTransfer(ctx, verb, arg, offset)
	c.typeAhead = ""
	if err != nil {
		c.end()
		return nil, err
	}
	return t, nil
}

// Retr starts downloading path in binary mode (TYPE I, RETR) from byte
// offset. Read the returned Reader to the end, then Close it.
//
// The download is checked against the file's size: from offset 0 the size
// announced in the 150 reply, when there is one; from an offset (REST) the
// size given by SIZE, which Retr asks first, so that a server that accepted
// REST but sent the file from its start is caught. A download that ends
// with another number of bytes fails with a *SizeError (matching
// ErrSizeMismatch, and ErrShortTransfer when short): Read refuses bytes
// beyond the size, and Close reports a short end. When the size of a file
// to resume cannot be learnt, Retr fails with ErrResumeUnverified before
// anything is transferred.
func (c *Conn) Retr(ctx context.Context, path string, offset int64) (*Reader, error) {
	want, src := int64(-1), ""
	var before func() error
	if offset > 0 {
		before = func() error {
			n, err := c.sizeLocked(ctx, path)
			if err != nil && !errors.Is(err, fs.ErrNotExist) && errors.As(err, new(*ReplyError)) {
				err = errorf("%w (RETR %s from an offset: %w)", ErrResumeUnverified, path, err)
			}
			if err != nil {
				return err
			}
			if offset > n {
				return fmt.Errorf("ftp: RETR %s: restart offset %d is beyond the file's size %d: %w", path, offset, n, fs.ErrInvalid)
			}
			want, src = n-offset, "SIZE"
			return nil
		}
	}
	t, err := c.openTransfer(ctx, "I", "RETR", path, offset, before)
	if err != nil {
		return nil, err
	}
	t.offset = offset
	switch {
	case want >= 0:
		t.want, t.wantSrc = want, src
	case offset == 0 && t.size >= 0 && !c.modeZ:
		t.want, t.wantSrc = t.size, "150 reply"
	}
	return &Reader{t}, nil
}

// RetrBinary downloads path in binary mode into w, starting at byte offset
// (REST) when offset > 0, and returns the number of bytes written
// (ftplib's retrbinary, with w in place of the callback). The bytes are
// checked against the file's size as Retr describes: a mismatch is a
// *SizeError. On error, what was written to w is incomplete.
func (c *Conn) RetrBinary(ctx context.Context, path string, w io.Writer, offset int64) (int64, error) {
	algo, h, err := c.verifier(ctx, offset)
	if err != nil {
		return 0, err
	}
	if h != nil {
		w = io.MultiWriter(w, h)
	}
	r, err := c.Retr(ctx, path, offset)
	if err != nil {
		return 0, err
	}
	n, err := r.WriteTo(w)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err == nil && h != nil {
		err = c.verify(ctx, path, algo, h)
	}
	return n, err
}

// verifier returns the algorithm and hash for a verified transfer, or
// nil when verification is off, not possible from offset, or unsupported.
func (c *Conn) verifier(ctx context.Context, offset int64) (HashAlgorithm, hash.Hash, error) {
	if !c.d.VerifyChecksums || offset != 0 {
		return "", nil, nil
	}
	if err := c.begin(); err != nil {
		return "", nil, err
	}
	algo, err := c.verifyAlgo(ctx)
	c.end()
	if err != nil || algo == "" {
		return "", nil, err
	}
	return algo, newHash(algo), nil
}

// Stor starts uploading to path in binary mode (TYPE I, STOR), after
// REST offset when offset > 0. Write to the returned Writer, then Close it.
func (c *Conn) Stor(ctx context.Context, path string, offset int64) (*Writer, error) {
	t, err := c.openTransfer(ctx, "I", "STOR", path, offset, nil)
	if err != nil {
		return nil, err
	}
	return &Writer{t}, nil
}

// Appe starts appending to path in binary mode (TYPE I, APPE).
func (c *Conn) Appe(ctx context.Context, path string) (*Writer, error) {
	t, err := c.openTransfer(ctx, "I", "APPE", path, 0, nil)
	if err != nil {
		return nil, err
	}
	return &Writer{t}, nil
}

// StorBinary uploads r to path in binary mode until r's EOF, after REST
// offset when offset > 0 (ftplib's storbinary), and returns the number of
// bytes sent.
//
// A resumed upload (offset > 0) is verified with SIZE before and after: the
// remote file must hold at least offset bytes first (else fs.ErrInvalid,
// nothing sent), and offset plus the bytes sent afterwards (a server that
// ignored REST and wrote the bytes from 0 gives a *SizeError). A server
// without SIZE cannot resume safely: ErrResumeUnverified, nothing sent.
func (c *Conn) StorBinary(ctx context.Context, path string, r io.Reader, offset int64) (int64, error) {
	algo, h, err := c.verifier(ctx, offset)
	if err != nil {
		return 0, err
	}
	if h != nil {
		r = io.TeeReader(r, h)
	}
	var pre int64
	if offset > 0 {
		if pre, err = c.resumeSize(ctx, "STOR", path); err != nil {
			return 0, err
		}
		if pre < offset {
			return 0, fmt.Errorf("ftp: STOR %s: restart offset %d is beyond the remote file's size %d: %w", path, offset, pre, fs.ErrInvalid)
		}
	}
	w, err := c.Stor(ctx, path, offset)
	if err != nil {
		return 0, err
	}
	n, err := copyUp(w, r)
	if err == nil && offset > 0 {
		post, serr := c.resumeSize(ctx, "STOR", path)
		switch {
		case serr != nil:
			err = serr
		case post != offset+n && !(pre > offset+n && post == pre):
			err = &SizeError{Cmd: w.t.display, Offset: offset, Got: post - offset, Want: offset + n, Source: "SIZE after the upload"}
		}
	}
	if err == nil && h != nil {
		err = c.verify(ctx, path, algo, h)
	}
	return n, err
}

// resumeSize asks SIZE for a resumed transfer: a refusal other than "no
// such file" means the resume cannot be verified.
func (c *Conn) resumeSize(ctx context.Context, verb, path string) (int64, error) {
	n, err := c.Size(ctx, path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && errors.As(err, new(*ReplyError)) {
		return 0, errorf("%w (%s %s from an offset: %w)", ErrResumeUnverified, verb, path, err)
	}
	return n, err
}

// Append uploads r to the end of path (APPE) and returns the number of
// bytes sent.
func (c *Conn) Append(ctx context.Context, path string, r io.Reader) (int64, error) {
	w, err := c.Appe(ctx, path)
	if err != nil {
		return 0, err
	}
	return copyUp(w, r)
}

func copyUp(w *Writer, r io.Reader) (int64, error) {
	n, err := w.ReadFrom(r)
	if err != nil && w.t.srcErr {
		// Reading the source failed: abort rather than let the server
		// keep a truncated file as if it were complete.
		w.Abort()
		return n, err
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// RetrLines downloads path in ASCII mode (TYPE A, RETR) and calls fn for
// each line, without its CRLF or LF and decoded with the Dialer's Encoding
// (ftplib's retrlines). An error from fn aborts the transfer and is
// returned. Lines longer than MaxTextLine are a *ProtocolError.
func (c *Conn) RetrLines(ctx context.Context, path string, fn func(line string) error) error {
	return c.lineTransfer(ctx, "RETR", path, fn)
}

func (c *Conn) lineTransfer(ctx context.Context, verb, arg string, fn func(string) error) error {
	t, err := c.openTransfer(ctx, "A", verb, arg, 0, nil)
	if err != nil {
		return err
	}
	err = t.lines(fn)
	if err != nil {
		t.finish(true)
		return err
	}
	return t.finish(false)
}

// StorLines uploads r to path in ASCII mode (TYPE A, STOR), sending each
// line of r (split at LF, a CR before it removed) followed by CRLF
// (ftplib's storlines). It returns the number of bytes sent.
func (c *Conn) StorLines(ctx context.Context, path string, r io.Reader) (int64, error) {
	t, err := c.openTransfer(ctx, "A", "STOR", path, 0, nil)
	if err != nil {
		return 0, err
	}
	var n int64
	bw := bufio.NewWriterSize(writerFunc(t.write), 64<<10)
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, rerr := readLine(br)
		if rerr != nil && rerr != io.EOF {
			t.err = &opError{cmd: t.display, err: rerr}
			t.finish(true)
			return n, t.err
		}
		if len(line) > 0 || rerr == nil {
			bw.Write(line)
			bw.WriteString("\r\n")
			n += int64(len(line)) + 2
		}
		if rerr == io.EOF {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		t.finish(false)
		return n, err
	}
	return n, t.finish(false)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
