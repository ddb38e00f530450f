package main

import (
	"errors"
	"strings"

	"github.com/goftplib/ftp"
	"github.com/goftplib/ftp/listing"
	"github.com/goftplib/ftp/mirror"
)

func (a *app) ls(args []string) error {
	fs := a.subFlags("ls")
	long := fs.Bool("l", false, "long format: mode, size, modification time, name")
	all := fs.Bool("a", false, "include names starting with a dot")
	asJSON := fs.Bool("json", false, "print one JSON object per entry: name, type, size, time, target")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("ls needs one URL")
	}
	u, err := a.parseURL(pos[0])
	if err != nil {
		return err
	}
	c, err := a.connectWith(u, func(d *ftp.Dialer) { d.ListHidden = *all })
	if err != nil {
		return err
	}
	defer a.quit(c)
	entries, lerr := a.listDir(c, u.Path())
	if lerr != nil && len(entries) == 0 {
		return lerr
	}
	for _, e := range entries {
		if !*all && strings.HasPrefix(e.Name, ".") {
			continue
		}
		switch {
		case *asJSON:
			if err := writeJSON(a.stdout, toJSON(e)); err != nil {
				return err
			}
		case *long:
			a.printf(a.stdout, "%s\n", longLine(e))
		default:
			a.printf(a.stdout, "%s\n", quoteName(e.Name))
		}
	}
	return lerr // lines that could not be used, after the rest
}

// listDir lists a remote directory with mirror.List (MLSD, or LIST with
// "-a" when the Conn's Dialer has ListHidden). When dir names a file,
// it describes that file alone (Conn.Stat). Unusable lines are returned
// in the error, with the entries that could be used.
func (a *app) listDir(c *ftp.Conn, dir string) ([]listing.Entry, error) {
	entries, err := mirror.List(a.ctx, c, dir)
	var re *ftp.ReplyError
	if err != nil && len(entries) == 0 && dir != "" && errors.As(err, &re) && re.Code >= 500 {
		// Perhaps a file.
		if e, serr := c.Stat(a.ctx, dir); serr == nil && e.Type != listing.Dir {
			return []listing.Entry{e}, nil
		}
	}
	return entries, err
}
