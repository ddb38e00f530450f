package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/internal/safepath"
	"github.com/goftplib/ftp/listing"
)

// List lists the remote directory dir ("" for the working directory) on
// c with Conn.ReadDirSeq: MLSD when the server has it, else LIST parsed by
// package listing. The entries "." and ".." are left out; the rest is
// sorted by name.
//
// Nothing is dropped silently: entries whose name, as the server sent it,
// is not a safe local file name (see internal/safepath: "..",
// "/etc/passwd", "a/b", names with NUL, CR or LF) and lines that cannot
// be parsed are left out of the result and reported in the returned
// error, one joined error each, along with the entries that could be
// used. (A pathname that starts with dir, which some servers send, is
// read as the name after it.) A failed listing command returns its
// *ftp.ReplyError and no entries.
func List(ctx context.Context, c *ftp.Conn, dir string) ([]listing.Entry, error) {
	var out []listing.Entry
	rejected, err := listEach(ctx, c, dir, func(e listing.Entry) { out = append(out, e) })
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b listing.Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, rejected
}

// listEach streams the listing of dir (Conn.ReadDirSeq) and calls fn for
// each usable entry, as List describes. It returns the joined errors of
// the lines and names refused, and the failure of the listing itself,
// after which the caller must drop what fn was given.
func listEach(ctx context.Context, c *ftp.Conn, dir string, fn func(listing.Entry)) (rejected, err error) {
	var errs []error
	for e, err := range c.ReadDirSeq(ctx, dir) {
		if err != nil {
			var pe *listing.ParseError
			if !errors.As(err, &pe) {
				return nil, err // the listing failed: nothing in it is reliable
			}
			errs = append(errs, err)
			continue
		}
		if e.Type == listing.CurrentDir || e.Type == listing.ParentDir {
			continue
		}
		if err := safepath.Check(SentName(e, dir)); err != nil {
			errs = append(errs, err)
			continue
		}
		fn(e)
	}
	return errors.Join(errs...), nil
}

// entry is what a synchronisation keeps of a listed entry: not the raw
// line, facts and owner a listing.Entry holds, since a directory can list
// millions of entries.
type entry struct {
	Name      string
	Type      listing.Type
	Size      int64
	Time      time.Time
	Precision time.Duration
	Unique    string // the MLSx unique fact, "" when not listed
	Exact     bool   // Size is the file's exact size (not VMS blocks)
}

// listSlim is List keeping only an entry per listed entry.
func listSlim(ctx context.Context, c *ftp.Conn, dir string) ([]entry, error) {
	var out []entry
	rejected, err := listEach(ctx, c, dir, func(e listing.Entry) {
		out = append(out, entry{
			// Cloned: the name may share memory with the raw line.
			Name: strings.Clone(e.Name), Type: e.Type, Size: e.Size, Time: e.Time, Precision: e.Precision,
			Unique: strings.Clone(uniqueFact(e)),
			Exact:  e.Size >= 0 && e.Format != listing.FormatVMS,
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.Name, b.Name) })
	return out, rejected
}

// SentName returns the name of e, listed in dir, as the server sent it;
// check it with a safe-path rule before acting on e. Package listing
// keeps only the last element of an MLSx pathname, and Conn.ReadDir the
// base of an NLST name, where a client must refuse "a/b" or "/etc/passwd"
// rather than quietly use "b" or "passwd".
func SentName(e listing.Entry, dir string) string {
	n := e.Name
	switch e.Format {
	case listing.FormatMLSx:
		if i := strings.IndexAny(e.Raw, " \t"); i >= 0 {
			n = e.Raw[i+1:]
		}
	case "": // NLST, when LIST is not implemented
		n = e.Raw
	default:
		return n
	}
	if dir != "" && dir != "/" {
		n = strings.TrimPrefix(n, strings.TrimSuffix(dir, "/")+"/")
	}
	if e.Type == listing.Dir && len(n) > 1 {
		n = strings.TrimSuffix(n, "/")
	}
	return n
}

// RemoveAll removes the remote path p: a file with DELE, or a directory
// with everything in it (listed with List, files deleted with DELE,
// subdirectories removed depth first, then RMD). Entries that List
// reports as unsafe are not touched, and the directory then stays; the
// error says why. A directory whose listing failed is not reported as
// removed unless RMD removed it. Symbolic links are deleted, never
// followed. A subdirectory with the same MLSx unique fact as one of its
// ancestors (ErrCycle) or more than DefaultMaxDepth levels down
// (ErrTooDeep) is not entered, and the error says so.
func RemoveAll(ctx context.Context, c *ftp.Conn, p string) error {
	return removeAll(ctx, c, p, &dirNode{path: p})
}

func removeAll(ctx context.Context, c *ftp.Conn, p string, dir *dirNode) error {
	_, derr := c.Delete(ctx, p)
	if derr == nil {
		return nil
	}
	if !errors.Is(derr, ftp.ErrPermanent) {
		return derr
	}
	// Perhaps a directory.
	entries, lerr := List(ctx, c, p)
	if lerr != nil && len(entries) == 0 {
		if _, err := c.Rmd(ctx, p); err == nil {
			return nil
		}
		if isNotExist(lerr) {
			return derr // not a directory either: DELE's reply explains best
		}
		return lerr // a directory whose listing failed: it stays
	}
	var errs []error
	if lerr != nil {
		errs = append(errs, lerr)
	}
	for _, e := range entries {
		child := path.Join(p, e.Name)
		var err error
		if e.Type == listing.Dir {
			var sub *dirNode
			if sub, err = dir.enter(child, uniqueFact(e), nil, DefaultMaxDepth); err == nil {
				err = removeAll(ctx, c, child, sub)
			} else {
				err = fmt.Errorf("%s: %w", child, err)
			}
		} else {
			_, err = c.Delete(ctx, child)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	_, err := c.Rmd(ctx, p)
	return err
}

// isNotExist reports whether err says that a remote path does not exist
// (a 550 reply to a command naming it; some servers answer 450).
func isNotExist(err error) bool {
	var re *ftp.ReplyError
	return errors.Is(err, fs.ErrNotExist) || errors.As(err, &re) && (re.Code == 550 || re.Code == 450)
}

// sameTime reports whether a local modification time matches a listed
// remote one of the given precision. An unknown remote time (zero)
// matches anything: the size alone decides then.
func sameTime(local, remote time.Time, prec time.Duration) bool {
	if remote.IsZero() {
		return true
	}
	prec = max(prec, time.Second)
	if prec >= 24*time.Hour {
		ly, lm, ld := local.In(remote.Location()).Date()
		ry, rm, rd := remote.Date()
		return ly == ry && lm == rm && ld == rd
	}
	return local.Truncate(prec).Equal(remote.Truncate(prec))
}

// newer reports whether local is clearly after remote, given the remote
// time's precision; false when remote is unknown.
func newer(local, remote time.Time, prec time.Duration) bool {
	return !remote.IsZero() && !sameTime(local, remote, prec) && local.After(remote)
}

// remoteJoin joins a remote directory and a name; "" is the working
// directory.
func remoteJoin(dir, name string) string {
	if dir == "" {
		return name
	}
	return path.Join(dir, name)
}

// partName is the name of the partial file of name while it is being
// transferred, locally or remotely.
func partName(name string) string { return "." + name + PartSuffix }

// PartSuffix ends the names of partial files: a download of "a.bin" is
// written to ".a.bin.goftp-part" and renamed to "a.bin" when complete, so
// that an interrupted transfer never leaves a truncated file under the
// real name and can be resumed.
const PartSuffix = ".goftp-part"

// IsPartialName reports whether name (a file name, or the last element of
// a slash-separated path) has the form of a partial file, ".NAME" +
// PartSuffix. Such names belong to transfers in progress: Download never
// fetches a server entry of that form (it is reported as skipped), and
// callers listing a server should not download one as data either.
func IsPartialName(name string) bool {
	_, ok := isPartOf(name[strings.LastIndexByte(name, '/')+1:])
	return ok
}

// isPartOf reports whether name is the partial file of another name, and
// which.
func isPartOf(name string) (string, bool) {
	if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, PartSuffix) || len(name) <= len(PartSuffix)+1 {
		return "", false
	}
	return name[1 : len(name)-len(PartSuffix)], true
}
