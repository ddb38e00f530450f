// Package gate bounds how many calls use a Pool's connections at once by
// the Pool's limit as it is now, not as it was when the work started.
//
// A server that takes fewer sessions than asked answers the extra ones
// 421, and the Pool lowers its limit (ftp.Pool.Limit). Work sized by the
// limit at its start would then keep more goroutines than connections:
// the extra ones wait in Pool.Get, whose wait is bounded (WaitTimeout),
// and fail a file or a whole directory when a transfer in progress takes
// longer than that. Behind a gate they wait for one of their own to end
// instead, which the transfers' own timeouts bound.
package gate

import (
	"context"
	"sync"
)

// Gate admits up to min(max, limit()) holders at once.
type Gate struct {
	max   int
	limit func() int

	mu      sync.Mutex
	running int
	freed   chan struct{} // closed (and replaced) when a holder leaves
}

// New returns a gate for at most max holders (at least 1), fewer while
// limit (when not nil) returns less; limit is asked at each Enter.
func New(max int, limit func() int) *Gate {
	return &Gate{max: max, limit: limit, freed: make(chan struct{})}
}

func (g *Gate) cap() int {
	n := g.max
	if g.limit != nil {
		n = min(n, g.limit())
	}
	return max(n, 1)
}

// Enter waits for a place, or for ctx to end (its error is returned).
// Each successful Enter must be followed by one Leave.
func (g *Gate) Enter(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.running < g.cap() {
			g.running++
			g.mu.Unlock()
			return nil
		}
		freed := g.freed
		g.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Leave gives a place back.
func (g *Gate) Leave() {
	g.mu.Lock()
	g.running--
	close(g.freed)
	g.freed = make(chan struct{})
	g.mu.Unlock()
}

// Run runs fn within the gate: fn's error, or ctx's if it ended first.
//
// A holder admitted before the limit fell may have waited for a
// connection that the others hold, and failed for it. When fn fails with
// an error for which again holds (nil: none) and the gate admits fewer
// than it did when fn was let in, fn runs again once a place is free
// under the new cap. That happens at most as often as the limit falls.
func (g *Gate) Run(ctx context.Context, fn func() error, again func(error) bool) error {
	for {
		if err := g.Enter(ctx); err != nil {
			return err
		}
		admitted := g.cap()
		err := fn()
		fell := g.cap() < admitted
		g.Leave()
		if err == nil || again == nil || !again(err) || !fell || ctx.Err() != nil {
			return err
		}
	}
}
