package ftphttp_test

import (
	"bytes"
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
	ft := ftphttp.NewTransport(d)
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
	client, ft := newClient(t, ftp.Dialer{Timeout: 5 * time.Second})
	ft.SetMaxConnsPerHost(2)
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
