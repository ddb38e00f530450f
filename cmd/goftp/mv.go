package main

import "strings"

func (a *app) mv(args []string) error {
	fs := a.subFlags("mv")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("mv needs a URL and a new path")
	}
	u, err := a.parseURL(pos[0])
	if err != nil {
		return err
	}
	from := strings.TrimSuffix(u.Path(), "/")
	if from == "" {
		return usagef("mv needs a path in the URL")
	}
	to := pos[1]
	relative := false
	if strings.Contains(to, "://") {
		// A URL on the same server.
		v, err := a.parseURL(to)
		if err != nil {
			return err
		}
		if v.Host != u.Host {
			return usagef("mv cannot move between servers (%s, %s)", u.Host, v.Host)
		}
		to = v.Path()
	} else {
		relative = !strings.HasPrefix(to, "/")
	}
	if to == "" {
		return usagef("mv needs a new path")
	}
	if relative {
		// As mv does: a relative new name is in the file's own directory
		// (mv URL/dir/a b renames dir/a to dir/b); a URL, or an absolute
		// path, names the place on the server.
		if i := strings.LastIndexByte(from, '/'); i >= 0 {
			to = from[:i+1] + to
		}
	}
	if strings.HasSuffix(to, "/") {
		// Into a directory, keeping the name.
		to += from[strings.LastIndexByte(from, '/')+1:]
	}
	c, err := a.connect(u)
	if err != nil {
		return err
	}
	defer a.quit(c)
	_, err = c.Rename(a.ctx, from, to)
	return err
}
