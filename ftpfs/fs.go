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
// ftp.Conn.ReadDir). Errors are *fs.PathError wrapping the FTP error, so
// errors.Is(err, fs.ErrNotExist) works for a 550.
package ftpfs

import (
	"context"
	"errors"
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
// connection from the Pool. An open file holds its connection until it is
// read to the end or closed.
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

// ReadFile downloads name whole.
func (f *FS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, pathErr("readfile", name, fs.ErrInvalid)
	}
	var buf strings.Builder
	err := f.pool.Do(f.ctx, func(c *ftp.Conn) error {
		_, err := c.RetrBinary(f.ctx, f.remote(name), &buf, 0)
		return err
	})
	if err != nil {
		return nil, pathErr("readfile", name, unwrapPath(err))
	}
	return []byte(buf.String()), nil
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
	return &file{fsys: f, name: name, info: fi}, nil
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

// file is an open regular file: the download starts on the first Read.
type file struct {
	fsys *FS
	name string
	info *fileInfo

	mu     sync.Mutex
	conn   *ftp.Conn
	r      *ftp.Reader
	done   bool
	closed bool
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }

func (f *file) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, pathErr("read", f.name, fs.ErrClosed)
	}
	if f.done {
		return 0, io.EOF
	}
	if f.r == nil {
		c, err := f.fsys.pool.Get(f.fsys.ctx)
		if err != nil {
			return 0, pathErr("read", f.name, err)
		}
		r, err := c.Retr(f.fsys.ctx, f.fsys.remote(f.name), 0)
		if err != nil {
			f.fsys.pool.Put(c)
			return 0, pathErr("read", f.name, unwrapPath(err))
		}
		f.conn, f.r = c, r
	}
	n, err := f.r.Read(p)
	if err == io.EOF {
		f.done = true
		if cerr := f.release(); cerr != nil {
			return n, pathErr("read", f.name, cerr)
		}
		return n, io.EOF
	}
	if err != nil {
		f.release()
		f.done = true
		return n, pathErr("read", f.name, err)
	}
	return n, nil
}

// release closes the transfer and gives the connection back.
func (f *file) release() error {
	if f.r == nil {
		return nil
	}
	err := f.r.Close()
	f.fsys.pool.Put(f.conn)
	f.r, f.conn = nil, nil
	return err
}

func (f *file) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	f.release()
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
