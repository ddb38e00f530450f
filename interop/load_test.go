//go:build linux

package interop_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// TestLoad runs 64 concurrent clients through one pool against vsftpd and
// pyftpdlib for a bounded time: every byte verified, no errors, no leaked
// goroutines, and memory that does not grow from one round to the next.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	for _, kind := range []ftpservers.Kind{ftpservers.Vsftpd, ftpservers.Pyftpdlib} {
		t.Run(string(kind), func(t *testing.T) {
			// pyftpdlib counts data connections against max_cons too.
			srv, reason := server(t, ftpservers.Config{Kind: kind, MaxClients: 200})
			if srv == nil {
				t.Skip(reason)
			}
			const clients = 64
			names := make([]string, 8)
			for i := range names {
				names[i] = fmt.Sprintf("load-%d.bin", i)
				if err := srv.WriteFile(names[i], data(64<<10+i)); err != nil {
					t.Fatal(err)
				}
			}
			goroutines := runtime.NumGoroutine()
			d := dialer(srv, dataModes[0])
			p := ftp.NewPool(srv.Addr, ftp.PoolConfig{Dialer: *d, User: srv.User, Password: srv.Password, MaxConns: 32})
			var ops, failures atomic.Int64
			heap := make([]uint64, 0, 3)
			for round := range 3 {
				deadline := time.Now().Add(2 * time.Second)
				var wg sync.WaitGroup
				for i := range clients {
					wg.Go(func() {
						for n := 0; time.Now().Before(deadline); n++ {
							k := (i + n) % len(names)
							var b bytes.Buffer
							if _, err := p.RetrBinary(t.Context(), names[k], &b, 0); err != nil {
								failures.Add(1)
								t.Errorf("round %d client %d: %v", round, i, err)
								return
							}
							if sha256.Sum256(b.Bytes()) != sha256.Sum256(data(64<<10+k)) {
								failures.Add(1)
								t.Errorf("round %d client %d: corrupted %s", round, i, names[k])
								return
							}
							ops.Add(1)
						}
					})
				}
				wg.Wait()
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heap = append(heap, ms.HeapAlloc)
			}
			p.Close()
			t.Logf("%d transfers by %d clients, heap after each round: %v, pool limit %d", ops.Load(), clients, heap, p.Limit())
			if ops.Load() == 0 || failures.Load() > 0 {
				t.Fatalf("%d transfers, %d failures", ops.Load(), failures.Load())
			}
			// Flat memory: the last round holds no more than the first plus slack.
			if heap[2] > heap[0]+16<<20 {
				t.Errorf("heap grew from %d to %d bytes across rounds", heap[0], heap[2])
			}
			// No goroutine left behind once the pool is closed.
			deadline := time.Now().Add(5 * time.Second)
			for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if g := runtime.NumGoroutine(); g > goroutines {
				t.Errorf("%d goroutines after the load, %d before", g, goroutines)
			}
		})
	}
}
