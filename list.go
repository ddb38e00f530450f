package ftp

import (
	"context"
	"fmt"
	"strings"
)

// NLST returns the names listed by NLST (ftplib's nlst). args are joined
// with spaces after the command; none lists the working directory. An
// empty directory gives an empty list; some servers answer 450 or 550
// instead, returned as a *ReplyError.
func (c *Conn) NLST(ctx context.Context, args ...string) ([]string, error) {
	return c.listLines(ctx, "NLST", strings.Join(args, " "))
}

// List returns the lines of a LIST reply as the server sends them
// (ftplib's dir). args are joined with spaces: a path, or options such as
// "-a" that many servers accept. Package listing parses these lines.
func (c *Conn) List(ctx context.Context, args ...string) ([]string, error) {
	return c.listLines(ctx, "LIST", strings.Join(args, " "))
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

// MLSEntry is one entry of an MLSD or MLST reply (RFC 3659 section 7).
type MLSEntry struct {
	// Name is the entry's name (for MLST, the path as the server gives it).
	Name string
	// Facts maps lower-cased fact names ("type", "size", "modify", "perm",
	// "unix.mode", …) to their values as sent.
	Facts map[string]string
}

// MLSD lists a directory with MLSD (RFC 3659 section 7; ftplib's mlsd).
// An empty path lists the working directory. When facts are given, OPTS
// MLST first asks the server to send only those (the server may not
// comply). A line that cannot be parsed is returned with the entries that
// could, as a *ProtocolError naming it.
func (c *Conn) MLSD(ctx context.Context, path string, facts ...string) ([]MLSEntry, error) {
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
	var entries []MLSEntry
	var bad []string
	err := c.lineTransfer(ctx, "MLSD", path, func(l string) error {
		if l == "" {
			return nil
		}
		e, ok := ParseMLSxLine(l)
		if !ok {
			bad = append(bad, l)
			return nil
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return entries, err
	}
	if len(bad) > 0 {
		return entries, &ProtocolError{Cmd: "MLSD " + path, Msg: fmt.Sprintf("%d unparsable lines, first %q", len(bad), bad[0])}
	}
	return entries, nil
}

// MLST returns the facts of one path, sent over the control connection
// (RFC 3659 section 7).
func (c *Conn) MLST(ctx context.Context, path string) (MLSEntry, error) {
	if err := c.begin(); err != nil {
		return MLSEntry{}, err
	}
	defer c.end()
	rep, err := c.expectPath(ctx, "MLST", path, 2)
	if err != nil {
		return MLSEntry{}, err
	}
	lines := strings.Split(rep.Msg, "\n")
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, " ") {
			if e, ok := ParseMLSxLine(l[1:]); ok {
				return e, nil
			}
		}
	}
	return MLSEntry{}, &ProtocolError{Cmd: "MLST " + path, Msg: fmt.Sprintf("no facts line in reply %q", rep.Msg)}
}

// ParseMLSxLine parses one MLSD line or MLST facts line: "fact=value;…;
// name". Fact names are lower-cased. It reports false for a line without
// the space that separates facts from the name, or with a malformed fact.
func ParseMLSxLine(line string) (MLSEntry, bool) {
	factStr, name, ok := strings.Cut(line, " ")
	if !ok || name == "" {
		return MLSEntry{}, false
	}
	facts := map[string]string{}
	for f := range strings.SplitSeq(factStr, ";") {
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return MLSEntry{}, false
		}
		facts[strings.ToLower(k)] = v
	}
	return MLSEntry{Name: name, Facts: facts}, true
}
