//go:build linux

package interop_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/faultproxy"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestRetryResumesThroughResets puts a proxy between the pool and a real
// server that resets data connections mid-transfer: downloads and uploads
// are retried from the offset reached and the result is byte-identical.
func TestRetryResumesThroughResets(t *testing.T) {
	t.Parallel()
	for _, kind := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.Pyftpdlib, ftpservers.ProFTPD} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			px, err := faultproxy.Start(srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer px.Close()
			d := ftp.Dialer{Timeout: 20 * time.Second}
			p := ftp.NewPool(px.Addr, ftp.PoolConfig{Dialer: d, User: srv.User, Password: srv.Password, MaxConns: 2, Retries: 5})
			defer p.Close()
			content := data(8 << 20)
			want := sha256.Sum256(content)
			name := fmt.Sprintf("retry-%d.bin", time.Now().UnixNano())
			if err := srv.WriteFile(name, content); err != nil {
				t.Fatal(err)
			}

			// Download: two data connections are cut, after 1 MiB each.
			px.CutData(2, 1<<20)
			var got bytes.Buffer
			n, err := p.RetrBinary(t.Context(), name, &got, 0)
			if err != nil || n != int64(len(content)) || sha256.Sum256(got.Bytes()) != want {
				t.Fatalf("RetrBinary through resets = %d, %v (identical: %v)", n, err, sha256.Sum256(got.Bytes()) == want)
			}
			if c := px.Cut.Load(); c != 2 {
				t.Errorf("%d data connections cut, want 2", c)
			}

			// Upload: one data connection cut after 3 MiB.
			px.CutData(1, 3<<20)
			up := "up-" + name
			n, err = p.StorBinary(t.Context(), up, bytes.NewReader(content), 0)
			if err != nil || n != int64(len(content)) {
				t.Fatalf("StorBinary through a reset = %d, %v", n, err)
			}
			onDisk, err := os.ReadFile(filepath.Join(srv.Dir, up))
			if err != nil || sha256.Sum256(onDisk) != want {
				t.Fatalf("uploaded file: %d bytes, %v; identical: %v", len(onDisk), err, sha256.Sum256(onDisk) == want)
			}
			if c := px.Cut.Load(); c != 3 {
				t.Errorf("%d data connections cut in all, want 3", c)
			}
		})
	}
}
