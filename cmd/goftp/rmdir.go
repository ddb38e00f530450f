package main

import "strings"

func (a *app) rmdir(args []string) error {
	fs := a.subFlags("rmdir")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("rmdir needs one URL")
	}
	u, err := a.parseURL(pos[0])
	if err != nil {
		return err
	}
	p := strings.TrimSuffix(u.Path(), "/")
	if p == "" {
		return usagef("rmdir needs a directory path in the URL")
	}
	c, err := a.connect(u)
	if err != nil {
		return err
	}
	defer a.quit(c)
	_, err = c.Rmd(a.ctx, p)
	return err
}
