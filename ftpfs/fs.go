// Package ftpfs presents an FTP server as an io/fs file system, so that
// fs.WalkDir, fs.Glob, http.FS, template.ParseFS and the rest of the
// standard library work on it.
//
//	p := ftp.NewPool("ftp.example.com", ftp.PoolConfig{})
//	defer p.Close()
//	fsys := ftpfs.New(p, "/pub")
//	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error { … })
//
// Listings use MLSD/MLST when the server has them, LIST otherwise (see
// ftp.Conn.ReadDir). Open files implement io.Seeker and io.ReaderAt (a
// new RETR with REST on the same connection after a seek), so
// http.FileServerFS(fsys) answers Range requests with 206. Errors are *fs.PathError wrapping the FTP error, so
// errors.Is(err, fs.ErrNotExist) works for a 550.
package ftpfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
)

// FS is a read-only io/fs view of a directory tree on an FTP server. It is
// safe for concurrent use by multiple goroutines: every operation takes a
// connection from the Pool. An open file holds one connection while a
// transfer runs: until it is read to the end or closed. A file is safe for
// concurrent use too, but its Read, Seek and ReadAt calls take turns.
type FS struct {
	pool *ftp.Pool
	root string
	ctx  context.Context
}

var (
	_ fs.ReadDirFS  = (*FS)(nil)
	_ fs.StatFS     = (*FS)(nil)
	_ fs.ReadFileFS = (*FS)(nil)
	_ fs.SubFS      = (*FS)(nil)
)

// New returns a file system rooted at the server directory root ("" or
// "." for the login directory). The caller keeps ownership of the pool.
func New(p *ftp.Pool, root string) *FS {
	return &FS{pool: p, root: strings.TrimSuffix(root, "/"), ctx: context.Background()}
}

// WithContext returns a copy of f whose operations use ctx (io/fs
// methods take no context).
func (f *FS) WithContext(ctx context.Context) *FS {
	g := *f
	g.ctx = ctx
	return &g
}

// remote maps a valid fs path to the server path.
func (f *FS) remote(name string) string {
	switch {
	case name == ".":
		if f.root == "" {
			return "."
		}
		return f.root
	case f.root == "" || f.root == ".":
		return name
	case f.root == "/":
		return "/" + name
	}
	return f.root + "/" + name
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// Sub returns the file system rooted at dir.
func (f *FS) Sub(dir string) (fs.FS, error) {
	if !fs.ValidPath(dir) {
		return nil, pathErr("sub", dir, fs.ErrInvalid)
	}
	if dir == "." {
		return f, nil
	}
	info, err := f.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, pathErr("sub", dir, errors.New("not a directory"))
	}
	g := *f
	g.root = f.remote(dir)
	return &g, nil
}

// Stat returns the FileInfo of name (MLST, or the parent's listing).
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, pathErr("stat", name, fs.ErrInvalid)
	}
	if name == "." {
		return &fileInfo{e: listing.Entry{Name: ".", Type: listing.Dir, Size: -1}}, nil
	}
	var e listing.Entry
	err := f.pool.Do(f.ctx, func(c *ftp.Conn) error {
		var err error
		e, err = c.Stat(f.ctx, f.remote(name))
		return err
	})
	if err != nil {
		return nil, pathErr("stat", name, unwrapPath(err))
	}
	e.Name = path.Base(name)
	return &fileInfo{e: e}, nil
}

// unwrapPath removes a *fs.PathError made by the ftp package so it is not
// wrapped twice.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadDir lists name, sorted by file name as io/fs requires. Listing lines
// that cannot be parsed are reported: the entries that parsed are returned
// with an error wrapping the *listing.ParseError values.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, pathErr("readdir", name, fs.ErrInvalid)
	}
	var entries []listing.Entry
	var parseErr error
	err := f.pool.Do(f.ctx, func(c *ftp.Conn) error {
		var err error
		entries, err = c.ReadDir(f.ctx, f.remote(name))
		var pe *listing.ParseError
		if err != nil && errors.As(err, &pe) {
			// Lines that did not parse: return what did, with the error.
			parseErr, err = err, nil
		}
		if err == nil && len(entries) == 0 && name != "." {
			// Some servers list a missing directory as empty: check it.
			var st listing.Entry
			st, err = c.Stat(f.ctx, f.remote(name))
			if err == nil && st.Type != listing.Dir {
				err = errors.New("not a directory")
			}
		}
		return err
	})
	if err != nil {
		return nil, pathErr("readdir", name, unwrapPath(err))
	}
	out := make([]fs.DirEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, &fileInfo{e: e})
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	if parseErr != nil {
		return out, pathErr("readdir", name, parseErr)
	}
	return out, nil
}

// ReadFile downloads name whole, resuming (REST) after a transient
// failure as ftp.Pool.RetrBinary does.
func (f *FS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, pathErr("readfile", name, fs.ErrInvalid)
	}
	var buf bytes.Buffer
	// The pool retries a transfer that failed for a transient reason,
	// resuming where it stopped (PoolConfig.Retries).
	_, err := f.pool.RetrBinary(f.ctx, f.remote(name), &buf, 0)
	if err != nil {
		return nil, pathErr("readfile", name, unwrapPath(err))
	}
	return buf.Bytes(), nil
}

// Open opens name for reading. A directory can be listed with ReadDir on
// the returned file; a regular file is downloaded as it is read.
func (f *FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, pathErr("open", name, fs.ErrInvalid)
	}
	info, err := f.Stat(name)
	if err != nil {
		return nil, pathErr("open", name, unwrapPath(err))
	}
	fi := info.(*fileInfo)
	if fi.IsDir() {
		return &dir{fsys: f, name: name, info: fi}, nil
	}
	return &file{fsys: f, name: name, info: fi, size: fi.e.Size}, nil
}

// fileInfo adapts a listing.Entry to fs.FileInfo and fs.DirEntry.
type fileInfo struct{ e listing.Entry }

func (i *fileInfo) Name() string { return i.e.Name }
func (i *fileInfo) Size() int64 {
	if i.e.Size < 0 {
		return 0
	}
	return i.e.Size
}
func (i *fileInfo) Mode() fs.FileMode {
	m := i.e.Mode
	switch i.e.Type {
	case listing.Dir, listing.CurrentDir, listing.ParentDir:
		m |= fs.ModeDir
		if m.Perm() == 0 {
			m |= 0o555
		}
	case listing.Link:
		m |= fs.ModeSymlink
	case listing.File:
		if m.Perm() == 0 {
			m |= 0o444
		}
	default:
		if m.Type() == 0 {
			m |= fs.ModeIrregular
		}
	}
	return m
}
func (i *fileInfo) ModTime() time.Time         { return i.e.Time }
func (i *fileInfo) IsDir() bool                { return i.Mode().IsDir() }
func (i *fileInfo) Sys() any                   { return &i.e }
func (i *fileInfo) Type() fs.FileMode          { return i.Mode().Type() }
func (i *fileInfo) Info() (fs.FileInfo, error) { return i, nil }
func (i *fileInfo) String() string             { return fs.FormatFileInfo(i) }

// file is an open regular file. Nothing is downloaded until the first
// Read or ReadAt; then a RETR (with REST for an offset) streams the file
// over one connection of the pool, which the file holds until the stream
// reaches the end of the file or the file is closed.
type file struct {
	fsys *FS
	name string
	info *fileInfo

	mu     sync.Mutex
	size   int64 // -1 while unknown
	off    int64 // the Read and Seek position
	conn   *ftp.Conn
	r      *ftp.Reader // the stream, at byte rOff of the file; nil when none
	rOff   int64
	head   []byte // bytes [0, len(head)) of the file, kept as they stream past
	closed bool
}

var (
	_ io.Seeker   = (*file)(nil)
	_ io.ReaderAt = (*file)(nil)
)

const (
	// headMax is how many bytes of the file's start are kept, so that
	// reading its start, seeking back to 0 and reading on (what
	// http.ServeContent does to sniff the content type) costs one RETR.
	headMax = 8 << 10
	// skipMax is the longest forward seek served by reading and dropping
	// bytes of the running stream rather than by a new RETR with REST.
	skipMax = 64 << 10
)

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }

// Read reads from the current position; see ReadAt for the transfers.
func (f *file) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, pathErr("read", f.name, fs.ErrClosed)
	}
	n, err := f.readLocked("read", p, f.off)
	f.off += int64(n)
	return n, err
}

// ReadAt reads len(p) bytes from offset off, without moving the Read
// position. It uses the file's one connection: a stream already at off
// goes on (so sequential ReadAt calls, as io.SectionReader makes, cost one
// transfer); otherwise the running transfer is aborted (ABOR) and a new
// RETR starts with REST off. Calls on one file are serialized, so parallel
// ReadAt calls on one file take turns; open the file once per goroutine
// to read in parallel over several connections.
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, pathErr("read", f.name, fs.ErrClosed)
	}
	if off < 0 {
		return 0, pathErr("readat", f.name, fmt.Errorf("negative offset %d: %w", off, fs.ErrInvalid))
	}
	n := 0
	for n < len(p) {
		m, err := f.readLocked("readat", p[n:], off+int64(n))
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Seek sets the position of the next Read. io.SeekEnd needs the file's
// size: the listing's, else SIZE. A transfer running elsewhere is aborted
// now (the connection is kept for the next Read), unless the new position
// is a short way ahead of it or within the start of the file already read.
func (f *file) Seek(offset int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, pathErr("seek", f.name, fs.ErrClosed)
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.off + offset
	case io.SeekEnd:
		size, err := f.sizeLocked()
		if err != nil {
			return 0, pathErr("seek", f.name, err)
		}
		abs = size + offset
	default:
		return 0, pathErr("seek", f.name, fmt.Errorf("whence %d: %w", whence, fs.ErrInvalid))
	}
	if abs < 0 {
		return 0, pathErr("seek", f.name, fmt.Errorf("negative position %d: %w", abs, fs.ErrInvalid))
	}
	f.off = abs
	if f.r != nil && !f.reachable(abs) {
		f.stopLocked()
	}
	return abs, nil
}

// reachable reports whether a read at off can go on with the running
// stream: from the kept start of the file, then the stream, or by
// dropping up to skipMax bytes of the stream.
func (f *file) reachable(off int64) bool {
	if off < int64(len(f.head)) {
		off = int64(len(f.head))
	}
	return off >= f.rOff && off-f.rOff <= skipMax
}

// sizeLocked returns the file's size: from the listing, else SIZE on the
// file's connection.
func (f *file) sizeLocked() (int64, error) {
	if f.size >= 0 {
		return f.size, nil
	}
	var size int64
	sizeOn := func(c *ftp.Conn) error {
		var err error
		size, err = c.Size(f.fsys.ctx, f.fsys.remote(f.name))
		return err
	}
	// A running stream is stopped first (an unknown size is rare: the
	// listing gave none): asked on another connection of the Pool while
	// this one is held, SIZE would wait for a place, until WaitTimeout
	// with a Pool of one.
	f.stopLocked()
	var err error
	if f.conn != nil {
		err = sizeOn(f.conn) // the file's connection, idle between transfers
	} else {
		err = f.fsys.pool.Do(f.fsys.ctx, sizeOn)
	}
	if err != nil {
		return 0, unwrapPath(err)
	}
	f.size = size
	return size, nil
}

// readLocked reads at most len(p) bytes at off (at least one unless at
// the end of the file or on error). f.mu must be held.
func (f *file) readLocked(op string, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if off < int64(len(f.head)) {
		return copy(p, f.head[off:]), nil
	}
	if f.r != nil && !f.reachable(off) {
		f.stopLocked()
	}
	if f.r == nil {
		if off > 0 {
			// Never RETR from the end or beyond: REST there is refused
			// or gives nothing, and it is the end of file for io.
			size, err := f.sizeLocked()
			if err != nil {
				return 0, pathErr(op, f.name, err)
			}
			if off >= size {
				return 0, io.EOF
			}
		}
		if err := f.startLocked(off); err != nil {
			return 0, pathErr(op, f.name, err)
		}
	}
	if skip := off - f.rOff; skip > 0 {
		n, err := io.CopyN(io.Discard, f.r, skip)
		f.rOff += n
		if err != nil {
			return 0, f.endLocked(op, err)
		}
	}
	n, err := f.r.Read(p)
	if f.rOff == int64(len(f.head)) && f.rOff < headMax {
		f.head = append(f.head, p[:min(n, headMax-len(f.head))]...)
	}
	f.rOff += int64(n)
	if err != nil {
		return n, f.endLocked(op, err)
	}
	return n, nil
}

// startLocked starts a RETR at off, on the file's connection or a new one
// from the pool. The library checks the bytes against the file's size
// (SIZE is sent before a REST).
func (f *file) startLocked(off int64) error {
	if f.conn == nil {
		c, err := f.fsys.pool.Get(f.fsys.ctx)
		if err != nil {
			return err
		}
		f.conn = c
	}
	r, err := f.conn.Retr(f.fsys.ctx, f.fsys.remote(f.name), off)
	if err != nil {
		f.fsys.pool.Put(f.conn)
		f.conn = nil
		return unwrapPath(err)
	}
	f.r, f.rOff = r, off
	return nil
}

// endLocked ends the stream after Read returned err: at io.EOF the
// transfer is completed (its final reply and size check) and the
// connection goes back to the pool, and io.EOF is returned if all is well.
func (f *file) endLocked(op string, err error) error {
	if err == io.EOF {
		if f.size < 0 {
			f.size = f.rOff
		}
		if cerr := f.releaseLocked(); cerr != nil {
			return pathErr(op, f.name, cerr)
		}
		return io.EOF
	}
	f.releaseLocked()
	return pathErr(op, f.name, err)
}

// stopLocked aborts the running transfer and keeps the connection for the
// next one, if it survived the abort.
func (f *file) stopLocked() {
	if f.r == nil {
		return
	}
	if err := f.r.Close(); err != nil {
		f.fsys.pool.Put(f.conn) // the pool drops it if it is broken
		f.conn = nil
	}
	f.r = nil
}

// releaseLocked ends the transfer, if any, and gives the connection back.
func (f *file) releaseLocked() error {
	var err error
	if f.r != nil {
		err = f.r.Close()
		f.r = nil
	}
	if f.conn != nil {
		f.fsys.pool.Put(f.conn)
		f.conn = nil
	}
	return err
}

// Close aborts a transfer still running and gives the connection back.
func (f *file) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	f.releaseLocked()
	f.head = nil
	return nil
}

// dir is an open directory.
type dir struct {
	fsys    *FS
	name    string
	info    *fileInfo
	mu      sync.Mutex
	entries []fs.DirEntry
	loaded  bool
	closed  bool
}

func (d *dir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dir) Read([]byte) (int, error) {
	return 0, pathErr("read", d.name, errors.New("is a directory"))
}
func (d *dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return pathErr("close", d.name, fs.ErrClosed)
	}
	d.closed = true
	return nil
}

// ReadDir implements fs.ReadDirFile.
func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, pathErr("readdir", d.name, fs.ErrClosed)
	}
	if !d.loaded {
		entries, err := d.fsys.ReadDir(d.name)
		if err != nil {
			return nil, err
		}
		d.entries, d.loaded = entries, true
	}
	if n <= 0 {
		out := d.entries
		d.entries = nil
		return out, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	out := d.entries[:n:n]
	d.entries = d.entries[n:]
	return out, nil
}
