//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goftplib/ftp/internal/faultproxy"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// realServer starts vsftpd (which has no MLSD, so listings go through
// LIST and package listing) on loopback, or skips the test when it is
// not installed, unless FTP_INTEROP=required.
func realServer(t *testing.T, mode ftpservers.TLSMode) (*ftpservers.Server, *testEnv) {
	t.Helper()
	srv := ftpservers.ForTest(t, ftpservers.Config{Kind: ftpservers.Vsftpd, TLS: mode})
	dir := t.TempDir()
	e := &testEnv{netrc: filepath.Join(dir, "netrc"), ca: srv.CAFile}
	os.WriteFile(e.netrc, []byte(fmt.Sprintf("machine %s login %s password %s\n", srv.Host, srv.User, srv.Password)), 0o600)
	scheme := map[ftpservers.TLSMode]string{ftpservers.TLSNone: "ftp", ftpservers.TLSExplicit: "ftpes", ftpservers.TLSImplicit: "ftps"}[mode]
	e.base = fmt.Sprintf("%s://%s@%s", scheme, srv.User, srv.Addr)
	return srv, e
}

// TestVsftpd runs every subcommand against vsftpd.
func TestVsftpd(t *testing.T) {
	t.Parallel()
	srv, e := realServer(t, ftpservers.TLSNone)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	big := bigData(3<<20 + 5)
	must(srv.WriteFile("pub/a.txt", []byte("aaa\n")))
	must(srv.WriteFile("pub/b.txt", []byte("bbbb\n")))
	must(srv.WriteFile("pub/big.bin", big))
	must(srv.WriteFile("pub/sub/deep.txt", []byte("deep\n")))
	must(srv.WriteFile("pub/.hidden", []byte("h\n")))
	old := time.Date(2023, 3, 4, 5, 6, 7, 0, time.UTC)
	must(os.Chtimes(filepath.Join(srv.Dir, "pub", "a.txt"), old, old))
	local := t.TempDir()
	server := func(name string) string {
		b, err := os.ReadFile(filepath.Join(srv.Dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatalf("server file %s: %v", name, err)
		}
		return string(b)
	}

	t.Run("ls", func(t *testing.T) {
		e.run(t, "ls", e.url("pub/")).want(t, 0, []string{"a.txt\nb.txt\nbig.bin\nsub\n"}, nil)
		e.run(t, "ls", "-a", e.url("pub/")).want(t, 0, []string{".hidden\na.txt\n"}, nil)
		r := e.run(t, "ls", "-l", e.url("pub"))
		r.want(t, 0, []string{"-rw-r--r--            4 2023-03-04             a.txt\n", "drwxr-xr-x "}, nil)
		e.run(t, "ls", "--json", e.url("pub")).want(t, 0, []string{
			`{"name":"a.txt","type":"file","size":4,"time":"2023-03-04T00:00:00Z","target":""}`,
			`{"name":"sub","type":"dir",`}, nil)
		e.run(t, "ls", "-l", e.url("pub/b.txt")).want(t, 0, []string{" 5 ", " b.txt\n"}, nil)
	})
	t.Run("get", func(t *testing.T) {
		e.run(t, "get", "-o", local, e.url("pub/*.txt"), e.url("pub/big.bin")).want(t, 0, nil, []string{"pub/a.txt  4 B", "pub/big.bin  3.0 MiB"})
		sameBytes(t, "big.bin", readLocal(t, filepath.Join(local, "big.bin")), big)
		os.WriteFile(filepath.Join(local, ".big.bin.goftp-part"), big[:1000000], 0o644)
		os.Remove(filepath.Join(local, "big.bin"))
		r := e.run(t, "-v", "get", "-c", "-o", local, e.url("pub/big.bin"))
		r.want(t, 0, nil, []string{"resumed at ", "> REST 934464\n< 350 "})
		sameBytes(t, "resumed big.bin", readLocal(t, filepath.Join(local, "big.bin")), big)
		e.run(t, "get", "-o", local, e.url("pub/nope")).want(t, exitNotFound, nil, []string{"goftp: RETR pub/nope: 550 "})
	})
	t.Run("cat", func(t *testing.T) {
		r := e.run(t, "cat", e.url("pub/b.txt"))
		if r.code != 0 || r.stdout != "bbbb\n" {
			t.Errorf("cat: %d %q %q", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("put", func(t *testing.T) {
		e.run(t, "put", filepath.Join(local, "a.txt"), filepath.Join(local, "b.txt"), e.url("up/")).want(t, exitNotFound, nil, []string{"remote directory up does not exist"})
		e.run(t, "mkdir", "-p", e.url("up/x/y")).want(t, 0, nil, nil)
		e.run(t, "mkdir", "-p", e.url("up/x")).want(t, 0, nil, nil)
		e.run(t, "put", filepath.Join(local, "a.txt"), filepath.Join(local, "b.txt"), e.url("up/")).want(t, 0, nil, nil)
		if got := server("up/b.txt"); got != "bbbb\n" {
			t.Errorf("up/b.txt = %q", got)
		}
		must(srv.WriteFile("up/.big.bin.goftp-part", big[:1234567])) // an interrupted put's partial file
		r := e.run(t, "-v", "put", "-c", filepath.Join(local, "big.bin"), e.url("up/big.bin"))
		r.want(t, 0, nil, []string{"> REST 1234567\n< 350 "})
		if got := server("up/big.bin"); got != string(big) {
			t.Errorf("resumed up/big.bin: %d bytes, want %d identical", len(got), len(big))
		}
	})
	t.Run("mv, rm, rmdir", func(t *testing.T) {
		e.run(t, "mv", e.url("up/a.txt"), "x/a2.txt").want(t, 0, nil, nil) // relative: in up/, as mv does
		server("up/x/a2.txt")
		e.run(t, "rmdir", e.url("up/x/y")).want(t, 0, nil, nil)
		e.run(t, "rmdir", e.url("up/x")).want(t, exitNotFound, nil, []string{"goftp: RMD up/x: 550 "})
		e.run(t, "rm", e.url("up/b.txt")).want(t, 0, nil, nil)
		e.run(t, "rm", "-r", e.url("up")).want(t, 0, nil, nil)
		if _, err := os.Stat(filepath.Join(srv.Dir, "up")); !os.IsNotExist(err) {
			t.Errorf("up still there: %v", err)
		}
	})
	t.Run("mirror", func(t *testing.T) {
		// vsftpd has no MLSD and its LIST hides dot files: pub/.hidden
		// is not mirrored.
		dst := filepath.Join(t.TempDir(), "m")
		r := e.run(t, "mirror", "-P", "3", e.url("pub"), dst)
		r.want(t, 0, nil, []string{"mirror: 4 files (3.0 MiB) transferred", "1 directories created"})
		sameBytes(t, "mirrored big.bin", readLocal(t, filepath.Join(dst, "big.bin")), big)
		e.run(t, "mirror", e.url("pub"), dst).want(t, 0, nil, []string{"mirror: 0 files (0 B) transferred, 4 up to date"})
		os.WriteFile(filepath.Join(dst, "new.txt"), []byte("new\n"), 0o644)
		e.run(t, "mirror", "-R", "-P", "2", dst, e.url("back")).want(t, 0, nil, []string{"mirror: 5 files (3.0 MiB) transferred"})
		if got := server("back/sub/deep.txt"); got != "deep\n" {
			t.Errorf("back/sub/deep.txt = %q", got)
		}
		e.run(t, "mirror", "-R", dst, e.url("back")).want(t, 0, nil, []string{"mirror: 0 files (0 B) transferred, 5 up to date"})
		os.Remove(filepath.Join(dst, "new.txt"))
		e.run(t, "mirror", "-R", "--delete", dst, e.url("back")).want(t, 0, nil, []string{"delete new.txt (not in source)"})
	})
}

// TestVsftpdTLS checks explicit TLS against vsftpd, which requires the
// data connections to resume the control connection's TLS session.
func TestVsftpdTLS(t *testing.T) {
	t.Parallel()
	srv, e := realServer(t, ftpservers.TLSExplicit)
	if err := srv.WriteFile("f.txt", []byte("over TLS\n")); err != nil {
		t.Fatal(err)
	}
	r := e.run(t, "-v", "ls", "-l", "--ca", e.ca, e.url(""))
	r.want(t, 0, []string{" f.txt\n"}, []string{"> AUTH TLS\n", "> PROT P\n"})
	r = e.run(t, "cat", "--ca", e.ca, e.url("f.txt"))
	if r.code != 0 || r.stdout != "over TLS\n" {
		t.Errorf("cat over TLS: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = e.run(t, "ls", e.url(""))
	r.want(t, exitTLS, nil, []string{"certificate"})
	if strings.Contains(r.stderr, srv.Password) {
		t.Error("password in the error output")
	}
}

// TestTwoSessionServerParallel: get -P 4 and put -P 4 -c of 4 files
// against a vsftpd that takes 2 sessions, each file taking longer than
// --timeout (which also bounds a wait for a free connection). The
// server's 421 lowers the connections to 2; the other files wait for one
// of theirs to end and every file arrives, exit status 0. They used to
// wait for a connection and fail ("no free connection in the pool").
// (Each upload also ends with megabytes in the send queue, more than
// --timeout to drain: see watchDrain.)
func TestTwoSessionServerParallel(t *testing.T) {
	t.Parallel()
	srv := ftpservers.ForTest(t, ftpservers.Config{Kind: ftpservers.Vsftpd, MaxClients: 2})
	px, err := faultproxy.Start(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	px.SlowData(1 << 20) // 3 MiB: 3 s a file, against --timeout 2s
	e := &testEnv{netrc: filepath.Join(t.TempDir(), "netrc")}
	os.WriteFile(e.netrc, []byte(fmt.Sprintf("machine 127.0.0.1 login %s password %s\n", srv.User, srv.Password)), 0o600)
	e.base = fmt.Sprintf("ftp://%s@%s", srv.User, px.Addr)
	files := map[string][]byte{}
	for i := range 4 {
		b := bigData(3<<20 + i)
		b[0] = byte('a' + i)
		files[fmt.Sprintf("f%d.bin", i)] = b
		if err := srv.WriteFile(fmt.Sprintf("two/f%d.bin", i), b); err != nil {
			t.Fatal(err)
		}
	}
	local := t.TempDir()
	e.run(t, "--timeout", "2s", "get", "-P", "4", "-o", local+"/", e.url("two/*.bin")).want(t, 0, nil, nil)
	var names []string
	for name, b := range files {
		if got, err := os.ReadFile(filepath.Join(local, name)); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("get: %s: %v, identical %v", name, err, bytes.Equal(got, b))
		}
		names = append(names, filepath.Join(local, name))
	}
	// -c (resume) puts each file on its own, -P 4 at once.
	e.run(t, append([]string{"--timeout", "2s", "put", "--create-dirs", "-c", "-P", "4"}, append(names, e.url("up/"))...)...).want(t, 0, nil, nil)
	for name, b := range files {
		if got, err := os.ReadFile(filepath.Join(srv.Dir, "up", name)); err != nil || !bytes.Equal(got, b) {
			t.Errorf("put: %s: %v, identical %v", name, err, bytes.Equal(got, b))
		}
	}
}
