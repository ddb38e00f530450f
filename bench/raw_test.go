//go:build linux

package bench_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// rawBufSize is the copy buffer of the TLS baseline, the size of the
// client's pooled transfer buffer.
const rawBufSize = 256 << 10

// rawServer is the far end of the baselines: for "down" it sends src on
// every connection, for "up" it writes what it receives to sink.
type rawServer struct {
	ln      net.Listener
	srvConf *tls.Config // nil for plain TCP
	cliConf *tls.Config
	dir     string
	src     string
	sink    string
	results chan rawResult
	wg      sync.WaitGroup
}

type rawResult struct {
	n   int64
	err error
}

// onlyWriter and onlyReader hide ReadFrom/WriteTo so io.CopyBuffer uses
// the buffer it is given.
type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }

func startRaw(tb testing.TB, useTLS bool, dir, src string) *rawServer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &rawServer{
		ln: ln, dir: dir, src: src,
		sink:    filepath.Join(tb.TempDir(), "sink"),
		results: make(chan rawResult, 1),
	}
	if useTLS {
		s.srvConf, s.cliConf = tlsPair(tb)
	}
	s.wg.Go(s.serve)
	tb.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		n, err := s.handle(c)
		s.results <- rawResult{n, err}
	}
}

func (s *rawServer) handle(c net.Conn) (int64, error) {
	defer c.Close()
	if s.dir == "down" {
		f, err := os.Open(s.src)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if s.srvConf == nil {
			return c.(*net.TCPConn).ReadFrom(f) // sendfile
		}
		tc := tls.Server(c, s.srvConf)
		n, err := io.CopyBuffer(onlyWriter{tc}, onlyReader{f}, make([]byte, rawBufSize))
		if err == nil {
			err = tc.Close()
		}
		return n, err
	}
	f, err := os.Create(s.sink)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if s.srvConf == nil {
		return f.ReadFrom(c) // splice
	}
	tc := tls.Server(c, s.srvConf)
	return io.CopyBuffer(onlyWriter{f}, tc, make([]byte, rawBufSize))
}

// dial opens a connection to the server, with a TLS handshake (resuming
// the session after the first) when TLS is on.
func (s *rawServer) dial() (net.Conn, error) {
	c, err := net.Dial("tcp", s.ln.Addr().String())
	if err != nil {
		return nil, err
	}
	if s.cliConf == nil {
		return c, nil
	}
	tc := tls.Client(c, s.cliConf)
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

var rawBufs = sync.Pool{New: func() any { b := make([]byte, rawBufSize); return &b }}

// download copies the server's file into f (overwritten from its start).
func (s *rawServer) download(f *os.File) (int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	c, err := s.dial()
	if err != nil {
		return 0, err
	}
	var n int64
	if s.cliConf == nil {
		n, err = f.ReadFrom(c) // splice
	} else {
		bp := rawBufs.Get().(*[]byte)
		n, err = io.CopyBuffer(onlyWriter{f}, c, *bp)
		rawBufs.Put(bp)
	}
	c.Close()
	res := <-s.results
	return n, errors.Join(err, res.err)
}

// upload sends f (from its start) and waits until the server has written
// it all.
func (s *rawServer) upload(f *os.File) (int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	c, err := s.dial()
	if err != nil {
		return 0, err
	}
	var n int64
	if tc, ok := c.(*tls.Conn); ok {
		bp := rawBufs.Get().(*[]byte)
		n, err = io.CopyBuffer(onlyWriter{tc}, onlyReader{f}, *bp)
		rawBufs.Put(bp)
		if err == nil {
			err = tc.CloseWrite()
		}
	} else {
		n, err = c.(*net.TCPConn).ReadFrom(f) // sendfile
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
	}
	res := <-s.results
	c.Close()
	if err == nil && res.n != n {
		err = errors.New("server received a different number of bytes")
	}
	return n, errors.Join(err, res.err)
}

// tlsPair returns a server configuration with a fresh self-signed ECDSA
// certificate and a client configuration that trusts it and caches
// sessions.
func tlsPair(tb testing.TB) (srv, cli *tls.Config) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "bench"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	cli = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	return srv, cli
}
