package delayproxy

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recorder is an io.Writer that notes when each write happened.
type recorder struct {
	mu    sync.Mutex
	data  []byte
	times []time.Time
	err   error
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return 0, r.err
	}
	r.data = append(r.data, p...)
	for range p {
		r.times = append(r.times, time.Now())
	}
	return len(p), nil
}

// TestDelayCopyIsADelayLine checks, in virtual time, that every chunk is
// delivered exactly delay after it was read, in order, and that a burst of
// chunks arrives together (a delay line) rather than one delay apart (a
// sleep per read, which would cap the throughput).
func TestDelayCopyIsADelayLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 25 * time.Millisecond
		pr, pw := io.Pipe()
		rec := &recorder{}
		done := make(chan struct{})
		var (
			n   int64
			err error
			end time.Time
		)
		finished := make(chan struct{})
		go func() {
			n, err = delayCopy(done, delay, rec, pr, func() { pr.Close() }, 0)
			end = time.Now()
			close(finished)
		}()
		start := time.Now()
		for i := range 100 {
			pw.Write([]byte{byte(i)})
		}
		time.Sleep(10 * time.Millisecond)
		pw.Write([]byte{100})
		pw.Close()
		<-finished

		if err != nil || n != 101 {
			t.Fatalf("delayCopy = %d, %v; want 101, nil", n, err)
		}
		want := make([]byte, 101)
		for i := range want {
			want[i] = byte(i)
		}
		if !bytes.Equal(rec.data, want) {
			t.Errorf("delivered %v, want %v", rec.data, want)
		}
		for i, at := range rec.times[:100] {
			if got := at.Sub(start); got != delay {
				t.Fatalf("byte %d delivered after %v, want %v", i, got, delay)
			}
		}
		if got, want := rec.times[100].Sub(start), 10*time.Millisecond+delay; got != want {
			t.Errorf("last byte delivered after %v, want %v", got, want)
		}
		if got, want := end.Sub(start), 10*time.Millisecond+delay; got != want {
			t.Errorf("EOF delivered after %v, want %v", got, want)
		}
	})
}

// TestDelayCopyWriteError checks that a failing writer aborts the copy and
// that no goroutine is left behind (synctest fails on a leak).
func TestDelayCopyWriteError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		boom := errors.New("boom")
		rec := &recorder{err: boom}
		aborted := false
		go func() {
			for {
				if _, err := pw.Write([]byte("x")); err != nil {
					return
				}
			}
		}()
		_, err := delayCopy(make(chan struct{}), time.Millisecond, rec, pr, func() {
			aborted = true
			pr.CloseWithError(io.ErrClosedPipe)
		}, 0)
		if !errors.Is(err, boom) || !aborted {
			t.Errorf("delayCopy = %v, aborted %v; want %v, true", err, aborted, boom)
		}
	})
}

// TestDelayCopyDone checks that closing done stops a copy whose source
// never ends.
func TestDelayCopyDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		defer pw.Close()
		done := make(chan struct{})
		time.AfterFunc(time.Second, func() { close(done) })
		_, err := delayCopy(done, time.Millisecond, io.Discard, pr, func() { pr.Close() }, 0)
		if err == nil {
			t.Error("delayCopy = nil after done was closed, want an error")
		}
	})
}

func TestParseReplies(t *testing.T) {
	for _, tc := range []struct {
		line string
		epsv bool
		port int
		ok   bool
	}{
		{"229 Entering Extended Passive Mode (|||40123|)\r\n", true, 40123, true},
		{"229 Entering Extended Passive Mode (!!!21!)\r\n", true, 21, true},
		{"229 nonsense\r\n", true, 0, false},
		{"229 (|||0|)\r\n", true, 0, false},
		{"227 Entering Passive Mode (127,0,0,1,156,135).\r\n", false, 156<<8 | 135, true},
		{"227 =127,0,0,1,0,21\r\n", false, 21, true},
		{"227 Entering Passive Mode (127,0,0,1,156)\r\n", false, 0, false},
	} {
		parse := parsePASV
		if tc.epsv {
			parse = parseEPSV
		}
		port, ok := parse(tc.line)
		if port != tc.port || ok != tc.ok {
			t.Errorf("parse(%q) = %d, %v; want %d, %v", tc.line, port, ok, tc.port, tc.ok)
		}
	}
}

// paced copies size bytes through delayCopy with the given buckets, in
// virtual time, and returns how long the copy took; it checks that every
// byte arrived in order and that the end of the stream came through.
func paced(t *testing.T, size int, delay time.Duration, buckets ...*bucket) time.Duration {
	t.Helper()
	src := make([]byte, size)
	for i := range src {
		src[i] = byte(i * 7)
	}
	pr, pw := io.Pipe()
	go func() {
		for b := src; len(b) > 0; {
			n := min(len(b), 100<<10) // writes larger than the burst
			pw.Write(b[:n])
			b = b[n:]
		}
		pw.Close()
	}()
	var got bytes.Buffer
	start := time.Now()
	n, err := delayCopy(make(chan struct{}), delay, &got, pr, func() { pr.Close() }, DefaultBurst, buckets...)
	took := time.Since(start)
	if err != nil || n != int64(size) || !bytes.Equal(got.Bytes(), src) {
		t.Errorf("delayCopy = %d, %v (identical %v); want %d, nil", n, err, bytes.Equal(got.Bytes(), src), size)
	}
	return took
}

// within fails unless got is within ±10% of want.
func within(t *testing.T, what string, got, want time.Duration) {
	t.Helper()
	if got < want*9/10 || got > want*11/10 {
		t.Errorf("%s took %v, want %v ± 10%%", what, got, want)
	} else {
		t.Logf("%s took %v (cap alone: %v)", what, got, want)
	}
}

// TestDelayCopyConnRate checks the per-connection cap: 2 MiB at 1 MB/s
// take 2.1 s (less the first burst, plus the delay), bytes in order, EOF
// delivered.
func TestDelayCopyConnRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const size, rate, delay = 2 << 20, 1_000_000, 25 * time.Millisecond
		took := paced(t, size, delay, newBucket(rate, DefaultBurst))
		within(t, "2 MiB at 1 MB/s", took, time.Duration(float64(size)/rate*float64(time.Second)))
	})
}

// TestDelayCopyTotalRate checks the total cap: two connections of 1 MiB
// each, each capped at 1 MB/s but sharing 1 MB/s, take as long as 2 MiB
// through one.
func TestDelayCopyTotalRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const size, rate = 1 << 20, 1_000_000
		total := newBucket(rate, DefaultBurst)
		var wg sync.WaitGroup
		took := make([]time.Duration, 2)
		for i := range took {
			wg.Go(func() { took[i] = paced(t, size, time.Millisecond, newBucket(rate, DefaultBurst), total) })
		}
		wg.Wait()
		want := time.Duration(float64(2*size) / rate * float64(time.Second))
		within(t, "the slower of 2 × 1 MiB sharing 1 MB/s", max(took[0], took[1]), want)
	})
}

// TestBucketBurst checks that a full bucket lets a burst through at once
// and then paces at the rate.
func TestBucketBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket(1000, 500)
		if w := b.reserve(500); w != 0 {
			t.Errorf("first 500 bytes wait %v, want 0", w)
		}
		if w := b.reserve(100); w != 100*time.Millisecond {
			t.Errorf("next 100 bytes wait %v, want 100ms", w)
		}
		time.Sleep(time.Second)
		if w := b.reserve(400); w != 0 {
			t.Errorf("after a second, 400 bytes wait %v, want 0", w)
		}
		if (*bucket)(nil).reserve(1<<30) != 0 {
			t.Error("a nil bucket makes the caller wait")
		}
	})
}
