//go:build linux

package interop_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/faultproxy"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// pipeSizes are the sizes of a batch's files: empty, small, and one that
// spans many reads.
var pipeSizes = []int{0, 1, 1000, 1024, 4097, 20000, 1, 300 << 10, 7, 65536, 12, 999, 5000, 2, 30000}

// memSink collects one downloaded file.
type memSink struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	closed bool
}

func (m *memSink) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.buf.Write(p)
}
func (m *memSink) Close() error { m.mu.Lock(); defer m.mu.Unlock(); m.closed = true; return nil }

// pipeBatch runs a download batch of the files in dir (plus one missing
// file) and an upload batch of the same contents to dir/up through p, and
// checks every byte, the missing file's error, and that no temporary
// upload name is left.
func pipeBatch(t *testing.T, srv *ftpservers.Server, p *ftp.Pool, dir string, contents [][]byte) {
	t.Helper()
	sinks := make([]*memSink, len(contents)+1)
	errs := make([]error, len(contents)+1)
	called := make([]int, len(contents)+1)
	var items []ftp.RetrItem
	for i := range sinks {
		sinks[i] = &memSink{}
		name := fmt.Sprintf("%s/f%02d", dir, i)
		if i == len(contents) {
			name = dir + "/missing"
		}
		items = append(items, ftp.RetrItem{
			Path: name, Size: int64(len(contents[min(i, len(contents)-1)])), SizeKnown: i%2 == 0 && i < len(contents),
			Open: func() (io.Writer, error) { return sinks[i], nil },
			Done: func(n int64, err error) { errs[i], called[i] = err, called[i]+1 },
		})
	}
	err := p.RetrBatch(t.Context(), items)
	for i, n := range called {
		if n != 1 {
			t.Errorf("download %d: Done called %d times, want once", i, n)
		}
	}
	if err == nil {
		t.Errorf("RetrBatch with a missing file = nil")
	}
	for i, want := range contents {
		if errs[i] != nil || !bytes.Equal(sinks[i].buf.Bytes(), want) || !sinks[i].closed {
			t.Errorf("download f%02d: %v, %d bytes, closed %v; want %d bytes", i, errs[i], sinks[i].buf.Len(), sinks[i].closed, len(want))
		}
	}
	if !errors.Is(errs[len(contents)], fs.ErrNotExist) {
		t.Errorf("download of a missing file: %v, want fs.ErrNotExist", errs[len(contents)])
	}

	up := dir + "/up"
	if err := srv.MkdirAll(up); err != nil {
		t.Fatal(err)
	}
	mt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	var sitems []ftp.StorItem
	serrs := make([]error, len(contents))
	scalled := make([]int, len(contents))
	for i, b := range contents {
		sitems = append(sitems, ftp.StorItem{
			Path: fmt.Sprintf("%s/f%02d", up, i), Temp: fmt.Sprintf("%s/.f%02d.part", up, i), Size: int64(len(b)), ModTime: mt,
			Open: func() (io.Reader, error) { return bytes.NewReader(b), nil },
			Done: func(n int64, err error) { serrs[i], scalled[i] = err, scalled[i]+1 },
		})
	}
	if err := p.StorBatch(t.Context(), sitems); err != nil {
		t.Errorf("StorBatch: %v\n%s", err, srv.Logs())
	}
	for i, n := range scalled {
		if n != 1 {
			t.Errorf("upload %d: Done called %d times, want once", i, n)
		}
	}
	setsTime := srv.Caps.MFMT.Supported || srv.Caps.MDTMSet.Supported
	for i, want := range contents {
		local := filepath.Join(srv.Dir, up, fmt.Sprintf("f%02d", i))
		got, err := os.ReadFile(local)
		if serrs[i] != nil || err != nil || !bytes.Equal(got, want) {
			t.Errorf("upload f%02d: %v, read back %d bytes (%v); want %d", i, serrs[i], len(got), err, len(want))
		}
		// The ModTime is set (MFMT, or MDTM with a time on vsftpd).
		if fi, err := os.Stat(local); setsTime && err == nil && !fi.ModTime().Equal(mt) {
			t.Errorf("upload f%02d: mtime %v, want %v", i, fi.ModTime().UTC(), mt)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(srv.Dir, up, ".*")); len(left) > 0 {
		t.Errorf("temporary names left: %v", left)
	}
}

// pipeFiles writes the batch's files into a fresh directory on srv.
func pipeFiles(t *testing.T, srv *ftpservers.Server, sizes []int) (string, [][]byte) {
	t.Helper()
	dir := fmt.Sprintf("pipe-%d", time.Now().UnixNano())
	var contents [][]byte
	for i, n := range sizes {
		b := data(n + i)[i:] // distinct contents
		contents = append(contents, b)
		if err := srv.WriteFile(fmt.Sprintf("%s/f%02d", dir, i), b); err != nil {
			t.Fatal(err)
		}
	}
	return dir, contents
}

// TestPipelinedBatches runs pipelined batch downloads and uploads on each
// server, plain and with TLS, over a Pool of 3: byte-exact, per-file
// failures reported, nothing left under a temporary name.
func TestPipelinedBatches(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		for _, tm := range []ftpservers.TLSMode{ftpservers.TLSNone, ftpservers.TLSExplicit} {
			t.Run(string(kind)+"/"+tm.String(), func(t *testing.T) {
				t.Parallel()
				srv, reason := server(t, ftpservers.Config{Kind: kind, TLS: tm})
				if srv == nil {
					t.Skip(reason)
				}
				dir, contents := pipeFiles(t, srv, pipeSizes)
				p := poolFor(t, srv, 3, nil)
				pipeBatch(t, srv, p, dir, contents)
				connBatch(t, srv, dir, contents)
				pipedSizes(t, srv, dir, contents)
			})
		}
	}
}

// TestPipelinedBatchesUnderResets cuts data connections in the middle of
// pipelined batches (plain FTP through the fault proxy): every file still
// arrives byte-exact (the Pool retries it), and no upload is renamed into
// place unverified.
func TestPipelinedBatchesUnderResets(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			px, err := faultproxy.Start(srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer px.Close()
			sizes := []int{40000, 50000, 3000, 60000, 45000, 70000}
			dir, contents := pipeFiles(t, srv, sizes)
			d := dialer(srv, dataModes[0])
			p := ftp.NewPool(px.Addr, ftp.PoolConfig{Dialer: *d, User: srv.User, Password: srv.Password, MaxConns: 2, Retries: 4})
			t.Cleanup(func() { p.Close() })
			px.CutData(3, 20000)
			pipeBatch(t, srv, p, dir, contents)
			if c := px.Cut.Load(); c == 0 {
				t.Errorf("no data connection was cut")
			}
		})
	}
}

// connBatch runs the batches on one Conn, which does not fall back to
// lock-step: a server that could not take the pipelined commands would
// fail every file after the first out-of-sequence reply.
func connBatch(t *testing.T, srv *ftpservers.Server, dir string, contents [][]byte) {
	t.Helper()
	c, err := dialer(srv, dataModes[0]).Dial(t.Context(), srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
		t.Fatal(err)
	}
	var items []ftp.RetrItem
	sinks := make([]*memSink, len(contents))
	for i := range contents {
		sinks[i] = &memSink{}
		items = append(items, ftp.RetrItem{Path: fmt.Sprintf("%s/f%02d", dir, i), Open: func() (io.Writer, error) { return sinks[i], nil }})
	}
	if err := c.RetrBatch(t.Context(), items); err != nil {
		t.Fatalf("Conn.RetrBatch: %v", err)
	}
	var sitems []ftp.StorItem
	for i, b := range contents {
		if !bytes.Equal(sinks[i].buf.Bytes(), b) {
			t.Errorf("Conn.RetrBatch f%02d: %d bytes, want %d", i, sinks[i].buf.Len(), len(b))
		}
		sitems = append(sitems, ftp.StorItem{
			Path: fmt.Sprintf("%s/up/g%02d", dir, i), Temp: fmt.Sprintf("%s/up/.g%02d.part", dir, i), Size: int64(len(b)),
			Open: func() (io.Reader, error) { return bytes.NewReader(b), nil },
		})
	}
	if err := c.StorBatch(t.Context(), sitems); err != nil {
		t.Fatalf("Conn.StorBatch: %v", err)
	}
	for i, want := range contents {
		got, err := os.ReadFile(filepath.Join(srv.Dir, dir, "up", fmt.Sprintf("g%02d", i)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Conn.StorBatch g%02d: %d bytes (%v), want %d", i, len(got), err, len(want))
		}
	}
	if err := c.Quit(t.Context()); err != nil {
		t.Errorf("Quit after the batches: %v", err)
	}
}

// pipedSizes checks Conn.Sizes (pipelined SIZE commands) against the
// files of dir, plus a missing one, and that the Conn is in step after.
func pipedSizes(t *testing.T, srv *ftpservers.Server, dir string, contents [][]byte) {
	t.Helper()
	c, err := dialer(srv, dataModes[0]).Dial(t.Context(), srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := range contents {
		paths = append(paths, fmt.Sprintf("%s/f%02d", dir, i))
	}
	paths = append(paths, dir+"/missing")
	sizes, errs, err := c.Sizes(t.Context(), paths)
	if err != nil {
		t.Fatalf("Sizes: %v", err)
	}
	for i, b := range contents {
		if errs[i] != nil || sizes[i] != int64(len(b)) {
			t.Errorf("Sizes %s = %d, %v; want %d", paths[i], sizes[i], errs[i], len(b))
		}
	}
	if !errors.Is(errs[len(contents)], fs.ErrNotExist) {
		t.Errorf("Sizes of a missing file: %v, want fs.ErrNotExist", errs[len(contents)])
	}
	if _, err := c.Pwd(t.Context()); err != nil {
		t.Errorf("PWD after Sizes: %v", err)
	}
}
