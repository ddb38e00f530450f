//go:build linux

package interop_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftpfs"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestFSOnRealServers runs fstest.TestFS over each server.
func TestFSOnRealServers(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		for _, tm := range []ftpservers.TLSMode{ftpservers.TLSNone, ftpservers.TLSExplicit} {
			t.Run(string(kind)+"/"+tm.String(), func(t *testing.T) {
				t.Parallel()
				srv, reason := server(t, ftpservers.Config{Kind: kind, TLS: tm})
				if srv == nil {
					t.Skip(reason)
				}
				top := fmt.Sprintf("fs-%d", time.Now().UnixNano())
				for name, n := range map[string]int{"a.txt": 5, "d/b.txt": 3, "d/e/c.bin": 70000, "d/space name.txt": 2} {
					if err := srv.WriteFile(top+"/"+name, data(n)); err != nil {
						t.Fatal(err)
					}
				}
				p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *dialer(srv, dataModes[0]), User: srv.User, Password: srv.Password, MaxConns: 3})
				defer p.Close()
				fsys := ftpfs.New(p, top)
				if err := fstest.TestFS(fsys, "a.txt", "d/b.txt", "d/e/c.bin", "d/space name.txt"); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestFileServerRangeOnRealServers serves each server's files with
// http.FileServerFS(ftpfs.New(...)) and checks Range requests: single,
// several (multipart/byteranges), suffix, and beyond the end (416). The
// ftpfs files seek with REST and SIZE on the real servers.
func TestFileServerRangeOnRealServers(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			top := fmt.Sprintf("fsrange-%d", time.Now().UnixNano())
			content := data(200000)
			if err := srv.WriteFile(top+"/r.bin", content); err != nil {
				t.Fatal(err)
			}
			p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *dialer(srv, dataModes[0]), User: srv.User, Password: srv.Password, MaxConns: 2})
			defer p.Close()
			fsys := ftpfs.New(p, top)
			hs := httptest.NewServer(http.FileServerFS(fsys))
			defer hs.Close()
			checkHTTPRanges(t, http.DefaultClient, hs.URL+"/r.bin", content, true)

			// Seek and ReadAt straight on the file.
			f, err := fsys.Open("r.bin")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, 1000)
			if n, err := f.(io.ReaderAt).ReadAt(buf, 150000); n != len(buf) || err != nil || !bytes.Equal(buf, content[150000:151000]) {
				t.Errorf("ReadAt(150000) = %d, %v", n, err)
			}
			if _, err := f.(io.Seeker).Seek(-300, io.SeekEnd); err != nil {
				t.Fatal(err)
			}
			if b, err := io.ReadAll(f); err != nil || !bytes.Equal(b, content[len(content)-300:]) {
				t.Errorf("Read after Seek(-300, End) = %d bytes, %v", len(b), err)
			}
		})
	}
}

// checkHTTPRanges GETs url with Range headers and checks the answers
// against content: single ranges, a suffix range, ranges at or beyond the
// end (416) and, when multi is set, several ranges in one request
// (206 multipart/byteranges).
func checkHTTPRanges(t *testing.T, client *http.Client, url string, content []byte, multi bool) {
	t.Helper()
	size := len(content)
	get := func(rng string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := client.Do(req)
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
			t.Errorf("Range %s = %d, Content-Range %q, %d bytes; want 206, %q, %d right bytes",
				rng, resp.StatusCode, resp.Header.Get("Content-Range"), len(b), want, last-first+1)
		}
	}
	if resp, b := get(""); resp.StatusCode != 200 || !bytes.Equal(b, content) {
		t.Errorf("GET = %d, %d bytes; want 200, %d", resp.StatusCode, len(b), size)
	}
	single("bytes=100-199", 100, 199)
	single("bytes=0-0", 0, 0)
	single(fmt.Sprintf("bytes=%d-", size-1000), size-1000, size-1)
	single("bytes=-50", size-50, size-1)
	single(fmt.Sprintf("bytes=10-%d", size+500), 10, size-1)
	if multi {
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
				t.Errorf("part %d: Content-Range %q, %d bytes; want %q and the right bytes", i, cr, len(pb), want)
			}
		}
	}
	for _, rng := range []string{fmt.Sprintf("bytes=%d-", size), fmt.Sprintf("bytes=%d-%d", size+10, size+20)} {
		resp, _ := get(rng)
		if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes */%d", size) {
			t.Errorf("Range %s = %d, Content-Range %q; want 416, bytes */%d", rng, resp.StatusCode, resp.Header.Get("Content-Range"), size)
		}
	}
}

// TestFSMissingFileOnRealServers checks that reading or opening a missing
// file fails with fs.ErrNotExist on each server.
func TestFSMissingFileOnRealServers(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *dialer(srv, dataModes[0]), User: srv.User, Password: srv.Password, MaxConns: 2})
			defer p.Close()
			fsys := ftpfs.New(p, ".")
			if _, err := fs.ReadFile(fsys, "no-such-file"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("ReadFile(missing) = %v; want fs.ErrNotExist", err)
			}
			if _, err := fsys.Open("no-such-file"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open(missing) = %v; want fs.ErrNotExist", err)
			}
		})
	}
}
