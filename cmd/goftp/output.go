package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
)

// errText is the text printed after "goftp: " for err, one line per
// error of a joined error: the library's "ftp: " prefix, which starts
// each of its errors once, gives way to goftp's, so that the server's
// reply reads "goftp: RETR a.txt: 550 No such file".
func errText(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "ftp: ")
	}
	return strings.Join(lines, "\n")
}

// wrapf is fmt.Errorf for the command's own context around an error
// ("rm a.txt: …"): the wrapped errors are shown without their "ftp: "
// prefix (which belongs at the start of a line) and still match
// errors.Is and errors.As.
func wrapf(format string, args ...any) error {
	for i, a := range args {
		if err, ok := a.(error); ok {
			args[i] = bareErr{err}
		}
	}
	return fmt.Errorf(format, args...)
}

type bareErr struct{ err error }

func (b bareErr) Error() string { return errText(b.err) }
func (b bareErr) Unwrap() error { return b.err }

// dialogue is a slog.Handler that prints the protocol dialogue the way
// ftplib's debug output does: "> CMD" for what the client sends, "< 200
// text" for replies; at trace level every received line and the data
// connection events. Passwords are already masked by the library.
type dialogue struct {
	out   func(text string) // writes whole lines
	level slog.Level
	conn  bool   // show connection ids (several connections at once)
	id    string // the connection id from Logger.With
}

func newDialogue(out func(string), level slog.Level, showConn bool) *dialogue {
	return &dialogue{out: out, level: level, conn: showConn}
}

func (h *dialogue) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *dialogue) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	for _, a := range attrs {
		if a.Key == ftp.KeyConn {
			h2.id = a.Value.String()
		}
	}
	return &h2
}

func (h *dialogue) WithGroup(string) slog.Handler { return h }

func (h *dialogue) Handle(_ context.Context, r slog.Record) error {
	attrs := map[string]string{}
	var order []string
	r.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		order = append(order, a.Key)
		return true
	})
	prefix := ""
	if h.conn && h.id != "" {
		prefix = "[" + h.id + "] "
	}
	trace := h.level < slog.LevelDebug
	var b strings.Builder
	// Server text reaches the terminal escaped (ftp.EscapeText), and a
	// newline inside a value (a multi-line reply) starts a new prefixed
	// line, so the server cannot forge lines of ours.
	lines := func(mark, s string) {
		for _, l := range strings.Split(s, "\n") {
			fmt.Fprintf(&b, "%s%s %s\n", prefix, mark, ftp.EscapeText(l))
		}
	}
	switch r.Message {
	case ftp.LogSend:
		lines(">", attrs[ftp.KeyCmd])
	case ftp.LogRecv:
		if trace {
			return nil // every line is shown as LogRecvLine
		}
		var code int
		fmt.Sscan(attrs[ftp.KeyCode], &code)
		lines("<", (&ftp.Reply{Code: code, Msg: attrs[ftp.KeyMsg]}).String())
	case ftp.LogRecvLine:
		lines("<", attrs[ftp.KeyLine])
	default:
		var s strings.Builder
		s.WriteString(r.Message)
		for _, k := range order {
			fmt.Fprintf(&s, " %s=%s", k, attrs[k])
		}
		lines("*", s.String())
	}
	h.out(b.String())
	return nil
}

// jsonEntry is how ls --json and parselist print a listing entry.
type jsonEntry struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	Time   string `json:"time"`
	Target string `json:"target"`
}

func toJSON(e listing.Entry) jsonEntry {
	j := jsonEntry{Name: e.Name, Size: e.Size, Target: e.Target}
	switch e.Type {
	case listing.File:
		j.Type = "file"
	case listing.Dir, listing.CurrentDir, listing.ParentDir:
		j.Type = "dir"
	case listing.Link:
		j.Type = "link"
	default:
		j.Type = "other"
	}
	if !e.Time.IsZero() {
		j.Time = e.Time.Format(time.RFC3339Nano)
	}
	return j
}

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// quoteName returns a server-supplied name fit for a terminal: as is
// unless it holds control characters, which are escaped.
func quoteName(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			q := fmt.Sprintf("%q", s)
			return q
		}
	}
	return s
}

// humanBytes formats n bytes with binary units: "512 B", "3.0 MiB".
func humanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", n, units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}
