//go:build linux

package bench_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var kinds = []string{"vsftpd", "ftptest"}

// BenchmarkRetr downloads a file with Conn.RetrBinary, into a local file
// (overwritten in place, as BenchmarkRawTCP does) or into io.Discard.
func BenchmarkRetr(b *testing.B) {
	for _, kind := range kinds {
		for _, useTLS := range []bool{false, true} {
			for _, sz := range sizes {
				for _, to := range []string{"file", "discard"} {
					name := fmt.Sprintf("srv=%s/tls=%s/size=%s/to=%s", kind, tlsName(useTLS), sz.name, to)
					b.Run(name, func(b *testing.B) {
						if sz.n > 1<<20 && testing.Short() {
							b.Skip("large file skipped in -short mode")
						}
						t := server(b, kind, useTLS)
						remote := t.fixture(b, sz.n)
						c := t.login(b)
						var w io.Writer = io.Discard
						if to == "file" {
							f, err := os.Create(filepath.Join(b.TempDir(), "dst"))
							if err != nil {
								b.Fatal(err)
							}
							defer f.Close()
							w = f
						}
						ctx := context.Background()
						b.SetBytes(sz.n)
						b.ReportAllocs()
						for b.Loop() {
							if f, ok := w.(*os.File); ok {
								if _, err := f.Seek(0, io.SeekStart); err != nil {
									b.Fatal(err)
								}
							}
							n, err := c.RetrBinary(ctx, remote, w, 0)
							if err != nil || n != sz.n {
								b.Fatalf("RetrBinary = %d, %v; want %d", n, err, sz.n)
							}
						}
					})
				}
			}
		}
	}
}

// BenchmarkStor uploads a local file with Conn.StorBinary.
func BenchmarkStor(b *testing.B) {
	for _, kind := range kinds {
		for _, useTLS := range []bool{false, true} {
			for _, sz := range sizes {
				name := fmt.Sprintf("srv=%s/tls=%s/size=%s/from=file", kind, tlsName(useTLS), sz.name)
				b.Run(name, func(b *testing.B) {
					if sz.n > 1<<20 && testing.Short() {
						b.Skip("large file skipped in -short mode")
					}
					t := server(b, kind, useTLS)
					c := t.login(b)
					f, err := os.Open(localFixture(b, sz.n))
					if err != nil {
						b.Fatal(err)
					}
					defer f.Close()
					remote := fmt.Sprintf("up-%d.bin", sz.n)
					ctx := context.Background()
					b.SetBytes(sz.n)
					b.ReportAllocs()
					for b.Loop() {
						if _, err := f.Seek(0, io.SeekStart); err != nil {
							b.Fatal(err)
						}
						n, err := c.StorBinary(ctx, remote, f, 0)
						if err != nil || n != sz.n {
							b.Fatalf("StorBinary = %d, %v; want %d", n, err, sz.n)
						}
					}
				})
			}
		}
	}
}

// BenchmarkRawTCP is the physical limit of a transfer on this machine: the
// same bytes copied over a new loopback TCP connection per copy, from a
// file with sendfile and into a file with splice, as the client does on
// plain FTP (down: the peer sends, we write a file; up: we send a file).
func BenchmarkRawTCP(b *testing.B) {
	benchRaw(b, false)
}

// BenchmarkRawTLS is the same copy over crypto/tls 1.3 on both ends (a
// resumed session per connection, 256 KiB buffers), the limit for FTPS
// with PROT P.
func BenchmarkRawTLS(b *testing.B) {
	benchRaw(b, true)
}

func benchRaw(b *testing.B, useTLS bool) {
	for _, dir := range []string{"down", "up"} {
		for _, sz := range sizes {
			b.Run(fmt.Sprintf("dir=%s/size=%s", dir, sz.name), func(b *testing.B) {
				if sz.n > 1<<20 && testing.Short() {
					b.Skip("large file skipped in -short mode")
				}
				src := localFixture(b, sz.n)
				srv := startRaw(b, useTLS, dir, src)
				var copyOnce func() (int64, error)
				if dir == "down" {
					f, err := os.Create(filepath.Join(b.TempDir(), "dst"))
					if err != nil {
						b.Fatal(err)
					}
					defer f.Close()
					copyOnce = func() (int64, error) { return srv.download(f) }
				} else {
					f, err := os.Open(src)
					if err != nil {
						b.Fatal(err)
					}
					defer f.Close()
					copyOnce = func() (int64, error) { return srv.upload(f) }
				}
				b.SetBytes(sz.n)
				b.ReportAllocs()
				for b.Loop() {
					n, err := copyOnce()
					if err != nil || n != sz.n {
						b.Fatalf("copy = %d, %v; want %d", n, err, sz.n)
					}
				}
			})
		}
	}
}
