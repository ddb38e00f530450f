package ftp

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
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
// final reply (see finalReply and skipNoops). Servers differ: vsftpd
// answers only once the transfer is over (its 200s come after the 226),
// pyftpdlib and ProFTPD (uploads) answer at once, during the transfer,
// and Pure-FTPd reads the control connection during a transfer and
// answers what it read with one 500, swallowing NOOPs.
type keepAlive struct {
	stopc chan struct{}
	done  chan struct{}
	sent  atomic.Int64 // NOOPs written
	err   error        // the write error that ended the loop; read after done is closed
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
			k.sent.Add(1)
		}
		if err != nil {
			k.err = err
			return
		}
	}
}

// stop ends the keep-alives and returns the number of NOOPs sent and the
// write error that ended them, if any. It may be called more than once,
// and on nil.
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
	return int(k.sent.Load()), k.err
}

// count returns the number of NOOPs sent so far.
func (k *keepAlive) count() int64 {
	if k == nil {
		return 0
	}
	return k.sent.Load()
}

// stopKeepAlive ends the transfer's keep-alives and records how many NOOPs
// were sent. When one could not be written, the control connection is
// lost, or unusable for writing (TLS after a write timeout): the Conn is
// closed, once what could be read has been.
func (t *transfer) stopKeepAlive() {
	n, err := t.ka.stop()
	t.noops = n
	if err != nil {
		t.c.Close()
	}
}

// isNoopReply reports whether rep, read after keep-alive NOOPs were sent
// during a transfer and before its final reply, answers them rather than
// ending the transfer: NOOP's success code 200, which no transfer ends
// with (226, 250, or an error), a syntax refusal 500-504, which no
// transfer ends with once it has started (Pure-FTPd reads the control
// connection during a transfer, looking for ABOR, and answers what else it
// finds with one "500 Unknown command" for all it read), or a refusal that
// names the command ("450 NOOP: transfer in progress").
func isNoopReply(rep *Reply) bool {
	switch {
	case rep.Code == CodeCommandOK:
		return true
	case rep.Code >= 500 && rep.Code <= 504:
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
		if t.ka.count() > 0 && isNoopReply(rep) {
			continue
		}
		return rep, nil
	}
}

// skipNoops puts the control connection back in step after a transfer
// during which keep-alive NOOPs were sent: the replies to them that the
// server sends only after the transfer's final reply are still to come,
// and how many is not known for sure (Pure-FTPd swallows some, answering
// several with one 500). The client sends PWD and skips replies up to its
// 257, which nothing else produces, within the abort grace. A failure
// closes the Conn (readReply does), which the next call reports; the
// transfer's own result stands.
func (t *transfer) skipNoops() {
	if t.noops == 0 {
		return
	}
	c := t.c
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), c.grace(t.ctx))
	defer cancel()
	stop := c.watch(ctx, c.nc)
	defer stop()
	if _, err := c.writeCmd(ctx, "PWD", ""); err != nil {
		return
	}
	for {
		// Each reply is logged (LogRecv); whether a NOOP was accepted
		// does not matter.
		rep, err := c.readReply(ctx, "PWD")
		if err != nil || rep.Code == CodePathCreated {
			return
		}
	}
}
