//go:build linux

package bench_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/goftplib/ftp/bench/internal/listserver"
)

// The memory of `goftp ls` on huge directories: the built goftp binary
// lists a directory of generated entries served by listserver, and the
// peak resident set size of its process (ru_maxrss) is measured. Listings
// stream, so the peak must not grow with the number of entries.
//
//	go test ./bench/ -run '^$' -bench LsMemory -benchtime 1x
//
// reports peak-RSS-MiB for 1,000,000 entries (target: at most 64 MiB);
// TestLsMemory checks 100,000 entries in the default test run.

// lsMemoryTarget is the most `goftp ls` may use for any listing.
const lsMemoryTarget = 64 << 20

var goftpBinary struct {
	once sync.Once
	path string
	err  error
}

// buildGoftp builds cmd/goftp once per test binary run and returns its
// path.
func buildGoftp(tb testing.TB) string {
	tb.Helper()
	goftpBinary.once.Do(func() {
		dir, err := makeScratch()
		if err != nil {
			goftpBinary.err = err
			return
		}
		out := filepath.Join(dir, "goftp")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goTool); err != nil {
			goTool = "go"
		}
		cmd := exec.Command(goTool, "build", "-o", out, "github.com/goftplib/ftp/cmd/goftp")
		if b, err := cmd.CombinedOutput(); err != nil {
			goftpBinary.err = fmt.Errorf("go build cmd/goftp: %v\n%s", err, b)
			return
		}
		goftpBinary.path = out
	})
	if goftpBinary.err != nil {
		tb.Fatal(goftpBinary.err)
	}
	return goftpBinary.path
}

// lsRun is the outcome of one `goftp ls`.
type lsRun struct {
	peakRSS int64 // bytes
	lines   int   // lines on standard output
	stderr  string
	dur     time.Duration
}

// runLs runs the goftp binary's ls with args (flags) against a listserver
// of n entries and returns what it printed and its peak RSS.
func runLs(tb testing.TB, n int, mlsd bool, args ...string) lsRun {
	tb.Helper()
	bin := buildGoftp(tb)
	srv, err := listserver.Start(listserver.Options{Entries: n, MLSD: mlsd})
	if err != nil {
		tb.Fatal(err)
	}
	defer srv.Close()
	netrc := filepath.Join(tb.TempDir(), "netrc")
	if err := os.WriteFile(netrc, []byte("machine 127.0.0.1 login u password p\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	argv := append([]string{"--netrc", netrc, "--timeout", "60s", "ls"}, args...)
	argv = append(argv, "ftp://u@"+srv.Addr+"/big/")
	cmd := exec.Command(bin, argv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	lines, cerr := countLines(stdout)
	werr := cmd.Wait()
	r := lsRun{lines: lines, stderr: stderr.String(), dur: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	if cerr != nil || werr != nil {
		tb.Fatalf("goftp %s: %v, reading its output: %v\nstderr:\n%s", strings.Join(argv, " "), werr, cerr, r.stderr)
	}
	if r.peakRSS == 0 {
		tb.Fatal("no ru_maxrss for the goftp process")
	}
	return r
}

func countLines(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	n := 0
	for {
		b, err := br.ReadSlice('\n')
		if len(b) > 0 && b[len(b)-1] == '\n' {
			n++
		}
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			return n, nil
		default:
			return n, err
		}
	}
}

var lsMemoryCases = []struct {
	name string
	mlsd bool
	args []string
}{
	{"mlsd", true, nil},
	{"mlsd-long", true, []string{"-l"}},
	{"list-long", false, []string{"-l"}},
	{"mlsd-json", true, []string{"--json"}},
}

// TestLsMemory lists 100,000 entries and checks that every one is printed
// and that the process stays well under lsMemoryTarget.
func TestLsMemory(t *testing.T) {
	const n = 100_000
	for _, c := range lsMemoryCases {
		t.Run(c.name, func(t *testing.T) {
			r := runLs(t, n, c.mlsd, c.args...)
			t.Logf("%d entries: peak RSS %.1f MiB, %v", n, float64(r.peakRSS)/(1<<20), r.dur.Round(time.Millisecond))
			if r.lines != n {
				t.Errorf("ls printed %d lines, want %d\nstderr:\n%s", r.lines, n, r.stderr)
			}
			if r.peakRSS > lsMemoryTarget/2 {
				t.Errorf("peak RSS %.1f MiB for %d entries, want at most %d MiB", float64(r.peakRSS)/(1<<20), n, lsMemoryTarget/2>>20)
			}
		})
	}
}

// BenchmarkLsMemory lists 1,000,000 entries per iteration and reports the
// largest peak RSS seen (peak-RSS-MiB); it fails above lsMemoryTarget.
func BenchmarkLsMemory(b *testing.B) {
	const n = 1_000_000
	for _, c := range lsMemoryCases {
		b.Run(c.name, func(b *testing.B) {
			var peak int64
			for b.Loop() {
				r := runLs(b, n, c.mlsd, c.args...)
				if r.lines != n {
					b.Fatalf("ls printed %d lines, want %d\nstderr:\n%s", r.lines, n, r.stderr)
				}
				peak = max(peak, r.peakRSS)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(float64(n), "entries")
			if peak > lsMemoryTarget {
				b.Errorf("peak RSS %.1f MiB for %d entries, want at most %d MiB", float64(peak)/(1<<20), n, lsMemoryTarget>>20)
			}
		})
	}
}
