package ftphttp_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftphttp"
	"github.com/goftplib/ftp/ftptest"
)

func newClient(t *testing.T, d ftp.Dialer) (*http.Client, *ftphttp.Transport) {
	ft := &ftphttp.Transport{Dialer: d}
	tr := &http.Transport{}
	tr.RegisterProtocol("ftp", ft)
	tr.RegisterProtocol("ftps", ft)
	tr.RegisterProtocol("ftpes", ft)
	t.Cleanup(ft.CloseIdleConnections)
	return &http.Client{Transport: tr}, ft
}

func TestTransport(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	mtime := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	srv := ftptest.New(t, ftptest.Options{Files: fstest.MapFS{
		"pub/data.bin": {Data: content, ModTime: mtime},
		"pub/a.txt":    {Data: []byte("hello\n"), ModTime: mtime},
	}})
	client, _ := newClient(t, ftp.Dialer{Timeout: 5 * time.Second})
	base := "ftp://" + ftptest.DefaultUser + ":" + ftptest.DefaultPassword + "@" + srv.Addr

	get := func(url string, hdr map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s body: %v", url, err)
		}
		return resp, b
	}

	resp, body := get(base+"/pub/data.bin", nil)
	if resp.StatusCode != 200 || !bytes.Equal(body, content) || resp.ContentLength != int64(len(content)) {
		t.Errorf("GET file = %d, %d bytes, length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
	resp, body = get(base+"/pub/data.bin", map[string]string{"Range": "bytes=1000-"})
	if resp.StatusCode != 206 || !bytes.Equal(body, content[1000:]) {
		t.Errorf("GET range = %d, %d bytes", resp.StatusCode, len(body))
	}
	if cr := resp.Header.Get("Content-Range"); cr != "bytes 1000-65535/65536" {
		t.Errorf("Content-Range = %q", cr)
	}
	resp, body = get(base+"/pub/data.bin", map[string]string{"Range": "bytes=16-31"})
	if resp.StatusCode != 206 || !bytes.Equal(body, content[16:32]) {
		t.Errorf("GET bounded range = %d, %q", resp.StatusCode, body)
	}
	resp, body = get(base+"/pub/", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "data.bin") || !strings.Contains(string(body), "a.txt") {
		t.Errorf("GET dir = %d, %q", resp.StatusCode, body)
	}
	resp, body = get(base+"/pub", nil) // a directory named without the slash
	if resp.StatusCode != 200 || !strings.Contains(string(body), "data.bin") {
		t.Errorf("GET dir without slash = %d, %q", resp.StatusCode, body)
	}
	resp, _ = get(base+"/pub/missing.txt", nil)
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Ftp-Reply"), "45") && !strings.HasPrefix(resp.Header.Get("Ftp-Reply"), "55") {
		t.Errorf("GET missing = %d (Ftp-Reply %q)", resp.StatusCode, resp.Header.Get("Ftp-Reply"))
	}

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, base+"/pub/data.bin", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ContentLength != int64(len(content)) || resp.Header.Get("Last-Modified") != mtime.Format(http.TimeFormat) {
		t.Errorf("HEAD = %d, Last-Modified %q", resp.ContentLength, resp.Header.Get("Last-Modified"))
	}

	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPut, base+"/pub/new.txt", strings.NewReader("put via http"))
	resp, err = client.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT = %v, %v", resp, err)
	}
	resp.Body.Close()
	if b, err := srv.ReadFile("pub/new.txt"); err != nil || string(b) != "put via http" {
		t.Errorf("server has %q, %v", b, err)
	}
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodDelete, base+"/pub/new.txt", nil)
	resp, err = client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("DELETE = %v, %v", resp, err)
	}
	resp.Body.Close()
	if _, err := srv.ReadFile("pub/new.txt"); err == nil {
		t.Error("file still there after DELETE")
	}

	// Wrong password: 401.
	resp, _ = get("ftp://user:wrong@"+srv.Addr+"/pub/a.txt", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password = %d, want 401", resp.StatusCode)
	}
}

func TestTransportConcurrentAndEarlyClose(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("x"), 1<<20)
	srv := ftptest.New(t, ftptest.Options{Files: fstest.MapFS{"big": {Data: content}}})
	ft := &ftphttp.Transport{Dialer: ftp.Dialer{Timeout: 5 * time.Second}, MaxConnsPerHost: 2}
	tr := &http.Transport{}
	tr.RegisterProtocol("ftp", ft)
	t.Cleanup(ft.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	url := "ftp://user:pass@" + srv.Addr + "/big"
	done := make(chan error, 8)
	for i := range 8 {
		go func() {
			resp, err := client.Get(url)
			if err != nil {
				done <- err
				return
			}
			if i%2 == 0 {
				// Close early: the transfer is aborted and the connection
				// goes back to the pool.
				io.CopyN(io.Discard, resp.Body, 1000)
				resp.Body.Close()
				done <- nil
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && !bytes.Equal(b, content) {
				err = io.ErrShortBuffer
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestStatusCode(t *testing.T) {
	t.Parallel()
	for ftpCode, want := range map[int]int{550: 404, 530: 401, 552: 507, 553: 400, 450: 503, 421: 503, 500: 502, 226: 200} {
		if got := ftphttp.StatusCode(ftpCode); got != want {
			t.Errorf("StatusCode(%d) = %d, want %d", ftpCode, got, want)
		}
	}
}

// TestZeroTransport serves a GET with the zero Transport, as
// &http.Transport{} works.
func TestZeroTransport(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.Options{Files: fstest.MapFS{"a.txt": {Data: []byte("zero value\n")}}})
	ft := &ftphttp.Transport{}
	defer ft.CloseIdleConnections()
	tr := &http.Transport{}
	tr.RegisterProtocol("ftp", ft)
	resp, err := (&http.Client{Transport: tr}).Get("ftp://" + ftptest.DefaultUser + ":" + ftptest.DefaultPassword + "@" + srv.Addr + "/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || string(b) != "zero value\n" {
		t.Errorf("GET = %d, %q, %v", resp.StatusCode, b, err)
	}
	// RoundTrip called directly works as well, with Basic auth.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "ftp://"+srv.Addr+"/a.txt", nil)
	req.SetBasicAuth(ftptest.DefaultUser, ftptest.DefaultPassword)
	ft2 := &ftphttp.Transport{}
	defer ft2.CloseIdleConnections()
	resp, err = ft2.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "zero value\n" {
		t.Errorf("RoundTrip with Basic auth = %d, %q", resp.StatusCode, b)
	}
}

// TestTransportRange checks the Range requests a Transport serves: one
// range (start-end, start-, suffix, end beyond the size) gives 206 and
// those bytes; a range at or beyond the end gives 416; several ranges are
// ignored (200 and the whole file).
func TestTransportRange(t *testing.T) {
	t.Parallel()
	content := make([]byte, 100000)
	for i := range content {
		content[i] = byte(i * 13 / 7)
	}
	srv := ftptest.New(t, ftptest.Options{Files: fstest.MapFS{"r.bin": {Data: content}, "empty": {}}})
	client, _ := newClient(t, ftp.Dialer{Timeout: 5 * time.Second})
	url := "ftp://" + ftptest.DefaultUser + ":" + ftptest.DefaultPassword + "@" + srv.Addr + "/r.bin"
	size := len(content)
	get := func(url, rng string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		req.Header.Set("Range", rng)
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
	for _, tc := range []struct {
		rng         string
		first, last int
	}{
		{"bytes=100-199", 100, 199},
		{"bytes=0-0", 0, 0},
		{"bytes=99000-", 99000, size - 1},
		{"bytes=-50", size - 50, size - 1},
		{"bytes=-200000", 0, size - 1},
		{"bytes=10-200000", 10, size - 1},
	} {
		resp, b := get(url, tc.rng)
		want := fmt.Sprintf("bytes %d-%d/%d", tc.first, tc.last, size)
		if resp.StatusCode != 206 || resp.Header.Get("Content-Range") != want || resp.ContentLength != int64(tc.last-tc.first+1) || !bytes.Equal(b, content[tc.first:tc.last+1]) {
			t.Errorf("Range %s = %d, Content-Range %q, length %d, %d bytes; want 206, %q and the right bytes",
				tc.rng, resp.StatusCode, resp.Header.Get("Content-Range"), resp.ContentLength, len(b), want)
		}
	}
	for _, rng := range []string{fmt.Sprintf("bytes=%d-", size), "bytes=200000-200010", "bytes=-0"} {
		resp, _ := get(url, rng)
		if resp.StatusCode != 416 || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes */%d", size) {
			t.Errorf("Range %s = %d, Content-Range %q; want 416, bytes */%d", rng, resp.StatusCode, resp.Header.Get("Content-Range"), size)
		}
	}
	if resp, _ := get(url, "bytes=5-1"); resp.StatusCode != 416 {
		t.Errorf("malformed Range = %d; want 416", resp.StatusCode)
	}
	if resp, b := get(url, "bytes=0-9,20-29"); resp.StatusCode != 200 || !bytes.Equal(b, content) {
		t.Errorf("two ranges = %d, %d bytes; want 200 and the whole file", resp.StatusCode, len(b))
	}
	if resp, b := get(url, "items=0-9"); resp.StatusCode != 200 || !bytes.Equal(b, content) {
		t.Errorf("another unit = %d, %d bytes; want 200 and the whole file", resp.StatusCode, len(b))
	}
}
