package main

import (
	"errors"
	"strconv"

	"github.com/goftplib/ftp"
)

// chmod sets the permissions of remote files with SITE CHMOD, the
// extension most Unix servers (vsftpd, ProFTPD, Pure-FTPd) offer. MODE
// is octal, as chmod(1) writes it numerically. Every URL is tried; the
// failures are reported one by one.
func (a *app) chmod(args []string) error {
	fs := a.subFlags("chmod")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("chmod needs a MODE and at least one URL")
	}
	mode := pos[0]
	if n, err := strconv.ParseUint(mode, 8, 32); err != nil || n > 0o7777 || len(mode) < 3 || len(mode) > 4 {
		return usagef("chmod: MODE %q: write it in octal, as 644 or 0755 (SITE CHMOD takes no symbolic modes)", mode)
	}
	var urls []*ftp.URL
	for _, raw := range pos[1:] {
		u, err := a.parseURL(raw)
		if err != nil {
			return err
		}
		if u.Path() == "" {
			return usagef("chmod: %s names no file", u.Redacted())
		}
		urls = append(urls, u)
	}
	pools := a.pools()
	defer pools.Close()
	failed := false
	for _, u := range urls {
		p, err := pools.Pool(u)
		if err != nil {
			return err
		}
		err = p.Do(a.ctx, func(c *ftp.Conn) error {
			_, err := c.Site(a.ctx, "CHMOD "+mode+" "+u.Path())
			return err
		})
		if err != nil {
			if a.ctx.Err() != nil {
				return err
			}
			var re *ftp.ReplyError
			if errors.As(err, &re) && (re.Code == 500 || re.Code == 502 || re.Code == 504) {
				err = wrapf("%w (the server does not support SITE CHMOD)", err)
			}
			a.printError(err)
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}
