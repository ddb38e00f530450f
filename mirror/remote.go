package mirror

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
)

// List lists the remote directory dir ("" for the working directory) on
// c with Conn.ReadDirSeq: MLSD when the server has it, else LIST parsed by
// package listing. The entries "." and ".." are left out; the rest is
// sorted by name.
//
// Nothing is dropped silently: entries whose name, as the server sent it,
// is not a safe local file name (see ftp.CheckName: "..",
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
		if err := ftp.CheckName(e, dir); err != nil {
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
