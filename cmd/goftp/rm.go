package main

import (
	"strings"

	"github.com/goftplib/ftp"
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
		err = pool.Do(a.ctx, func(c *ftp.Conn) error {
			if !*recursive {
				_, err := c.Delete(a.ctx, p)
				return err
			}
			// ftp.RemoveAll, like os.RemoveAll, is content with a path
			// that does not exist; rm is not.
			if _, err := c.Stat(a.ctx, p); err != nil {
				return err
			}
			return c.RemoveAll(a.ctx, p)
		})
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
