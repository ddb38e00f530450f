package ftp

import (
	"context"
	"errors"
	"sync"
	"time"
)

// RetrBatch downloads items over the Pool's connections: each connection
// pipelines its share, as [Conn.RetrBatch] does, taking the next file as
// it goes, so that the files spread over up to Limit connections (at most
// MaxBatchConns). A file
// that fails for a transient reason (see IsTransient: a reset, a 4xx) is
// tried again afterwards, in lock-step, resuming at the byte where it
// stopped, within PoolConfig.Retries for that file (the failed pipelined
// attempt counts as the first try). A server that cannot take pipelined
// commands (replies out of sequence, a 500 to a pipelined command, or
// silence while a pipelined reply is awaited) is remembered: the batch,
// and later ones, go on in lock-step on new connections.
//
// The Pool pipelines deeper than a Conn's batch: each connection sends the
// next file's EPSV and RETR while the current transfer starts, so that the
// server, done with one file, finds the next one's commands waiting and
// its 229 comes back with the 226 (about two round trips per small file).
// Servers that read commands during a transfer (Pure-FTPd, ProFTPD and
// pyftpdlib do) answer them early: that is caught before any reply is
// misread (only a 226 or 250 ends a transfer then), the connection is
// closed, its files are tried again, and the Pool goes on without the
// deeper pipelining.
//
// The Pool's rate limits (PoolConfig.RateLimit, TotalRateLimit) apply to
// each file. The items' Open and Done are called from the Pool's
// goroutines, Done never concurrently. RetrBatch returns nil when every file succeeded,
// else an error that counts the failures and wraps the first one. It is
// safe for concurrent use.
func (p *Pool) RetrBatch(ctx context.Context, items []RetrItem) error {
	b := &batch{retr: p.limitRetrItems(ctx, items), files: newBatch(len(items)), deep: !p.noDeep.Load(), quit: p.finishing.Load}
	p.runBatch(ctx, b,
		func(c *Conn, next func() *batchFile) error { return c.retrFiles(ctx, b, next) },
		func(c *Conn, f *batchFile) error { return c.retrOne(ctx, b, f) })
	return b.result()
}

// StorBatch uploads items over the Pool's connections, each connection
// pipelining its share as [Conn.StorBatch] does. A file that fails for a
// transient reason is uploaded again from its start afterwards (Open is
// called again), in lock-step, within PoolConfig.Retries for that file;
// a file is renamed into place (StorItem.Temp) only once SIZE confirmed
// it. The next file's commands go out while an upload starts, as for
// downloads (about two round trips per small file on servers that take
// it). Fallback, callbacks and result are as for [Pool.RetrBatch]. It is
// safe for concurrent use.
func (p *Pool) StorBatch(ctx context.Context, items []StorItem) error {
	b := &batch{stor: p.limitStorItems(ctx, items), files: newBatch(len(items)), deep: !p.noDeep.Load(), quit: p.finishing.Load}
	p.runBatch(ctx, b,
		func(c *Conn, next func() *batchFile) error { return c.storFiles(ctx, b, next) },
		func(c *Conn, f *batchFile) error { return c.storOneLockstep(ctx, b, f) })
	return b.result()
}

// Finishing tells the Pool that the work under way is its last before
// Close: a connection of a batch (RetrBatch, StorBatch) that runs out of
// files sends QUIT with its last commands, where the server takes
// commands queued behind a transfer, and is closed once the server
// answered, instead of going back idle for Close to quit it a round trip
// later. Close still waits for every reply. The Pool stays usable: later
// work dials new connections.
func (p *Pool) Finishing() { p.finishing.Store(true) }

// MaxBatchConns bounds the connections one batch of a Pool uses at once,
// for a Pool without a limit of its own (PoolConfig.MaxConns negative).
const MaxBatchConns = 64

// runBatch runs a batch in two rounds. First, up to Limit workers each
// take a connection and run pipe on it, pulling files from a shared
// queue; a file that fails transiently, or is cut off by the failure of
// its connection, is kept for the second round. Then the kept files are
// tried again one by one, in lock-step (one), through the Pool's retry
// engine, with the budget left.
func (p *Pool) runBatch(ctx context.Context, b *batch, pipe func(*Conn, func() *batchFile) error, one func(*Conn, *batchFile) error) {
	var (
		mu    sync.Mutex
		queue = b.files
		again []*batchFile
	)
	next := func() *batchFile {
		mu.Lock()
		defer mu.Unlock()
		if ctx.Err() != nil || len(queue) == 0 {
			return nil
		}
		f := queue[0]
		queue = queue[1:]
		return f
	}
	keep := func(f *batchFile, err error) {
		mu.Lock()
		defer mu.Unlock()
		f.err = err
		again = append(again, f)
	}
	b.retry = func(f *batchFile, err error) bool {
		if !IsTransient(err) || p.cfg.Retries == 0 || ctx.Err() != nil {
			return false
		}
		keep(f, err)
		return true
	}
	workers := min(max(p.Limit(), 1), len(b.files), MaxBatchConns)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				empty := len(queue) == 0
				mu.Unlock()
				if empty {
					return
				}
				c, err := p.Get(ctx)
				if err != nil {
					return // the files left are tried in the second round
				}
				var taken []*batchFile
				err = pipe(c, func() *batchFile {
					f := next()
					if f != nil {
						taken = append(taken, f)
					}
					return f
				})
				p.Put(c)
				for _, f := range taken {
					if !f.ended && f.err == nil {
						keep(f, unfinished(err))
					}
				}
				if err == nil {
					return // the queue is empty
				}
				if !IsTransient(err) && !errors.Is(err, errPipeline) {
					return
				}
			}
		})
	}
	wg.Wait()
	// Files never taken (no connection could be had) join the second
	// round, where the Pool's retries apply.
	mu.Lock()
	again = append(again, queue...)
	queue = nil
	rest := again
	mu.Unlock()
	b.retry = nil
	if len(rest) == 0 {
		return
	}
	var rmu sync.Mutex
	pull := func() *batchFile {
		rmu.Lock()
		defer rmu.Unlock()
		if len(rest) == 0 {
			return nil
		}
		f := rest[0]
		rest = rest[1:]
		return f
	}
	for range min(max(p.Limit(), 1), len(rest), MaxBatchConns) {
		wg.Go(func() {
			for f := pull(); f != nil; f = pull() {
				if f.ended {
					continue
				}
				retries := p.cfg.Retries
				if f.err != nil {
					retries-- // the pipelined attempt was the first try
				}
				err := p.retryN(ctx, retries, func(c *Conn) error { return one(c, f) })
				if err != nil && f.err != nil && err != f.err {
					err = retryError(f.err, err, retries+1)
				}
				b.final(f, err)
			}
		})
	}
	wg.Wait()
}

// retryN is Retry with a budget of retries instead of
// PoolConfig.Retries; a negative budget means a single attempt.
func (p *Pool) retryN(ctx context.Context, retries int, op func(c *Conn) error) error {
	backoff := 200 * time.Millisecond
	var first error
	for attempt := 0; ; attempt++ {
		c, err := p.Get(ctx)
		if err == nil {
			err = op(c)
			p.Put(c)
		}
		if err == nil || !IsTransient(err) || attempt >= retries {
			return retryError(first, err, attempt)
		}
		if first == nil {
			first = err
		}
		if serr := sleepCtx(ctx, jitter(backoff)); serr != nil {
			return retryError(first, serr, attempt)
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// share gives c what the Pool learnt about the server on other
// connections (Get): EPSV works, or pipelining does not.
func (p *Pool) share(c *Conn) {
	if p.noPipeline.Load() {
		c.noPipeline = true
	}
	if p.noDeep.Load() {
		c.noDeep = true
	}
	if p.epsvOK.Load() && !c.noEPSV {
		c.epsvOK = true
	}
}

// learn records what c learnt about the server (Put), also from a
// connection closed by the failure that taught it.
func (p *Pool) learn(c *Conn) {
	if c.noPipeline {
		p.noPipeline.Store(true)
	}
	if c.noDeep {
		p.noDeep.Store(true)
	}
	if c.epsvOK {
		p.epsvOK.Store(true)
	}
}
