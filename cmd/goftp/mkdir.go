package main

import (
	"strings"
)

func (a *app) mkdir(args []string) error {
	fs := a.subFlags("mkdir")
	parents := fs.Bool("p", false, "create missing parent directories; no error if the directory exists")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("mkdir needs one URL")
	}
	u, err := a.parseURL(pos[0])
	if err != nil {
		return err
	}
	segs := u.Segments
	for len(segs) > 0 && segs[len(segs)-1] == "" {
		segs = segs[:len(segs)-1]
	}
	if len(segs) == 0 || strings.Join(segs, "") == "" {
		return usagef("mkdir needs a directory path in the URL")
	}
	c, err := a.connect(u)
	if err != nil {
		return err
	}
	defer a.quit(c)
	target := strings.Join(segs, "/")
	if !*parents {
		_, err := c.Mkd(a.ctx, target)
		return err
	}
	return c.MkdirAll(a.ctx, target)
}
