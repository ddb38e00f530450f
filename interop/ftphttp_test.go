//go:build linux

package interop_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftphttp"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestHTTPTransport drives GET, HEAD, PUT, Range and DELETE through
// net/http against real servers, over ftp://, ftpes:// and ftps://.
func TestHTTPTransport(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		for _, tm := range tlsModes {
			t.Run(string(kind)+"/"+tm.String(), func(t *testing.T) {
				t.Parallel()
				srv, reason := server(t, ftpservers.Config{Kind: kind, TLS: tm})
				if srv == nil {
					t.Skip(reason)
				}
				// The scheme alone sets the TLS mode (ftp.URL.Dialer).
				d := ftp.Dialer{Timeout: 20 * time.Second}
				scheme := "ftp"
				switch tm {
				case ftpservers.TLSExplicit:
					d.TLS = &tls.Config{RootCAs: srv.CertPool}
					scheme = "ftpes"
				case ftpservers.TLSImplicit:
					d.TLS = &tls.Config{RootCAs: srv.CertPool}
					scheme = "ftps"
				}
				ft := &ftphttp.Transport{Dialer: d}
				defer ft.CloseIdleConnections()
				tr := &http.Transport{}
				tr.RegisterProtocol(scheme, ft)
				client := &http.Client{Transport: tr}
				base := (&url.URL{Scheme: scheme, User: url.UserPassword(srv.User, srv.Password), Host: srv.Addr}).String()
				name := "http-" + scheme + ".bin"
				want := data(500000)

				req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, base+"/"+name, bytes.NewReader(want))
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != http.StatusCreated {
					t.Fatalf("PUT = %v, %v", resp, err)
				}
				resp.Body.Close()

				resp, err = client.Get(base + "/" + name)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || !bytes.Equal(got, want) || resp.ContentLength != int64(len(want)) {
					t.Fatalf("GET = %d bytes, %v, length %d", len(got), err, resp.ContentLength)
				}

				req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/"+name, nil)
				req.Header.Set("Range", "bytes=123456-")
				resp, err = client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, want[123456:]) {
					t.Errorf("Range GET = %d, %d bytes", resp.StatusCode, len(got))
				}

				// One range of every form gives 206; beyond the end 416.
				checkHTTPRanges(t, client, base+"/"+name, want, false)

				resp, err = client.Head(base + "/" + name)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.ContentLength != int64(len(want)) || resp.Header.Get("Last-Modified") == "" {
					t.Errorf("HEAD = length %d, Last-Modified %q", resp.ContentLength, resp.Header.Get("Last-Modified"))
				}

				resp, err = client.Get(base + "/")
				if err != nil {
					t.Fatal(err)
				}
				listing, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.Contains(string(listing), name) {
					t.Errorf("GET / listing lacks %s:\n%s", name, listing)
				}

				resp, err = client.Get(base + "/no-such-file")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET missing = %d, want 404", resp.StatusCode)
				}

				req, _ = http.NewRequestWithContext(t.Context(), http.MethodDelete, base+"/"+name, nil)
				resp, err = client.Do(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("DELETE = %v, %v", resp, err)
				}
				resp.Body.Close()
			})
		}
	}
}

// TestHTTPTransportZeroValue fetches a file from each real server with
// the zero ftphttp.Transport (plain ftp://, default Dialer).
func TestHTTPTransportZeroValue(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			name := fmt.Sprintf("zero-%d.bin", time.Now().UnixNano())
			want := data(70000)
			if err := srv.WriteFile(name, want); err != nil {
				t.Fatal(err)
			}
			ft := &ftphttp.Transport{}
			defer ft.CloseIdleConnections()
			tr := &http.Transport{}
			tr.RegisterProtocol("ftp", ft)
			u := &url.URL{Scheme: "ftp", User: url.UserPassword(srv.User, srv.Password), Host: srv.Addr, Path: "/" + name}
			resp, err := (&http.Client{Transport: tr}).Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, want) {
				t.Errorf("GET = %d, %d bytes, %v", resp.StatusCode, len(got), err)
			}
		})
	}
}
