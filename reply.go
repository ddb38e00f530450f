package ftp

import (
	"strconv"
	"strings"

	"github.com/goftplib/ftp/internal/proto"
)

// Reply is one reply from the server: a three-digit code and its text.
type Reply struct {
	// Code is the reply code, 100 to 599.
	Code int
	// Msg is the reply text. For a multi-line reply it holds every line,
	// joined by "\n", with the code prefix removed from the first and last.
	Msg string
}

func newReply(r *proto.Reply) *Reply {
	return &Reply{Code: r.Code, Msg: strings.Join(r.Lines, "\n")}
}

// String returns the reply as the server sent it, e.g. "226 Transfer complete."
// (multi-line replies are rendered in RFC 959 form with "\n" between lines).
func (r *Reply) String() string {
	if r == nil {
		return ""
	}
	code := strconv.Itoa(r.Code)
	lines := strings.Split(r.Msg, "\n")
	if len(lines) == 1 {
		return code + " " + r.Msg
	}
	var b strings.Builder
	b.WriteString(code + "-" + lines[0])
	for _, l := range lines[1 : len(lines)-1] {
		b.WriteString("\n" + l)
	}
	b.WriteString("\n" + code + " " + lines[len(lines)-1])
	return b.String()
}

// Class returns the first digit of the code: 1 (preliminary), 2 (completion),
// 3 (intermediate), 4 (transient negative) or 5 (permanent negative).
func (r *Reply) Class() int { return r.Code / 100 }

// Positive reports whether the code is 1xx, 2xx or 3xx.
func (r *Reply) Positive() bool { return r.Code < 400 }
