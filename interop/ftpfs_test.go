//go:build linux

package interop_test

import (
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftpfs"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestFSOnRealServers runs fstest.TestFS over each server.
func TestFSOnRealServers(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		for _, tm := range []ftpservers.TLSMode{ftpservers.TLSNone, ftpservers.TLSExplicit} {
			t.Run(string(kind)+"/"+tm.String(), func(t *testing.T) {
				t.Parallel()
				srv, reason := server(t, ftpservers.Config{Kind: kind, TLS: tm})
				if srv == nil {
					t.Skip(reason)
				}
				top := fmt.Sprintf("fs-%d", time.Now().UnixNano())
				for name, n := range map[string]int{"a.txt": 5, "d/b.txt": 3, "d/e/c.bin": 70000, "d/space name.txt": 2} {
					if err := srv.WriteFile(top+"/"+name, data(n)); err != nil {
						t.Fatal(err)
					}
				}
				p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *dialer(srv, dataModes[0]), User: srv.User, Password: srv.Password, MaxConns: 3})
				defer p.Close()
				fsys := ftpfs.New(p, top)
				if err := fstest.TestFS(fsys, "a.txt", "d/b.txt", "d/e/c.bin", "d/space name.txt"); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}
