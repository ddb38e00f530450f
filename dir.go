package ftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"path"
	"strconv"
	"strings"

	"github.com/goftplib/ftp/listing"
)

// ReadDir lists the directory dir ("" for the working directory) as
// structured entries, sorted as the server sent them, without "." and "..".
// It uses MLSD (RFC 3659) when FEAT advertises MLST, LIST otherwise ("LIST
// -a" with Dialer.ListHidden), parsed by package listing with the
// Dialer's ServerLocation as the server's time zone; if LIST is not
// implemented, NLST gives names only (Type listing.Other, Size -1). An
// advertised MLSD that is refused (500, 502) or sends nothing that parses
// is replaced by LIST, for that listing and the rest of the session;
// Dialer.DisableMLSD skips it from the start.
//
// Lines that cannot be parsed are never dropped silently: ReadDir returns
// the entries that parsed together with an error joining one
// *listing.ParseError per rejected line. A listing that failed (a refusal,
// a transfer cut short) returns no entries and the error.
//
// A directory that does not exist or cannot be read is an error, never an
// empty listing, even from servers that answer LIST of a missing directory
// with an empty transfer and a 226 (vsftpd): an empty listing of a named
// directory is confirmed with MLST, or with CWD into it and back, and a
// 550 then matches fs.ErrNotExist. ReadDir holds the whole listing in
// memory; ReadDirSeq streams it.
func (c *Conn) ReadDir(ctx context.Context, dir string) ([]listing.Entry, error) {
	var entries []listing.Entry
	var errs []error
	for e, err := range c.ReadDirSeq(ctx, dir) {
		var pe *listing.ParseError
		switch {
		case c.d.MaxListEntries > 0 && len(entries)+len(errs) >= c.d.MaxListEntries:
			return nil, fmt.Errorf("%w: more than %d entries in %q (Dialer.MaxListEntries; ReadDirSeq streams without a bound)", ErrListingTooLarge, c.d.MaxListEntries, dir)
		case err == nil:
			entries = append(entries, e)
		case errors.As(err, &pe):
			errs = append(errs, err)
		default:
			return nil, err // the listing failed: nothing in it is reliable
		}
	}
	return entries, errors.Join(errs...)
}

// ErrListingTooLarge is returned by ReadDir for a listing with more
// entries than Dialer.MaxListEntries.
var ErrListingTooLarge = errors.New("ftp: listing too large")

// errStopListing ends a listing transfer early when the caller stops
// iterating.
var errStopListing = errors.New("listing iteration stopped")

// ReadDirSeq lists dir as ReadDir does, yielding each entry as its line
// arrives, so that a listing of any length takes constant memory. A line
// that cannot be parsed is yielded as a *listing.ParseError (with a zero
// Entry) and the listing goes on; a failure of the listing itself (refused,
// cut short, a directory that does not exist) is yielded last. The Conn
// is busy until the loop ends: the loop body must not use it. Breaking
// out of the loop aborts the transfer (ABOR), leaving the Conn usable.
func (c *Conn) ReadDirSeq(ctx context.Context, dir string) iter.Seq2[listing.Entry, error] {
	return func(yield func(listing.Entry, error) bool) {
		if err := c.begin(); err != nil {
			yield(listing.Entry{}, err)
			return
		}
		mlst, err := c.hasFeature(ctx, "MLST")
		mlst = mlst && !c.d.DisableMLSD
		useMLSD := mlst && !c.noMLSD
		c.end()
		if err != nil {
			yield(listing.Entry{}, err)
			return
		}
		stopped := false
		n := 0 // entries other than "." and ".."
		var first listing.Entry
		emit := func(e listing.Entry, err error) bool {
			if err == nil {
				if e.Type == listing.CurrentDir || e.Type == listing.ParentDir {
					return true
				}
				if n++; n == 1 {
					first = e
				}
			}
			if !yield(e, err) {
				stopped = true
				return false
			}
			return true
		}
		var rep *Reply
		viaMLSD := false
		if useMLSD {
			var fallback bool
			rep, fallback, err = c.tryMLSD(ctx, dir, emit)
			viaMLSD = !fallback
		}
		if !viaMLSD && !stopped {
			rep, err = c.streamLIST(ctx, dir, emit)
		}
		if stopped {
			return
		}
		switch {
		case err == nil:
			var self *listing.Entry
			if n == 1 && !viaMLSD && first.Name == path.Base(strings.TrimSuffix(dir, "/")) {
				self = &first
			}
			err = c.confirmListing(ctx, dir, n, self, rep, mlst)
		case dir != "" && refusedPath(err) && !c.closed.Load():
			// Some servers refuse a listing of a missing directory with a
			// code other than 550 (pyftpdlib: 501): say which it is.
			if cerr := c.checkDir(ctx, dir, mlst); errors.Is(cerr, fs.ErrNotExist) {
				err = &ListingError{Dir: dir, Err: cerr}
			}
		}
		if err != nil {
			yield(listing.Entry{}, err)
		}
	}
}

// refusedPath reports whether err is a refusal of a listing that may mean
// a missing directory said another way than 550 (pyftpdlib: 501; some
// servers 450), as opposed to a transfer failure (425, 426, 451).
func refusedPath(err error) bool {
	var re *ReplyError
	return errors.As(err, &re) && re.Code != CodeFileUnavailable && (re.Code >= 500 || re.Code == CodeFileBusy)
}

// listTransfer runs a listing command and calls fn for each line; it
// returns the final reply. An error from fn aborts the transfer and is
// returned (errStopListing when the caller stopped).
func (c *Conn) listTransfer(ctx context.Context, verb, arg string, fn func(string) error) (*Reply, error) {
	t, err := c.openTransfer(ctx, "A", verb, arg, 0, nil)
	if err != nil {
		return nil, err
	}
	if err := t.lines(fn); err != nil {
		t.finish(true)
		return nil, err
	}
	if err := t.finish(false); err != nil {
		return nil, err
	}
	return t.final, nil
}

// mlsdProbeLines is how many MLSD lines ReadDirSeq holds back while none
// of them parses: when that many arrive and not one parses, the server's
// MLSD is taken for broken and the directory is listed with LIST.
const mlsdProbeLines = 64

// tryMLSD lists dir with MLSD for ReadDirSeq. Parse errors are held back
// until a line parses, so that a server whose MLSD, though advertised, is
// refused (500, 502) or sends only lines that cannot be parsed can be
// listed with LIST instead: tryMLSD then reports fallback, having yielded
// nothing, and the Conn uses LIST from then on.
func (c *Conn) tryMLSD(ctx context.Context, dir string, emit func(listing.Entry, error) bool) (rep *Reply, fallback bool, err error) {
	var held []error
	good, stopped := false, false
	rep, err = c.streamMLSD(ctx, dir, func(e listing.Entry, err error) bool {
		if !good && err != nil {
			held = append(held, err)
			return len(held) < mlsdProbeLines // that many: garbage, stop
		}
		if !good {
			good = true
			for _, h := range held {
				if !emit(listing.Entry{}, h) {
					stopped = true
					return false
				}
			}
			held = nil
		}
		if !emit(e, err) {
			stopped = true
			return false
		}
		return true
	})
	switch {
	case stopped:
		return rep, false, nil
	case err == nil && !good && len(held) > 0, verbRefused(err, "MLSD") && !c.closed.Load():
		msg := "every line unparsable"
		if err != nil {
			msg = err.Error()
		}
		c.noMLSD = true
		c.log.LogAttrs(ctx, slog.LevelWarn, LogMLSDFallback, slog.String(KeyCmd, "MLSD"), slog.String(KeyMsg, msg))
		return nil, true, nil
	}
	for _, h := range held {
		if !emit(listing.Entry{}, h) {
			return rep, false, nil
		}
	}
	return rep, false, err
}

// verbRefused reports whether err is a refusal of verb itself (not of a
// command sent before it, such as PORT) that means the server does not
// really have it: 500 or 502.
func verbRefused(err error, verb string) bool {
	var re *ReplyError
	return errors.As(err, &re) && (re.Code == CodeSyntaxError || re.Code == CodeNotImplemented) &&
		(re.Cmd == verb || strings.HasPrefix(re.Cmd, verb+" "))
}

// mlstUnusable notes that MLST, though advertised, does not work (why),
// so that Stat and directory checks do without it from then on.
func (c *Conn) mlstUnusable(ctx context.Context, why string) {
	c.noMLST = true
	c.log.LogAttrs(ctx, slog.LevelWarn, LogMLSDFallback, slog.String(KeyCmd, "MLST"), slog.String(KeyMsg, why))
}

func (c *Conn) streamMLSD(ctx context.Context, dir string, emit func(listing.Entry, error) bool) (*Reply, error) {
	line := 0
	rep, err := c.listTransfer(ctx, "MLSD", dir, func(l string) error {
		line++
		if l == "" {
			return nil
		}
		e, err := listing.ParseMLSx(l)
		var pe *listing.ParseError
		if errors.As(err, &pe) {
			pe.Line = line
		}
		if !emit(e, err) {
			return errStopListing
		}
		return nil
	})
	if err == errStopListing {
		err = nil
	}
	return rep, err
}

func (c *Conn) streamLIST(ctx context.Context, dir string, emit func(listing.Entry, error) bool) (*Reply, error) {
	hidden := c.d.ListHidden && !(dir != "" && c.noListA)
	rep, err := c.listWith(ctx, dir, hidden, emit)
	if hidden && dir != "" && listARefused(err) && !c.closed.Load() {
		// Some servers (pyftpdlib) take "-a dir" for one path name and
		// answer 550: list dir without the option, which such servers
		// do not need to show names starting with ".".
		if rep, err = c.listWith(ctx, dir, false, emit); err == nil {
			c.noListA = true
			c.log.LogAttrs(ctx, slog.LevelWarn, LogListHiddenRefused, slog.String(KeyCmd, "LIST -a "+dir))
		}
	}
	if verbRefused(err, "LIST") {
		return c.streamNLST(ctx, dir, emit)
	}
	return rep, err
}

// listARefused reports whether err is a refusal of "LIST -a dir" that
// may mean the server does not take "-a" (500, 501, or 550: the path
// "-a dir" does not exist).
func listARefused(err error) bool {
	var re *ReplyError
	return errors.As(err, &re) && strings.HasPrefix(re.Cmd, "LIST -a ") &&
		(re.Code == CodeSyntaxError || re.Code == CodeSyntaxErrorArgs || re.Code == CodeFileUnavailable)
}

// listWith runs LIST dir ("LIST -a dir" when hidden) and parses its lines.
func (c *Conn) listWith(ctx context.Context, dir string, hidden bool, emit func(listing.Entry, error) bool) (*Reply, error) {
	args := dir
	if hidden {
		args = strings.TrimSpace("-a " + dir)
	}
	p := listing.NewParser(&listing.Options{Location: c.d.ServerLocation})
	rep, err := c.listTransfer(ctx, "LIST", args, func(l string) error {
		if !p.Feed(l, emit) {
			return errStopListing
		}
		return nil
	})
	if err == nil && !p.End(emit) {
		return rep, nil
	}
	if err == errStopListing {
		err = nil
	}
	return rep, err
}

func (c *Conn) streamNLST(ctx context.Context, dir string, emit func(listing.Entry, error) bool) (*Reply, error) {
	line := 0
	rep, err := c.listTransfer(ctx, "NLST", dir, func(raw string) error {
		line++
		if raw == "" {
			return nil
		}
		n := path.Base(raw) // some servers answer NLST dir with "dir/name"
		var ok bool
		switch {
		case n == "." || n == "..":
			return nil
		case n == "" || n == "/" || strings.ContainsAny(n, "\x00\r\n"):
			ok = emit(listing.Entry{}, &listing.ParseError{Line: line, Raw: raw, Err: listing.ErrName})
		default:
			ok = emit(listing.Entry{Name: n, Type: listing.Other, Size: -1, Raw: raw}, nil)
		}
		if !ok {
			return errStopListing
		}
		return nil
	})
	if err == errStopListing {
		err = nil
	}
	return rep, err
}

// confirmListing checks a listing that succeeded. vsftpd answers a
// listing of a directory it cannot open (missing, or unreadable) with an
// empty transfer and "226 Transfer done (but failed to open directory)":
// that reply is taken for the failure it reports. And an empty listing of
// a named directory is only believed once the directory is seen to exist:
// MLST must call it a directory, or CWD into it must succeed (the working
// directory is then restored).
func (c *Conn) confirmListing(ctx context.Context, dir string, n int, self *listing.Entry, rep *Reply, mlst bool) error {
	failed := rep != nil && strings.Contains(strings.ToLower(rep.Msg), "failed to open directory")
	if !failed && self == nil && (n > 0 || dir == "" || dir == ".") {
		return nil
	}
	if err := c.checkDir(ctx, dir, mlst); err != nil {
		return &ListingError{Dir: dir, Err: err}
	}
	if failed {
		return &ListingError{Dir: dir, Err: fmt.Errorf("%w: the server could not read it (%d %s)", fs.ErrPermission, rep.Code, rep.Msg)}
	}
	if self != nil && self.Type == listing.Dir {
		// vsftpd lists a directory it cannot open as that directory's own
		// entry, as "ls -d" would: a listing of "a" holding only a
		// directory "a" is believed only if "a/a" is one.
		if err := c.checkDir(ctx, strings.TrimSuffix(dir, "/")+"/"+self.Name, mlst); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return &ListingError{Dir: dir, Err: fmt.Errorf("%w: the server listed the directory itself instead of its contents (it cannot read it)", fs.ErrPermission)}
			}
			return &ListingError{Dir: dir, Err: err}
		}
	}
	return nil
}

// CheckDir confirms that dir exists and is a directory: with MLST when
// the server has it (and Dialer.DisableMLSD is not set), otherwise by
// changing into dir and back, the commands pipelined. A 550 matches
// fs.ErrNotExist; the working directory is unchanged (a Conn that could
// not return to it is closed).
func (c *Conn) CheckDir(ctx context.Context, dir string) error {
	if err := c.begin(); err != nil {
		return err
	}
	mlst, err := c.hasFeature(ctx, "MLST")
	c.end()
	if err != nil {
		return err
	}
	if dir == "" {
		dir = "."
	}
	return c.checkDir(ctx, dir, mlst && !c.d.DisableMLSD)
}

// checkDir is confirmDir with the busy guard and ctx watch taken.
func (c *Conn) checkDir(ctx context.Context, dir string, mlst bool) error {
	if err := c.begin(); err != nil {
		return err
	}
	defer c.end()
	stop := c.watch(ctx, c.nc)
	defer stop()
	return c.confirmDir(ctx, dir, mlst)
}

// confirmDir checks that dir exists and is a directory: MLST when the
// server has it, else CWD into it and back to the working directory. The
// busy guard must be held.
func (c *Conn) confirmDir(ctx context.Context, dir string, mlst bool) error {
	if dir == "" {
		return nil
	}
	if mlst && !c.noMLST {
		rep, err := c.expectPath(ctx, "MLST", dir, 2)
		switch {
		case verbRefused(err, "MLST") && !c.closed.Load():
			c.mlstUnusable(ctx, err.Error())
		case err != nil:
			return err
		default:
			if e, ok := mlstEntry(rep, dir); ok && e.Type != listing.Dir && e.Type != listing.CurrentDir {
				return fmt.Errorf("not a directory (MLST type %s)", e.Type)
			}
			return nil
		}
	}
	if c.noPipeline {
		return c.cwdThereLockstep(ctx, dir)
	}
	return c.cwdThere(ctx, dir)
}

// cwdThere changes into dir and back, commands pipelined: "CWD dir" and
// "CWD wd" in one write when the working directory wd is known, else
// "PWD" and "CWD dir" in one write and then "CWD wd". Every reply is
// read, so the Conn stays in step; one left in another directory is
// closed.
func (c *Conn) cwdThere(ctx context.Context, dir string) error {
	stop := c.watch(ctx, c.nc)
	defer stop()
	if wd := c.wd; wd != "" {
		displays, err := c.writeCmds(ctx, pipedCmd{"CWD", dir}, pipedCmd{"CWD", wd})
		if err != nil {
			return err
		}
		there, err := c.readReply(ctx, displays[0])
		if err != nil {
			return err
		}
		back, err := c.pipedReply(ctx, displays[1])
		if err != nil {
			return err
		}
		if back.Code/100 != 2 {
			c.Close()
			return fmt.Errorf("restoring the working directory %q: %w", wd, bare(c.unexpected(displays[1], back)))
		}
		c.wd = wd
		if there.Code/100 != 2 {
			re := c.unexpected(displays[0], there)
			re.pathCmd = true
			return re
		}
		return nil
	}
	if ups := upLevels(dir); ups > 0 {
		return c.cwdThereAndUp(ctx, dir, ups)
	}
	displays, err := c.writeCmds(ctx, pipedCmd{"PWD", ""}, pipedCmd{"CWD", dir})
	if err != nil {
		return err
	}
	rep, err := c.readReply(ctx, displays[0])
	if err != nil {
		return err
	}
	there, err := c.pipedReply(ctx, displays[1])
	if err != nil {
		return err
	}
	wd := parse257(rep.Msg)
	if rep.Code != CodePathCreated || wd == "" {
		if there.Code/100 == 2 {
			c.Close() // in dir now, with no way back
		}
		return fmt.Errorf("cannot confirm that the directory exists: %w", bare(c.unexpected(displays[0], rep)))
	}
	if there.Code/100 != 2 {
		c.wd = wd
		re := c.unexpected(displays[1], there)
		re.pathCmd = true
		return re
	}
	if _, err := c.expectPath(ctx, "CWD", wd, 2); err != nil {
		// The session is in dir now, not where the caller left it.
		c.Close()
		return fmt.Errorf("restoring the working directory %q: %w", wd, bare(err))
	}
	c.wd = wd
	return nil
}

// maxUpLevels bounds the CDUP commands of cwdThereAndUp.
const maxUpLevels = 8

// upLevels returns how many CDUP lead back from the relative directory
// dir ("a/b": 2), or 0 when CDUP cannot be counted on: an absolute path,
// "." or ".." or an empty element, or more than maxUpLevels levels.
func upLevels(dir string) int {
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" || strings.HasPrefix(dir, "/") {
		return 0
	}
	elems := strings.Split(dir, "/")
	if len(elems) > maxUpLevels {
		return 0
	}
	for _, e := range elems {
		if e == "" || e == "." || e == ".." {
			return 0
		}
	}
	return len(elems)
}

// cwdThereAndUp changes into the relative directory dir and back in one
// round trip: PWD, CWD dir, one CDUP per level and PWD again, in one
// write. The second PWD must name the directory the first did (a
// symbolic link or a CDUP the server refused would leave the session
// elsewhere); when it does not, "CWD wd" restores it (one more round
// trip), and a Conn that cannot be restored is closed.
func (c *Conn) cwdThereAndUp(ctx context.Context, dir string, ups int) error {
	cmds := []pipedCmd{{"PWD", ""}, {"CWD", dir}}
	for range ups {
		cmds = append(cmds, pipedCmd{"CDUP", ""})
	}
	cmds = append(cmds, pipedCmd{"PWD", ""})
	displays, err := c.writeCmds(ctx, cmds...)
	if err != nil {
		return err
	}
	reps := make([]*Reply, len(displays))
	for i, d := range displays {
		read := c.pipedReply
		if i == 0 {
			read = c.readReply
		}
		if reps[i], err = read(ctx, d); err != nil {
			return err
		}
	}
	wd, now := parse257(reps[0].Msg), parse257(reps[len(reps)-1].Msg)
	if reps[0].Code != CodePathCreated || wd == "" {
		c.Close() // where the session is now cannot be told
		return fmt.Errorf("cannot confirm that the directory exists: %w", bare(c.unexpected(displays[0], reps[0])))
	}
	if reps[len(reps)-1].Code != CodePathCreated || now != wd {
		if _, err := c.expectPath(ctx, "CWD", wd, 2); err != nil {
			c.Close()
			return fmt.Errorf("restoring the working directory %q: %w", wd, bare(err))
		}
	}
	c.wd = wd
	if there := reps[1]; there.Code/100 != 2 {
		re := c.unexpected(displays[1], there)
		re.pathCmd = true
		return re
	}
	return nil
}

// cwdThereLockstep is cwdThere one command at a time, for servers that
// answered pipelined commands out of sequence.
func (c *Conn) cwdThereLockstep(ctx context.Context, dir string) error {
	rep, display, err := c.cmd(ctx, "PWD", "")
	if err != nil {
		return err
	}
	wd := parse257(rep.Msg)
	if rep.Code != CodePathCreated || wd == "" {
		return fmt.Errorf("cannot confirm that the directory exists: %w", bare(c.unexpected(display, rep)))
	}
	if _, err := c.expectPath(ctx, "CWD", dir, 2); err != nil {
		return err
	}
	if _, err := c.expectPath(ctx, "CWD", wd, 2); err != nil {
		// The session is in dir now, not where the caller left it.
		c.Close()
		return fmt.Errorf("restoring the working directory %q: %w", wd, bare(err))
	}
	return nil
}

// ListingError reports a listing that cannot be trusted: the directory does
// not exist, cannot be read, or is not a directory. It matches
// fs.ErrNotExist when the server said so (550).
type ListingError struct {
	Dir string
	Err error
}

func (e *ListingError) Error() string {
	return "ftp: listing " + strconv.Quote(e.Dir) + ": " + strings.TrimPrefix(e.Err.Error(), "ftp: ")
}

func (e *ListingError) Unwrap() error { return e.Err }

// Stat returns the entry for one path: MLST when FEAT advertises it (and
// neither Dialer.DisableMLSD nor an earlier 500/502 or unparsable MLST
// reply ruled it out), otherwise the matching line of a listing of its
// parent directory. The
// entry's Name is the last element of name. A missing path is a
// *fs.PathError (Op "stat") matching fs.ErrNotExist, wrapping the server's
// reply when there is one.
func (c *Conn) Stat(ctx context.Context, name string) (listing.Entry, error) {
	clean := strings.TrimSuffix(name, "/")
	if clean == "" || clean == "." || clean == "/" {
		if clean == "" && name != "/" {
			clean = "."
		}
		return listing.Entry{Name: clean, Type: listing.Dir, Size: -1}, nil
	}
	if err := c.begin(); err != nil {
		return listing.Entry{}, err
	}
	mlst, err := c.hasFeature(ctx, "MLST")
	if err != nil {
		c.end()
		return listing.Entry{}, err
	}
	if mlst && !c.d.DisableMLSD && !c.noMLST {
		e, ok, err := c.statMLST(ctx, clean)
		if ok || err != nil {
			c.end()
			if err != nil {
				return listing.Entry{}, statError(name, err)
			}
			return e, nil
		}
	}
	c.end()
	parent, base := path.Split(clean)
	entries, lerr := c.ReadDir(ctx, strings.TrimSuffix(parent, "/"))
	if lerr != nil && entries == nil {
		return listing.Entry{}, statError(name, lerr)
	}
	for _, e := range entries {
		if e.Name == base {
			return e, nil
		}
	}
	return listing.Entry{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// statMLST is Stat by MLST, the busy guard held. ok is false, with no
// error, when MLST turns out not to work (refused with 500 or 502, or a
// reply without a facts line that parses): Stat then reads the parent's
// listing, and the Conn does without MLST from then on.
func (c *Conn) statMLST(ctx context.Context, clean string) (e listing.Entry, ok bool, err error) {
	rep, err := c.expectPath(ctx, "MLST", clean, 2)
	if err != nil {
		if verbRefused(err, "MLST") && !c.closed.Load() {
			c.mlstUnusable(ctx, err.Error())
			return listing.Entry{}, false, nil
		}
		return listing.Entry{}, false, err
	}
	for _, l := range strings.Split(rep.Msg, "\n")[1:] {
		if !strings.HasPrefix(l, " ") {
			continue
		}
		facts, _, _ := strings.Cut(l[1:], " ")
		e, err := listing.ParseMLSx(facts + " " + path.Base(clean))
		if err != nil {
			break
		}
		if e.Type == listing.CurrentDir {
			e.Type, e.Name = listing.Dir, path.Base(clean)
		}
		return e, true, nil
	}
	c.mlstUnusable(ctx, fmt.Sprintf("no facts line that parses in %q", rep.Msg))
	return listing.Entry{}, false, nil
}

// statError gives every "not found" from Stat one shape, a *fs.PathError
// (Op "stat") wrapping the server's reply, whether it came from MLST or
// from the listing of the parent directory; other errors are returned as
// they are.
func statError(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &fs.PathError{Op: "stat", Path: name, Err: bare(err)}
	}
	return err
}

// WalkFunc is called by Walk for each entry; see Walk.
type WalkFunc func(path string, e listing.Entry, err error) error

// MaxWalkDepth is how deep Walk descends below its root. A directory
// deeper than that is passed to the WalkFunc with ErrTooDeep, and not
// listed: a server whose listings nest for ever (a directory that contains
// itself under new names) cannot make Walk run without end.
const MaxWalkDepth = 64

// ErrTooDeep is passed to a WalkFunc for a directory below MaxWalkDepth.
var ErrTooDeep = errors.New("ftp: directory nested deeper than the walk allows")

// ErrCycle is passed to a WalkFunc for a directory that is one already
// walked (the same MLSD "unique" fact): it is not listed again.
var ErrCycle = errors.New("ftp: directory already walked under another path (cycle)")

// Walk walks the tree rooted at root depth-first, calling fn for root and
// every entry below it, with paths joined by "/" (like fs.WalkDir). fn may
// return fs.SkipDir to skip a directory, or fs.SkipAll to stop. An error
// listing a directory is passed to fn with that directory's entry; a
// directory whose listing failed has no entries walked (a failed listing is
// never taken for a partial one), while lines that could not be parsed are
// passed to fn and the entries that parsed are still walked. Symbolic
// links are not followed; a directory seen before (same "unique" fact) is
// passed with ErrCycle and one below MaxWalkDepth with ErrTooDeep, neither
// listed. A root that does not exist is an error matching fs.ErrNotExist.
func (c *Conn) Walk(ctx context.Context, root string, fn WalkFunc) error {
	e, err := c.Stat(ctx, root)
	if err != nil {
		err = fn(root, listing.Entry{Name: path.Base(root), Size: -1}, err)
	} else {
		err = c.walk(ctx, root, e, 0, map[string]bool{}, fn)
	}
	if err == fs.SkipDir || err == fs.SkipAll {
		return nil
	}
	return err
}

func (c *Conn) walk(ctx context.Context, p string, e listing.Entry, depth int, seen map[string]bool, fn WalkFunc) error {
	if err := fn(p, e, nil); err != nil || e.Type != listing.Dir {
		if err == fs.SkipDir && e.Type == listing.Dir {
			return nil
		}
		return err
	}
	var lerr error
	switch u := e.Facts["unique"]; {
	case depth >= MaxWalkDepth:
		lerr = ErrTooDeep
	case u != "" && seen[u]:
		lerr = ErrCycle
	default:
		if u != "" {
			seen[u] = true
		}
	}
	var entries []listing.Entry
	if lerr == nil {
		entries, lerr = c.ReadDir(ctx, p)
	}
	if lerr != nil {
		if err := fn(p, e, lerr); err != nil {
			if err == fs.SkipDir {
				return nil
			}
			return err
		}
	}
	for _, child := range entries {
		if err := c.walk(ctx, path.Join(p, child.Name), child, depth+1, seen, fn); err != nil {
			return err
		}
	}
	return nil
}
