package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/goftplib/ftp"
)

// hint returns advice for err: what the user can do next, naming the
// flag or URL form that helps. Empty when there is nothing to add.
func hint(err error) string {
	var (
		cve *tls.CertificateVerificationError
		hne x509.HostnameError
		rhe tls.RecordHeaderError
		re  *ftp.ReplyError
	)
	switch {
	case errors.As(err, &hne):
		return "the certificate is for other names than the one in the URL: connect by a name it lists, or --insecure to skip the check (unsafe)"
	case errors.As(err, &cve):
		return "to trust this server, pass its CA certificate with --ca FILE; --insecure skips the check (unsafe)"
	case errors.Is(err, ftp.ErrNoGreeting):
		return "if this port expects implicit TLS (usually 990), use an ftps:// URL"
	case errors.As(err, &rhe):
		return "the server did not answer with TLS on this port: for explicit TLS (AUTH TLS, usually port 21) use ftpes://, for plain FTP ftp://"
	case errors.Is(err, ftp.ErrTLSRequired) && errors.As(err, &re) && re.Cmd == "AUTH TLS":
		return "the server offers no TLS: use ftp:// only if sending the password in clear is acceptable"
	}
	return ""
}

// greetingWatch is a slog.Handler in front of the dialogue logger (or
// none) that warns once, after wait, when the server has accepted the
// connection but not yet sent a line: the usual sign of a plain-FTP
// client on an implicit-TLS port, which otherwise looks like a hang until
// the timeout.
type greetingWatch struct {
	inner slog.Handler // nil: no dialogue shown
	state *greetState
}

type greetState struct {
	done  atomic.Bool // a line was seen, or the dial is over
	timer *time.Timer
}

// watchGreeting returns a logger that calls warn if no line of a reply
// and no TLS handshake has been seen wait after the call, and a stop
// function to call once the dial is over.
func watchGreeting(l *slog.Logger, wait time.Duration, warn func()) (*slog.Logger, func()) {
	st := &greetState{}
	st.timer = time.AfterFunc(wait, warn)
	h := greetingWatch{state: st}
	if l != nil {
		h.inner = l.Handler()
	}
	return slog.New(h), func() { st.done.Store(true); st.timer.Stop() }
}

func (h greetingWatch) Enabled(ctx context.Context, level slog.Level) bool {
	return (!h.state.done.Load() && level >= ftp.LevelTrace) || (h.inner != nil && h.inner.Enabled(ctx, level))
}

func (h greetingWatch) Handle(ctx context.Context, r slog.Record) error {
	switch r.Message {
	case ftp.LogRecvLine, ftp.LogTLS, ftp.LogRecv:
		if !h.state.done.Swap(true) {
			h.state.timer.Stop()
		}
	}
	if h.inner != nil && h.inner.Enabled(ctx, r.Level) {
		return h.inner.Handle(ctx, r)
	}
	return nil
}

func (h greetingWatch) WithAttrs(attrs []slog.Attr) slog.Handler {
	if h.inner != nil {
		h.inner = h.inner.WithAttrs(attrs)
	}
	return h
}

func (h greetingWatch) WithGroup(name string) slog.Handler {
	if h.inner != nil {
		h.inner = h.inner.WithGroup(name)
	}
	return h
}
