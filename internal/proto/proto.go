// Package proto is the FTP control-channel codec: a bounded reply reader and
// a command writer that refuses arguments able to inject a second command.
//
// It knows nothing about connections, deadlines or encodings of file names;
// it turns bytes into replies and commands into bytes, with hard limits.
package proto

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// MaxLine is the longest reply line accepted, CRLF included (ftplib's MAXLINE).
	MaxLine = 8192
	// MaxReply bounds the total size of one (multi-line) reply.
	MaxReply = 1 << 20
	// MaxCommand bounds the length of one command line, CRLF included.
	MaxCommand = 4096
)

// ErrInvalidArgument is returned for command text that contains CR, LF or NUL.
var ErrInvalidArgument = errors.New("argument contains CR, LF or NUL")

// FormatError describes a reply that breaks RFC 959's grammar or our limits.
type FormatError struct {
	Reason string
	Line   string // the offending line, truncated for display
}

func (e *FormatError) Error() string {
	if e.Line == "" {
		return e.Reason
	}
	return fmt.Sprintf("%s: %q", e.Reason, e.Line)
}

func formatErr(reason string, line []byte) error {
	const show = 80
	s := string(line)
	if len(s) > show {
		s = s[:show] + "…"
	}
	return &FormatError{Reason: reason, Line: s}
}

// Reply is one complete reply: a three-digit code and its lines of text.
type Reply struct {
	Code int
	// Lines holds the text of every line. The first and last lines have
	// their "123-"/"123 " prefix removed; inner lines are kept as sent.
	Lines []string
}

// Reader reads replies from the control connection.
type Reader struct {
	br *bufio.Reader
	// Trace, when set, is called with every raw line read (without CRLF).
	Trace func(line string)
}

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 4096)}
}

// readLine reads one line of at most MaxLine bytes and strips CRLF or LF.
func (r *Reader) readLine() ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxLine {
			return nil, formatErr(fmt.Sprintf("reply line longer than %d bytes", MaxLine), append(buf, chunk...))
		}
		if err == bufio.ErrBufferFull {
			buf = append(buf, chunk...)
			continue
		}
		if err != nil {
			if err == io.EOF {
				if len(buf)+len(chunk) > 0 {
					return nil, io.ErrUnexpectedEOF
				}
				return nil, io.EOF
			}
			return nil, err
		}
		if buf == nil {
			buf = chunk
		} else {
			buf = append(buf, chunk...)
		}
		buf = buf[:len(buf)-1]
		if n := len(buf); n > 0 && buf[n-1] == '\r' {
			buf = buf[:n-1]
		}
		return buf, nil
	}
}

func codeOf(line []byte) (int, bool) {
	if len(line) < 3 {
		return 0, false
	}
	for _, c := range line[:3] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	if line[0] < '1' || line[0] > '5' {
		return 0, false
	}
	return int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0'), true
}

// ReadReply reads one complete reply. Multi-line replies follow RFC 959:
// "123-first", any lines (even ones starting with digits), "123 last".
// A *FormatError reports a malformed or oversized reply; the stream is then
// out of step and the connection must be closed.
func (r *Reader) ReadReply() (*Reply, error) {
	line, err := r.readLine()
	if err != nil {
		return nil, err
	}
	r.trace(line)
	code, ok := codeOf(line)
	if !ok {
		return nil, formatErr("reply does not start with a code 100-599", line)
	}
	if len(line) == 3 {
		return &Reply{Code: code, Lines: []string{""}}, nil
	}
	switch line[3] {
	case ' ':
		return &Reply{Code: code, Lines: []string{string(line[4:])}}, nil
	case '-':
	default:
		return nil, formatErr("reply code not followed by space or hyphen", line)
	}
	rep := &Reply{Code: code, Lines: []string{string(line[4:])}}
	total := len(line)
	for {
		line, err = r.readLine()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		r.trace(line)
		total += len(line) + 2
		if total > MaxReply {
			return nil, formatErr(fmt.Sprintf("multi-line reply longer than %d bytes", MaxReply), line)
		}
		if c, ok := codeOf(line); ok && c == code && (len(line) == 3 || line[3] == ' ') {
			if len(line) == 3 {
				rep.Lines = append(rep.Lines, "")
			} else {
				rep.Lines = append(rep.Lines, string(line[4:]))
			}
			return rep, nil
		}
		rep.Lines = append(rep.Lines, string(line))
	}
}

func (r *Reader) trace(line []byte) {
	if r.Trace != nil {
		r.Trace(string(line))
	}
}

// Buffered reports whether unread reply bytes are waiting in the buffer.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// CheckArg returns ErrInvalidArgument if s contains CR, LF or NUL.
func CheckArg(s string) error {
	if strings.ContainsAny(s, "\r\n\x00") {
		return ErrInvalidArgument
	}
	return nil
}

// Command builds the wire form of a command line ("VERB arg\r\n"). The verb
// must be letters and digits (XSHA256, XMD5); arguments are checked with
// CheckArg. Nothing is
// written when an error is returned.
func Command(verb string, arg string) ([]byte, error) {
	if verb == "" {
		return nil, errors.New("empty command")
	}
	for i := 0; i < len(verb); i++ {
		c := verb[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return nil, fmt.Errorf("command verb %q is not alphanumeric", verb)
		}
	}
	if err := CheckArg(arg); err != nil {
		return nil, err
	}
	n := len(verb) + 2
	if arg != "" {
		n += 1 + len(arg)
	}
	if n > MaxCommand {
		return nil, fmt.Errorf("command longer than %d bytes", MaxCommand)
	}
	b := make([]byte, 0, n)
	b = append(b, verb...)
	if arg != "" {
		b = append(b, ' ')
		b = append(b, arg...)
	}
	return append(b, '\r', '\n'), nil
}

// SplitCommand splits a raw command line into its verb and argument.
func SplitCommand(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(line, " ")
	return verb, arg
}

// Redact returns the loggable form of a command: the arguments of PASS and
// ACCT are replaced by "****".
func Redact(verb, arg string) string {
	if arg == "" {
		return strings.ToUpper(verb)
	}
	switch strings.ToUpper(verb) {
	case "PASS", "ACCT":
		return strings.ToUpper(verb) + " ****"
	}
	return strings.ToUpper(verb) + " " + arg
}
