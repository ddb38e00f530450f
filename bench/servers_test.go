//go:build linux

// Package bench_test holds the client's throughput benchmarks and their
// baselines, run side by side in one `go test -bench` run:
//
//	BenchmarkRawTCP   loopback TCP copy of the same bytes, file → socket → file
//	                  (sendfile and splice), a new connection per copy
//	BenchmarkRawTLS   the same over crypto/tls (resumed sessions, 256 KiB buffers)
//	BenchmarkRetr     RetrBinary into a file (splice on plain TCP) or io.Discard
//	BenchmarkStor     StorBinary from a file (sendfile on plain TCP)
//	BenchmarkLsMemory peak RSS of the goftp binary listing 1,000,000 entries
//	                  (lsmem_test.go; TestLsMemory checks 100,000 in every run)
//
// Retr and Stor run against vsftpd (internal/ftpservers) and ftptest, plain
// and over explicit TLS with PROT P, for 1 KiB, 1 MiB and 256 MiB files
// (256 MiB skipped with -short). Servers start on first use, outside the
// timed loop, and stop in TestMain. When benchmarks run and TMPDIR is not
// set, files live on /dev/shm (tmpfs). Report ratios between rows of one
// run, never absolute times (see docs/BENCHMARKS.md and bench/compare.sh).
//
//	go test ./bench/ -run '^$' -bench . -benchtime 1s -count 5 | tee new.txt
//	benchstat -col /tls new.txt
package bench_test

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/ftptest"
	"github.com/goftplib/ftp/internal/ftpservers"
)

// sizes are the file sizes of the benchmarks.
var sizes = []struct {
	name string
	n    int64
}{
	{"1KiB", 1 << 10},
	{"1MiB", 1 << 20},
	{"256MiB", 256 << 20},
}

// target is a running server the client can log in to.
type target struct {
	name       string // "vsftpd", "ftptest"
	addr       string
	user, pass string
	tls        *tls.Config // nil for plain FTP
	dir        string      // local directory holding the server's files
	chown      func(path string) error
	close      func() error
}

// dialer returns the Dialer for t.
func (t *target) dialer() ftp.Dialer {
	return ftp.Dialer{Timeout: 30 * time.Second, TLS: t.tls}
}

// login dials and logs in; the Conn is closed when tb ends.
func (t *target) login(tb testing.TB) *ftp.Conn {
	tb.Helper()
	d := t.dialer()
	ctx := context.Background()
	c, err := d.Dial(ctx, t.addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if _, err := c.Login(ctx, t.user, t.pass); err != nil {
		tb.Fatal(err)
	}
	return c
}

// fixture makes sure the server has the file name with size random bytes
// (the same bytes as the local fixture of that size) and returns its name.
func (t *target) fixture(tb testing.TB, size int64) string {
	tb.Helper()
	name := fmt.Sprintf("src-%d.bin", size)
	p := filepath.Join(t.dir, name)
	if st, err := os.Stat(p); err == nil && st.Size() == size {
		return name
	}
	if err := os.Link(localFixture(tb, size), p); err != nil {
		if err := copyFile(p, localFixture(tb, size)); err != nil {
			tb.Fatal(err)
		}
	}
	if t.chown != nil {
		if err := t.chown(p); err != nil {
			tb.Fatal(err)
		}
	}
	return name
}

var (
	servers   sync.Map // key → *serverEntry
	scratch   string   // process-wide temporary directory, removed by TestMain
	scratchMu sync.Mutex
	fixtures  sync.Map // size → path
)

type serverEntry struct {
	once sync.Once
	t    *target
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" && os.Getenv("TMPDIR") == "" {
		// Benchmarks keep files (ours and the servers') on tmpfs when
		// there is one: on a disk, writeback and ext4's flush on
		// truncate-and-rewrite are measured instead of the transfer.
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			os.Setenv("TMPDIR", "/dev/shm")
		}
	}
	code := m.Run()
	servers.Range(func(_, v any) bool {
		if e := v.(*serverEntry); e.t != nil {
			e.t.close()
		}
		return true
	})
	if scratch != "" {
		os.RemoveAll(scratch)
	}
	os.Exit(code)
}

// scratchDir returns a directory that lives for the whole test binary run
// (servers outlive single benchmarks, so b.TempDir does not fit).
func scratchDir(tb testing.TB) string {
	tb.Helper()
	d, err := makeScratch()
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func makeScratch() (string, error) {
	scratchMu.Lock()
	defer scratchMu.Unlock()
	if scratch == "" {
		d, err := os.MkdirTemp("", "goftp-bench-")
		if err != nil {
			return "", err
		}
		// The FTP servers' users must be able to traverse it.
		if err := os.Chmod(d, 0o755); err != nil {
			return "", err
		}
		scratch = d
	}
	return scratch, nil
}

// localFixture returns the path of a local file of size pseudo-random
// bytes (incompressible, the same for a given size in every run).
func localFixture(tb testing.TB, size int64) string {
	tb.Helper()
	if p, ok := fixtures.Load(size); ok {
		return p.(string)
	}
	p := filepath.Join(scratchDir(tb), fmt.Sprintf("fixture-%d.bin", size))
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.CopyN(f, newRandReader(uint64(size)), size); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	os.Chmod(p, 0o644)
	fixtures.Store(size, p)
	return p
}

// randReader yields deterministic pseudo-random bytes.
type randReader struct{ r *rand.ChaCha8 }

func newRandReader(seed uint64) io.Reader {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return &randReader{rand.NewChaCha8(s)}
}

func (r *randReader) Read(p []byte) (int, error) { return r.r.Read(p) }

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// server returns the running server of kind ("vsftpd" or "ftptest"),
// plain or with explicit TLS, starting it on first use. A vsftpd that is
// not installed skips tb, unless FTP_INTEROP=required.
func server(tb testing.TB, kind string, useTLS bool) *target {
	tb.Helper()
	key := fmt.Sprintf("%s/%v", kind, useTLS)
	v, _ := servers.LoadOrStore(key, &serverEntry{})
	e := v.(*serverEntry)
	e.once.Do(func() { e.t, e.err = startServer(kind, useTLS) })
	if errors.Is(e.err, ftpservers.ErrNotInstalled) && !ftpservers.Required() {
		tb.Skip(e.err)
	}
	if e.err != nil {
		tb.Fatal(e.err)
	}
	return e.t
}

func startServer(kind string, useTLS bool) (*target, error) {
	switch kind {
	case "vsftpd":
		if err := ftpservers.Available(ftpservers.Vsftpd); err != nil {
			return nil, err
		}
		cfg := ftpservers.Config{Kind: ftpservers.Vsftpd}
		if useTLS {
			cfg.TLS = ftpservers.TLSExplicit
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		srv, err := ftpservers.Start(ctx, cfg)
		if err != nil {
			return nil, err
		}
		t := &target{
			name: kind, addr: srv.Addr, user: srv.User, pass: srv.Password,
			dir:   srv.Dir,
			chown: func(p string) error { return os.Lchown(p, srv.UID, srv.GID) },
			close: srv.Close,
		}
		if useTLS {
			t.tls = &tls.Config{RootCAs: srv.CertPool}
		}
		return t, nil
	case "ftptest":
		base, err := makeScratch()
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(base, "ftptest-")
		if err != nil {
			return nil, err
		}
		opts := ftptest.Options{Root: dir}
		if useTLS {
			opts.TLS = ftptest.TLSExplicit
		}
		srv, err := ftptest.NewServer(opts)
		if err != nil {
			return nil, err
		}
		return &target{
			name: kind, addr: srv.Addr, user: ftptest.DefaultUser, pass: ftptest.DefaultPassword,
			dir: dir, tls: srv.ClientTLSConfig(), close: srv.Close,
		}, nil
	}
	return nil, fmt.Errorf("unknown server kind %q", kind)
}

func tlsName(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
