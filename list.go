package ftp

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/goftplib/ftp/listing"
)

// Nlst returns the names listed by NLST (ftplib's nlst). args are joined
// with spaces after the command; none lists the working directory. An
// empty directory gives an empty list; some servers answer 450 or 550
// instead, returned as a *ReplyError.
func (c *Conn) Nlst(ctx context.Context, args ...string) ([]string, error) {
	return c.listLines(ctx, "NLST", joinArgs(args))
}

// List returns the lines of a LIST reply as the server sends them
// (ftplib's dir). args are joined with spaces: a path, or options such as
// "-a" that many servers accept. Package listing parses these lines;
// ReadDir does both.
func (c *Conn) List(ctx context.Context, args ...string) ([]string, error) {
	return c.listLines(ctx, "LIST", joinArgs(args))
}

// joinArgs joins the non-empty arguments of a listing command with
// spaces, as ftplib's dir and nlst do.
func joinArgs(args []string) string {
	var b strings.Builder
	for _, a := range args {
		if a == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a)
	}
	return b.String()
}

func (c *Conn) listLines(ctx context.Context, verb, arg string) ([]string, error) {
	var lines []string
	err := c.lineTransfer(ctx, verb, arg, func(l string) error {
		if l != "" {
			lines = append(lines, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return lines, nil
}

// Mlsd lists a directory with MLSD (RFC 3659 section 7; ftplib's mlsd) as
// listing.Entry values, "." and ".." included as the server sends them
// (Type CurrentDir and ParentDir); ReadDir leaves them out and falls back
// to LIST on servers without MLSD. An empty path lists the working
// directory. When facts are given, OPTS MLST first asks the server to send
// only those (the server may not comply). Lines that cannot be parsed are
// returned with the entries that could, one *listing.ParseError each,
// joined.
func (c *Conn) Mlsd(ctx context.Context, path string, facts ...string) ([]listing.Entry, error) {
	if len(facts) > 0 {
		if err := c.begin(); err != nil {
			return nil, err
		}
		_, err := c.expect(ctx, "OPTS", "MLST "+strings.Join(facts, ";")+";", 2)
		c.end()
		if err != nil {
			return nil, err
		}
	}
	var entries []listing.Entry
	var errs []error
	_, err := c.streamMLSD(ctx, path, func(e listing.Entry, err error) bool {
		if err != nil {
			errs = append(errs, err)
		} else {
			entries = append(entries, e)
		}
		return true
	})
	if err != nil {
		return entries, err
	}
	return entries, errors.Join(errs...)
}

// Mlst returns the facts of one path, sent over the control connection
// (RFC 3659 section 7), as a listing.Entry whose Name is the last element
// of the pathname the server gives (Type CurrentDir when the server says
// "cdir", as for "."). A 550 matches fs.ErrNotExist.
func (c *Conn) Mlst(ctx context.Context, name string) (listing.Entry, error) {
	if err := c.begin(); err != nil {
		return listing.Entry{}, err
	}
	defer c.end()
	rep, err := c.expectPath(ctx, "MLST", name, 2)
	if err != nil {
		return listing.Entry{}, err
	}
	for _, l := range strings.Split(rep.Msg, "\n")[1:] {
		if !strings.HasPrefix(l, " ") {
			continue
		}
		e, err := listing.ParseMLSx(l[1:])
		if err != nil {
			return listing.Entry{}, &ProtocolError{Cmd: "MLST " + name, Msg: err.Error()}
		}
		return e, nil
	}
	return listing.Entry{}, &ProtocolError{Cmd: "MLST " + name, Msg: fmt.Sprintf("no facts line in reply %q", rep.Msg)}
}

// mlstEntry parses the facts line of an MLST reply for name, naming the
// entry after name's last element (the facts line may carry a pathname).
func mlstEntry(rep *Reply, name string) (listing.Entry, bool) {
	for _, l := range strings.Split(rep.Msg, "\n")[1:] {
		if !strings.HasPrefix(l, " ") {
			continue
		}
		facts, _, _ := strings.Cut(l[1:], " ")
		e, err := listing.ParseMLSx(facts + " " + path.Base(name))
		return e, err == nil
	}
	return listing.Entry{}, false
}
