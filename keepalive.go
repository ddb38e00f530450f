package ftp

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

// DefaultControlKeepAlive is the interval between the NOOPs sent on the
// control connection during a transfer when Dialer.ControlKeepAlive is
// zero: well under the idle limits of NAT boxes and firewalls (commonly
// 5 minutes, 4 on some clouds).
const DefaultControlKeepAlive = 30 * time.Second

// keepAlive sends NOOP on the control connection while a transfer runs, so
// that a NAT box or firewall does not drop the idle control connection
// before the transfer's final reply. It only writes: the replies are left
// unread until the transfer ends, when transfer.finish reads them with the
// final reply (see finalReply). Some servers answer NOOP at once during a
// transfer (their 200s come before the 226), others only once the transfer
// is over (after the 226); replies are read in order, so the count of
// NOOPs sent is all that is needed to stay in step.
type keepAlive struct {
	stopc chan struct{}
	done  chan struct{}
	sent  int   // NOOPs written; read after done is closed
	err   error // the write error that ended the loop, if any
}

// startKeepAlive starts sending NOOPs every ControlKeepAlive during a
// transfer, or returns nil when keep-alives are off.
func (c *Conn) startKeepAlive(ctx context.Context) *keepAlive {
	iv := c.d.ControlKeepAlive
	if iv <= 0 {
		return nil
	}
	k := &keepAlive{stopc: make(chan struct{}), done: make(chan struct{})}
	go k.loop(ctx, c, iv)
	return k
}

var noopLine = []byte("NOOP\r\n")

func (k *keepAlive) loop(ctx context.Context, c *Conn, iv time.Duration) {
	defer close(k.done)
	tick := time.NewTicker(iv)
	defer tick.Stop()
	for {
		select {
		case <-k.stopc:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if c.closed.Load() {
			return
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, LogSend, slog.String(KeyCmd, "NOOP"))
		// Nothing else writes on the control connection during a
		// transfer, and nothing reads it: only the write deadline is set.
		c.nc.SetWriteDeadline(time.Now().Add(c.chunkTimeout()))
		n, err := c.nc.Write(noopLine)
		if n > 0 {
			// A partly written NOOP is answered (or refused) too, once
			// the server reads the rest of a later line: count it.
			k.sent++
		}
		if err != nil {
			k.err = err
			return
		}
	}
}

// stop ends the keep-alives and returns the number of NOOPs sent and the
// write error that ended them, if any. It may be called on nil.
func (k *keepAlive) stop() (int, error) {
	if k == nil {
		return 0, nil
	}
	select {
	case <-k.stopc:
	default:
		close(k.stopc)
	}
	<-k.done
	return k.sent, k.err
}

// isNoopReply reports whether rep, read while keep-alive NOOPs are still
// unanswered, answers one of them rather than ending the transfer. NOOP's
// one success code is 200, which no transfer ends with (226, 250, or an
// error); a refusal of NOOP during a transfer is told apart by naming the
// command, as servers do ("450 NOOP: transfer in progress").
func isNoopReply(rep *Reply) bool {
	if rep.Code == CodeCommandOK {
		return true
	}
	return rep.Code >= 400 && rep.Code != CodeServiceNotAvailable && strings.Contains(strings.ToUpper(rep.Msg), "NOOP")
}

// finalReply reads the transfer's final reply, skipping the replies to
// keep-alive NOOPs that come before it.
func (t *transfer) finalReply(ctx context.Context) (*Reply, error) {
	for {
		rep, err := t.c.readReply(ctx, t.display)
		if err != nil {
			return rep, err
		}
		if t.noops > 0 && isNoopReply(rep) {
			t.noops--
			continue
		}
		return rep, nil
	}
}

// skipNoops reads the replies to the keep-alive NOOPs that the server
// answers only after the transfer's final reply, within the abort grace;
// a failure closes the Conn (readReply does), which the next call reports.
func (t *transfer) skipNoops() {
	if t.noops == 0 {
		return
	}
	c := t.c
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), c.grace(t.ctx))
	defer cancel()
	stop := c.watch(ctx, c.nc)
	defer stop()
	for ; t.noops > 0; t.noops-- {
		// Each reply is logged (LogRecv); whether NOOP was accepted
		// does not matter.
		if _, err := c.readReply(ctx, "NOOP"); err != nil {
			return
		}
	}
}
