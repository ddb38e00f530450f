package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"syscall"
)

// Sentinel errors. ftplib's exception classes map to checks on errors:
//
//	error_reply → errors.Is(err, ErrUnexpectedReply)
//	error_temp  → errors.Is(err, ErrTemporary)
//	error_perm  → errors.Is(err, ErrPermanent)
//	error_proto → errors.As(err, new(*ProtocolError)) or errors.Is(err, ErrProtocol)
var (
	// ErrTemporary matches a *ReplyError with a 4xx code (transient negative).
	ErrTemporary = errors.New("ftp: temporary error (4xx)")
	// ErrPermanent matches a *ReplyError with a 5xx code (permanent negative).
	ErrPermanent = errors.New("ftp: permanent error (5xx)")
	// ErrUnexpectedReply matches a *ReplyError whose code is valid but not
	// what the command expects (1xx, 2xx or 3xx in the wrong place).
	ErrUnexpectedReply = errors.New("ftp: unexpected reply")
	// ErrProtocol matches every *ProtocolError.
	ErrProtocol = errors.New("ftp: protocol error")
	// ErrBusy is returned when a method is called while another operation,
	// or an open Reader, Writer or DataConn, is using the connection.
	ErrBusy = errors.New("ftp: connection busy with another operation")
	// ErrTLSRequired is returned when TLS was configured but the server does
	// not provide it, or not with a certificate that verifies (then the
	// error also matches *tls.CertificateVerificationError); nothing secret
	// has been sent.
	ErrTLSRequired = errors.New("ftp: TLS required but not available")
	// ErrNoGreeting is returned by Dial when the server accepted the
	// connection but sent no greeting within the Timeout: often a client
	// speaking plain FTP (or AUTH TLS) to a port that waits for a TLS
	// handshake (implicit TLS, Dialer.ImplicitTLS). It also matches
	// os.ErrDeadlineExceeded.
	ErrNoGreeting = errors.New("ftp: no greeting from the server")
	// ErrShortTransfer is returned when a download ends before the size the
	// server announced. Such errors also match ErrSizeMismatch.
	ErrShortTransfer = errors.New("ftp: transfer ended before the announced size")
	// ErrSizeMismatch is returned when a download whose size was known
	// (from SIZE, a listing or the 150 reply) ended with a different number
	// of bytes: too few, or too many (a server that accepted REST and sent
	// the file from byte 0 anyway). What was written is not the file.
	ErrSizeMismatch = errors.New("ftp: transfer size differs from the file's size")
	// ErrResumeUnverified is returned when a download from an offset (REST)
	// was asked for but the file's size could not be learnt, so a server
	// that ignored REST could not be detected. Nothing has been written;
	// download from offset 0 instead.
	ErrResumeUnverified = errors.New("ftp: cannot verify a resumed download: the file's size is unknown")
	// ErrLoginRefused matches a *ReplyError that refused USER, PASS or ACCT
	// (typically 530). A refused login is final: retrying with the same
	// credentials only repeats the refusal (and may lock the account).
	ErrLoginRefused = errors.New("ftp: login refused")
)

// SizeError reports a download that ended with a number of bytes other
// than the file's known size. It matches ErrSizeMismatch, and
// ErrShortTransfer when too few bytes arrived.
type SizeError struct {
	Cmd    string // the transfer command, such as "RETR a.bin"
	Offset int64  // the offset the transfer started from (REST)
	Got    int64  // bytes received in this transfer
	Want   int64  // the file's size: Offset+Got should have been Want
	Source string // where Want came from: "SIZE", "150 reply", "listing"
}

func (e *SizeError) Error() string {
	what := "ended early"
	if e.Offset+e.Got > e.Want {
		what = "sent more bytes than the file holds"
		if e.Offset > 0 {
			what += " (the server may have ignored REST and sent it from the start)"
		}
	}
	return fmt.Sprintf("ftp: %s: transfer %s: %d bytes from offset %d, the file's size is %d (%s)",
		e.Cmd, what, e.Got, e.Offset, e.Want, e.Source)
}

// Is makes errors.Is match ErrSizeMismatch, and ErrShortTransfer for a
// short transfer.
func (e *SizeError) Is(target error) bool {
	return target == ErrSizeMismatch || target == ErrShortTransfer && e.Offset+e.Got < e.Want
}

// ReplyError is returned for every reply the client did not expect: its
// code tells ftplib's error_temp (4xx), error_perm (5xx) and error_reply
// (anything else) apart, and errors.Is(err, ErrTemporary) and friends test
// for them.
type ReplyError struct {
	// Cmd is the command that got the reply, verb and argument, with the
	// arguments of PASS and ACCT replaced by "****". Empty for the greeting.
	Cmd string
	// Code is the reply code.
	Code int
	// Msg is the whole reply text, lines joined by "\n".
	Msg string

	pathCmd  bool
	loginCmd bool
}

func (e *ReplyError) Error() string {
	if e.Cmd == "" {
		return fmt.Sprintf("ftp: %d %s", e.Code, e.Msg)
	}
	return fmt.Sprintf("ftp: %s: %d %s", e.Cmd, e.Code, e.Msg)
}

// Is reports whether the error matches ErrTemporary (4xx), ErrPermanent
// (5xx) or ErrUnexpectedReply (1xx-3xx). A 550 reply to a command naming a
// path also matches fs.ErrNotExist; nothing is inferred from message text.
func (e *ReplyError) Is(target error) bool {
	switch target {
	case ErrTemporary:
		return e.Code >= 400 && e.Code < 500
	case ErrPermanent:
		return e.Code >= 500 && e.Code < 600
	case ErrUnexpectedReply:
		return e.Code < 400
	case fs.ErrNotExist:
		return e.pathCmd && e.Code == CodeFileUnavailable
	case ErrLoginRefused:
		return e.loginCmd && e.Code >= 400
	}
	return false
}

// Temporary reports whether the code is 4xx (ErrTemporary): trying again
// later may work. IsTransient, which the retries of Pool use, agrees.
func (e *ReplyError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// IsTransient reports whether err is worth retrying, the one classifier
// used by Pool.Retry and everything built on it: a reply with a 4xx code
// (ReplyError.Temporary, ErrTemporary: 421, 425, 426, 450, 451, 452…), a
// connection that was refused, reset, dropped or timed out for
// inactivity, or a download that ended short of the file's size
// (ErrShortTransfer: resuming, verified with SIZE, completes it). A 5xx
// reply is not (ErrPermanent, and so fs.ErrNotExist and ErrLoginRefused),
// nor a protocol error, a download longer than the file (ErrSizeMismatch
// alone), or the ctx's own errors.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, ErrShortTransfer) {
		return true
	}
	var re *ReplyError
	if errors.As(err, &re) {
		return re.Temporary()
	}
	if errors.Is(err, ErrProtocol) {
		return false
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ProtocolError reports a reply that does not follow the protocol: a
// malformed or oversized reply, a bad PASV/EPSV address, a data connection
// from a foreign host. It is ftplib's error_proto. The connection is closed
// after a ProtocolError on the control channel.
type ProtocolError struct {
	Cmd string // command being run, redacted; may be empty
	Msg string // what was wrong
	Err error  // underlying cause, if any
}

func (e *ProtocolError) Error() string {
	var b strings.Builder
	b.WriteString("ftp: ")
	if e.Cmd != "" {
		b.WriteString(e.Cmd + ": ")
	}
	b.WriteString("protocol error: " + e.Msg)
	if e.Err != nil {
		b.WriteString(": " + bareText(e.Err))
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *ProtocolError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrProtocol) true.
func (e *ProtocolError) Is(target error) bool { return target == ErrProtocol }
