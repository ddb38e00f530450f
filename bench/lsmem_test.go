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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goftplib/ftp/bench/internal/listserver"
)

// The memory of `goftp ls` on huge directories: the built goftp binary
// lists a directory of generated entries served by listserver, and the
// peak resident set size of its process is measured (see runLs: with
// /usr/bin/time, or sampled in /proc). Listings stream, so the peak must
// not grow with the number of entries.
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
		// go test puts its own GOROOT/bin first in PATH.
		cmd := exec.Command("go", "build", "-o", out, "github.com/goftplib/ftp/cmd/goftp")
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
	// A process started by os/exec inherits, in its ru_maxrss, the peak
	// RSS of the process that forked it (Linux records the old address
	// space's high-water mark at exec, and Go forks sharing its memory),
	// so the test binary's own memory would be counted. goftp is started
	// by /usr/bin/time, a small C program, which reports goftp's own peak
	// (%M); without it, goftp's VmHWM is sampled in /proc (a lower bound
	// that can miss the last few milliseconds).
	maxrssFile := filepath.Join(tb.TempDir(), "maxrss")
	timeTool := "/usr/bin/time"
	var cmd *exec.Cmd
	if _, err := os.Stat(timeTool); err == nil {
		cmd = exec.Command(timeTool, append([]string{"-o", maxrssFile, "-f", "%M", bin}, argv...)...)
	} else {
		timeTool = ""
		cmd = exec.Command(bin, argv...)
	}
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
	var sampled atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	if timeTool == "" {
		wg.Go(func() { sampleHWM(cmd.Process.Pid, &sampled, stop) })
	}
	lines, cerr := countLines(stdout)
	werr := cmd.Wait()
	close(stop)
	wg.Wait()
	r := lsRun{lines: lines, stderr: stderr.String(), dur: time.Since(start), peakRSS: sampled.Load()}
	if cerr != nil || werr != nil {
		tb.Fatalf("goftp %s: %v, reading its output: %v\nstderr:\n%s", strings.Join(argv, " "), werr, cerr, r.stderr)
	}
	if timeTool != "" {
		b, err := os.ReadFile(maxrssFile)
		if err != nil {
			tb.Fatal(err)
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			tb.Fatalf("%s wrote %q", timeTool, b)
		}
		kib, err := strconv.ParseInt(f[len(f)-1], 10, 64)
		if err != nil {
			tb.Fatalf("%s wrote %q: %v", timeTool, b, err)
		}
		r.peakRSS = kib << 10
	}
	if r.peakRSS < 1<<20 {
		tb.Fatalf("implausible peak RSS of the goftp process: %d bytes", r.peakRSS)
	}
	return r
}

// sampleHWM stores the largest VmHWM (peak resident set) of process pid
// read from /proc every 2 ms, until stop is closed.
func sampleHWM(pid int, max *atomic.Int64, stop <-chan struct{}) {
	path := fmt.Sprintf("/proc/%d/status", pid)
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
					var kib int64
					fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kib)
					if kib<<10 > max.Load() {
						max.Store(kib << 10)
					}
				}
			}
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
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
