package ftp_test

import (
	"bufio"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp"
)

// fakeProxy accepts one connection, reads a request header and answers
// with reply in one write.
func fakeProxy(t *testing.T, reply string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
		}
		c.Write([]byte(reply))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		r.ReadString('\n') // QUIT or EOF
	}()
	return ln.Addr().String()
}

// The server's greeting sent in the same segment as the proxy's 200 is
// not lost: the response header is read without reading past it.
func TestHTTPProxyGreetingInSameWrite(t *testing.T) {
	addr := fakeProxy(t, "HTTP/1.1 200 Connection established\r\nProxy-Agent: fake\r\n\r\n220 hello through the tunnel\r\n")
	d := ftp.Dialer{Timeout: 5 * time.Second, Proxy: &url.URL{Scheme: "http", Host: addr}}
	c, err := d.Dial(t.Context(), "192.0.2.1:21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !strings.Contains(c.Welcome(), "hello through the tunnel") {
		t.Fatalf("Welcome = %q", c.Welcome())
	}
}

// A proxy response header without end is bounded.
func TestHTTPProxyEndlessHeader(t *testing.T) {
	addr := fakeProxy(t, "HTTP/1.1 200 OK\r\n"+strings.Repeat("X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", 1000))
	d := ftp.Dialer{Timeout: 5 * time.Second, Proxy: &url.URL{Scheme: "http", Host: addr}}
	_, err := d.Dial(t.Context(), "192.0.2.1:21")
	if !errors.Is(err, ftp.ErrProxyRefused) || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("Dial = %v, want ErrProxyRefused (header too long)", err)
	}
}

// A proxy that is not an HTTP proxy.
func TestHTTPProxyNotHTTP(t *testing.T) {
	addr := fakeProxy(t, "220 I am an FTP server\r\n\r\n")
	d := ftp.Dialer{Timeout: 5 * time.Second, Proxy: &url.URL{Scheme: "http", Host: addr}}
	_, err := d.Dial(t.Context(), "192.0.2.1:21")
	if !errors.Is(err, ftp.ErrProxyRefused) || !strings.Contains(err.Error(), "not an HTTP response") {
		t.Fatalf("Dial = %v", err)
	}
}

func TestProxyURLChecked(t *testing.T) {
	for _, raw := range []string{
		"https://u:hunter2@127.0.0.1:1",
		"socks4://u:hunter2@127.0.0.1:1",
		"socks5://u:hunter2@:1080",
		"http://u:hunter2@127.0.0.1:99999",
		"http://u:hunter2@127.0.0.1:8080/path",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		d := ftp.Dialer{Proxy: u}
		_, err = d.Dial(t.Context(), "127.0.0.1:21")
		if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "Dialer.Proxy") {
			t.Errorf("%s: Dial = %v", u.Redacted(), err)
		}
	}
}

// A proxy that is not listening: ErrProxyUnreachable, and the password
// of the proxy URL is not in the error.
func TestProxyUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, scheme := range []string{"socks5", "socks5h", "http"} {
		d := ftp.Dialer{Timeout: 5 * time.Second, Proxy: &url.URL{Scheme: scheme, Host: addr, User: url.UserPassword("u", "hunter2")}}
		_, err := d.Dial(t.Context(), "192.0.2.1:21")
		var pe *ftp.ProxyError
		if !errors.Is(err, ftp.ErrProxyUnreachable) || !errors.As(err, &pe) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: Dial = %v", scheme, err)
		}
		if pe != nil && (pe.Target != "192.0.2.1:21" || pe.Proxy != scheme+"://"+addr) {
			t.Errorf("%s: ProxyError %+v", scheme, pe)
		}
	}
}

func TestProxyErrorIs(t *testing.T) {
	e := &ftp.ProxyError{Proxy: "http://p:1", Target: "h:21", Kind: ftp.ErrProxyRefused, Err: os.ErrDeadlineExceeded}
	if !errors.Is(e, ftp.ErrProxyRefused) || errors.Is(e, ftp.ErrProxyAuth) || !errors.Is(e, os.ErrDeadlineExceeded) {
		t.Fatal("Is")
	}
}
