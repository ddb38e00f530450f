package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
)

// ls lists a remote directory. Entries are printed as they arrive, in
// the server's order, so that a listing of any size runs in bounded
// memory; --sort collects them first and prints them sorted by name.
func (a *app) ls(args []string) error {
	fs := a.subFlags("ls")
	long := fs.Bool("l", false, "long format: mode, size, modification time, name")
	all := fs.Bool("a", false, "include names starting with a dot")
	asJSON := fs.Bool("json", false, "print one JSON object per entry: name, type, size, time, target")
	utc := fs.Bool("utc", false, "long format: times in UTC (default: the local time zone, as ls does; the zone is shown)")
	sorted := fs.Bool("sort", false, "sort by name (entries are kept in memory until the listing ends; without it\nthey are printed as they arrive, in the server's order)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("ls needs one URL")
	}
	u, err := a.parseURL(pos[0])
	if err != nil {
		return err
	}
	c, err := a.connectWith(u, func(d *ftp.Dialer) { d.ListHidden = d.ListHidden || *all })
	if err != nil {
		return err
	}
	defer a.quit(c)

	out := newLineWriter(a.stdout)
	format := func(e listing.Entry) (string, error) {
		switch {
		case *asJSON:
			b, err := json.Marshal(toJSON(e))
			return string(b) + "\n", err
		case *long:
			loc := time.Local
			if *utc {
				loc = time.UTC
			}
			return lsLong(e, loc) + "\n", nil
		default:
			return quoteName(e.Name) + "\n", nil
		}
	}
	// With --sort, the lines are kept, not the entries (with their raw
	// line and facts, several times the size).
	type line struct{ name, text string }
	var buffered []line
	use := func(e listing.Entry) error {
		text, err := format(e)
		if err != nil {
			return err
		}
		if *sorted {
			buffered = append(buffered, line{strings.Clone(e.Name), text})
			return nil
		}
		_, err = io.WriteString(out, text)
		return err
	}
	bad := 0 // lines and names reported, not printed
	note := func(err error) {
		out.Flush() // what came before it first, on a terminal
		a.printError(err)
		bad++
	}
	n, werr, lerr := a.streamDir(c, u.Path(), !*all && !a.g.srv.listHidden, use, note)
	if werr == nil && *sorted {
		slices.SortFunc(buffered, func(x, y line) int { return strings.Compare(x.name, y.name) })
		for _, l := range buffered {
			if _, werr = io.WriteString(out, l.text); werr != nil {
				break
			}
		}
	}
	if err := out.Flush(); werr == nil {
		werr = err
	}
	switch {
	case werr != nil:
		return werr // standard output failed (a closed pipe)
	case lerr != nil && n > 0:
		return wrapf("ls %s: listing incomplete after %d entries: %w", displayPath(u.Path()), n, lerr)
	case lerr != nil:
		return wrapf("ls %s: %w", displayPath(u.Path()), lerr)
	case bad > 0:
		return errReported
	}
	return nil
}

// lsLong formats an entry for ls -l: mode, size, time in loc with its
// zone, name. The mode shows what the listing says and marks with ? what
// it does not: Unix permissions when given (LIST ls -l, the unix.mode
// fact); with only the MLSx perm fact, the logged-in user's rights (r
// read or list, w write, create or delete, x enter a directory) in the
// first three places and ? in the others; ? everywhere when nothing is
// known. Links are l, directories d, as ls shows them.
func lsLong(e listing.Entry, loc *time.Location) string {
	typ := byte('-')
	switch {
	case e.Type == listing.Dir:
		typ = 'd'
	case e.Type == listing.Link || e.Mode&fs.ModeSymlink != 0:
		typ = 'l'
	case e.Mode&fs.ModeNamedPipe != 0:
		typ = 'p'
	case e.Mode&fs.ModeSocket != 0:
		typ = 's'
	case e.Mode&fs.ModeCharDevice != 0:
		typ = 'c'
	case e.Mode&fs.ModeDevice != 0:
		typ = 'b'
	}
	perm := "?????????"
	_, unixMode := e.Facts["unix.mode"]
	if fact, ok := e.Facts["perm"]; e.Format == listing.FormatUnix || unixMode || e.Mode.Perm() != 0 {
		perm = e.Mode.Perm().String()[1:]
	} else if ok {
		fact = strings.ToLower(fact)
		r, w, x := byte('-'), byte('-'), byte('-')
		if strings.ContainsAny(fact, "rl") {
			r = 'r'
		}
		if strings.ContainsAny(fact, "wacmpdf") {
			w = 'w'
		}
		if strings.Contains(fact, "e") {
			x = 'x'
		}
		perm = string([]byte{r, w, x}) + "??????"
	}
	size := "-"
	if e.Size >= 0 {
		size = fmt.Sprint(e.Size)
	}
	when := "-"
	if !e.Time.IsZero() {
		switch {
		case e.Precision >= 24*time.Hour:
			when = e.Time.Format("2006-01-02") // a day: no zone to convert to
		default:
			when = e.Time.In(loc).Format("2006-01-02 15:04 MST")
		}
	}
	name := quoteName(e.Name)
	if e.Target != "" {
		name += " -> " + quoteName(e.Target)
	}
	return fmt.Sprintf("%c%s %12s %-22s %s", typ, perm, size, when, name)
}

// displayPath is a remote path as shown in messages: "." for the login
// directory.
func displayPath(p string) string {
	if p == "" {
		return "."
	}
	return p
}

// streamDir lists the remote directory dir with Conn.ReadDirSeq (MLSD, or
// LIST with "-a" when the Conn's Dialer has ListHidden) and calls use for
// each entry as it arrives, in the server's order; "." and ".." are left
// out, and so are names starting with a dot when hideDots is set (but not
// a file named by dir). Lines that cannot be parsed and names that are not
// safe local names (see internal/safepath: what mirror and get would
// refuse) are passed to note instead, one error each, and the listing
// goes on. When dir names a
// file, use is called once with that file (Conn.Stat).
//
// It returns the number of entries passed to use, the first error of use
// (which stops the listing), and the error that ended the listing, if
// any: a directory that does not exist or cannot be read is an error,
// never an empty listing.
func (a *app) streamDir(c *ftp.Conn, dir string, hideDots bool, use func(listing.Entry) error, note func(error)) (n int, werr, lerr error) {
	seen := 0 // lines received, usable or not
	// The first entry is held back until a second one arrives or the
	// listing ends: LIST of a file lists that file (vsftpd), and the
	// library then reports that the path is not a directory.
	var first *listing.Entry
	// emit passes e to use; named: e is the file dir names, shown even
	// when hideDots hides the directory entries starting with a dot.
	emit := func(e listing.Entry, named bool) error {
		if hideDots && !named && strings.HasPrefix(e.Name, ".") {
			return nil
		}
		if err := use(e); err != nil {
			return err
		}
		n++
		return nil
	}
	for e, err := range c.ReadDirSeq(a.ctx, dir) {
		if err != nil {
			var pe *listing.ParseError
			if errors.As(err, &pe) {
				seen++
				note(err)
				continue
			}
			lerr = err // the final failure
			break
		}
		seen++
		if e.Type == listing.CurrentDir || e.Type == listing.ParentDir {
			continue
		}
		if err := ftp.CheckName(e, dir); err != nil {
			note(err)
			continue
		}
		if n == 0 && first == nil {
			first = &e
			continue
		}
		if first != nil {
			werr = emit(*first, false)
			first = nil
		}
		if werr == nil {
			werr = emit(e, false)
		}
		if werr != nil {
			return n, werr, nil
		}
	}
	file := path.Base(strings.TrimSuffix(dir, "/"))
	switch {
	case first != nil && lerr == nil:
		return n, emit(*first, false), nil
	case lerr == nil || dir == "" || a.ctx.Err() != nil || !notADir(lerr):
	case first != nil && first.Name == file && first.Type != listing.Dir:
		// The listing of a file: that file.
		return n, emit(*first, true), nil
	case first == nil && seen == 0:
		// Perhaps a file: MLSD of a file is refused (501, 550), and
		// some servers list nothing.
		if e, serr := c.Stat(a.ctx, dir); serr == nil && e.Type != listing.Dir && e.Type != listing.CurrentDir {
			return n, emit(e, true), nil
		}
	}
	if first != nil {
		// Not the file: print what arrived before the failure.
		if werr = emit(*first, false); werr != nil {
			return n, werr, nil
		}
	}
	return n, nil, lerr
}

// notADir reports whether a listing error may mean that the path is not a
// directory: a 5xx reply, or a directory that could not be found.
func notADir(err error) bool {
	var re *ftp.ReplyError
	return errors.As(err, &re) && re.Code >= 500 || errors.Is(err, fs.ErrNotExist)
}

// lineWriter buffers standard output for listings of any length, and
// still shows lines promptly: the buffer is flushed when it is full and
// when a line is written more than flushEvery after the last flush.
type lineWriter struct {
	w    *bufio.Writer
	last time.Time
}

const flushEvery = 100 * time.Millisecond

func newLineWriter(w io.Writer) *lineWriter {
	return &lineWriter{w: bufio.NewWriterSize(w, 64<<10), last: time.Now()}
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if err == nil && time.Since(l.last) > flushEvery {
		err = l.Flush()
	}
	return n, err
}

func (l *lineWriter) Flush() error {
	l.last = time.Now()
	return l.w.Flush()
}
