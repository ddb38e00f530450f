package ftp

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// simple runs one command expecting a 2xx reply, with the busy guard.
func (c *Conn) simple(ctx context.Context, verb, arg string, path bool) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	if path {
		return c.expectPath(ctx, verb, arg, 2)
	}
	return c.expect(ctx, verb, arg, 2)
}

// Cwd changes the working directory (CWD, ftplib's cwd). ".." sends CDUP,
// falling back to "CWD .." when CDUP is not implemented. A 550 reply
// matches fs.ErrNotExist.
func (c *Conn) Cwd(ctx context.Context, dir string) (*Reply, error) {
	if dir == ".." {
		if err := c.begin(); err != nil {
			return nil, err
		}
		rep, err := c.expectPath(ctx, "CDUP", "", 2)
		c.end()
		if re, ok := err.(*ReplyError); !ok || (re.Code != CodeSyntaxError && re.Code != CodeNotImplemented) {
			return rep, err
		}
	}
	if dir == "" {
		dir = "."
	}
	return c.simple(ctx, "CWD", dir, true)
}

// Pwd returns the working directory (PWD, ftplib's pwd), parsed from the
// 257 reply with doubled quotes undone. A 2xx reply other than 257, or a
// 257 that holds no quoted path, is a *ReplyError matching
// ErrUnexpectedReply (ftplib returns "" instead: a caller that changes
// directory and back must not take "" for the directory it came from).
func (c *Conn) Pwd(ctx context.Context) (string, error) {
	if err := c.begin(); err != nil {
		return "", err
	}
	defer c.end()
	rep, display, err := c.cmd(ctx, "PWD", "")
	if err != nil {
		return "", err
	}
	if rep.Code >= 400 {
		return "", c.unexpected(display, rep)
	}
	p := parse257(rep.Msg)
	if rep.Code != CodePathCreated || p == "" {
		re := c.unexpected(display, rep)
		re.Msg += " (no quoted directory name in a 257 reply)"
		return "", re
	}
	c.wd = p
	return p, nil
}

// Mkd creates a directory (MKD, ftplib's mkd) and returns its path as the
// server reports it in the 257 reply, or dir itself when the reply, a 257
// or another 2xx, holds no quoted path (ftplib returns "" then).
func (c *Conn) Mkd(ctx context.Context, dir string) (string, error) {
	if err := c.begin(); err != nil {
		return "", err
	}
	defer c.end()
	rep, err := c.expectPath(ctx, "MKD", dir, 2)
	if err != nil {
		return "", err
	}
	if p := parse257(rep.Msg); p != "" {
		return p, nil
	}
	return dir, nil
}

// parse257 extracts the quoted path of a 257 reply (RFC 959 appendix II):
// the text between the first quote and the next quote that is not doubled.
func parse257(msg string) string {
	i := strings.IndexByte(msg, '"')
	if i < 0 {
		return ""
	}
	var b strings.Builder
	s := msg[i+1:]
	for j := 0; j < len(s); j++ {
		if s[j] != '"' {
			b.WriteByte(s[j])
			continue
		}
		if j+1 < len(s) && s[j+1] == '"' {
			b.WriteByte('"')
			j++
			continue
		}
		return b.String()
	}
	return "" // no closing quote
}

// Rmd removes a directory (RMD, ftplib's rmd).
func (c *Conn) Rmd(ctx context.Context, dir string) (*Reply, error) {
	return c.simple(ctx, "RMD", dir, true)
}

// Delete removes a file (DELE, ftplib's delete). As in ftplib, only 250
// and 200 mean success: any other reply is a *ReplyError (another 2xx
// matches ErrUnexpectedReply). A 550 reply matches fs.ErrNotExist as well
// as ErrPermanent.
func (c *Conn) Delete(ctx context.Context, path string) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	return c.expectPath(ctx, "DELE", path, 0, CodeFileActionOK, CodeCommandOK)
}

// Rename renames from to to (ftplib's rename): RNFR, which must get a
// 3xx reply (350), then RNTO, which must get a 2xx one.
func (c *Conn) Rename(ctx context.Context, from, to string) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	rep, err := c.expectPath(ctx, "RNFR", from, 3)
	if err != nil {
		return rep, err
	}
	return c.expectPath(ctx, "RNTO", to, 2)
}

// Size returns the size in bytes of a file (SIZE, RFC 3659 section 4),
// after switching to TYPE I so the size is the binary one. As in ftplib,
// only a 213 reply holds the size: another 2xx is a *ReplyError matching
// ErrUnexpectedReply, and a 213 whose text is not a non-negative number is
// a *ProtocolError. ftplib returns None on failure; here a 550 is a
// *ReplyError matching fs.ErrNotExist.
func (c *Conn) Size(ctx context.Context, path string) (int64, error) {
	if err := c.begin(); err != nil {
		return 0, err
	}
	defer c.end()
	return c.sizeLocked(ctx, path)
}

// sizeLocked is Size with the busy guard held.
func (c *Conn) sizeLocked(ctx context.Context, path string) (int64, error) {
	if err := c.setType(ctx, "I"); err != nil {
		return 0, err
	}
	rep, err := c.expectPath(ctx, "SIZE", path, 0, CodeFileStatus)
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(rep.Msg), 10, 64)
	if perr != nil || n < 0 {
		return 0, &ProtocolError{Cmd: "SIZE " + path, Msg: fmt.Sprintf("size is not a non-negative number: %q", rep.Msg)}
	}
	return n, nil
}

// ModTime returns the modification time of a file (MDTM, RFC 3659
// section 3), in UTC.
func (c *Conn) ModTime(ctx context.Context, path string) (time.Time, error) {
	if err := c.begin(); err != nil {
		return time.Time{}, err
	}
	defer c.end()
	rep, err := c.expectPath(ctx, "MDTM", path, 2)
	if err != nil {
		return time.Time{}, err
	}
	t, ok := parseTimeVal(strings.TrimSpace(rep.Msg))
	if !ok {
		return time.Time{}, &ProtocolError{Cmd: "MDTM " + path, Msg: fmt.Sprintf("bad time value %q", rep.Msg)}
	}
	return t, nil
}

// parseTimeVal parses RFC 3659's time-val: YYYYMMDDHHMMSS[.sss], UTC.
func parseTimeVal(s string) (time.Time, bool) {
	base, frac, hasFrac := strings.Cut(s, ".")
	if len(base) != 14 {
		return time.Time{}, false
	}
	for i := 0; i < len(base); i++ {
		if base[i] < '0' || base[i] > '9' {
			return time.Time{}, false
		}
	}
	t, err := time.Parse("20060102150405", base)
	if err != nil {
		return time.Time{}, false
	}
	if hasFrac {
		if frac == "" || len(frac) > 9 {
			return time.Time{}, false
		}
		n, err := strconv.Atoi(frac)
		if err != nil || n < 0 {
			return time.Time{}, false
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		t = t.Add(time.Duration(n))
	}
	return t, true
}

// SetModTime sets the modification time of a file (MFMT, from the
// draft-somers-ftp-mfxx extension), to the second, in UTC. When FEAT does
// not advertise MFMT it tries the older "MDTM time path" form.
func (c *Conn) SetModTime(ctx context.Context, path string, t time.Time) (*Reply, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer c.end()
	ts := t.UTC().Format("20060102150405")
	ok, err := c.hasFeature(ctx, "MFMT")
	if err != nil {
		return nil, err
	}
	if ok {
		return c.expectPath(ctx, "MFMT", ts+" "+path, 2)
	}
	return c.expectPath(ctx, "MDTM", ts+" "+path, 2)
}

// Noop sends NOOP, which keeps the connection alive.
func (c *Conn) Noop(ctx context.Context) (*Reply, error) {
	return c.simple(ctx, "NOOP", "", false)
}

// Site sends SITE with the given arguments ("CHMOD 644 a.txt") and expects
// a 2xx reply.
func (c *Conn) Site(ctx context.Context, args string) (*Reply, error) {
	return c.simple(ctx, "SITE", args, false)
}

// Syst returns the server's system type (SYST), e.g. "UNIX Type: L8".
func (c *Conn) Syst(ctx context.Context) (string, error) {
	rep, err := c.simple(ctx, "SYST", "", false)
	if err != nil {
		return "", err
	}
	return rep.Msg, nil
}

// ServerStat sends STAT, with a path if given, and returns the reply (RFC 959
// section 4.1.3): the server's status, or a listing of path over the
// control connection. For a path's structured entry use Stat.
func (c *Conn) ServerStat(ctx context.Context, path string) (*Reply, error) {
	return c.simple(ctx, "STAT", path, path != "")
}

// setType sends TYPE t unless it is already in effect.
func (c *Conn) setType(ctx context.Context, t string) error {
	if c.curType == t {
		return nil
	}
	if _, err := c.expect(ctx, "TYPE", t, 2); err != nil {
		return err
	}
	c.curType = t
	return nil
}
