package ftp

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/goftplib/ftp/listing"
)

// ReadDir lists the directory dir ("" for the working directory) as
// structured entries, sorted as the server sent them, without "." and "..".
// It uses MLSD (RFC 3659) when FEAT advertises MLST, LIST otherwise ("LIST
// -a" with Dialer.ListHidden), parsed by package listing with the
// Dialer's ServerLocation as the server's time zone; if LIST is not
// implemented, NLST gives names only (Type listing.Other, Size -1).
//
// Lines that cannot be parsed are never dropped silently: ReadDir returns
// the entries that parsed together with an error joining one
// *listing.ParseError per rejected line.
func (c *Conn) ReadDir(ctx context.Context, dir string) ([]listing.Entry, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	mlst, err := c.hasFeature(ctx, "MLST")
	c.end()
	if err != nil {
		return nil, err
	}
	if mlst {
		return c.readDirMLSD(ctx, dir)
	}
	args := dir
	if c.d.ListHidden {
		args = strings.TrimSpace("-a " + dir)
	}
	lines, err := c.listLines(ctx, "LIST", args)
	if err != nil {
		var re *ReplyError
		if errors.As(err, &re) && (re.Code == CodeSyntaxError || re.Code == CodeNotImplemented) {
			return c.readDirNLST(ctx, dir)
		}
		return nil, err
	}
	entries, perr := listing.Parse(lines, &listing.Options{Location: c.d.ServerLocation})
	return dropDots(entries), perr
}

func (c *Conn) readDirMLSD(ctx context.Context, dir string) ([]listing.Entry, error) {
	var entries []listing.Entry
	var errs []error
	n := 0
	err := c.lineTransfer(ctx, "MLSD", dir, func(l string) error {
		n++
		if l == "" {
			return nil
		}
		e, err := listing.ParseMLSx(l)
		if err != nil {
			var pe *listing.ParseError
			if errors.As(err, &pe) {
				pe.Line = n
			}
			errs = append(errs, err)
			return nil
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dropDots(entries), errors.Join(errs...)
}

func (c *Conn) readDirNLST(ctx context.Context, dir string) ([]listing.Entry, error) {
	names, err := c.listLines(ctx, "NLST", dir)
	if err != nil {
		return nil, err
	}
	var entries []listing.Entry
	var errs []error
	for i, n := range names {
		n = path.Base(n) // some servers answer NLST dir with "dir/name"
		if n == "." || n == ".." {
			continue
		}
		if n == "" || n == "/" || strings.ContainsAny(n, "\x00\r\n") {
			errs = append(errs, &listing.ParseError{Line: i + 1, Raw: names[i], Err: listing.ErrName})
			continue
		}
		entries = append(entries, listing.Entry{Name: n, Type: listing.Other, Size: -1, Raw: names[i]})
	}
	return entries, errors.Join(errs...)
}

func dropDots(entries []listing.Entry) []listing.Entry {
	out := entries[:0]
	for _, e := range entries {
		if e.Type != listing.CurrentDir && e.Type != listing.ParentDir {
			out = append(out, e)
		}
	}
	return out
}

// Stat returns the entry for one path: MLST when FEAT advertises it,
// otherwise the matching line of a listing of its parent directory. The
// entry's Name is the last element of name. A missing path is an error
// matching fs.ErrNotExist.
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
	if mlst {
		defer c.end()
		rep, err := c.expectPath(ctx, "MLST", clean, 2)
		if err != nil {
			return listing.Entry{}, err
		}
		for _, l := range strings.Split(rep.Msg, "\n")[1:] {
			if !strings.HasPrefix(l, " ") {
				continue
			}
			facts, _, _ := strings.Cut(l[1:], " ")
			e, err := listing.ParseMLSx(facts + " " + path.Base(clean))
			if err != nil {
				return listing.Entry{}, &ProtocolError{Cmd: "MLST " + clean, Msg: err.Error()}
			}
			if e.Type == listing.CurrentDir {
				e.Type, e.Name = listing.Dir, path.Base(clean)
			}
			return e, nil
		}
		return listing.Entry{}, &ProtocolError{Cmd: "MLST " + clean, Msg: "no facts line in the reply"}
	}
	c.end()
	parent, base := path.Split(clean)
	entries, lerr := c.ReadDir(ctx, strings.TrimSuffix(parent, "/"))
	if lerr != nil && entries == nil {
		return listing.Entry{}, lerr
	}
	for _, e := range entries {
		if e.Name == base {
			return e, nil
		}
	}
	return listing.Entry{}, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// WalkFunc is called by Walk for each entry; see Walk.
type WalkFunc func(path string, e listing.Entry, err error) error

// Walk walks the tree rooted at root depth-first, calling fn for root and
// every entry below it, with paths joined by "/" (like fs.WalkDir). fn may
// return fs.SkipDir to skip a directory, or fs.SkipAll to stop. An error
// listing a directory is passed to fn with that directory's entry; entries
// that parsed are still walked. Symbolic links are not followed.
func (c *Conn) Walk(ctx context.Context, root string, fn WalkFunc) error {
	e, err := c.Stat(ctx, root)
	if err != nil {
		err = fn(root, listing.Entry{Name: path.Base(root), Size: -1}, err)
	} else {
		err = c.walk(ctx, root, e, fn)
	}
	if err == fs.SkipDir || err == fs.SkipAll {
		return nil
	}
	return err
}

func (c *Conn) walk(ctx context.Context, p string, e listing.Entry, fn WalkFunc) error {
	if err := fn(p, e, nil); err != nil || e.Type != listing.Dir {
		if err == fs.SkipDir && e.Type == listing.Dir {
			return nil
		}
		return err
	}
	entries, err := c.ReadDir(ctx, p)
	if err != nil {
		if err := fn(p, e, err); err != nil {
			if err == fs.SkipDir {
				return nil
			}
			return err
		}
	}
	for _, child := range entries {
		if err := c.walk(ctx, path.Join(p, child.Name), child, fn); err != nil {
			return err
		}
	}
	return nil
}
