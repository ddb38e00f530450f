package main

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp/ftptest"
)

// testEnv is an ftptest server with a .netrc file holding its
// credentials, so that URLs carry no password.
type testEnv struct {
	srv   *ftptest.Server
	netrc string
	base  string // "ftp://user@127.0.0.1:port"
	ca    string // PEM file of the server's certificate, for TLS modes
}

// sampleFiles is the tree most tests start with.
func sampleFiles() fstest.MapFS {
	mt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	return fstest.MapFS{
		"hello.txt":        {Data: []byte("hello, world\n"), ModTime: mt},
		".hidden":          {Data: []byte("secret\n"), ModTime: mt},
		"pub/a.txt":        {Data: []byte("aaa\n"), ModTime: mt},
		"pub/b.txt":        {Data: []byte("bbbb\n"), ModTime: mt},
		"pub/c.bin":        {Data: []byte{0, 1, 2, 3}, ModTime: mt},
		"pub/sub/deep.txt": {Data: []byte("deep\n"), ModTime: mt},
	}
}

// bigData returns n deterministic pseudo-random bytes.
func bigData(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{42}).Read(b)
	return b
}

func newEnv(t *testing.T, opts ftptest.Options) *testEnv {
	t.Helper()
	if opts.Files == nil {
		opts.Files = sampleFiles()
	}
	srv := ftptest.New(t, opts)
	host, _, _ := net.SplitHostPort(srv.Addr)
	dir := t.TempDir()
	e := &testEnv{srv: srv, netrc: filepath.Join(dir, "netrc")}
	netrc := fmt.Sprintf("machine %s login %s password %s\n", host, ftptest.DefaultUser, ftptest.DefaultPassword)
	if err := os.WriteFile(e.netrc, []byte(netrc), 0o600); err != nil {
		t.Fatal(err)
	}
	scheme := map[ftptest.TLSMode]string{ftptest.TLSNone: "ftp", ftptest.TLSExplicit: "ftpes", ftptest.TLSImplicit: "ftps"}[opts.TLS]
	e.base = fmt.Sprintf("%s://%s@%s", scheme, ftptest.DefaultUser, srv.Addr)
	if cert := srv.Certificate(); cert != nil {
		e.ca = filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(e.ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// url returns the URL of a path on the server.
func (e *testEnv) url(p string) string { return e.base + "/" + p }

// run runs goftp with the server's .netrc.
func (e *testEnv) run(t *testing.T, args ...string) result {
	t.Helper()
	return runGoftp(t, "", append([]string{"--netrc", e.netrc}, args...)...)
}

// file returns a file's content on the server, failing the test if it
// cannot be read.
func (e *testEnv) file(t *testing.T, name string) []byte {
	t.Helper()
	b, err := e.srv.ReadFile(name)
	if err != nil {
		t.Fatalf("server file %s: %v", name, err)
	}
	return b
}

// readLocal reads a local file, failing the test if it cannot.
func readLocal(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got %d bytes, want %d identical bytes", what, len(got), len(want))
	}
}
