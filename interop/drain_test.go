//go:build linux

package interop_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/faultproxy"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestUploadDrainIsActivity: an upload over a slow link (the fault proxy
// reading 1 MiB/s with small buffers), larger than the time it takes
// the kernel to take it: the client's last write returns while megabytes
// still wait in its socket's send queue, and the server's 226 comes
// seconds later. Bytes leaving the send queue are activity: the upload
// succeeds with Timeout 1s, byte-exact. It failed with "no activity for
// 1s" while the queue was still draining. (Plain FTP only: the proxy
// cannot rewrite a TLS control connection's passive replies, so TLS data
// connections would not pass through it.)
func TestUploadDrainIsActivity(t *testing.T) {
	t.Parallel()
	for _, mode := range []ftpservers.TLSMode{ftpservers.TLSNone} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: ftpservers.Vsftpd, TLS: mode})
			if srv == nil {
				t.Skip(reason)
			}
			px, err := faultproxy.Start(srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer px.Close()
			px.SlowData(1 << 20)
			d := dialer(srv, dataModes[0])
			d.Timeout = time.Second
			c, err := d.Dial(t.Context(), px.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Login(t.Context(), srv.User, srv.Password); err != nil {
				t.Fatal(err)
			}
			content := data(3 << 20)
			check := func(name string) {
				t.Helper()
				got, err := os.ReadFile(filepath.Join(srv.Dir, name))
				if err != nil || !bytes.Equal(got, content) {
					t.Fatalf("server file %s: %v, identical %v", name, err, bytes.Equal(got, content))
				}
			}
			name := fmt.Sprintf("drain-%s-%d.bin", mode, time.Now().UnixNano())
			start := time.Now()
			if _, err := c.StorBinary(t.Context(), name, bytes.NewReader(content), 0); err != nil {
				t.Fatalf("StorBinary after %v: %v", time.Since(start), err)
			}
			check(name)
			t.Logf("StorBinary: 3 MiB in %v", time.Since(start))
			// A batch upload waits for its 226 the same way.
			start = time.Now()
			err = c.StorBatch(t.Context(), []ftp.StorItem{{
				Path: "batch-" + name, Temp: ".batch-" + name, Size: int64(len(content)),
				Open: func() (io.Reader, error) { return bytes.NewReader(content), nil },
			}})
			if err != nil {
				t.Fatalf("StorBatch after %v: %v", time.Since(start), err)
			}
			check("batch-" + name)
			t.Logf("StorBatch: 3 MiB in %v", time.Since(start))
		})
	}
}
