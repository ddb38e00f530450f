//go:build linux

package interop_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestSegmentedStaleSession: a vsftpd that takes 2 sessions, one or both
// held by other clients that leave while the segmented download starts
// (its connections dialled, some refused with 421, the Pool's limit
// falling as they come back). Whenever the others leave, the download
// completes byte-exact, well within the Pool's WaitTimeout.
func TestSegmentedStaleSession(t *testing.T) {
	t.Parallel()
	srv, reason := server(t, ftpservers.Config{Kind: ftpservers.Vsftpd, MaxClients: 2, Instance: 3})
	if srv == nil {
		t.Skip(reason)
	}
	content := data(segSize)
	name := fmt.Sprintf("segstale-%d.bin", time.Now().UnixNano())
	if err := srv.WriteFile(name, content); err != nil {
		t.Fatal(err)
	}
	for _, held := range []int{1, 2} {
		for i, after := range []time.Duration{0, 10 * time.Millisecond, 40 * time.Millisecond} {
			t.Run(fmt.Sprint(held, "/", after), func(t *testing.T) {
				var others []*ftp.Conn
				for range held {
					other, err := dialer(srv, dataModes[0]).Dial(t.Context(), srv.Addr)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := other.Login(t.Context(), srv.User, srv.Password); err != nil {
						t.Fatal(err)
					}
					others = append(others, other)
				}
				d := dialer(srv, dataModes[0])
				d.Timeout = 5 * time.Second
				p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *d, User: srv.User, Password: srv.Password, MaxConns: 6})
				defer p.Close()
				for k, other := range others {
					time.AfterFunc(after*time.Duration(k+1), func() { other.Quit(context.Background()) })
				}
				start := time.Now()
				got, _, err := segFetch(t, p, name, t.TempDir(), ftp.SegmentOptions{Segments: 6, MinSegment: 256 << 10})
				if err != nil || !bytes.Equal(got, content) {
					t.Fatalf("run %d: RetrSegmentedFile: %v (%d bytes) after %v", i, err, len(got), time.Since(start))
				}
				t.Logf("limit %d, %v", p.Limit(), time.Since(start))
				if el := time.Since(start); el > 4*time.Second {
					t.Errorf("took %v", el)
				}
			})
		}
	}
}
