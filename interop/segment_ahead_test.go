//go:build linux

package interop_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// memAt is an in-memory io.WriterAt.
type memAt []byte

func (m memAt) WriteAt(p []byte, off int64) (int, error) { return copy(m[off:], p), nil }

// TestSegmentedConnsAfter: segmented downloads open data connections
// ahead on the connections they dial, and a small file (one range) may
// leave some unused (those connections are closed with them). Small,
// large and small again over one Pool of 4, then 4 downloads and SIZEs at
// once over its connections: every byte intact, every connection in
// step.
func TestSegmentedConnsAfter(t *testing.T) {
	t.Parallel()
	for _, kind := range ftpservers.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			srv, reason := server(t, ftpservers.Config{Kind: kind})
			if srv == nil {
				t.Skip(reason)
			}
			stamp := time.Now().UnixNano()
			small, large := data(200<<10+7), data(2<<20+12345)
			sname, lname := fmt.Sprintf("ahead-s-%d.bin", stamp), fmt.Sprintf("ahead-l-%d.bin", stamp)
			if err := srv.WriteFile(sname, small); err != nil {
				t.Fatal(err)
			}
			if err := srv.WriteFile(lname, large); err != nil {
				t.Fatal(err)
			}
			p := poolFor(t, srv, 4, nil)
			opts := ftp.SegmentOptions{MinSegment: 256 << 10}
			for i, f := range []struct {
				name string
				want []byte
			}{{sname, small}, {lname, large}, {sname, small}} {
				got := make(memAt, len(f.want))
				n, err := p.RetrSegmented(t.Context(), f.name, got, opts)
				if err != nil || n != int64(len(f.want)) || !bytes.Equal(got, f.want) {
					t.Fatalf("download %d (%s): %d, %v; identical %v\n%s", i, f.name, n, err, bytes.Equal(got, f.want), srv.Logs())
				}
			}
			var wg sync.WaitGroup
			for i := range 4 {
				wg.Go(func() {
					var b bytes.Buffer
					if n, err := p.RetrBinary(t.Context(), sname, &b, 0); err != nil || !bytes.Equal(b.Bytes(), small) {
						t.Errorf("RetrBinary %d after: %d, %v", i, n, err)
					}
					if err := p.Do(t.Context(), func(c *ftp.Conn) error {
						size, err := c.Size(t.Context(), lname)
						if err == nil && size != int64(len(large)) {
							err = fmt.Errorf("size %d", size)
						}
						return err
					}); err != nil {
						t.Errorf("Size %d after: %v", i, err)
					}
				})
			}
			wg.Wait()
		})
	}
}
