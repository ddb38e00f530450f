package main

import (
	"fmt"
	"path"
	"strings"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
)

func (a *app) rm(args []string) error {
	fs := a.subFlags("rm")
	recursive := fs.Bool("r", false, "remove directories and everything in them")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("rm needs at least one URL")
	}
	var urls []*ftp.URL
	for _, raw := range pos {
		u, err := a.parseURL(raw)
		if err != nil {
			return err
		}
		if strings.Trim(u.Path(), "/") == "" {
			return usagef("refusing to remove the login or root directory (%s)", u.Redacted())
		}
		urls = append(urls, u)
	}
	pools := a.pools()
	defer pools.Close()
	failed := false
	for _, u := range urls {
		pool, err := pools.Pool(u)
		if err != nil {
			return err
		}
		p := strings.TrimSuffix(u.Path(), "/")
		if !a.g.globoff && hasMeta(u.Base()) {
			if !a.rmGlob(pool, u, *recursive) {
				failed = true
			}
			continue
		}
		err = pool.Do(a.ctx, func(c *ftp.Conn) error { return a.removePath(c, p, *recursive) })
		if err != nil {
			if a.ctx.Err() != nil {
				return err
			}
			a.printError(wrapf("rm %s: %w", u.Path(), err)) // as typed
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// rmGlob removes the entries of u's directory whose names match its last
// segment, a glob pattern (path.Match; --globoff takes it as a name).
// Directories are removed with recursive, otherwise skipped with a note.
// Errors are printed; it reports whether all went well.
func (a *app) rmGlob(pool *ftp.Pool, u *ftp.URL, recursive bool) bool {
	base, dir := u.Base(), u.Dir()
	if _, err := path.Match(base, ""); err != nil {
		a.printError(usagef("bad pattern %q: %v (--globoff takes it as a name)", base, err))
		return false
	}
	ok := true
	err := pool.Do(a.ctx, func(c *ftp.Conn) error {
		entries, err := c.ReadDir(a.ctx, dir)
		if err != nil {
			return err
		}
		matched := 0
		for _, e := range entries {
			if e.Type == listing.CurrentDir || e.Type == listing.ParentDir {
				continue
			}
			if m, _ := path.Match(base, e.Name); !m {
				continue
			}
			matched++
			p := ftp.JoinPath(dir, e.Name)
			switch {
			case e.Type == listing.Dir && !recursive:
				a.warnf("skip %s: a directory (rm -r removes it)", p)
				continue
			case e.Type == listing.Dir:
				err = c.RemoveAll(a.ctx, p)
			default:
				_, err = c.Delete(a.ctx, p)
			}
			if err != nil {
				if a.ctx.Err() != nil {
					return err
				}
				a.printError(wrapf("rm %s: %w", p, err))
				ok = false
			}
		}
		if matched == 0 {
			return notFound{fmt.Errorf("no files match %s", ftp.JoinPath(dir, base))}
		}
		return nil
	})
	if err != nil {
		a.printError(wrapf("rm %s: %w", u.Path(), err))
		return false
	}
	return ok
}

// removePath deletes the file p, or with recursive the tree p, which must
// exist: ftp.RemoveAll, like os.RemoveAll, is content with a path that
// does not exist; rm is not.
func (a *app) removePath(c *ftp.Conn, p string, recursive bool) error {
	if !recursive {
		_, err := c.Delete(a.ctx, p)
		return err
	}
	if _, err := c.Stat(a.ctx, p); err != nil {
		return err
	}
	return c.RemoveAll(a.ctx, p)
}
