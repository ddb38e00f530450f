package main

import (
	"strings"

	"github.com/goftplib/ftp"
)

// dataVerbs are the commands that need a data connection, which quote
// does not open: ls, get, put and cat do these transfers.
var dataVerbs = map[string]string{
	"LIST": "ls", "NLST": "ls", "MLSD": "ls --json", "RETR": "get or cat",
	"STOR": "put", "STOU": "put", "APPE": "put",
}

// quote sends raw commands after the login (in the URL's directory, if
// it names one) and prints each reply on standard output, as the server
// sent it (control characters escaped). It stops at the first command
// answered 4xx or 5xx, which is also reported on standard error and
// sets the exit status.
func (a *app) quote(args []string) error {
	fs := a.subFlags("quote")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usagef("quote needs a URL and at least one command")
	}
	u, err := a.parseURL(pos[0])
	if err != nil {
		return err
	}
	cmds := pos[1:]
	for _, line := range cmds {
		if strings.TrimSpace(line) == "" || strings.ContainsAny(line, "\r\n") {
			return usagef("quote: %q is not one command line", line)
		}
		verb, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if alt, ok := dataVerbs[strings.ToUpper(verb)]; ok {
			return usagef("quote: %s needs a data connection, which quote does not open: use goftp %s", strings.ToUpper(verb), alt)
		}
	}
	c, err := a.connect(u)
	if err != nil {
		return err
	}
	defer a.quit(c)
	if dir := strings.TrimSuffix(u.Path(), "/"); dir != "" {
		if _, err := c.Cwd(a.ctx, dir); err != nil {
			return err
		}
	}
	for _, line := range cmds {
		rep, err := c.SendCmd(a.ctx, strings.TrimSpace(line))
		if rep != nil {
			a.printf(a.stdout, "%s\n", ftp.EscapeText(rep.String()))
		}
		if err != nil {
			return err // the reply is on stdout; the error names the command
		}
	}
	return nil
}
