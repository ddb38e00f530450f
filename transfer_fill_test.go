package ftp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// tlsPipe returns the two ends of a TLS connection over an in-memory
// pipe, handshake done: the server's end and a transfer reading the
// client's end, as a download over a PROT P data connection would.
func tlsPipe(t *testing.T) (*tls.Conn, *transfer) {
	t.Helper()
	srv, tr, _ := tlsPipeSplit(t)
	return srv, tr
}

// splitConn, once armed, writes every record in two halves with pause
// between them: a reader meets records that arrive in parts.
type splitConn struct {
	net.Conn
	armed bool
	pause time.Duration
}

func (s *splitConn) Write(p []byte) (int, error) {
	if !s.armed || len(p) < 2 {
		return s.Conn.Write(p)
	}
	n, err := s.Conn.Write(p[:len(p)/2])
	if err != nil {
		return n, err
	}
	time.Sleep(s.pause)
	m, err := s.Conn.Write(p[len(p)/2:])
	return n + m, err
}

// tlsPipeSplit is tlsPipe, with the server's splitConn to arm.
func tlsPipeSplit(t *testing.T) (*tls.Conn, *transfer, *splitConn) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fill test"},
		DNSNames:     []string{"fill.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	a, b := net.Pipe()
	sc := &splitConn{Conn: a}
	srv := tls.Server(sc, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	cli := tls.Client(b, &tls.Config{RootCAs: roots, ServerName: "fill.test"})
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() }) // not tls Close: its close_notify would wait for a reader
	c := &Conn{d: &Dialer{Timeout: 10 * time.Second}}
	return srv, &transfer{c: c, ctx: context.Background(), conn: cli, want: -1, stop: func() {}}, sc
}

// writeLog records the size of every Write and tells ch about each.
type writeLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	sizes []int
	ch    chan int
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf.Write(p)
	w.sizes = append(w.sizes, len(p))
	w.mu.Unlock()
	if w.ch != nil {
		w.ch <- len(p)
	}
	return len(p), nil
}

func TestTLSDownloadCoalescesRecords(t *testing.T) {
	srv, tr := tlsPipe(t)
	data := make([]byte, 4<<20)
	rand.Read(data)
	go func() {
		// One TLS record per write of at most 16 KiB.
		for p := data; len(p) > 0; p = p[min(len(p), 16<<10):] {
			if _, err := srv.Write(p[:min(len(p), 16<<10)]); err != nil {
				return
			}
		}
		srv.Close()
	}()
	var w writeLog
	n, err := tr.writeTo(&w)
	if err != nil || n != int64(len(data)) {
		t.Fatalf("writeTo = %d, %v; want %d, nil", n, err, len(data))
	}
	if !bytes.Equal(w.buf.Bytes(), data) {
		t.Fatal("data differ")
	}
	// 256 records: one write each without coalescing, 32 of 128 KiB
	// with it (more when the machine is slow: fillWait ends a buffer).
	if len(w.sizes) >= 128 {
		t.Errorf("%d writes for %d records, want far fewer", len(w.sizes), len(data)>>14)
	}
}

func TestTLSDownloadHandsOnBeforeBufferFull(t *testing.T) {
	srv, tr := tlsPipe(t)
	first := []byte("first bytes, then the server waits")
	rest := bytes.Repeat([]byte("r"), 100<<10)
	w := writeLog{ch: make(chan int, 16)}
	sent := make(chan error, 1)
	go func() {
		if _, err := srv.Write(first); err != nil {
			sent <- err
			return
		}
		// The rest only once the first bytes were handed on: a
		// writeTo that waited for a full buffer would never get them.
		select {
		case <-w.ch:
		case <-time.After(5 * time.Second):
			sent <- errors.New("first bytes not handed on within 5 s")
			srv.Close()
			return
		}
		_, err := srv.Write(rest)
		srv.Close()
		sent <- err
	}()
	n, err := tr.writeTo(&w)
	if serr := <-sent; serr != nil {
		t.Fatal(serr)
	}
	if err != nil || n != int64(len(first)+len(rest)) {
		t.Fatalf("writeTo = %d, %v; want %d, nil", n, err, len(first)+len(rest))
	}
	if w.sizes[0] != len(first) {
		t.Errorf("first write of %d bytes, want %d", w.sizes[0], len(first))
	}
	if !bytes.Equal(w.buf.Bytes(), append(first, rest...)) {
		t.Error("data differ")
	}
}

func TestTLSDownloadKeepsBytesBeforeTimeout(t *testing.T) {
	srv, tr := tlsPipe(t)
	tr.c.d.Timeout = 300 * time.Millisecond
	part := bytes.Repeat([]byte("p"), 40<<10)
	go srv.Write(part) // then silence: the inactivity Timeout ends the download
	var w writeLog
	start := time.Now()
	n, err := tr.writeTo(&w)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("writeTo error %v, want a timeout", err)
	}
	if testing.Verbose() {
		t.Log(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("timed out after %v, before the Timeout (300ms)", took)
	}
	if n != int64(len(part)) || !bytes.Equal(w.buf.Bytes(), part) {
		t.Errorf("writeTo handed on %d bytes before the error, want the %d received", n, len(part))
	}
}

// A record that arrives in parts across fill's deadline is read whole by
// the next read: the cut loses nothing.
func TestTLSDownloadRecordAcrossFillCut(t *testing.T) {
	srv, tr, sc := tlsPipeSplit(t)
	sc.armed, sc.pause = true, 3*fillWait
	data := make([]byte, 200<<10)
	rand.Read(data)
	go func() {
		for p := data; len(p) > 0; p = p[min(len(p), 16<<10):] {
			if _, err := srv.Write(p[:min(len(p), 16<<10)]); err != nil {
				return
			}
		}
		srv.Close()
	}()
	var w writeLog
	n, err := tr.writeTo(&w)
	if err != nil || n != int64(len(data)) || !bytes.Equal(w.buf.Bytes(), data) {
		t.Fatalf("writeTo = %d, %v (data equal: %v); want %d, nil", n, err, bytes.Equal(w.buf.Bytes(), data), len(data))
	}
	if len(w.sizes) < 2 {
		t.Errorf("%d writes: fill's deadline never cut a read", len(w.sizes))
	}
}

// A download of known size stops at it while a buffer is being filled:
// the bytes past the size are not handed on, and the excess is an error.
func TestTLSDownloadFillStopsAtSize(t *testing.T) {
	for _, extra := range []int{0, 1, 70 << 10} {
		srv, tr := tlsPipe(t)
		data := make([]byte, 300<<10+extra)
		rand.Read(data)
		want := int64(300 << 10)
		tr.want = want
		go func() {
			for p := data; len(p) > 0; p = p[min(len(p), 16<<10):] {
				if _, err := srv.Write(p[:min(len(p), 16<<10)]); err != nil {
					return
				}
			}
			srv.Close()
		}()
		var w writeLog
		n, err := tr.writeTo(&w)
		if n != want || !bytes.Equal(w.buf.Bytes(), data[:want]) {
			t.Errorf("extra %d: handed on %d bytes, want the first %d", extra, n, want)
		}
		var se *SizeError
		if extra == 0 && err != nil || extra > 0 && !errors.As(err, &se) {
			t.Errorf("extra %d: writeTo error %v", extra, err)
		}
	}
}

// A cancelled ctx ends a download that waits in fill's reads at once,
// with what arrived before handed on.
func TestTLSDownloadFillCancel(t *testing.T) {
	srv, tr := tlsPipe(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr.ctx = ctx
	tr.stop = tr.c.watch(ctx, tr.conn)
	defer tr.stop()
	w := writeLog{ch: make(chan int, 16)}
	go func() {
		srv.Write([]byte("some bytes, then silence"))
		<-w.ch
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	n, err := tr.writeTo(&w)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("writeTo error %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("writeTo returned %v after the cancel", took)
	}
	if n != int64(len("some bytes, then silence")) {
		t.Errorf("handed on %d bytes", n)
	}
}
