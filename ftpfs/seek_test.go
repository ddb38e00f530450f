package ftpfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"testing/iotest"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftpfs"
	"github.com/goftplib/ftp/ftptest"
)

// retrCounter is a slog.Handler that counts the RETR commands a client
// sends (the Debug record of each command).
type retrCounter struct{ n *atomic.Int64 }

func (h retrCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h retrCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Level != slog.LevelDebug {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Value.Kind() == slog.KindString && strings.HasPrefix(a.Value.String(), "RETR ") {
			h.n.Add(1)
		}
		return true
	})
	return nil
}
func (h retrCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h retrCounter) WithGroup(string) slog.Handler      { return h }

// seekFS serves name (content) from ftptest and counts the RETRs.
func seekFS(t *testing.T, name string, content []byte, maxConns int) (*ftpfs.FS, *atomic.Int64) {
	t.Helper()
	srv := ftptest.New(t, ftptest.Options{Files: fstest.MapFS{name: {Data: content}}})
	retrs := new(atomic.Int64)
	p := ftp.NewPool(srv.Addr, ftp.PoolConfig{
		Dialer: ftp.Dialer{Timeout: 5 * time.Second, Logger: slog.New(retrCounter{retrs})},
		User:   ftptest.DefaultUser, Password: ftptest.DefaultPassword, MaxConns: maxConns,
	})
	t.Cleanup(func() { p.Close() })
	return ftpfs.New(p, "/"), retrs
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// TestFileSeekReadAt checks Seek and ReadAt against the content, and that
// the connection is reused: one pool connection serves every transfer.
func TestFileSeekReadAt(t *testing.T) {
	t.Parallel()
	content := pattern(300000)
	fsys, retrs := seekFS(t, "f.bin", content, 1)
	f, err := fsys.Open("f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		t.Fatal("file is not an io.Seeker")
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		t.Fatal("file is not an io.ReaderAt")
	}
	if err := iotest.TestReader(rs, content); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	read := func(n int) []byte {
		t.Helper()
		b := make([]byte, n)
		if _, err := io.ReadFull(rs, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	// The start is read, then read again from 0 (content sniffing): one RETR.
	before := retrs.Load()
	if b := read(512); !bytes.Equal(b, content[:512]) {
		t.Fatal("first 512 bytes differ")
	}
	rs.Seek(0, io.SeekStart)
	if b := read(100000); !bytes.Equal(b, content[:100000]) {
		t.Fatal("bytes 0-99999 differ after seeking back to 0")
	}
	// A short skip ahead reads on; a long one or a step back restarts.
	rs.Seek(1000, io.SeekCurrent)
	if b := read(10); !bytes.Equal(b, content[101000:101010]) {
		t.Fatal("bytes after a short skip differ")
	}
	if got := retrs.Load() - before; got != 1 {
		t.Errorf("%d RETRs for a read, a seek to 0 and a short skip; want 1", got)
	}
	if pos, err := rs.Seek(-10, io.SeekEnd); err != nil || pos != int64(len(content)-10) {
		t.Fatalf("Seek(-10, End) = %d, %v", pos, err)
	}
	if b, err := io.ReadAll(rs); err != nil || !bytes.Equal(b, content[len(content)-10:]) {
		t.Fatalf("last 10 bytes = %v, %v", b, err)
	}
	rs.Seek(50000, io.SeekStart)
	if b := read(10); !bytes.Equal(b, content[50000:50010]) {
		t.Fatal("bytes after a seek back differ")
	}
	// ReadAt leaves the Read position alone; sequential calls share one RETR.
	before = retrs.Load()
	buf := make([]byte, 4096)
	for off := 200000; off < 200000+10*4096; off += 4096 {
		if n, err := ra.ReadAt(buf, int64(off)); n != len(buf) || err != nil || !bytes.Equal(buf, content[off:off+4096]) {
			t.Fatalf("ReadAt(%d) = %d, %v", off, n, err)
		}
	}
	if got := retrs.Load() - before; got != 1 {
		t.Errorf("%d RETRs for 10 sequential ReadAt calls; want 1", got)
	}
	if b := read(10); !bytes.Equal(b, content[50010:50020]) {
		t.Fatal("Read after ReadAt did not go on from the Read position")
	}
	n, err := ra.ReadAt(buf, int64(len(content)-100))
	if n != 100 || err != io.EOF || !bytes.Equal(buf[:100], content[len(content)-100:]) {
		t.Errorf("ReadAt over the end = %d, %v; want 100, EOF", n, err)
	}
	if n, err := ra.ReadAt(buf, int64(len(content)+5)); n != 0 || err != io.EOF {
		t.Errorf("ReadAt beyond the end = %d, %v; want 0, EOF", n, err)
	}
	if _, err := rs.Seek(-1, io.SeekStart); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Seek(-1) = %v; want fs.ErrInvalid", err)
	}
	if _, err := ra.ReadAt(buf, -1); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("ReadAt(-1) = %v; want fs.ErrInvalid", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Seek(0, io.SeekStart); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Seek after Close = %v; want fs.ErrClosed", err)
	}
	if _, err := ra.ReadAt(buf, 0); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("ReadAt after Close = %v; want fs.ErrClosed", err)
	}
	// The single connection went back to the pool: another file opens.
	if b, err := fs.ReadFile(fsys, "f.bin"); err != nil || !bytes.Equal(b, content) {
		t.Errorf("ReadFile after Close = %d bytes, %v", len(b), err)
	}
}

// TestFileConcurrentReadAt runs ReadAt from several goroutines on one
// file (they take turns on its connection) under -race.
func TestFileConcurrentReadAt(t *testing.T) {
	t.Parallel()
	content := pattern(100000)
	fsys, _ := seekFS(t, "f.bin", content, 2)
	f, err := fsys.Open("f.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ra := f.(io.ReaderAt)
	errc := make(chan error, 4)
	for g := range 4 {
		go func() {
			buf := make([]byte, 1000)
			for i := range 5 {
				off := (g*25000 + i*3000) % (len(content) - len(buf))
				if _, err := ra.ReadAt(buf, int64(off)); err != nil {
					errc <- err
					return
				}
				if !bytes.Equal(buf, content[off:off+len(buf)]) {
					errc <- fmt.Errorf("ReadAt(%d): wrong bytes", off)
					return
				}
			}
			errc <- nil
		}()
	}
	for range 4 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}

// checkRanges asks url for Range requests and checks the answers against
// content, as http.FileServerFS should give them.
func checkRanges(t *testing.T, url string, content []byte) {
	t.Helper()
	size := len(content)
	get := func(rng string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", rng, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: body: %v", rng, err)
		}
		return resp, b
	}
	single := func(rng string, first, last int) {
		t.Helper()
		resp, b := get(rng)
		want := fmt.Sprintf("bytes %d-%d/%d", first, last, size)
		if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != want || !bytes.Equal(b, content[first:last+1]) {
			t.Errorf("Range %s = %d, Content-Range %q, %d bytes (right: %v); want 206, %q, %d bytes",
				rng, resp.StatusCode, resp.Header.Get("Content-Range"), len(b), bytes.Equal(b, content[first:min(last+1, size)]), want, last-first+1)
		}
	}
	if resp, b := get(""); resp.StatusCode != 200 || !bytes.Equal(b, content) {
		t.Errorf("GET = %d, %d bytes; want 200, %d", resp.StatusCode, len(b), size)
	}
	single("bytes=100-199", 100, 199)
	single("bytes=0-0", 0, 0)
	single(fmt.Sprintf("bytes=%d-", size-1000), size-1000, size-1)
	single("bytes=-50", size-50, size-1)                     // suffix
	single(fmt.Sprintf("bytes=10-%d", size+500), 10, size-1) // end clipped to the size

	// Several ranges: multipart/byteranges, each part right.
	ranges := [][2]int{{0, 9}, {size / 2, size/2 + 99}, {size - 20, size - 1}}
	resp, b := get(fmt.Sprintf("bytes=0-9,%d-%d,-20", size/2, size/2+99))
	mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusPartialContent || mt != "multipart/byteranges" {
		t.Fatalf("multi-range = %d, %q; want 206 multipart/byteranges", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(bytes.NewReader(b), params["boundary"])
	for i, r := range ranges {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		pb, _ := io.ReadAll(part)
		want := fmt.Sprintf("bytes %d-%d/%d", r[0], r[1], size)
		if cr := part.Header.Get("Content-Range"); cr != want || !bytes.Equal(pb, content[r[0]:r[1]+1]) {
			t.Errorf("part %d: Content-Range %q, %d bytes; want %q, right bytes", i, cr, len(pb), want)
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("after the last part: %v; want EOF", err)
	}

	// Ranges that start at or beyond the end: 416.
	for _, rng := range []string{fmt.Sprintf("bytes=%d-", size), fmt.Sprintf("bytes=%d-%d", size+10, size+20)} {
		resp, _ := get(rng)
		if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes */%d", size) {
			t.Errorf("Range %s = %d, Content-Range %q; want 416, bytes */%d", rng, resp.StatusCode, resp.Header.Get("Content-Range"), size)
		}
	}
}

// TestFileServerRange serves ftptest files with http.FileServerFS and
// checks single, multiple, suffix and unsatisfiable Range requests.
func TestFileServerRange(t *testing.T) {
	t.Parallel()
	content := pattern(70000)
	fsys, _ := seekFS(t, "dir/data.bin", content, 2)
	hs := httptest.NewServer(http.FileServerFS(fsys))
	defer hs.Close()
	checkRanges(t, hs.URL+"/dir/data.bin", content)
}
