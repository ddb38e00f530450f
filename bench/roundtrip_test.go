//go:build linux

package bench_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestRoundTrip checks, quickly, what the benchmarks measure: files
// downloaded into a file and uploaded from one arrive intact, against each
// server, plain and over TLS.
func TestRoundTrip(t *testing.T) {
	for _, kind := range kinds {
		for _, useTLS := range []bool{false, true} {
			t.Run(fmt.Sprintf("srv=%s/tls=%s", kind, tlsName(useTLS)), func(t *testing.T) {
				t.Parallel()
				srv := server(t, kind, useTLS)
				c := srv.login(t)
				ctx := t.Context()
				for _, size := range []int64{0, 1 << 10, 1<<20 + 17} {
					want, err := os.ReadFile(localFixture(t, size))
					if err != nil {
						t.Fatal(err)
					}
					remote := srv.fixture(t, size)
					dst := filepath.Join(t.TempDir(), "dst")
					f, err := os.Create(dst)
					if err != nil {
						t.Fatal(err)
					}
					n, err := c.RetrBinary(ctx, remote, f, 0)
					f.Close()
					if err != nil || n != size {
						t.Fatalf("RetrBinary(%s) = %d, %v; want %d", remote, n, err, size)
					}
					if got, _ := os.ReadFile(dst); !bytes.Equal(got, want) {
						t.Errorf("RetrBinary(%s): content differs", remote)
					}
					var buf bytes.Buffer
					if _, err := c.RetrBinary(ctx, remote, &buf, 0); err != nil || !bytes.Equal(buf.Bytes(), want) {
						t.Errorf("RetrBinary(%s) into a buffer: %v, identical %v", remote, err, bytes.Equal(buf.Bytes(), want))
					}

					up := fmt.Sprintf("rt-%d.bin", size)
					src, err := os.Open(localFixture(t, size))
					if err != nil {
						t.Fatal(err)
					}
					n, err = c.StorBinary(ctx, up, src, 0)
					src.Close()
					if err != nil || n != size {
						t.Fatalf("StorBinary(%s) = %d, %v; want %d", up, n, err, size)
					}
					if got, err := os.ReadFile(filepath.Join(srv.dir, up)); err != nil || !bytes.Equal(got, want) {
						t.Errorf("uploaded %s: %d bytes, %v; identical %v", up, len(got), err, bytes.Equal(got, want))
					}
				}
			})
		}
	}
}

// TestRawCopy checks the baselines copy the bytes they claim to.
func TestRawCopy(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		for _, dir := range []string{"down", "up"} {
			t.Run(fmt.Sprintf("tls=%s/dir=%s", tlsName(useTLS), dir), func(t *testing.T) {
				t.Parallel()
				const size = 1<<20 + 17
				src := localFixture(t, size)
				want, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				srv := startRaw(t, useTLS, dir, src)
				for range 2 { // the second one resumes the TLS session
					var n int64
					var got []byte
					if dir == "down" {
						dst := filepath.Join(t.TempDir(), "dst")
						f, err := os.Create(dst)
						if err != nil {
							t.Fatal(err)
						}
						n, err = srv.download(f)
						f.Close()
						if err != nil {
							t.Fatal(err)
						}
						got, _ = os.ReadFile(dst)
					} else {
						f, err := os.Open(src)
						if err != nil {
							t.Fatal(err)
						}
						n, err = srv.upload(f)
						f.Close()
						if err != nil {
							t.Fatal(err)
						}
						got, _ = os.ReadFile(srv.sink)
					}
					if n != size || !bytes.Equal(got, want) {
						t.Errorf("copied %d bytes, want %d; identical %v", n, size, bytes.Equal(got, want))
					}
				}
			})
		}
	}
}
