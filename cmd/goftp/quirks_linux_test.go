//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goftplib/ftp/internal/ftpservers"
)

// Issue 14's server flags against every real server: LIST instead of
// MLSD (--no-mlsd), PASV instead of EPSV (--no-epsv), dot-files
// (--list-hidden), active mode with an advertised address and a port
// range (--active-addr, --active-ports), and Latin-1 names (--encoding).
func TestRealServerFlags(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.ProFTPD, ftpservers.PureFTPd, ftpservers.Pyftpdlib} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, e := kindServer(t, kind)
			for name, content := range map[string]string{"q/a.txt": "hello", "q/.hidden": "dot"} {
				p := filepath.Join(srv.Dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := e.run(t, "ls", "-l", "--no-mlsd", "--no-epsv", "--list-hidden", "-vv", e.url("q/"))
			r.want(t, 0, []string{"a.txt", ".hidden"}, []string{"PASV"})
			if strings.Contains(r.stderr, "> MLSD") || strings.Contains(r.stderr, "> EPSV") {
				t.Errorf("--no-mlsd --no-epsv sent MLSD or EPSV:\n%s", r.stderr)
			}
			r = e.run(t, "cat", "--active-addr", "127.0.0.1", "--active-ports", "43000-43999", "-v", e.url("q/a.txt"))
			r.want(t, 0, []string{"hello"}, []string{"EPRT |1|127.0.0.1|43"})
		})
	}
}

// A Latin-1 file name (byte 0xE9) listed with --encoding latin1 reads
// "café", on the servers that pass names through as bytes.
func TestRealServerEncodingLatin1(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.PureFTPd} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, e := kindServer(t, kind)
			if err := os.MkdirAll(filepath.Join(srv.Dir, "enc"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(srv.Dir, "enc", "caf\xe9.txt"), []byte("latin"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := e.run(t, "ls", "--encoding", "latin1", e.url("enc/"))
			r.want(t, 0, []string{"café.txt"}, nil)
			r = e.run(t, "cat", "--encoding", "latin1", e.url("enc/café.txt"))
			r.want(t, 0, []string{"latin"}, nil)
		})
	}
}
