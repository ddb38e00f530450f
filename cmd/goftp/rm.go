package main

import (
	"fmt"
	"strings"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/mirror"
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
	conns := a.conns()
	defer conns.close()
	failed := false
	for _, u := range urls {
		c, err := conns.get(u)
		if err != nil {
			return err
		}
		p := strings.TrimSuffix(u.Path(), "/")
		if *recursive {
			err = mirror.RemoveAll(a.ctx, c, p)
		} else {
			_, err = c.Delete(a.ctx, p)
		}
		if err != nil {
			if a.ctx.Err() != nil {
				return err
			}
			a.printError(fmt.Errorf("rm %s: %w", u.Path(), err)) // as typed
			failed = true
		}
	}
	if failed {
		return errReported
	}
	return nil
}

// connSet keeps one logged-in Conn per server and login for a command.
type connSet struct {
	a *app
	m map[string]*ftp.Conn
}

func (a *app) conns() *connSet { return &connSet{a: a, m: map[string]*ftp.Conn{}} }

func (s *connSet) get(u *ftp.URL) (*ftp.Conn, error) {
	key := u.Scheme + "://" + u.User + ":" + u.Password + "@" + u.Host
	if c, ok := s.m[key]; ok {
		return c, nil
	}
	c, err := s.a.connect(u)
	if err != nil {
		return nil, err
	}
	s.m[key] = c
	return c, nil
}

func (s *connSet) close() {
	for _, c := range s.m {
		s.a.quit(c)
	}
}
