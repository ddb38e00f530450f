package gate

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGateFollowsLimit: the number of holders never exceeds min(max,
// limit) as limit falls, and everyone gets through.
func TestGateFollowsLimit(t *testing.T) {
	var limit atomic.Int32
	limit.Store(4)
	g := New(3, func() int { return int(limit.Load()) })
	var in, peakAfter atomic.Int32
	var lowered atomic.Bool
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			if err := g.Enter(t.Context()); err != nil {
				t.Error(err)
				return
			}
			n := in.Add(1)
			if n > 3 {
				t.Errorf("%d holders, max 3", n)
			}
			if lowered.Load() && n > 1 {
				peakAfter.Store(max(peakAfter.Load(), n))
			}
			if i == 5 {
				limit.Store(1)
				time.Sleep(20 * time.Millisecond) // the others drain
				lowered.Store(true)
			}
			time.Sleep(time.Millisecond)
			in.Add(-1)
			g.Leave()
		})
	}
	wg.Wait()
	if p := peakAfter.Load(); p > 1 {
		t.Errorf("%d holders at once after the limit fell to 1", p)
	}
}

// TestGateCancel: a waiter returns ctx's error when ctx ends; a limit of
// 0 or less still admits one holder.
func TestGateCancel(t *testing.T) {
	g := New(4, func() int { return 0 })
	if err := g.Enter(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := g.Enter(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Enter on a full gate = %v, want the deadline", err)
	}
	g.Leave()
	if err := g.Run(t.Context(), func() error { return nil }, nil); err != nil {
		t.Fatal(err)
	}
}

// TestRunAgainAfterLimitFell: fn failing with an error again accepts runs
// once more when the limit fell while it ran, not when it did not, and
// not for other errors.
func TestRunAgainAfterLimitFell(t *testing.T) {
	errWait := errors.New("no free connection")
	var limit atomic.Int32
	limit.Store(4)
	g := New(4, func() int { return int(limit.Load()) })
	isWait := func(err error) bool { return errors.Is(err, errWait) }
	runs := 0
	err := g.Run(t.Context(), func() error {
		runs++
		if runs == 1 {
			limit.Store(2) // a 421 while fn waited
			return errWait
		}
		return nil
	}, isWait)
	if err != nil || runs != 2 {
		t.Errorf("limit fell: Run = %v after %d runs, want nil after 2", err, runs)
	}
	runs = 0
	err = g.Run(t.Context(), func() error { runs++; return errWait }, isWait)
	if !errors.Is(err, errWait) || runs != 1 {
		t.Errorf("limit steady: Run = %v after %d runs, want the error after 1", err, runs)
	}
	other := errors.New("550 no such file")
	runs = 0
	err = g.Run(t.Context(), func() error { runs++; limit.Store(1); return other }, isWait)
	if err != other || runs != 1 {
		t.Errorf("other error: Run = %v after %d runs, want it after 1", err, runs)
	}
}
