// Command rawcopy is the physical limit in bench/compare.sh: it copies a
// file to another over a loopback TCP connection inside one process, one
// goroutine per end, the way the FTP client's fast paths do (sendfile from
// the source file, splice into the destination), or over crypto/tls with
// 256 KiB buffers (-tls).
//
//	rawcopy [-tls] SRC DST
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"time"
)

const bufSize = 256 << 10

type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }

func main() {
	useTLS := flag.Bool("tls", false, "copy over TLS 1.3")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: rawcopy [-tls] SRC DST")
		os.Exit(2)
	}
	if err := run(*useTLS, flag.Arg(0), flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "rawcopy:", err)
		os.Exit(1)
	}
}

func run(useTLS bool, src, dst string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	var srvConf, cliConf *tls.Config
	if useTLS {
		if srvConf, cliConf, err = tlsPair(); err != nil {
			return err
		}
	}
	sent := make(chan error, 1)
	go func() { sent <- send(ln, srvConf, src) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if cliConf != nil {
		tc := tls.Client(c, cliConf)
		_, err = io.CopyBuffer(onlyWriter{f}, tc, make([]byte, bufSize))
	} else {
		_, err = f.ReadFrom(c) // splice
	}
	return errors.Join(err, f.Close(), <-sent)
}

func send(ln net.Listener, conf *tls.Config, src string) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	if conf == nil {
		_, err = c.(*net.TCPConn).ReadFrom(f) // sendfile
		return err
	}
	tc := tls.Server(c, conf)
	if err := tc.Handshake(); err != nil { // also for an empty file
		return err
	}
	if _, err := io.CopyBuffer(onlyWriter{tc}, onlyReader{f}, make([]byte, bufSize)); err != nil {
		return err
	}
	return tc.Close()
}

func tlsPair() (srv, cli *tls.Config, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "rawcopy"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	srv = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	cli = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	return srv, cli, nil
}
