package ftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/goftplib/ftp/internal/safepath"
	"github.com/goftplib/ftp/listing"
)

// JoinPath joins a remote directory and a name with "/": "" is the working
// directory (the name alone), an empty name leaves dir as it is, and a
// directory ending in "/" (such as "/") gets no second one. Nothing is cleaned: the name should have passed
// CheckName.
func JoinPath(dir, name string) string {
	switch {
	case dir == "":
		return name
	case name == "":
		return dir
	case strings.HasSuffix(dir, "/"):
		return dir + name
	}
	return dir + "/" + name
}

// CheckName reports whether the name of e, listed in dir, is safe to act
// on: a single plain path element, as the server sent it. Package listing
// keeps only the last element of an MLSx pathname and ReadDir the base of
// an NLST name, where a client must refuse "a/b", "/etc/passwd" or "../x"
// rather than quietly use "b", "passwd" or "x" (a pathname that starts
// with dir, which some servers send, is read as the name after it). Names
// that are empty, "." or "..", hold a '/' or '\', NUL, CR or LF, or are not
// plain local names (Windows device names) are refused with an error that
// names them. Use it before a name reaches the local disk or a remote
// command that acts below dir; ReadDir itself returns every entry.
func CheckName(e listing.Entry, dir string) error {
	return safepath.Check(sentName(e, dir))
}

// sentName returns the name of e as the server sent it.
func sentName(e listing.Entry, dir string) string {
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

// MkdirAll creates the remote directory dir and any parents that do not
// exist (os.MkdirAll): a directory that exists already is not an error,
// a file in the way is.
func (c *Conn) MkdirAll(ctx context.Context, dir string) error {
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" || dir == "." {
		return nil
	}
	_, err := c.Mkd(ctx, dir)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrPermanent) {
		return err
	}
	if e, serr := c.Stat(ctx, dir); serr == nil {
		if e.Type == listing.Dir {
			return nil
		}
		return errorf("MkdirAll %s: a %s is in the way: %w", dir, e.Type, err)
	}
	if i := strings.LastIndexByte(dir, '/'); i > 0 {
		if perr := c.MkdirAll(ctx, dir[:i]); perr != nil {
			return perr
		}
		_, err = c.Mkd(ctx, dir)
	}
	return err
}

// RemoveAll removes the remote path p (os.RemoveAll): a file with DELE,
// or a directory with everything in it, depth first (files with DELE,
// then RMD). It is not an error when p does not exist. A directory is
// emptied only on the strength of a complete listing: one that failed,
// was cut short or held entries whose names CheckName refuses leaves the
// directory in place, with the error. Symbolic links are deleted, never
// followed. A subdirectory seen before (the same MLSx unique fact, a
// cycle) or more than MaxWalkDepth levels down is not entered: ErrCycle
// or ErrTooDeep.
func (c *Conn) RemoveAll(ctx context.Context, p string) error {
	err := c.removeAll(ctx, p, 0, map[string]bool{})
	if errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrCycle) {
		if _, serr := c.Stat(ctx, p); errors.Is(serr, fs.ErrNotExist) {
			return nil
		}
	}
	return err
}

func (c *Conn) removeAll(ctx context.Context, p string, depth int, seen map[string]bool) error {
	_, derr := c.Delete(ctx, p)
	if derr == nil || !errors.Is(derr, ErrPermanent) {
		return derr
	}
	// Perhaps a directory.
	entries, lerr := c.ReadDir(ctx, p)
	if lerr != nil && entries == nil {
		if _, err := c.Rmd(ctx, p); err == nil {
			return nil
		}
		if errors.Is(lerr, fs.ErrNotExist) {
			return derr // not a directory either: DELE's reply explains best
		}
		return lerr // a directory whose listing failed: it stays
	}
	errs := []error{lerr}
	for _, e := range entries {
		if err := CheckName(e, p); err != nil {
			errs = append(errs, err)
			continue
		}
		child := JoinPath(p, e.Name)
		var err error
		switch u := e.Facts["unique"]; {
		case e.Type != listing.Dir:
			_, err = c.Delete(ctx, child)
		case depth+1 > MaxWalkDepth:
			err = fmt.Errorf("%s: %w", child, ErrTooDeep)
		case u != "" && seen[u]:
			err = fmt.Errorf("%s: %w", child, ErrCycle)
		default:
			if u != "" {
				seen[u] = true
			}
			err = c.removeAll(ctx, child, depth+1, seen)
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	_, err := c.Rmd(ctx, p)
	return err
}
